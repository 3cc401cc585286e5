"""Barcode whitelists, tranquillyzer's barcode correction and its cell assignment.

**Whitelist** (tranquillyzer's ``WHITELIST_FILE``): a TSV with a header whose column names are the
barcode segments of the seq order (``CBC``; ``i7``, ``i5``, ``CBC`` for a dual index), one row a
cell; the cell id is the 1-based row number.

**Correction** (tranquillyzer's ``correct_barcode``): the observed barcode and its reverse
complement are compared with every value of the whitelist column by Levenshtein distance; d_min
is the smallest distance over both, and every value at d_min is the correction (comma-joined,
whitelist order).  d_min above the threshold (``--bc-lv-threshold``, 2) gives ``NMF`` (no match
found).  The comparison is rapidfuzz's ``process.cdist`` on a whole chunk of reads at once (one
call per whitelist length, after a length pre-filter: a barcode whose length differs from every
whitelist length by more than the threshold cannot match and is not compared), so correction
costs a small share of annotation.  Two differences from tranquillyzer, on purpose:
tranquillyzer's ``extract(limit=5)`` keeps five candidates per orientation, and its tie count
may count one whitelist value twice (once per orientation); here every value at d_min is kept
and counted once.

**Cell assignment** (tranquillyzer's ``assign_cell_id``): one barcode column — one whitelist row
holding a corrected value gives that cell (``Exact match (CBC)``), several give ``Ambiguous match
(CBC)``, none (NMF included) ``No match (CBC)``.  Several columns (tranquillyzer hard-codes
``i7, i5, CBC``; here any names) — each row scores the number of columns whose corrected values
hold its value; a unique best row matching every column is an ``Exact match (i7, i5, CBC)``, a
unique best row matching at least two columns, or the cell-barcode column alone (the column named
``CBC``, else the last), a ``Partial match (…)`` naming the columns that matched; otherwise
``Ambiguous match`` (some row matched) or ``No match``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from specdsl.errors import Source, Span, SpecError, did_you_mean

NMF = "NMF"
MAX_CELLS = 1 << 25  # entries of one cdist block (bytes, as uint8)
_COMPLEMENT = str.maketrans("ACGT", "TGCA")  # tranquillyzer's map: other characters pass through


def reverse_complement(text: str) -> str:
    """The reverse complement of A, C, G, T; any other character kept (as tranquillyzer does)."""
    return text.translate(_COMPLEMENT)[::-1]


@dataclass(frozen=True)
class Whitelist:
    """A barcode whitelist: its columns (the barcode segments) and one row of values per cell."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    path: str

    def column(self, name: str) -> list[str]:
        i = self.columns.index(name)
        return [row[i] for row in self.rows]

    def cell_barcodes(self, cell: int) -> str:
        """A cell's barcodes joined with '-', repeats dropped (the demuxed header's ``{cellBarcodes}``)."""
        return "-".join(dict.fromkeys(self.rows[cell - 1]))


