"""Line-oriented reading of DeepCpG's text inputs (profiles, position files), fast and with line numbers.

Profiles of real experiments have millions of lines per cell, so parsing line by line in
Python (about 1.4 M lines/s here) would dominate ``specdsl deepcpg data``.  Blocks of lines
go through :func:`numpy.loadtxt` instead (a C parser, about 3.5 M lines/s).  When a block does
not parse, or a value in it is out of range, the same block is parsed again line by line by
:func:`parse_line`, which names the exact ``file:line`` and what is wrong with it; that slow
path runs only on the way to an error, so users get precise messages at no cost to the
normal case.

Files may be gzip-compressed whatever their name: the first two bytes decide (DeepCpG looks at
the ``.gz`` suffix only).
"""

from __future__ import annotations

import gzip
import io
import itertools
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from specdsl.errors import SpecError

BLOCK_LINES = 1 << 18  # 262,144 lines: ~10 MB of text, parsed in one loadtxt call
CHROMO_BYTES = 64  # widest chromosome name read on the fast path; longer names take the slow path
MAX_POS = 2**31 - 1  # DeepCpG stores positions as int32


@dataclass(frozen=True)
class Layout:
    """Which whitespace-separated columns hold chromosome, position and (optionally) value."""

    kind: str  # "TSV", "bedGraph" or "positions", for messages
    pos_col: int
    value_col: int | None
    pos_offset: int  # added to the file's coordinate to get DeepCpG's 1-based C position
    coordinate: str  # what the position column is called in messages

    @property
    def usecols(self) -> tuple[int, ...]:
        return (0, self.pos_col) if self.value_col is None else (0, self.pos_col, self.value_col)

    @property
    def min_fields(self) -> int:
        return max(self.usecols) + 1


TSV = Layout("TSV", 1, 2, 0, "position")
# bedGraph's start is 0-based: the C at 1-based position p is written as start p-1, end p.
BEDGRAPH = Layout("bedGraph", 1, 3, 1, "start")
POSITIONS = Layout("positions", 1, None, 0, "position")


@dataclass
class Block:
    """Parsed rows of one block: raw chromosome names, 1-based positions, values (float64)."""

    chromo: np.ndarray  # bytes (S)
    pos: np.ndarray  # int64
    value: np.ndarray | None  # float64, None for position files


def open_binary(path: str | Path) -> BinaryIO:
    """Open a plain or gzip-compressed file for reading; missing or unreadable files are SpecErrors."""
    try:
        with open(path, "rb") as probe:
            magic = probe.read(2)
        return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")  # noqa: SIM115 - caller closes
    except IsADirectoryError:
        raise SpecError("is a folder, not a file", file=str(path)) from None
    except OSError as err:
        raise SpecError(f"cannot read: {err.strerror or err}", file=str(path)) from None


