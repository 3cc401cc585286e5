"""BPReveal's training files streamed as batches: blocks of rows, jittered crops, a bounded shuffle.

The file format (layout, checks, counts) is :mod:`specdsl.formats.bpreveal_h5`; this is the
training engine's pipeline over it (:func:`profile_stream`), NumPy batches through the shared
batching of :mod:`specdsl.training.batching`, on every backend.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.block_checks import COUNTS, ONE_HOT, checked
from specdsl.formats.bpreveal_h5 import (
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
from specdsl.training.batching import BatchStream, block_stream


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

    The file is opened on every call: h5py handles must not be shared between reading threads
    (or forked workers), and opening costs well under a millisecond next to a block read.  Every
    block is checked as read (one-hot sequence, counts ≥ 0, all finite; readable chunks), so a bad
    value or a damaged chunk is a SpecError naming file, dataset and row, not a NaN loss or a
    framework's traceback.
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
        with _open(self.path) as h5:
            sequence = checked(h5, SEQUENCE, start, stop, ONE_HOT, file=self.path)
            heads = [checked(h5, head_dataset(i), start, stop, COUNTS, file=self.path)
                     for i in range(len(self.layout.tasks_per_head))]
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


def profile_stream(
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
) -> BatchStream:
    """Batches of ``{SEQUENCE: float32 (B, input_length, 4), name: target}`` streamed from ``path``.

    The targets are ``(profile_h0, …, logcounts_h0, …)`` — profiles float32 ``(B, output_length,
    T_h)``, log counts float32 ``(B, 1)`` — keyed by ``output_names`` (2 × heads names in that
    order, e.g. :func:`solo_output_names`), else ``profile/i`` and ``logcounts/i``.

    Each epoch redraws the block order, the row order (within a ``shuffle_buffer``-row pool) and
    the jitter offsets, deterministically from ``seed`` and the epoch.  ``drop_remainder``
    defaults to ``shuffle`` (training: ``N // B`` batches; validation: ``ceil(N / B)``).  The
    layout is checked first (:func:`check_dataset`), so a wrong file fails here and not at the
    first batch.
    """
    name = os.fspath(path)
    n = check_dataset(name, input_length, output_length, max_jitter, tasks_per_head, head_names=head_names)
    lay = _layout(input_length, output_length, max_jitter, tasks_per_head, head_names, name)
    heads = len(lay.tasks_per_head)
    names = list(output_names) if output_names is not None else (
        [f"profile/{i}" for i in range(heads)] + [f"logcounts/{i}" for i in range(heads)])
    if len(names) != 2 * heads:
        raise ValueError(f"output_names needs {2 * heads} names (profiles then log counts), got {names}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise SpecError(f"batch-size must be an integer ≥ 1, got {batch_size!r}", file=name)
    rows = block_rows or _default_block_rows(name, lay)
    reader = _BlockReader(name, lay, n, rows, jitter)

    def read(block: int, block_seed: int) -> dict[str, np.ndarray]:
        sequence, *profiles = reader(block, block_seed)
        out = {SEQUENCE: sequence}  # uint8 until batched: pools and read-ahead hold a quarter of the bytes
        out.update(zip(names[:heads], profiles))
        with np.errstate(divide="ignore"):  # a window without reads: log 0 = −inf, as BPReveal computes it
            out.update((k, np.log(p.sum(axis=(1, 2), dtype=np.float32))[:, None])
                       for k, p in zip(names[heads:], profiles))
        return out

    stream = block_stream(math.ceil(n / rows), read, rows=n, batch_size=int(batch_size), shuffle=shuffle, seed=seed,
                          buffer=max(1, min(shuffle_buffer, n)), whole=shuffle if drop_remainder is None else
                          drop_remainder, noun="regions", file=name)
    return stream.map(lambda batch: {**batch, SEQUENCE: batch[SEQUENCE].astype(np.float32)})


def make_dataset(path: str | os.PathLike, input_length: int, output_length: int, max_jitter: int,
                 tasks_per_head: Sequence[int], batch_size: int, shuffle: bool, seed: int, jitter: bool,
                 *, output_names: Sequence[str] | None = None, **options: Any) -> Any:
    """:func:`profile_stream` as ``fit`` takes it on the current backend: ``(sequence, targets)``
    batches, targets a tuple (profiles, then log counts) or, with ``output_names``, a dict."""
    from specdsl.training.keras_batches import keras_batches

    stream = profile_stream(path, input_length, output_length, max_jitter, tasks_per_head, batch_size, shuffle, seed,
                            jitter, output_names=output_names, **options)
    heads = len(tasks_per_head)
    keys = list(output_names) if output_names is not None else (
        [f"profile/{i}" for i in range(heads)] + [f"logcounts/{i}" for i in range(heads)])

    def split(batch: Any) -> Any:
        targets = {k: batch[k] for k in keys}
        return batch[SEQUENCE], (targets if output_names is not None else tuple(targets.values()))

    return keras_batches(stream, split)


__all__ = ["make_dataset", "profile_stream"]
