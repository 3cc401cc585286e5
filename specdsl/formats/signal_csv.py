"""Capfinder's signal CSVs: ``read_id,cap_class,timeseries``, one read per row, checked once, read by offset.

Capfinder's ``extract-cap-signal`` writes one ``data__<cap>.csv`` per cap class; the
``timeseries`` field is the cap region's signal as comma-joined numbers (so it is quoted).
The ETL, the ``signal-csv`` reader and ``specdsl predict`` all read them here:

* :func:`index_signals` reads a file once and checks every row — the header, the number of
  fields, a whole-number ``cap_class``, a non-empty signal of finite numbers — and reports
  the first problem as ``FILE:LINE`` with what was expected.  It keeps only each row's byte
  offset, line, class and length (a few bytes a read), so a file of any size is indexed in
  bounded memory, and it is remembered until the file changes;
* :meth:`SignalIndex.fetch` reads chosen rows back by offset, a batch at a time;
* :func:`fit_length` is Capfinder's centred pad/truncate to ``target_length`` (zeros, the
  extra point on the right) — the only transformation; :func:`to_precision` rounds to the
  ``dtype`` Capfinder casts the data to.

Rows are parsed with the csv module, its field limit raised: a long cap signal is one large
field (Capfinder 0.3.8 fixed crashes on exactly that).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from specdsl.errors import SpecError

COLUMNS = ("read_id", "cap_class", "timeseries")
EXPECTED_HEADER = ",".join(COLUMNS)
DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}
NO_CLASS = -1  # the label of a row when the file has no cap_class column (reads to classify)

csv.field_size_limit(2**31 - 1)  # the largest every platform's C long takes


@dataclass
class SignalIndex:
    """Where each row of one signal CSV is, and what the checks found."""

    path: str
    offsets: np.ndarray  # int64: byte offset of each data row
    lines: np.ndarray  # int64: its 1-based line number
    labels: np.ndarray  # int64: its cap_class (NO_CLASS without the column)
    lengths: np.ndarray  # int64: its number of signal points
    columns: tuple[int, int, int]  # positions of read_id, cap_class (−1: absent) and timeseries

    def __len__(self) -> int:
        return len(self.offsets)

    def where(self, row: int) -> str:
        return f"{self.path}:{int(self.lines[row])}"

    def fetch(self, rows: Sequence[int]) -> tuple[list[str], list[np.ndarray]]:
        """(read ids, signals as float64 arrays) of these rows, read by offset in file order."""
        order = np.argsort(np.asarray(rows, dtype=np.int64), kind="stable")
        ids: list[str] = [""] * len(order)
        signals: list[np.ndarray] = [np.empty(0)] * len(order)
        rid, _, ts = self.columns
        with open(self.path, "rb") as handle:
            for k in order:
                row = int(rows[k])
                handle.seek(int(self.offsets[row]))
                fields = _fields(handle.readline().decode("utf-8"))
                ids[k] = fields[rid]
                signals[k] = parse_signal(fields[ts], self.where(row))
        return ids, signals


def _fields(line: str) -> list[str]:
    return next(csv.reader(io.StringIO(line)), [])


def parse_signal(text: str, where: str) -> np.ndarray:
    """The numbers of a ``timeseries`` field; a SpecError at ``where`` (FILE:LINE) names the bad item."""
    if not text.strip():
        raise SpecError("the timeseries is empty", file=where, expected="at least one signal value")
    items = text.split(",")
    try:
        values = np.array(items, dtype=np.float64)
    except ValueError:
        index, bad = next((i, v) for i, v in enumerate(items) if not _is_number(v))
        shown = bad.strip() or "(empty)"
        raise SpecError(f"timeseries item {index + 1} is '{shown[:40]}', not a number", file=where,
                        expected="the signal as comma-separated numbers, e.g. \"0.1234,-0.5678,…\"") from None
    if not np.all(np.isfinite(values)):
        index = int(np.flatnonzero(~np.isfinite(values))[0])
        raise SpecError(f"timeseries item {index + 1} is {items[index].strip()}, not a finite number", file=where,
                        expected="finite signal values (Capfinder's are z-scores clipped to ±4)")
    return values


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _header(path: str, line: str, need_class: bool) -> tuple[int, int, int]:
    names = [n.strip() for n in _fields(line.lstrip("\ufeff"))]
    wanted = COLUMNS if need_class else ("read_id", "timeseries")
    missing = [c for c in wanted if c not in names]
    if missing:
        shown = line.strip()[:80] or "(an empty line)"
        raise SpecError(f"the header is '{shown}': no {' or '.join(missing)} column", file=f"{path}:1",
                        expected=f"the header {EXPECTED_HEADER} (Capfinder's data__<cap>.csv)"
                                 + ("" if need_class else "; cap_class may be left out"))
    return names.index("read_id"), names.index("cap_class") if "cap_class" in names else -1, \
        names.index("timeseries")


def _label(text: str, where: str) -> int:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value != int(value):
        raise SpecError(f"cap_class is '{text.strip()[:40]}', not a whole number", file=where,
                        expected="the class as an integer, e.g. 0 for cap_0")
    return int(value)


_INDEXES: dict[tuple[str, bool], tuple[tuple[int, int], SignalIndex]] = {}


def index_signals(path: str | os.PathLike, *, need_class: bool = True) -> SignalIndex:
    """Check every row of a signal CSV and index it (remembered until the file changes).

    ``need_class`` False accepts files without ``cap_class`` (reads to classify).
    """
    name = os.fspath(path)
    try:
        stat = os.stat(name)
    except OSError:
        raise SpecError("no such file" if not os.path.exists(name) else "cannot read this file",
                        file=name, expected="a CSV with the columns " + EXPECTED_HEADER) from None
    if os.path.isdir(name):
        raise SpecError("is a folder, not a signal CSV", file=name)
    stamp = (stat.st_size, stat.st_mtime_ns)
    hit = _INDEXES.get((name, need_class))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    index = _read_index(name, need_class)
    _INDEXES[(name, need_class)] = (stamp, index)
    return index


def _read_index(path: str, need_class: bool) -> SignalIndex:
    offsets, lines, labels, lengths = [], [], [], []
    with open(path, "rb") as handle:
        first = handle.readline()
        if not first:
            raise SpecError("the file is empty", file=path, expected=f"the header {EXPECTED_HEADER}, then one row "
                                                                     "per read")
        columns = _header(path, _decode(first, f"{path}:1"), need_class)
        rid, cls, ts = columns
        width = max(columns) + 1
        offset, number = len(first), 1
        for raw in handle:
            number += 1
            here, offset = offset, offset + len(raw)
            line = _decode(raw, f"{path}:{number}")
            if not line.strip():
                continue
            fields = _fields(line)
            where = f"{path}:{number}"
            if len(fields) < width:
                raise SpecError(f"the row has {len(fields)} field(s)", file=where,
                                expected=f"{EXPECTED_HEADER}, with the timeseries quoted (it holds commas)")
            if not fields[rid].strip():
                raise SpecError("the read_id is empty", file=where, expected="a read id, e.g. a UUID")
            offsets.append(here)
            lines.append(number)
            labels.append(_label(fields[cls], where) if cls >= 0 else NO_CLASS)
            lengths.append(len(parse_signal(fields[ts], where)))
    if not offsets:
        raise SpecError("the file has a header but no reads", file=path, expected="one row per read")
    return SignalIndex(path, np.asarray(offsets, dtype=np.int64), np.asarray(lines, dtype=np.int64),
                       np.asarray(labels, dtype=np.int64), np.asarray(lengths, dtype=np.int64), columns)


def _decode(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError("the line is not UTF-8 text", file=where, expected="a CSV text file") from None


def is_signal_csv(path: str | os.PathLike) -> bool:
    """Whether a file's header names read_id and timeseries (a signal CSV, not a one-hot CSV)."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(1 << 16).decode("utf-8", "replace")
    except OSError:
        return False
    try:
        names = {n.strip() for n in _fields(first.lstrip("\ufeff"))}
    except csv.Error:  # a binary file (a model, an archive): not a signal CSV
        return False
    return {"read_id", "timeseries"} <= names


