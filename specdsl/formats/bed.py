"""BED files of regions: read with ``FILE:LINE`` in every message, written atomically.

Only the first three columns matter here (chromosome, 0-based start, exclusive end); further
columns (name, score, strand …) are read past.  Blank lines, ``#`` comments and UCSC's
``track`` / ``browser`` lines are skipped.  A region must have ``0 ≤ start < end``; a line with
fewer than three fields or a coordinate that is not a whole number is an error naming its line,
so a shifted column never turns into a silently wrong window.  Files may be gzip-compressed.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.textio import open_binary

_SKIP = (b"#", b"track", b"browser")


@dataclass(frozen=True)
class Regions:
    """Regions in file order: chromosome names, starts, ends and the line each came from."""

    path: str
    chroms: list[str]
    starts: np.ndarray  # int64
    ends: np.ndarray  # int64
    lines: np.ndarray  # int64, 1-based line of each region (for messages)

    def __len__(self) -> int:
        return len(self.chroms)

    def where(self, i: int) -> str:
        return f"{self.path}:{int(self.lines[i])}"


def _number(text: bytes, where: str, column: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise SpecError(f"the {column} '{text.decode('utf-8', 'replace')}' is not a whole number", file=where,
                        expected="CHROM START END, tab-separated, 0-based start, exclusive end") from None
    return value


def read_bed(path: str | Path) -> Regions:
    """Every region of a BED file, checked (``0 ≤ start < end``), in file order."""
    name = str(path)
    chroms: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    lines: list[int] = []
    with open_binary(name) as handle:
        try:
            for number, line in enumerate(handle, start=1):
                stripped = line.strip()
                if not stripped or stripped.startswith(_SKIP):
                    continue
                fields = stripped.split()
                where = f"{name}:{number}"
                if len(fields) < 3:
                    raise SpecError(f"a BED line needs at least 3 fields, this one has {len(fields)}", file=where,
                                    expected="CHROM START END, tab-separated, e.g. chr1\t1000\t2000")
                start, end = _number(fields[1], where, "start"), _number(fields[2], where, "end")
                if start < 0 or end <= start:
                    raise SpecError(f"the region {start}-{end} is empty or negative", file=where,
                                    expected="0 ≤ start < end (0-based start, exclusive end)")
                chroms.append(fields[0].decode("utf-8", "replace"))
                starts.append(start)
                ends.append(end)
                lines.append(number)
        except (OSError, EOFError, zlib.error) as err:
            raise SpecError(f"cannot read: {getattr(err, 'strerror', None) or err}", file=name) from None
    if not chroms:
        raise SpecError("no regions: the file has no BED lines", file=name,
                        expected="CHROM START END lines, tab-separated")
    return Regions(name, chroms, np.asarray(starts, np.int64), np.asarray(ends, np.int64),
                   np.asarray(lines, np.int64))


def bed_text(chroms: list[str], starts: np.ndarray, ends: np.ndarray) -> str:
    """BED text of three columns, one region a line."""
    return "".join(f"{c}\t{s}\t{e}\n" for c, s, e in zip(chroms, starts.tolist(), ends.tolist()))


def write_bed(path: str | Path, chroms: list[str], starts: np.ndarray, ends: np.ndarray) -> Path:
    """Write regions as a three-column BED file, atomically (a failed write leaves no file behind)."""
    from specdsl.atomic import atomic_write_text

    return atomic_write_text(path, bed_text(chroms, starts, ends))


__all__ = ["Regions", "bed_text", "read_bed", "write_bed"]
