"""BPReveal's training files streamed as batches: blocks of rows, jittered crops, a bounded shuffle.

The file format (layout, checks, counts) is :mod:`specdsl.formats.bpreveal_h5`; this is the
training engine's pipeline over it (``make_dataset``), the one part that needs TensorFlow's
``tf.data``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.block_checks import COUNTS, ONE_HOT, checked
from specdsl.formats.bpreveal_h5 import (
    BASES,
    DEFAULT_BLOCK_ROWS,
    DEFAULT_SHUFFLE_BUFFER,
    MAX_BLOCK_BYTES,
    SEQUENCE,
    Layout,
    _layout,
    _open,
    check_dataset,
    head_dataset,
)
from specdsl.formats.data_errors import record

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf


def _crop(block: np.ndarray, offsets: np.ndarray, width: int) -> np.ndarray:
    """Rows ``block[r, offsets[r] : offsets[r] + width]``; one gather, no Python loop over rows."""
    if offsets.size and (offsets == offsets[0]).all():
        start = int(offsets[0])
        return block[:, start:start + width]
    index = offsets[:, None] + np.arange(width)[None, :]
    return np.take_along_axis(block, index[:, :, None], axis=1)


@dataclass(frozen=True)
class _BlockReader:
    """Reads rows ``[start, start + rows)`` and crops them with one jitter offset per row.

    The file is opened on every call: h5py handles must not be shared between tf.data's threads
    (or forked workers), and opening costs well under a millisecond next to a block read.  Every
    block is checked as read (one-hot sequence, counts ≥ 0, all finite; readable chunks), so a bad
    value or a damaged chunk is a SpecError naming file, dataset and row, not a NaN loss or a
    TensorFlow traceback.
    """

    path: str
    layout: Layout
    n_regions: int
    block_rows: int
    jitter: bool

    def offsets(self, rows: int, seed: int) -> np.ndarray:
        J = self.layout.max_jitter
        if not self.jitter or J == 0:
            return np.full(rows, J, dtype=np.int64)
        return np.random.default_rng(seed).integers(0, 2 * J + 1, size=rows)  # inclusive [0, 2J]

    def __call__(self, block: Any, seed: Any) -> tuple[np.ndarray, ...]:
        start = int(block) * self.block_rows
        stop = min(start + self.block_rows, self.n_regions)
        try:  # runs inside tf.numpy_function: record the error, or TensorFlow's wrapper would hide it
            with _open(self.path) as h5:
                sequence = checked(h5, SEQUENCE, start, stop, ONE_HOT, file=self.path)
                heads = [checked(h5, head_dataset(i), start, stop, COUNTS, file=self.path)
                         for i in range(len(self.layout.tasks_per_head))]
        except SpecError as err:
            raise record(err) from None
        offsets = self.offsets(stop - start, int(seed) & 0x7FFFFFFFFFFFFFFF)
        out = [_crop(np.asarray(sequence, dtype=np.uint8), offsets, self.layout.input_length)]
        out += [_crop(np.asarray(h, dtype=np.float32), offsets, self.layout.output_length) for h in heads]
        return tuple(np.ascontiguousarray(a) for a in out)


def _default_block_rows(path: str, layout: Layout) -> int:
    """A multiple of the file's chunk rows (whole chunks decompress once), capped in bytes."""
    import h5py

    with h5py.File(path, "r") as h5:
        chunks = h5[SEQUENCE].chunks
    rows = DEFAULT_BLOCK_ROWS if chunks is None else chunks[0] * max(1, math.ceil(64 / chunks[0]))
    return max(1, min(rows, MAX_BLOCK_BYTES // max(1, layout.row_bytes())))


def make_dataset(
    path: str | os.PathLike,
    input_length: int,
    output_length: int,
    max_jitter: int,
    tasks_per_head: Sequence[int],
    batch_size: int,
    shuffle: bool,
    seed: int,
    jitter: bool,
    *,
    output_names: Sequence[str] | None = None,
    drop_remainder: bool | None = None,
    block_rows: int | None = None,
    shuffle_buffer: int = DEFAULT_SHUFFLE_BUFFER,
    head_names: Sequence[str] | None = None,
) -> tf.data.Dataset:
    """A finite, re-iterable ``tf.data.Dataset`` of ``(sequence, targets)`` batches streamed from ``path``.

    * ``sequence``: float32 ``(B, input_length, 4)``.
    * ``targets``: ``(profile_h0, …, logcounts_h0, …)`` — profiles float32 ``(B, output_length, T_h)``,
      log counts float32 ``(B, 1)`` — or, with ``output_names`` (2 × heads names in that order, e.g.
      :func:`solo_output_names`), a dict keyed by those names.

    Each iteration is one epoch: block order, row order (within a ``shuffle_buffer``-row buffer) and
    jitter offsets are redrawn every epoch, deterministically from ``seed``.  ``drop_remainder``
    defaults to ``shuffle`` (training: ``N // B`` batches; validation: ``ceil(N / B)``), and the
    cardinality is set so Keras knows the number of steps.  The layout is checked first
    (:func:`check_dataset`), so a wrong file fails here and not at the first batch.
    """
    import tensorflow as tf

    name = os.fspath(path)
    n = check_dataset(name, input_length, output_length, max_jitter, tasks_per_head, head_names=head_names)
    lay = _layout(input_length, output_length, max_jitter, tasks_per_head, head_names, name)
    heads = len(lay.tasks_per_head)
    if output_names is not None and len(output_names) != 2 * heads:
        raise ValueError(f"output_names needs {2 * heads} names (profiles then log counts), got {list(output_names)}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise SpecError(f"batch-size must be an integer ≥ 1, got {batch_size!r}", file=name)
    drop = shuffle if drop_remainder is None else drop_remainder
    batches = n // batch_size if drop else math.ceil(n / batch_size)
    if batches == 0:
        raise SpecError(f"the file holds {n} regions, fewer than batch-size {batch_size}, so an epoch has no "
                        "full batch", file=name, hint="use a smaller batch-size or more regions")
    rows = block_rows or _default_block_rows(name, lay)
    n_blocks = math.ceil(n / rows)
    reader = _BlockReader(name, lay, n, rows, jitter)

    def read(block: tf.Tensor, block_seed: tf.Tensor) -> tuple[tf.Tensor, ...]:
        arrays = tf.numpy_function(reader, [block, block_seed], [tf.uint8] + [tf.float32] * heads, stateful=False)
        arrays[0].set_shape((None, lay.input_length, BASES))
        for a, t in zip(arrays[1:], lay.tasks_per_head):
            a.set_shape((None, lay.output_length, t))
        return tuple(arrays)

    def finish(sequence: tf.Tensor, *profiles: tf.Tensor) -> tuple[tf.Tensor, Any]:
        log_counts = [tf.math.log(tf.reduce_sum(p, axis=[1, 2]))[:, None] for p in profiles]
        targets = tuple(profiles) + tuple(log_counts)
        if output_names is not None:
            targets = dict(zip(output_names, targets))
        return tf.cast(sequence, tf.float32), targets

    blocks = tf.data.Dataset.range(n_blocks)
    if shuffle:
        blocks = blocks.shuffle(n_blocks, seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed + 1, rerandomize_each_iteration=True)
    ds = tf.data.Dataset.zip((blocks, seeds)).map(read, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.unbatch()
    if shuffle:
        ds = ds.shuffle(max(1, min(shuffle_buffer, n)), seed=seed + 2, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop)
    ds = ds.map(finish, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.apply(tf.data.experimental.assert_cardinality(batches))
    return ds.prefetch(tf.data.AUTOTUNE)


__all__ = ["make_dataset"]
