"""A :class:`~specdsl.training.batching.BatchStream` as a ``tf.data.Dataset``, on the TensorFlow backend.

Keras' own ``PyDataset`` route on TensorFlow guesses the tensor shapes from the first two
batches, so a validation set's shorter last batch, or reads padded to another length, would
not match them.  Here the signature is declared: the batch axis is open, and so is every axis
of the fields the stream marks as varying.  The batches are the stream's (one shuffling and
batching implementation for all backends); each new iteration of the dataset is the stream's
next epoch, so the shuffle changes from epoch to epoch as on the other backends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from specdsl.training.batching import BatchStream


def tf_batches(stream: BatchStream, to_keras: Callable[[Any], Any], *, first_epoch: int = 0) -> Any:
    import tensorflow as tf

    first = next(iter(stream.run(first_epoch)))
    signature = {k: tf.TensorSpec((None, *(None if k in stream.varying else d for d in v.shape[1:])),
                                  tf.as_dtype(v.dtype)) for k, v in first.items()}
    epoch = [first_epoch]

    def generate() -> Any:
        k, epoch[0] = epoch[0], epoch[0] + 1
        yield from stream.run(k)

    ds = tf.data.Dataset.from_generator(generate, output_signature=signature)
    ds = ds.map(lambda batch: to_keras(batch), num_parallel_calls=1, deterministic=True)
    return ds.apply(tf.data.experimental.assert_cardinality(stream.steps)).prefetch(tf.data.AUTOTUNE)


__all__ = ["tf_batches"]