def fit_length(signal: np.ndarray, length: int) -> np.ndarray:
    """Capfinder's centred pad/truncate: d = |len − length|; ⌊d/2⌋ from (or zeros on) the left, the rest
    on the right.  No other transformation."""
    n = len(signal)
    if n > length:
        left = (n - length) // 2
        return signal[left:left + length]
    out = np.zeros(length, dtype=signal.dtype)
    left = (length - n) // 2
    out[left:left + n] = signal
    return out


def to_precision(values: np.ndarray, dtype: str) -> np.ndarray:
    """Values rounded to ``dtype`` (Capfinder casts the data set to it), returned as float32 for the model
    (float64 keeps float32's precision: the model computes in float32)."""
    return np.asarray(values, dtype=DTYPES[dtype]).astype(np.float32)


def time_warp(signal: np.ndarray, fraction: float, expand: bool) -> np.ndarray:
    """Capfinder's augmentation: the signal resized by 1 ± ``fraction`` and brought back to its length.

    Squished: resized to ⌊T(1 − u)⌋ points and zero-padded evenly; expanded: resized to
    ⌊T(1 + u)⌋ and centre-cropped (⌊d/2⌋ on the left in both).  Resizing is linear with
    half-pixel centres, what ``tf.image.resize`` (bilinear) does to one row.
    """
    n = len(signal)
    size = max(1, int(math.floor(n * (1 + fraction if expand else 1 - fraction))))
    resized = np.interp((np.arange(size) + 0.5) * n / size - 0.5, np.arange(n), signal).astype(signal.dtype)
    return fit_length(resized, n)


def batch(index: SignalIndex, rows: Sequence[int], length: int, dtype: str = "float32") -> np.ndarray:
    """(n, length) float32 signals of these rows, fitted to ``length`` and rounded to ``dtype``."""
    _, signals = index.fetch(rows)
    out = np.empty((len(signals), length), dtype=np.float32)
    for k, signal in enumerate(signals):
        out[k] = to_precision(fit_length(signal, length), dtype)
    return out


__all__ = ["COLUMNS", "DTYPES", "EXPECTED_HEADER", "NO_CLASS", "SignalIndex", "batch", "fit_length", "index_signals",
           "is_signal_csv", "parse_signal", "time_warp", "to_precision"]
