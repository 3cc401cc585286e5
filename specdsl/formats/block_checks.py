"""Value checks for training data: every block a reader reads, before it reaches the model.

Why: a NaN in a profile, a 0.37 in a one-hot sequence or a negative count does not stop
training; it turns the loss into NaN epochs later (or teaches the model garbage) and names
nothing.  A damaged file is worse: a corrupted gzip chunk surfaced as a TensorFlow traceback
mid-epoch, and a damaged uncompressed file trained silently on whatever bytes it held.  So:

* :func:`checked` reads rows ``[start, stop)`` of one dataset and checks them against a
  :class:`Rule` — a few vectorised NumPy passes over a block already in memory, far cheaper
  than the training step it feeds.  The first bad value (in row order) is a
  :class:`~specdsl.errors.SpecError` naming the file, the dataset, the row (the example's index
  within the file; positions are the file's, before any crop or jitter) and what was expected::

      data/train.h5: dataset 'sequence', row 1,234, position 56: a value that is not 0 or 1 (0.37);
      sequences must be one-hot

* an h5py read failure (``Can't read data (inflate() failed)``, a failed checksum, a damaged
  chunk index) is a SpecError naming the file, the dataset and the damaged chunk's rows (:func:`read_rows`).

Readers share these rules (no reader has its own copy).  Inside ``tf.py_function`` they raise
the error through :func:`specdsl.formats.data_errors.record`, so the run reports it instead
of TensorFlow's wrapper.  No TensorFlow here: pre-training checks use the same functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from specdsl.errors import SpecError

#: What h5py raises when stored bytes cannot be turned back into data (filters, checksums, B-trees).
READ_ERRORS = (OSError, RuntimeError, KeyError)
DAMAGED = ("the file is damaged (a corrupted compressed chunk, a failed checksum or an incomplete copy): "
           "copy it again, or prepare the data again")


@dataclass(frozen=True)
class Rule:
    """The legal values of one kind of dataset, and the words that say so when one is not."""

    why: str  # the reason after the semicolon: "sequences must be one-hot"
    expected: str
    ok: Callable[[np.ndarray], np.ndarray]  # element-wise mask of legal values (non-finite ones are checked apart)
    wrong: Callable[[str], str]  # a finite value outside ``ok``, in words: "a negative count (-3)"
    axes: tuple[str, ...] = ()  # names of the axes after the row, as far as messages name them
    at_most_one: bool = False  # one-hot: at most one non-zero along the last axis
    hint: str = DAMAGED


def _one_or_zero(v: np.ndarray) -> np.ndarray:
    return (v == 0) | (v == 1)


def _missing_or_unit(v: np.ndarray) -> np.ndarray:
    return (v == -1) | ((v >= 0) & (v <= 1))


def _integral(v: np.ndarray) -> np.ndarray:
    return np.ones(v.shape, dtype=bool) if v.dtype.kind in "iub" else v == np.floor(v)


ONE_HOT = Rule("sequences must be one-hot", "0 or 1 in every channel, at most one 1 per position (N: all zeros)",
               _one_or_zero, lambda x: f"a value that is not 0 or 1 ({x})", axes=("position",), at_most_one=True,
               hint="sequences must be stored one-hot (not as probabilities); otherwise " + DAMAGED)
COUNTS = Rule("profiles hold read counts", "finite counts ≥ 0", lambda v: v >= 0,
              lambda x: f"a negative count ({x})", axes=("position", "task"),
              hint="read counts cannot be negative, NaN or infinite: check the bigWigs the data were prepared "
                   "from; otherwise " + DAMAGED)
DNA_CODES = Rule("DNA is coded A0 T1 G2 C3 N4", "whole numbers 0–4",
                 lambda v: (v >= 0) & (v <= 4) & _integral(v), lambda x: f"a base code that is not 0–4 ({x})",
                 axes=("position",))
CPG_STATE = Rule("CpG states are −1 where missing, else 0 to 1", "−1, or a value from 0 to 1", _missing_or_unit,
                 lambda x: f"a state that is neither −1 nor from 0 to 1 ({x})", axes=("neighbour",))
CPG_DIST = Rule("CpG distances are bp (≥ 0), −1 where missing", "−1, or a finite distance ≥ 0",
                lambda v: (v == -1) | (v >= 0), lambda x: f"a negative distance ({x})", axes=("neighbour",))
CPG_LABEL = Rule("CpG labels are −1 where missing, else 0 to 1", "−1, or a value from 0 to 1", _missing_or_unit,
                 lambda x: f"a label that is neither −1 nor from 0 to 1 ({x})")


def _number(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _describe(value: Any, rule: Rule) -> str:
    if isinstance(value, float) and np.isnan(value):
        return "a NaN"
    if isinstance(value, float) and np.isinf(value):
        return f"an infinite value ({_number(value)})"
    return rule.wrong(_number(value))


def _first_false(mask: np.ndarray) -> tuple[int, ...] | None:
    flat = mask.ravel()
    i = int(np.argmin(flat)) if flat.size else 0
    return None if not flat.size or flat[i] else tuple(int(k) for k in np.unravel_index(i, mask.shape))


def first_bad(values: np.ndarray, rule: Rule) -> tuple[tuple[int, ...], str] | None:
    """The index of the first illegal value (row order) and what is wrong with it; ``None`` when all are legal."""
    v = np.asarray(values)
    good = rule.ok(v)
    if v.dtype.kind in "fc":
        good &= np.isfinite(v)
    found = []
    bad = _first_false(good)
    if bad is not None:
        found.append((bad, _describe(v[bad].item(), rule)))
    if rule.at_most_one and v.ndim >= 2:
        set_bases = np.count_nonzero(v, axis=-1)
        multi = _first_false(set_bases <= 1)
        if multi is not None:
            found.append((multi, f"{int(set_bases[multi])} bases set at one position"))
    return min(found, key=lambda f: f[0][:v.ndim - 1]) if found else None


def _where(dataset: str, row: int, index: tuple[int, ...], rule: Rule) -> str:
    parts = [f"dataset '{dataset}'", f"row {row:,}"]
    parts += [f"{name} {i:,}" for name, i in zip(rule.axes, index[1:])]
    return ", ".join(parts)


def validate(values: np.ndarray, rule: Rule, *, file: str, dataset: str, start: int = 0) -> np.ndarray:
    """``values`` (rows ``start…`` of ``dataset``) if every one is legal; else the first bad one as a SpecError."""
    bad = first_bad(values, rule)
    if bad is not None:
        index, what = bad
        raise SpecError(f"{_where(dataset, start + index[0], index, rule)}: {what}; {rule.why}", file=file,
                        expected=rule.expected, hint=rule.hint)
    return values


def _unreadable(file: str, dataset: str, start: int, stop: int, err: BaseException) -> SpecError:
    rows = f"row {start:,}" if stop - start == 1 else f"rows {start:,}–{stop - 1:,}"
    reason = str(err).strip() or type(err).__name__
    return SpecError(f"dataset '{dataset}', {rows}: cannot be read ({reason})", file=file,
                     expected="readable HDF5 data", hint=DAMAGED)


def read_rows(h5: Any, dataset: str, start: int, stop: int, *, file: str) -> np.ndarray:
    """Rows ``[start, stop)`` of ``h5[dataset]``; an h5py failure is a SpecError naming file, dataset and rows.

    When a block fails, its chunks are read one by one (only then) so that the message names the
    damaged chunk's rows rather than the whole block's.
    """
    try:
        ds = h5[dataset]
    except READ_ERRORS as err:  # a damaged object header
        raise _unreadable(file, dataset, start, stop, err) from None
    try:
        return np.asarray(ds[start:stop])
    except READ_ERRORS as err:
        first = err
    step = ds.chunks[0] if ds.chunks else max(1, stop - start)
    for low in range(start - start % step, stop, step):
        part = (max(low, start), min(low + step, stop))
        try:
            ds[part[0]:part[1]]
        except READ_ERRORS as err:
            raise _unreadable(file, dataset, *part, err) from None
    raise _unreadable(file, dataset, start, stop, first) from None


def checked(h5: Any, dataset: str, start: int, stop: int, rule: Rule, *, file: str) -> np.ndarray:
    """Rows ``[start, stop)`` of ``h5[dataset]``, read and checked against ``rule`` (errors name file and rows)."""
    return validate(read_rows(h5, dataset, start, stop, file=file), rule, file=file, dataset=dataset, start=start)


__all__ = ["Rule", "ONE_HOT", "COUNTS", "DNA_CODES", "CPG_STATE", "CPG_DIST", "CPG_LABEL", "READ_ERRORS",
           "first_bad", "validate", "read_rows", "checked"]
