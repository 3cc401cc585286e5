"""A :class:`~specdsl.training.batching.BatchStream` handed to Keras as a ``keras.utils.PyDataset``.

``PyDataset`` is the input every Keras backend takes (TensorFlow, JAX and PyTorch alike), so one
pipeline serves all three.  Keras asks for batch ``i`` of the current epoch; the stream is
sequential (pools, read-ahead), so the dataset runs the epoch's iterator in one background
thread, ``prefetch`` batches ahead of the training step, and hands them out in order.  Asking
for batches out of order (a peek at batch 0, say) restarts the epoch's iterator, which gives the
same batches again: streams are deterministic.  ``on_epoch_end`` moves to the next epoch, whose
shuffle differs; ``first_epoch`` lets a resumed run continue the sequence it was on.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from specdsl.training.batching import BatchStream

_END = object()


class _Prefetched:
    """An iterator run in a daemon thread, ``depth`` items ahead; its errors are raised at the consumer."""

    def __init__(self, items: Iterator[Any], depth: int) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(items,), daemon=True, name="specdsl-batches")
        self._thread.start()

    def _run(self, items: Iterator[Any]) -> None:
        try:
            for item in items:
                while not self._stop.is_set():
                    try:
                        self._queue.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            self._queue.put((True, _END))
        except BaseException as err:  # handed to the consumer, who raises it with its own traceback
            self._queue.put((False, err))

    def __next__(self) -> Any:
        ok, item = self._queue.get()
        if not ok:
            raise item
        if item is _END:
            raise StopIteration
        return item

    def close(self) -> None:
        self._stop.set()
        while True:  # unblock a producer waiting on a full queue
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break


def keras_batches(stream: BatchStream, to_keras: Callable[[dict[str, Any]], Any] = lambda b: b, *,
                  first_epoch: int = 0, prefetch: int = 4) -> Any:
    """What ``fit`` takes for ``stream`` on the current backend, yielding ``to_keras(batch)``
    (e.g. ``(inputs, targets)``): a ``PyDataset``, or on TensorFlow a ``tf.data.Dataset`` with
    declared shapes (:mod:`specdsl.training.tf_batches`).  ``to_keras`` only rearranges arrays,
    so it applies to NumPy and TensorFlow tensors alike."""
    from specdsl.backend.quiet import import_keras

    keras = import_keras()
    if keras.backend.backend() == "tensorflow":
        from specdsl.training.tf_batches import tf_batches

        return tf_batches(stream, to_keras, first_epoch=first_epoch)

    class StreamDataset(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__(workers=1, use_multiprocessing=False)
            self.stream, self.epoch = stream, first_epoch
            self._iter: _Prefetched | None = None
            self._next = 0
            self._lock = threading.Lock()

        def __len__(self) -> int:
            return stream.steps

        @property
        def num_batches(self) -> int:
            return stream.steps

        def __getitem__(self, index: int) -> Any:
            if not 0 <= index < stream.steps:
                raise IndexError(index)
            with self._lock:
                if self._iter is None or index != self._next:
                    self._restart(skip=index)
                assert self._iter is not None
                batch = next(self._iter)
                self._next = index + 1
            return to_keras(batch)

        def _restart(self, skip: int) -> None:
            if self._iter is not None:
                self._iter.close()
            self._iter = _Prefetched(stream.run(self.epoch), prefetch)
            for _ in range(skip):
                next(self._iter)

        def on_epoch_end(self) -> None:
            with self._lock:
                if self._iter is not None:
                    self._iter.close()
                self._iter, self._next = None, 0
                self.epoch += 1

        def __iter__(self) -> Iterator[Any]:  # one pass over the current epoch, for scoring after a run
            for batch in stream.run(self.epoch):
                yield to_keras(batch)

    return StreamDataset()


__all__ = ["keras_batches"]
