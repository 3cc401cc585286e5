"""The labels CSV: a ``sample`` column, then one column per output (a drug).

::

    sample,isoniazid,rifampicin,…
    ISO0001,1,0,…
    ISO0002,0,,…        ← blank: not tested, unknown

A binary output's cell is ``1`` (resistant), ``0`` (susceptible) or unknown: blank, ``NA`` or
``NaN``.  Unknown labels become −1, the masking convention of
:mod:`specdsl.training.masked`, so they count in neither the loss nor the metrics.  A
multi-class output's cell is a class name or its index (0 … K−1).

Every mistake names the file and line: a missing ``sample`` column, a row with too few or too
many cells, a sample named twice, a value that is not a label.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from specdsl.errors import SpecError, did_you_mean

SAMPLE = "sample"
UNKNOWN = -1.0
_UNKNOWN_TEXT = {"", "na", "nan"}
_SEQUENCE_SUFFIXES = (".fasta", ".fa", ".fna", ".csv")


@dataclass(frozen=True)
class LabelTable:
    """One labels CSV: its output columns, its samples (with their line numbers) and the raw cells."""

    path: str
    columns: tuple[str, ...]
    samples: tuple[str, ...]
    lines: tuple[int, ...]
    cells: tuple[tuple[str, ...], ...]  # per row, one text per output column

    def where(self, row: int) -> str:
        return f"{self.path}:{self.lines[row]}"

    def values(self, column: str, rows: Sequence[int] | None = None,
               classes: Sequence[str] | None = None) -> np.ndarray:
        """float64 labels of ``column`` for ``rows`` (default: all), unknown = −1.

        Without ``classes`` a label is 0 or 1; with them, a class name or index.
        """
        j = self.column_index(column)
        which = range(len(self.samples)) if rows is None else rows
        index = {name: float(i) for i, name in enumerate(classes or ())}
        out = np.empty(len(which), dtype=np.float64)
        for k, row in enumerate(which):
            text = self.cells[row][j].strip()
            out[k] = self._value(text, column, row, classes, index)
        return out

    def _value(self, text: str, column: str, row: int, classes: Sequence[str] | None,
               index: dict[str, float]) -> float:
        if text.lower() in _UNKNOWN_TEXT:
            return UNKNOWN
        if classes:
            if text in index:
                return index[text]
            try:
                number = float(text)
            except ValueError:
                number = -2.0
            if number.is_integer() and 0 <= number < len(classes):
                return number
            raise SpecError(f"'{text}' in column '{column}' is not a class", file=self.where(row),
                            expected="one of " + ", ".join(classes) + f", an index 0…{len(classes) - 1}, "
                                     "or blank (unknown)", hint=did_you_mean(text, classes))
        try:
            number = float(text)
        except ValueError:
            number = -2.0
        if number in (0.0, 1.0):
            return number
        raise SpecError(f"'{text}' in column '{column}' is not a label", file=self.where(row),
                        expected="1 (resistant), 0 (susceptible), or blank / NA (unknown)")

    def column_index(self, column: str) -> int:
        try:
            return self.columns.index(column)
        except ValueError:
            raise SpecError(f"no column '{column}'", file=f"{self.path}:1",
                            expected="one of " + ", ".join(self.columns),
                            hint=did_you_mean(column, self.columns)) from None


def _parse(path: str, text: str) -> LabelTable:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise SpecError("the file is empty", file=path, expected=f"a header line: {SAMPLE},<output>,<output>…")
    header = [cell.strip().lstrip("\ufeff") for cell in rows[0]]
    lowered = [h.lower() for h in header]
    if SAMPLE not in lowered:
        raise SpecError(f"no '{SAMPLE}' column in the header '{','.join(header)}'", file=f"{path}:1",
                        expected=f"a header such as {SAMPLE},isoniazid,rifampicin",
                        hint=did_you_mean(header[0], [SAMPLE]) and f"name the first column '{SAMPLE}'")
    key = lowered.index(SAMPLE)
    outputs = [h for i, h in enumerate(header) if i != key]
    if not outputs:
        raise SpecError("no output columns: the header names only the samples", file=f"{path}:1",
                        expected=f"{SAMPLE} and one column per output, e.g. {SAMPLE},isoniazid")
    for i, name in enumerate(outputs):
        if not name:
            raise SpecError(f"column {i + 2} has no name", file=f"{path}:1")
        if name in outputs[:i]:
            raise SpecError(f"the column '{name}' appears twice", file=f"{path}:1")
    samples: list[str] = []
    lines: list[int] = []
    cells: list[tuple[str, ...]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise SpecError(f"{len(row)} cell(s), but the header has {len(header)} columns", file=f"{path}:{number}",
                            hint="a blank cell (unknown label) still needs its comma")
        sample = row[key].strip()
        if not sample:
            raise SpecError("a row without a sample name", file=f"{path}:{number}")
        if sample in seen:
            raise SpecError(f"sample '{sample}' appears twice (first at line {seen[sample]})", file=f"{path}:{number}")
        seen[sample] = number
        samples.append(sample)
        lines.append(number)
        cells.append(tuple(cell for i, cell in enumerate(row) if i != key))
    if not samples:
        raise SpecError("no samples: the file has a header and no rows", file=path)
    return LabelTable(path, tuple(outputs), tuple(samples), tuple(lines), tuple(cells))


_CACHE: dict[str, tuple[tuple[int, int], LabelTable]] = {}


def read_labels(path: str | Path) -> LabelTable:
    """Read and check a labels CSV (cached until the file changes)."""
    name = os.fspath(path)
    try:
        stat = os.stat(name)
        if os.path.isdir(name):
            raise SpecError("is a folder, not a labels CSV", file=name)
        hit = _CACHE.get(name)
        if hit is not None and hit[0] == (stat.st_size, stat.st_mtime_ns):
            return hit[1]
        text = Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("no such labels file", file=name,
                        hint=f"a labels CSV has a '{SAMPLE}' column and one column per output") from None
    except UnicodeDecodeError:
        raise SpecError("not a text file (not UTF-8)", file=name) from None
    except OSError as err:
        raise SpecError(f"cannot read: {err.strerror or err}", file=name) from None
    table = _parse(name, text)
    _CACHE[name] = ((stat.st_size, stat.st_mtime_ns), table)
    return table


def default_labels_path(source: str | Path) -> Path:
    """Where a sequence source's labels are by default: beside it, named after it.

    ``isolates/train.fa`` → ``isolates/train.labels.csv``; a folder of one-hot CSVs
    ``onehot/test/`` → ``onehot/test.labels.csv``.
    """
    path = Path(os.fspath(source).rstrip("/\\") or ".")
    name = path.name
    if not path.is_dir():
        if name.lower().endswith(".gz"):
            name = name[:-3]
        for suffix in _SEQUENCE_SUFFIXES:
            if name.lower().endswith(suffix):
                name = name[: -len(suffix)]
                break
    return path.with_name(f"{name}.labels.csv")


def write_labels(path: str | Path, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[float | str]]]) -> Path:
    """Write a labels CSV atomically; a NaN or −1 value is written blank (unknown)."""
    from specdsl.atomic import atomic_write_text

    def cell(value: float | str) -> str:
        if isinstance(value, str):
            return value
        return "" if not np.isfinite(value) or value < 0 else str(int(value))

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([SAMPLE, *columns])
    for sample, values in rows:
        writer.writerow([sample, *(cell(v) for v in values)])
    return atomic_write_text(path, buffer.getvalue())


__all__ = ["LabelTable", "SAMPLE", "UNKNOWN", "default_labels_path", "read_labels", "write_labels"]
