"""Batches of examples fetched by index: the ``tf.data`` pipeline of readers whose files can be
read row by row (signal CSVs by byte offset, one-hot samples from memory).

A reader says how to fetch the rows of one batch in NumPy; this module numbers the examples,
shuffles them every epoch, cuts batches, checks there is at least one, and hands every batch a
fresh seed (for augmentation that must differ between epochs), so the readers do not each
carry their own copy of the pipeline.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.training.readers import files_of

# (positions of the batch's examples, a seed for this batch) → one array per field
Fetch = Callable[[np.ndarray, int], Mapping[str, np.ndarray]]


def indexed_batches(plan: Any, role: str, names: list[str], shapes: Mapping[str, tuple], fetch: Fetch, *,
                    shuffle: bool, seed: int, noun: str = "examples") -> Any:
    """A dataset of ``{name: batch}`` dicts for ``names``; ``shapes`` gives each field's shape without
    the batch axis.  Training batches are whole (the remainder is dropped each epoch, a different one
    every time); validation keeps every example."""
    import tensorflow as tf

    n, size = plan.examples[role], plan.ir.schedule.batch_size
    steps = n // size if shuffle else math.ceil(n / size)
    if steps == 0:
        raise SpecError(f"the {role} files hold {n} {noun}, fewer than the batch size {size}",
                        file=", ".join(files_of(plan, role)), hint=f"use a smaller batch size or more {noun}")

    def numpy_read(index: Any, batch_seed: Any) -> list[np.ndarray]:
        out = fetch(np.asarray(index, dtype=np.int64), int(batch_seed) & 0x7FFFFFFFFFFFFFFF)
        return [np.asarray(out[name], dtype=np.float32) for name in names]

    def read(index: Any, batch_seed: Any) -> dict[str, Any]:
        arrays = tf.numpy_function(numpy_read, [index, batch_seed], [tf.float32] * len(names), stateful=False)
        for name, array in zip(names, arrays):
            array.set_shape((None, *shapes[name]))
        return dict(zip(names, arrays))

    ds = tf.data.Dataset.range(n)
    if shuffle:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(size, drop_remainder=shuffle)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)  # new every epoch
    ds = tf.data.Dataset.zip((ds, seeds)).map(read, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.apply(tf.data.experimental.assert_cardinality(steps))
    return ds.prefetch(tf.data.AUTOTUNE)


__all__ = ["Fetch", "indexed_batches"]