def read_whitelist(path: str | Path, barcodes: Sequence[str], option: str = "--whitelist") -> Whitelist:
    """The whitelist at ``path``, its columns checked against the seq order's ``barcodes``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("whitelist not found", file=str(path), path=option) from None
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError(f"cannot read the whitelist: {err}", file=str(path), path=option) from None
    source = Source(str(path), text)
    lines = [(n, line) for n, line in enumerate(source.lines(), 1) if line.strip()]
    if not lines:
        raise SpecError("the whitelist is empty", file=str(path), path=option,
                        expected="a header naming the barcode columns (" + ", ".join(barcodes) + "), then a row a cell")
    first, header = lines[0]
    names = [c.strip().strip('"') for c in header.split("\t")]
    for bc in barcodes:
        if bc not in names:
            raise SpecError(f"the whitelist has no column '{bc}' (its header: {', '.join(names)})",
                            span=Span(source, first, 1, first, len(header) + 1),
                            expected="a tab-separated header naming every barcode segment of the seq order: "
                                     + ", ".join(barcodes),
                            hint=did_you_mean(names[0], barcodes) or "the first line is the header")
    index = [names.index(bc) for bc in barcodes]
    rows = []
    for number, line in lines[1:]:
        cells = line.split("\t")
        if len(cells) < len(names):
            raise SpecError(f"this row has {len(cells)} field(s); the header has {len(names)}",
                            span=Span(source, number, 1, number, len(line) + 1), hint="fields are separated by tabs")
        values = []
        for i, bc in zip(index, barcodes):
            value = cells[i].strip().strip('"').upper()
            if not value or value.strip("ACGTN"):
                at = sum(len(c) + 1 for c in cells[:i]) + 1
                raise SpecError(f"'{cells[i].strip()}' is not a barcode of A, C, G, T (N)",
                                span=Span(source, number, at, number, at + max(len(cells[i]), 1)),
                                expected=f"the {bc} barcode of this cell")
            values.append(value)
        rows.append(tuple(values))
    if not rows:
        raise SpecError("the whitelist has a header but no cells", file=str(path), path=option)
    return Whitelist(tuple(barcodes), tuple(rows), str(path))


@dataclass(frozen=True)
class Correction:
    """One observed barcode corrected: the values at d_min (none: NMF), d_min, and their count."""

    values: tuple[str, ...]
    min_dist: int | None  # None: no whitelist length within the threshold, nothing compared
    ties: int

    @property
    def corrected(self) -> str:
        return ",".join(self.values) if self.values else NMF


class Corrector:
    """Corrects the observed barcodes of one whitelist column, a batch at a time (see the module docstring)."""

    def __init__(self, values: Sequence[str], threshold: int = 2, workers: int = 1):
        self.values = list(dict.fromkeys(values))  # whitelist order, repeats once
        self.threshold = threshold
        self.workers = workers
        self.by_length: dict[int, np.ndarray] = {}
        for length in sorted({len(v) for v in self.values}):
            self.by_length[length] = np.array([i for i, v in enumerate(self.values) if len(v) == length])

    def correct(self, observed: Sequence[str]) -> list[Correction]:
        """The correction of each observed barcode (forward and reverse complement), in one batch."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        n = len(observed)
        queries = list(observed) + [reverse_complement(o) for o in observed]
        lengths = np.array([len(q) for q in queries])
        best = np.full(2 * n, np.iinfo(np.int32).max, np.int64)
        hits: list[list[int]] = [[] for _ in range(2 * n)]
        for length, members in self.by_length.items():
            near = np.flatnonzero(np.abs(lengths - length) <= self.threshold)
            choices = [self.values[i] for i in members]
            step = max(1, MAX_CELLS // max(len(choices), 1))
            for lo in range(0, len(near), step):
                rows = near[lo:lo + step]
                d = process.cdist([queries[q] for q in rows], choices, scorer=Levenshtein.distance,
                                  dtype=np.int32, workers=self.workers)
                mins = d.min(axis=1)
                for r, q in enumerate(rows):
                    m = int(mins[r])
                    if m < best[q]:
                        best[q], hits[q] = m, []
                    if m == best[q] and m <= self.threshold:
                        hits[q].extend(members[np.flatnonzero(d[r] == m)].tolist())
        out = []
        for i in range(n):
            d_min = int(min(best[i], best[i + n]))
            if d_min == np.iinfo(np.int32).max:
                out.append(Correction((), None, 0))
                continue
            found = sorted(set((hits[i] if best[i] == d_min else []) + (hits[i + n] if best[i + n] == d_min else [])))
            values = tuple(self.values[j] for j in found) if d_min <= self.threshold else ()
            out.append(Correction(values, d_min, len(found) if values else 0))
        return out


class Assignment(NamedTuple):
    """A read's cell (1-based whitelist row; None: not assigned) and tranquillyzer's match type."""

    cell: int | None
    match_type: str


class Assigner:
    """Cell assignment from the corrections of every barcode column (see the module docstring)."""

    def __init__(self, whitelist: Whitelist):
        self.whitelist = whitelist
        self.rows_of: list[dict[str, list[int]]] = []
        for c in range(len(whitelist.columns)):
            index: dict[str, list[int]] = {}
            for r, row in enumerate(whitelist.rows, 1):
                index.setdefault(row[c], []).append(r)
            self.rows_of.append(index)
        names = whitelist.columns
        self.cell_column = names.index("CBC") if "CBC" in names else len(names) - 1

    def assign(self, corrections: Sequence[Correction]) -> Assignment:
        names = self.whitelist.columns
        if len(names) == 1:
            rows = sorted({r for v in corrections[0].values for r in self.rows_of[0].get(v, ())})
            if len(rows) == 1:
                return Assignment(rows[0], f"Exact match ({names[0]})")
            return Assignment(None, f"{'Ambiguous' if rows else 'No'} match ({names[0]})")
        matched: dict[int, list[int]] = {}
        for c, correction in enumerate(corrections):
            for r in {r for v in correction.values for r in self.rows_of[c].get(v, ())}:
                matched.setdefault(r, []).append(c)
        if not matched:
            return Assignment(None, "No match")
        top = max(len(cols) for cols in matched.values())
        best = [r for r, cols in matched.items() if len(cols) == top]
        cols = matched[best[0]]
        if len(best) == 1 and (top >= 2 or cols == [self.cell_column]):
            kind = "Exact" if top == len(names) else "Partial"
            return Assignment(best[0], f"{kind} match ({', '.join(names[c] for c in sorted(cols))})")
        return Assignment(None, "Ambiguous match")


__all__ = ["Assigner", "Assignment", "Correction", "Corrector", "NMF", "Whitelist", "read_whitelist",
           "reverse_complement"]
