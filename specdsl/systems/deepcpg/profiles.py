"""CpG methylation profiles (``--cpg_profiles``) and position files (``--pos_file``), read as DeepCpG reads them.

What DeepCpG does (``deepcpg/data/utils.py`` ``read_cpg_profile``, ``scripts/dcpg_data.py``) and
is kept here:

* the cell (output) name is the file's base name up to its first dot;
* chromosome names are upper-cased and lose a leading ``chr`` (``chrX`` → ``X``, ``mt`` → ``MT``);
* ``--chromos`` keeps rows of those chromosomes; ``--nb_sample N`` keeps the first N such rows of
  each file (file order); ``--nb_sample_chromo N`` draws N rows per chromosome at random (legacy
  ``RandomState(--seed)`` permutations, in DeepCpG's order: files in argument order, chromosomes
  sorted as strings);
* values are kept as they are (no rounding of inputs); a profile whose values are all 0 or 1 is
  stored as int8, any other as float32 — this decides the dtype of ``inputs/cpg/<cell>/state``.

Where this reader differs (each is a case where DeepCpG stops, or silently does something else):

* a bedGraph's start is 0-based, so the position is start + 1 (DeepCpG takes the start as is);
  bedGraph is recognised by a ``track type=bedGraph`` first line, as in DeepCpG, and also by a
  first data line shaped like a BED interval (four columns, start < end);
* values above 1 mean the file holds percentages: the whole file is divided by 100 (DeepCpG
  refuses values above 1);
* ``--chromos chr1`` means chromosome ``1`` (DeepCpG compares the raw option with formatted names);
* a position listed twice in one file, an empty profile and a malformed line are errors naming
  ``file:line`` (DeepCpG asserts, or reports pandas' message).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from specdsl.errors import SpecError, quoted_list
from specdsl.formats.textio import POSITIONS, TSV, Block, Layout, find_line, header_and_layout, read_blocks

_CHR_PREFIX = re.compile(r"^CHR")


def format_chromo(name: str) -> str:
    """DeepCpG's chromosome name: upper case, no leading ``chr`` (``chr1`` → ``1``, ``chrM`` → ``M``)."""
    return _CHR_PREFIX.sub("", name.strip().upper())


def cell_name(path: str | Path) -> str:
    """The output name DeepCpG gives a profile: its base name up to the first dot."""
    return os.path.basename(str(path)).split(os.extsep)[0]


@dataclass
class Profile:
    """One cell's observed sites, per chromosome, sorted by position."""

    name: str
    path: str
    layout: Layout
    header_lines: int
    percent: bool
    dtype: np.dtype  # int8 when every value is 0 or 1, else float32
    chromos: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # pos int32, values

    @property
    def n_sites(self) -> int:
        return sum(len(p) for p, _ in self.chromos.values())

    def positions(self, chromo: str) -> np.ndarray:
        return self.chromos[chromo][0] if chromo in self.chromos else np.zeros(0, dtype=np.int32)

    def values(self, chromo: str) -> np.ndarray:
        return self.chromos[chromo][1] if chromo in self.chromos else np.zeros(0, dtype=self.dtype)

    def line_of(self, chromo: str, pos: int) -> str:
        """``path:line`` of the record at (chromo, pos), found again by reading the file (messages only)."""
        line = find_line(self.path, self.layout, self.header_lines, chromo, pos, format_chromo)
        return f"{self.path}:{line}" if line else self.path


class _Collector:
    """Rows of one file grouped by formatted chromosome, in file order, with the row cap applied."""

    def __init__(self, chromos: frozenset[str] | None, limit: int | None) -> None:
        self.chromos = chromos
        self.limit = limit
        self.kept = 0
        self.parts: dict[str, list[tuple[np.ndarray, np.ndarray | None]]] = {}
        self._names: dict[bytes, str] = {}  # raw name → formatted; its values are every chromosome seen

    @property
    def full(self) -> bool:
        return self.limit is not None and self.kept >= self.limit

    def add(self, block: Block) -> None:
        if not len(block.pos):
            return
        raw, inverse = np.unique(block.chromo, return_inverse=True)
        names = [self._names.setdefault(r, format_chromo(r.decode(errors="replace"))) for r in raw.tolist()]
        keep_code = np.array([self.chromos is None or n in self.chromos for n in names])
        keep = keep_code[inverse]
        if self.limit is not None:  # the first `limit` kept rows, in file order
            room = self.limit - self.kept
            cut = np.flatnonzero(keep)
            if len(cut) > room:
                keep[cut[room]:] = False
        self.kept += int(keep.sum())
        for code, name in enumerate(names):
            rows = keep & (inverse == code)
            if rows.any():
                value = block.value[rows] if block.value is not None else None
                self.parts.setdefault(name, []).append((block.pos[rows], value))

    def arrays(self) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
        out = {}
        for name, parts in self.parts.items():
            pos = np.concatenate([p for p, _ in parts])
            value = None if parts[0][1] is None else np.concatenate([v for _, v in parts]).astype(np.float32)
            out[name] = (pos, value)
        return out


def _collect(path: str, default: Layout, chromos: frozenset[str] | None, limit: int | None
             ) -> tuple[int, Layout, dict[str, tuple[np.ndarray, np.ndarray | None]]]:
    skip, layout = header_and_layout(path, default)
    collector = _Collector(chromos, limit)
    for block in read_blocks(path, layout, skip):
        collector.add(block)
        if collector.full:
            break
    if not collector.parts:
        _nothing(path, layout, chromos, set(collector._names.values()))
    return skip, layout, collector.arrays()


