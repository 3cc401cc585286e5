"""Batches as NumPy, the same on every Keras backend: one shuffling, seeding and batching
implementation for all readers.

A reader describes its data as a :class:`BatchStream`: how many batches an epoch has and, for
an epoch number, the iterator of its batches (dicts of NumPy arrays keyed by field).  The stream
is deterministic: the same seed and epoch give the same batches, whatever the backend, so a run
resumed at epoch k shuffles as the uninterrupted run did.  Three builders cover the readers:

* :func:`block_stream`: files read in blocks of rows (BPReveal's HDF5, DeepCpG's chunks).  Block
  order is drawn per epoch; the rows of consecutive blocks are pooled (``buffer`` rows, the
  memory bound) and shuffled within the pool; blocks are read ahead by a few threads (h5py
  handles are opened per read, never shared between threads).
* :func:`indexed_stream`: rows fetched by index (signal CSVs by byte offset, samples held in
  memory): a full permutation per epoch, each batch fetched ahead in threads.
* :class:`BatchStream` directly, for readers with their own order (reads batched by length).

Training batches are whole (the remainder is dropped, a different one every epoch); validation
keeps every example.  :mod:`specdsl.training.keras_batches` hands a stream to ``fit``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.data_errors import record

Batch = dict[str, np.ndarray]
T = TypeVar("T")
R = TypeVar("R")

DEFAULT_WORKERS = 2  # reading threads: enough to hide HDF5 decompression behind a CPU training step
DEFAULT_LOOKAHEAD = 2  # blocks or batches read ahead of the one being used (each a worker)


@dataclass(frozen=True)
class BatchStream:
    """``steps`` batches per epoch; ``epoch(k)`` yields epoch k's batches (k ≥ 0).

    ``varying`` names the fields whose shape beyond the batch axis changes from batch to batch
    (reads padded to each batch's longest), for pipelines that need fixed shapes declared.
    """

    steps: int
    epoch: Callable[[int], Iterator[Batch]]
    varying: tuple[str, ...] = ()

    def run(self, k: int) -> Iterator[Batch]:
        """Epoch ``k``'s batches; a data error on the way is recorded for
        :func:`~specdsl.formats.data_errors.surfaced` (a framework may wrap it on its way out)."""
        try:
            yield from self.epoch(k)
        except SpecError as err:
            raise record(err) from None

    def map(self, fn: Callable[[Batch], Batch], steps: int | None = None) -> BatchStream:
        """The same stream with ``fn`` applied to every batch (``steps``: when ``fn`` changes the count)."""
        epoch = self.epoch
        return BatchStream(self.steps if steps is None else steps, lambda k: (fn(b) for b in epoch(k)), self.varying)

    def take(self, steps: int) -> BatchStream:
        """The first ``steps`` batches of every epoch."""
        epoch = self.epoch

        def first(k: int) -> Iterator[Batch]:
            for i, batch in enumerate(epoch(k)):
                if i >= steps:
                    return
                yield batch

        return BatchStream(min(steps, self.steps), first, self.varying)


def epoch_seed(seed: int, epoch: int, *salt: int) -> int:
    """A 63-bit seed for one epoch (and block or batch): independent draws, the same on every run."""
    return int(np.random.SeedSequence([seed & 0xFFFFFFFF, epoch, *salt]).generate_state(2, np.uint64)[0] >> 1)


def steps_for(n: int, batch_size: int, whole: bool, *, role: str, noun: str, file: str | None = None) -> int:
    """Batches per epoch; an epoch without a batch is refused (a reader's error, naming its files)."""
    steps = n // batch_size if whole else math.ceil(n / batch_size)
    if steps == 0:
        raise SpecError(f"the {role} files hold {n} {noun}, fewer than the batch size {batch_size}", file=file,
                        hint=f"use a smaller batch size or more {noun}")
    return steps


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int = DEFAULT_WORKERS,
                lookahead: int = DEFAULT_LOOKAHEAD) -> Iterator[R]:
    """``fn`` over ``items`` in order, up to ``lookahead`` calls running ahead in ``workers`` threads.

    A :class:`SpecError` from ``fn`` (bad data, with its file and row) is recorded for
    :func:`~specdsl.formats.data_errors.surfaced` and raised where the result is used.
    """
    def call(item: T) -> R:
        try:
            return fn(item)
        except SpecError as err:
            raise record(err) from None

    if workers <= 0:
        yield from map(call, items)
        return
    pending: deque[Any] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="specdsl-read") as pool:
        try:
            for item in items:
                pending.append(pool.submit(call, item))
                if len(pending) > lookahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _concat(parts: Sequence[Batch]) -> Batch:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if len(parts) > 1 else dict(parts[0])