def numbered_lines(path: str | Path) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` for every line; a damaged gzip stream is a SpecError naming the file."""
    with open_binary(path) as handle:
        try:
            yield from enumerate(handle, start=1)
        except (OSError, EOFError, zlib.error) as err:
            raise SpecError(f"cannot read: the gzip data is damaged ({err})", file=str(path)) from None


def is_skippable(line: bytes) -> bool:
    """Blank lines and ``#`` comments are skipped anywhere (pandas' ``comment='#'`` in DeepCpG)."""
    stripped = line.strip()
    return not stripped or stripped.startswith(b"#")


def parse_line(path: str | Path, number: int, line: bytes, layout: Layout) -> tuple[bytes, int, float]:
    """One data line → (chromosome, 1-based position, value); every mistake names ``file:line``."""
    where = f"{path}:{number}"
    fields = line.split()
    if len(fields) < layout.min_fields:
        expected = ("chromosome, start, end, value" if layout is BEDGRAPH
                    else "chromosome, position" + (", value" if layout.value_col is not None else ""))
        raise SpecError(f"expected {layout.min_fields} columns ({expected}), found {len(fields)}", file=where,
                        hint="columns are separated by tabs or spaces")
    raw_pos = fields[layout.pos_col].decode(errors="replace")
    try:
        pos = int(raw_pos) + layout.pos_offset
    except ValueError:
        raise SpecError(f"the {layout.coordinate} '{raw_pos}' is not a whole number", file=where) from None
    if pos < 1 or pos > MAX_POS:
        raise SpecError(f"the {layout.coordinate} {raw_pos} is outside 1…{MAX_POS - layout.pos_offset}"
                        if layout.pos_offset == 0 else
                        f"the {layout.coordinate} {raw_pos} is outside 0…{MAX_POS - layout.pos_offset}", file=where)
    value = 0.0
    if layout.value_col is not None:
        raw_value = fields[layout.value_col].decode(errors="replace")
        try:
            value = float(raw_value)
        except ValueError:
            raise SpecError(f"the methylation value '{raw_value}' is not a number", file=where) from None
        if not (0.0 <= value <= 100.0):  # NaN fails too
            raise SpecError(f"the methylation value {raw_value} is outside 0…1 (or 0…100 for percentages)",
                            file=where)
    return fields[0], pos, value


def _parse_slowly(path: str | Path, first: int, lines: list[bytes], layout: Layout) -> Block:
    rows = [parse_line(path, first + i, line, layout) for i, line in enumerate(lines) if not is_skippable(line)]
    chromo = np.array([r[0] for r in rows], dtype=bytes) if rows else np.array([], dtype="S1")
    pos = np.array([r[1] for r in rows], dtype=np.int64)
    value = np.array([r[2] for r in rows], dtype=np.float64) if layout.value_col is not None else None
    return Block(chromo, pos, value)


def _parse_fast(lines: list[bytes], layout: Layout) -> Block | None:
    """loadtxt on the block; None when anything is off (the slow path then says what)."""
    names = ("c", "p", "v")[: len(layout.usecols)]
    dtype = np.dtype([(n, t) for n, t in zip(names, (f"S{CHROMO_BYTES}", "i8", "f8"))])
    try:
        with warnings.catch_warnings():  # a block of comments only is fine, not worth loadtxt's warning
            warnings.simplefilter("ignore", UserWarning)
            table = np.loadtxt(io.BytesIO(b"".join(lines)), dtype=dtype, usecols=layout.usecols, comments="#",
                               ndmin=1)
    except (ValueError, OverflowError):
        return None
    pos = table["p"] + layout.pos_offset
    if len(pos) and (pos.min() < 1 or pos.max() > MAX_POS):
        return None
    if np.any(np.char.str_len(table["c"]) >= CHROMO_BYTES):
        return None  # possibly cut: the slow path keeps the whole name
    value = None
    if layout.value_col is not None:
        value = table["v"]
        if len(value) and not (value.min() >= 0.0 and value.max() <= 100.0):  # NaN fails too
            return None
    return Block(table["c"], pos, value)


def header_and_layout(path: str | Path, default: Layout) -> tuple[int, Layout]:
    """Skip the header; return the number of header lines and the file's layout.

    A profile is bedGraph when its first line is ``track type=bedGraph`` (DeepCpG's rule) or,
    without a track line, when its first data line has at least four columns whose second and
    third are whole numbers with start < end (a BED interval); otherwise it is DeepCpG's TSV
    ``chromo pos value``.  ``track``/``browser`` lines may only open the file.
    """
    header = 0
    layout = default
    for number, line in numbered_lines(path):
        stripped = line.strip()
        if stripped.startswith((b"track", b"browser")):
            header = number
            if b"type=bedgraph" in stripped.lower().replace(b" ", b""):
                layout = BEDGRAPH
            continue
        if is_skippable(line):
            continue
        if default is TSV and layout is TSV:
            fields = stripped.split()
            if len(fields) >= 4 and all(f.isdigit() for f in fields[1:3]) and int(fields[1]) < int(fields[2]):
                layout = BEDGRAPH
        break
    return header, layout


def read_blocks(path: str | Path, layout: Layout, skip: int) -> Iterator[Block]:
    """Data rows of ``path`` after its ``skip`` header lines, in file order, block by block."""
    lines_iter = numbered_lines(path)
    for _ in itertools.islice(lines_iter, skip):
        pass
    while True:
        chunk = list(itertools.islice(lines_iter, BLOCK_LINES))
        if not chunk:
            return
        first = chunk[0][0]
        lines = [line for _, line in chunk]
        block = _parse_fast(lines, layout)
        yield block if block is not None else _parse_slowly(path, first, lines, layout)


def find_line(path: str | Path, layout: Layout, skip: int, chromo: str, pos: int,
              normalise: Callable[[str], str]) -> int | None:
    """The first line of ``path`` whose record is (``chromo``, ``pos``): for messages about one record."""
    for number, line in numbered_lines(path):
        if number <= skip or is_skippable(line):
            continue
        fields = line.split()
        if len(fields) < layout.min_fields:
            continue
        try:
            here = int(fields[layout.pos_col]) + layout.pos_offset
        except ValueError:
            continue
        if here == pos and normalise(fields[0].decode(errors="replace")) == chromo:
            return number
    return None


__all__ = ["BEDGRAPH", "POSITIONS", "TSV", "Block", "Layout", "find_line", "header_and_layout", "numbered_lines",
           "open_binary", "parse_line", "read_blocks"]