def _nothing(path: str, layout: Layout, chromos: frozenset[str] | None, seen: set[str]) -> None:
    what = "positions" if layout is POSITIONS else "methylation values"
    if chromos and seen:
        raise SpecError(f"no {what} on chromosome(s) {', '.join(sorted(chromos))} (--chromos)", file=path,
                        hint=f"this file has chromosome(s) {quoted_list(sorted(seen))}")
    example = ("'chromo pos' (the 1-based C of the CpG)" if layout is POSITIONS
               else "'chromo pos value' (TSV) or 'chromo start end value' (bedGraph)")
    raise SpecError(f"no {what}", file=path, hint=f"one line per CpG: {example}")


def sample_per_chromo(table: dict[str, tuple[np.ndarray, np.ndarray | None]], n: int,
                      rng: np.random.RandomState) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """At most ``n`` rows per chromosome, drawn as DeepCpG's ``sample_from_chromo`` draws them.

    Chromosomes are visited in sorted (string) order and only those with more than ``n`` rows
    use the generator (``permutation(len)[:n]``, what legacy ``choice(replace=False)`` does); the
    drawn rows keep the drawn order, which matters for a later ``--nb_sample`` cut.
    """
    out = {}
    for name in sorted(table):
        pos, value = table[name]
        if len(pos) > n:
            idx = rng.permutation(len(pos))[:n]
            pos, value = pos[idx], (value[idx] if value is not None else None)
        out[name] = (pos, value)
    return out


def cut_total(table: dict[str, tuple[np.ndarray, np.ndarray | None]], n: int
              ) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """The first ``n`` rows over chromosomes in sorted (string) order, as ``DataFrame.iloc[:n]``."""
    out = {}
    for name in sorted(table):
        if n <= 0:
            break
        pos, value = table[name]
        out[name] = (pos[:n], value[:n] if value is not None else None)
        n -= len(out[name][0])
    return out


def _sorted_unique(path: str, name: str, pos: np.ndarray, value: np.ndarray | None,
                   where: Callable[[str, int], str]) -> tuple[np.ndarray, np.ndarray | None]:
    order = np.argsort(pos, kind="stable")
    pos = pos[order]
    dup = np.flatnonzero(pos[1:] == pos[:-1])
    if len(dup):
        at = int(pos[dup[0]])
        raise SpecError(f"position {name}:{at} is listed more than once ({len(dup)} repeated position(s) "
                        "in this file)", file=where(name, at),
                        hint="merge the two strands' calls per CpG first (one line per C of a CpG, + strand)")
    return pos.astype(np.int32), (value[order] if value is not None else None)


def read_profile(path: str | Path, *, chromos: Iterable[str] | None = None, nb_sample: int | None = None,
                 nb_sample_chromo: int | None = None, rng: np.random.RandomState | None = None) -> Profile:
    """Read one cell's profile (TSV ``chromo pos value`` or bedGraph, plain or gzip)."""
    path = str(path)
    wanted = frozenset(chromos) if chromos is not None else None
    limit = nb_sample if nb_sample_chromo is None else None  # DeepCpG reads everything before sampling
    skip, layout, table = _collect(path, TSV, wanted, limit)
    if nb_sample_chromo is not None:
        table = sample_per_chromo(table, nb_sample_chromo, rng or np.random.RandomState(0))
        if nb_sample is not None:
            table = cut_total(table, nb_sample)
    profile = Profile(cell_name(path), path, layout, skip, False, np.dtype(np.int8))
    top = max(float(v.max()) for _, v in table.values() if v is not None and len(v))
    profile.percent = top > 1.0
    binary = True
    for name, (pos, value) in table.items():
        assert value is not None
        if profile.percent:
            value = value / np.float32(100.0)
        pos, value = _sorted_unique(path, name, pos, value, profile.line_of)
        assert value is not None
        binary = binary and bool(np.all((value == 0) | (value == 1)))
        profile.chromos[name] = (pos, value)
    if binary:
        profile.dtype = np.dtype(np.int8)
        profile.chromos = {k: (p, v.astype(np.int8)) for k, (p, v) in profile.chromos.items()}
    else:
        profile.dtype = np.dtype(np.float32)
    return profile


def read_profiles(paths: Sequence[str | Path], **kwargs) -> list[Profile]:
    """Every profile, in argument order; two files with the same cell name are an error."""
    profiles: list[Profile] = []
    seen: dict[str, str] = {}
    for path in paths:
        name = cell_name(path)
        if not name:
            raise SpecError("cannot name this cell: the file name starts with a dot", file=str(path))
        if name in seen:
            raise SpecError(f"two profiles give the cell name '{name}' ({seen[name]} and {path})", file=str(path),
                            hint="the name is the file name up to its first dot; rename one of them")
        seen[name] = str(path)
        profiles.append(read_profile(path, **kwargs))
    return profiles


def read_positions(path: str | Path, *, chromos: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """``--pos_file``: ``chromo pos`` per line → sorted unique int32 positions per formatted chromosome."""
    path = str(path)
    wanted = frozenset(chromos) if chromos is not None else None
    _skip, _layout, table = _collect(path, POSITIONS, wanted, None)
    return {name: np.unique(pos).astype(np.int32) for name, (pos, _) in table.items()}


__all__ = ["Profile", "cell_name", "cut_total", "format_chromo", "read_positions", "read_profile", "read_profiles",
           "sample_per_chromo"]
