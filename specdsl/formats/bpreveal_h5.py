"""Streaming input pipeline for BPReveal training data (the ``prepareTrainingData`` HDF5 layout).

File layout (reference ``bpreveal.md`` §4)::

    sequence   uint8    (N, input-length  + 2·max-jitter, 4)         one-hot, ACGT
    head_0     float32  (N, output-length + 2·max-jitter, num-tasks_0)
    head_1     …

What this module does differently from BPReveal's ``H5BatchGenerator``, and why:

* It **streams**.  BPReveal loads the whole file and allocates float32 copies of it (≈8 GB per 100k
  regions).  Here contiguous blocks of rows are read with h5py (block order shuffled each epoch),
  rows are mixed in a bounded shuffle buffer, and batches are prefetched, so peak memory depends on
  the block, buffer and batch sizes, never on N.
* The file is **checked before training** (:func:`check_dataset`): BPReveal checks nothing and a
  wrong ``max-jitter`` or ``output-length`` surfaces as a reshape error at the first batch.
* ``max-jitter`` 0 works (BPReveal's ``rng.integers(0, 0)`` raises).
* The jitter offset is drawn in ``[0, 2·max-jitter]`` inclusive (a shift in ``[-J, J]``; BPReveal's
  exclusive bound gives ``[-J, J-1]``) and applied to the sequence and every head with the same value.
  Unjittered datasets (validation) take the centre crop, offset ``max-jitter``.
* The log-counts target has shape ``(B, 1)`` like the model's counts output; BPReveal's ``(B,)``
  target makes Keras metrics broadcast to ``(B, B)`` (reference §3, "shape pitfall").

Targets follow BPReveal's output order ``[profile_h0, profile_h1, …, logcounts_h0, logcounts_h1, …]``
either as a tuple or, given ``output_names``, as a dict keyed by model output (layer) name; the
default names (:func:`solo_output_names`) are BPReveal's layer names ``solo_profile_<head>`` and
``solo_logcounts_<head>``.  The log-counts target is ``ln Σ profile`` over the cropped window, summed
over positions and tasks, with no pseudocount (BPReveal's target; a window without reads gives
``-inf``, which :func:`summarize_counts` finds before training).

Only NumPy and h5py are imported at module level: checking a file must not pay TensorFlow's import.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from specdsl.errors import SpecError, SpecErrors, quoted_list
from specdsl.formats.block_checks import COUNTS, checked

SEQUENCE = "sequence"
BASES = 4
DEFAULT_BLOCK_ROWS = 128  # BPReveal writes chunks of 128 regions
DEFAULT_SHUFFLE_BUFFER = 1024  # rows; ≈21 MB at input 3342 × 4 uint8 + output 1200 × 2 float32
MAX_BLOCK_BYTES = 64 << 20


def head_dataset(index: int) -> str:
    """Name of the HDF5 dataset holding head ``index`` (``head_0``, ``head_1``, …)."""
    return f"head_{index}"


def solo_output_names(head_names: Sequence[str], prefix: str = "solo") -> list[str]:
    """BPReveal's output (layer) names in BPReveal's output order.

    ``[f"{prefix}_profile_{h}" for h in heads] + [f"{prefix}_logcounts_{h}" for h in heads]``;
    these are the keys of the target dict and of the per-output loss/metric logs
    (``solo_profile_<h>_multinomial_nll``, ``solo_logcounts_<h>_reweightable_mse``).
    """
    return [f"{prefix}_profile_{h}" for h in head_names] + [f"{prefix}_logcounts_{h}" for h in head_names]


@dataclass(frozen=True)
class Layout:
    """The shapes a training file must have, derived from the training configuration."""

    input_length: int
    output_length: int
    max_jitter: int
    tasks_per_head: tuple[int, ...]
    head_names: tuple[str, ...] | None = None

    @property
    def sequence_width(self) -> int:
        return self.input_length + 2 * self.max_jitter

    @property
    def profile_width(self) -> int:
        return self.output_length + 2 * self.max_jitter

    def head_label(self, i: int) -> str:
        if self.head_names is not None and i < len(self.head_names):
            return f"head '{self.head_names[i]}' (heads[{i}])"
        return f"heads[{i}]"

    def row_bytes(self) -> int:
        """Bytes one region occupies on disk layout (uint8 sequence + float32 heads)."""
        return self.sequence_width * BASES + 4 * self.profile_width * sum(self.tasks_per_head)


def _layout(
    input_length: int,
    output_length: int,
    max_jitter: int,
    tasks_per_head: Sequence[int],
    head_names: Sequence[str] | None,
    path: str,
) -> Layout:
    problems = []
    for key, value, low in (("input-length", input_length, 1), ("output-length", output_length, 1),
                            ("max-jitter", max_jitter, 0)):
        if not isinstance(value, (int, np.integer)) or value < low:
            problems.append(f"{key} must be an integer ≥ {low}, got {value!r}")
    tasks = tuple(tasks_per_head)
    if not tasks:
        problems.append("at least one head is needed")
    for i, t in enumerate(tasks):
        if not isinstance(t, (int, np.integer)) or t < 1:
            problems.append(f"heads[{i}].num-tasks must be an integer ≥ 1, got {t!r}")
    if head_names is not None and len(head_names) != len(tasks):
        problems.append(f"{len(head_names)} head names for {len(tasks)} heads")
    if problems:
        raise SpecError("invalid data layout: " + "; ".join(problems), file=path)
    return Layout(int(input_length), int(output_length), int(max_jitter),
                  tuple(int(t) for t in tasks), None if head_names is None else tuple(head_names))


def _length_hint(found: int, length: int, length_key: str, jitter: int) -> str | None:
    """Which config values would explain a length the file actually has."""
    options = []
    extra = found - length
    if extra >= 0 and extra % 2 == 0:
        options.append(f"max-jitter {extra // 2} (with {length_key} {length})")
    if found - 2 * jitter > 0:
        options.append(f"{length_key} {found - 2 * jitter} (with max-jitter {jitter})")
    if not options:
        return None
    return ("the file fits " + " or ".join(options)
            + "; fix the config, or re-run prepareTrainingData with these lengths (the jitter is baked into the file)")


def _dtype_ok(dtype: np.dtype, allow_bool: bool) -> bool:
    return dtype.kind in ("u", "i", "f") or (allow_bool and dtype.kind == "b")


def _open(path: str | os.PathLike) -> Any:
    """Open an HDF5 file read-only, turning OS/format problems into SpecErrors."""
    import h5py

    name = os.fspath(path)
    if not os.path.exists(name):
        raise SpecError("data file not found", file=name,
                        hint="give the path of an HDF5 file written by prepareTrainingData")
    if os.path.isdir(name):
        raise SpecError("is a directory, expected an HDF5 data file", file=name)
    try:
        return h5py.File(name, "r")
    except OSError as exc:
        raise SpecError(f"cannot read as HDF5: {exc}", file=name,
                        expected="an HDF5 file written by prepareTrainingData") from None


@dataclass(frozen=True)
class _Expect:
    """What one dataset must look like, with the config values that say so (for messages)."""

    name: str
    width: int
    width_why: str  # e.g. "3342 = input-length 3142 + 2 × max-jitter 100"
    channels: int
    channels_why: str  # e.g. "2 = num-tasks of heads[0]"
    channel_word: str  # "bases" / "tasks"
    dtype_text: str
    allow_bool: bool
    needed_by: str = ""  # why the dataset must exist at all

    @property
    def shape_text(self) -> str:
        return f"shape (N, {self.width}, {self.channels}), {self.dtype_text}"


def _problems(h5: Any, want: _Expect, length_hint: Callable[[int], str | None], path: str) -> list[SpecError]:
    """Everything wrong with one dataset: existence, rank, positions, channels, dtype."""
    import h5py

    if want.name not in h5:
        datasets = sorted(k for k in h5.keys() if isinstance(h5[k], h5py.Dataset))
        return [SpecError(f"dataset '{want.name}' is missing{want.needed_by}", file=path,
                          expected=want.shape_text, hint=f"the file has: {quoted_list(datasets) or 'no datasets'}")]
    obj = h5[want.name]
    if not isinstance(obj, h5py.Dataset):
        return [SpecError(f"'{want.name}' is a group, expected a dataset", file=path, expected=want.shape_text)]
    shape = tuple(obj.shape)
    if len(shape) != 3:
        return [SpecError(f"dataset '{want.name}' has shape {shape}, expected 3 dimensions "
                          f"(regions, positions, {want.channel_word})", file=path, expected=want.shape_text)]
    problems = []
    if shape[1] != want.width:
        problems.append(SpecError(
            f"dataset '{want.name}' has {shape[1]} positions per region (shape {shape}), expected {want.width_why}",
            file=path, expected=want.shape_text, hint=length_hint(shape[1])))
    if shape[2] != want.channels:
        problems.append(SpecError(
            f"dataset '{want.name}' has {shape[2]} {want.channel_word} per position (shape {shape}), "
            f"expected {want.channels_why}", file=path, expected=want.shape_text))
    if not _dtype_ok(obj.dtype, want.allow_bool):
        problems.append(SpecError(f"dataset '{want.name}' has dtype {obj.dtype}, expected {want.dtype_text}",
                                  file=path, expected=want.shape_text,
                                  hint="store numbers (one-hot bases, read counts), not text or compound records"))
    return problems


def _raise(problems: list[SpecError]) -> None:
    if problems:
        raise problems[0] if len(problems) == 1 else SpecErrors(problems)


def check_dataset(
    path: str | os.PathLike,
    input_length: int,
    output_length: int,
    max_jitter: int,
    tasks_per_head: Sequence[int],
    *,
    head_names: Sequence[str] | None = None,
) -> int:
    """Validate a training file's layout against the configuration; return the number of regions N.

    Reads metadata and the first region only (milliseconds, no TensorFlow), so the CLI can call it
    before building a model.  Every mismatch is reported at once; each message names the dataset,
    the found and expected shape, and the config values that imply the expectation
    (``input-length``, ``output-length``, ``max-jitter``, ``heads[i].num-tasks``), with a hint at the
    values the file would fit.  Extra datasets (more heads than configured, ``metadata``) are allowed.
    """
    name = os.fspath(path)
    lay = _layout(input_length, output_length, max_jitter, tasks_per_head, head_names, name)
    J = lay.max_jitter
    expectations = [(_Expect(
        SEQUENCE, lay.sequence_width, f"{lay.sequence_width} = input-length {lay.input_length} + 2 × max-jitter {J}",
        BASES, "4 (one-hot A, C, G, T)", "bases", "uint8 one-hot (integer, boolean and float types are accepted)",
        allow_bool=True), lambda found: _length_hint(found, lay.input_length, "input-length", J))]
    for i, tasks in enumerate(lay.tasks_per_head):
        expectations.append((_Expect(
            head_dataset(i), lay.profile_width,
            f"{lay.profile_width} = output-length {lay.output_length} + 2 × max-jitter {J}",
            tasks, f"{tasks} = num-tasks of {lay.head_label(i)}", "tasks",
            "float32 (integer and float types are accepted)", allow_bool=False,
            needed_by=f" (it holds {lay.head_label(i)}; the config lists {len(lay.tasks_per_head)} heads)"),
            lambda found: _length_hint(found, lay.output_length, "output-length", J)))
    with _open(name) as h5:
        problems = [p for want, hint in expectations for p in _problems(h5, want, hint, name)]
        _raise(problems)
        n = int(h5[SEQUENCE].shape[0])
        for i in range(len(lay.tasks_per_head)):
            m = h5[head_dataset(i)].shape[0]
            if m != n:
                problems.append(SpecError(f"dataset '{head_dataset(i)}' has {m} regions but '{SEQUENCE}' has {n}",
                                          file=name, expected="the same number of regions in every dataset"))
        if n == 0:
            problems.append(SpecError("the file holds 0 regions", file=name))
        else:
            problems += _check_one_hot(h5[SEQUENCE][0], name)
        _raise(problems)
    return n


def _check_one_hot(row: np.ndarray, path: str) -> list[SpecError]:
    """Region 0 must be one-hot (0/1 values, at most one 1 per position; N bases are all-zero)."""
    values = np.asarray(row, dtype=np.float64)
    bad_value = ~np.isin(values, (0.0, 1.0))
    if bad_value.any():
        pos = int(np.argwhere(bad_value)[0][0])
        return [SpecError(f"dataset '{SEQUENCE}' is not one-hot: region 0, position {pos} holds "
                          f"{values[pos].tolist()}", file=path, expected="0/1 values, one 1 per position")]
    multi = values.sum(axis=-1) > 1
    if multi.any():
        pos = int(np.argmax(multi))
        return [SpecError(f"dataset '{SEQUENCE}' is not one-hot: region 0, position {pos} has "
                          f"{int(values[pos].sum())} bases set", file=path, expected="at most one 1 per position")]
    return []


@dataclass(frozen=True)
class CountsSummary:
    """Per-head read totals of a training file, computed by streaming it once.

    ``mean_counts[h]`` is BPReveal's ĉ (``INTERNAL_mean-counts``, reference §3): Σ over the central
    ``output-length`` window and all tasks, averaged over regions.  Unlike BPReveal it is exact for
    ``max-jitter`` 0 (BPReveal slices ``[0:-0]`` and gets 0).  ``empty_windows[h]`` counts regions
    where some jitter offset gives a window without reads, i.e. a ``-inf`` log-counts target.
    """

    n_regions: int
    mean_counts: tuple[float, ...]
    empty_windows: tuple[int, ...]


def summarize_counts(
    path: str | os.PathLike,
    output_length: int,
    max_jitter: int,
    num_heads: int,
    *,
    jitter: bool = True,
    block_rows: int = 1024,
) -> CountsSummary:
    """Stream the heads of a (checked) training file to get ĉ per head and find empty windows.

    ``jitter`` says whether the file will be read with random offsets (training) or centre crops
    (validation); it decides which windows can be empty.  Every count is checked on the way
    (:data:`~specdsl.formats.block_checks.COUNTS`): a NaN, an infinite or a negative count, or an
    unreadable block, is a SpecError naming the dataset and row, before any training.
    """
    name = os.fspath(path)
    J = max_jitter
    totals = [0.0] * num_heads
    empty = [0] * num_heads
    with _open(name) as h5:
        n = int(h5[SEQUENCE].shape[0])
        for i in range(num_heads):
            for start in range(0, n, block_rows):
                stop = min(n, start + block_rows)  # NaN, Inf and negative counts are named here, before training
                block = checked(h5, head_dataset(i), start, stop, COUNTS, file=name).astype(np.float64).sum(axis=2)
                totals[i] += float(block[:, J:J + output_length].sum())
                if jitter:
                    csum = np.concatenate([np.zeros((len(block), 1)), np.cumsum(block, axis=1)], axis=1)
                    windows = csum[:, output_length:] - csum[:, :-output_length]  # one per offset 0..2J
                else:
                    windows = block[:, J:J + output_length].sum(axis=1, keepdims=True)
                empty[i] += int((windows.min(axis=1) <= 0).sum())
    return CountsSummary(n, tuple(t / n if n else 0.0 for t in totals), tuple(empty))


__all__ = ["BASES", "SEQUENCE", "CountsSummary", "Layout", "check_dataset", "head_dataset", "solo_output_names",
           "summarize_counts"]