def _rows(batch: Batch) -> int:
    return len(next(iter(batch.values())))


def pooled_batches(blocks: Iterable[Batch], batch_size: int, *, buffer: int, rng: np.random.Generator | None,
                   whole: bool) -> Iterator[Batch]:
    """Batches cut from ``blocks`` in order; with ``rng``, rows are shuffled within pools of at least
    ``buffer`` rows (whole blocks), the rows left over carried into the next pool."""
    pool: list[Batch] = []
    held = 0
    for block in blocks:
        pool.append(block)
        held += _rows(block)
        if held < max(buffer, batch_size):
            continue
        rows = _concat(pool)
        if rng is not None:
            order = rng.permutation(held)
            rows = {k: v[order] for k, v in rows.items()}
        full = held // batch_size * batch_size
        for start in range(0, full, batch_size):
            yield {k: v[start:start + batch_size] for k, v in rows.items()}
        pool = [{k: v[full:] for k, v in rows.items()}] if full < held else []
        held -= full
    if held:
        rows = _concat(pool)
        if rng is not None:
            order = rng.permutation(held)
            rows = {k: v[order] for k, v in rows.items()}
        cut = held // batch_size * batch_size if whole else held
        for start in range(0, cut, batch_size):
            yield {k: v[start:start + batch_size] for k, v in rows.items()}


def block_stream(n_blocks: int, read_block: Callable[[int, int], Batch], *, rows: int, batch_size: int,
                 shuffle: bool, seed: int, buffer: int, whole: bool | None = None, role: str = "train",
                 noun: str = "examples", file: str | None = None, workers: int = DEFAULT_WORKERS) -> BatchStream:
    """Batches of ``rows`` examples held in ``n_blocks`` blocks; ``read_block(block, seed)`` reads one
    (``seed``: for augmentation that differs per block and epoch, e.g. jitter offsets)."""
    whole = shuffle if whole is None else whole
    steps = steps_for(rows, batch_size, whole, role=role, noun=noun, file=file)

    def epoch(k: int) -> Iterator[Batch]:
        order = np.random.default_rng(epoch_seed(seed, k, 1)).permutation(n_blocks) if shuffle else range(n_blocks)
        blocks = ordered_map(lambda b: read_block(int(b), epoch_seed(seed, k, 2, int(b))), order, workers=workers)
        rng = np.random.default_rng(epoch_seed(seed, k, 3)) if shuffle else None
        yield from pooled_batches(blocks, batch_size, buffer=buffer if shuffle else 0, rng=rng, whole=whole)

    return BatchStream(steps, epoch)


def indexed_stream(n: int, fetch: Callable[[np.ndarray, int], Mapping[str, np.ndarray]], *, batch_size: int,
                   shuffle: bool, seed: int, role: str = "train", noun: str = "examples", file: str | None = None,
                   workers: int = DEFAULT_WORKERS) -> BatchStream:
    """Batches of ``n`` examples fetched by position; ``fetch(positions, seed)`` reads one batch."""
    steps = steps_for(n, batch_size, shuffle, role=role, noun=noun, file=file)

    def epoch(k: int) -> Iterator[Batch]:
        order = np.random.default_rng(epoch_seed(seed, k, 1)).permutation(n) if shuffle else np.arange(n)
        cuts = [order[i * batch_size:(i + 1) * batch_size] for i in range(steps)]
        yield from ordered_map(lambda i: dict(fetch(cuts[i], epoch_seed(seed, k, 2, i))), range(steps), workers=workers)

    return BatchStream(steps, epoch)


__all__ = ["Batch", "BatchStream", "block_stream", "epoch_seed", "indexed_stream", "ordered_map", "pooled_batches",
           "steps_for"]
