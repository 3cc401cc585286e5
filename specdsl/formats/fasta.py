"""FASTA files of samples: an index that checks every record once, then streams records from disk.

A training set can hold thousands of isolates of tens of kilobases each, more than is worth
keeping in memory as one-hot floats (16 bytes a base).  :func:`index_fasta` reads a file once,
checks it (record names, letters, empty records) with ``FILE:LINE`` in every message, and
remembers where each record's sequence lies; :meth:`FastaIndex.fetch` then reads just the
records a batch needs.  A gzip-compressed FASTA cannot be read at an offset, so its records
are kept in memory as one byte per base instead.

The record name is the first word of the header line (``>ISO0001 lineage 2`` → ``ISO0001``).
Letters are case-insensitive; A, C, G and T become one-hot rows, N, the IUPAC ambiguity codes
(R Y K M S W B D H V), U and the gap characters ``-`` and ``.`` become zero rows (no base); any
other character is an error.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.onehot_csv import codes

_ALLOWED = b"ACGTNRYKMSWBDHVUacgtnrykmswbdhvu-."
_WHITESPACE = b" \t\r\n"
_WRAP = 60


@dataclass(frozen=True)
class FastaRecord:
    """One record: its name, the line of its header, its length and where its sequence lies."""

    name: str
    line: int
    length: int
    start: int  # byte offset of the first sequence line (plain files)
    stop: int  # byte offset after the last sequence line
    header: str = ""  # the whole header line without '>' (BPReveal's prediction files keep it)


@dataclass
class FastaIndex:
    path: str
    records: list[FastaRecord]
    held: list[np.ndarray] | None = field(default=None, repr=False)  # codes of a gzip file's records

    def fetch(self, which: list[int]) -> list[np.ndarray]:
        """uint8 codes (A0 C1 G2 T3, 4 = no base) of the records at these positions, in that order."""
        if self.held is not None:
            return [self.held[i] for i in which]
        out = []
        with open(self.path, "rb") as handle:
            for i in which:
                record = self.records[i]
                handle.seek(record.start)
                out.append(codes(handle.read(record.stop - record.start).translate(None, _WHITESPACE)))
        return out


def _open(path: str):  # noqa: ANN202 - a binary file object
    from specdsl.formats.textio import open_binary

    return open_binary(path)


def _is_gzip(path: str) -> bool:
    with open(path, "rb") as probe:
        return probe.read(2) == b"\x1f\x8b"


def _check_letters(path: str, number: int, line: bytes) -> None:
    bad = line.translate(None, _ALLOWED + _WHITESPACE)
    if bad:
        column = next(i for i, b in enumerate(line) if bytes([b]) == bad[:1]) + 1
        shown = bad[:1].decode("latin-1")
        raise SpecError(f"'{shown}' (column {column}) is not a DNA letter", file=f"{path}:{number}",
                        expected="A, C, G, T, N, an IUPAC code (R Y K M S W B D H V), '-' or '.'")


def _scan(path: str, hold: bool) -> FastaIndex:
    records: list[FastaRecord] = []
    held: list[np.ndarray] | None = [] if hold else None
    seen: dict[str, int] = {}
    name, header_line, length, start, offset, header = None, 0, 0, 0, 0, ""
    pieces: list[bytes] = []

    def close(stop: int) -> None:
        if name is None:
            return
        if length == 0:
            raise SpecError(f"record '{name}' has no sequence", file=f"{path}:{header_line}")
        records.append(FastaRecord(name, header_line, length, start, stop, header))
        if held is not None:
            held.append(codes(b"".join(pieces)))

    try:
        with _open(path) as handle:
            for number, line in enumerate(handle, start=1):
                if line.startswith(b">"):
                    close(offset)
                    words = line[1:].split()
                    if not words:
                        raise SpecError("a header without a name", file=f"{path}:{number}",
                                        expected="'>NAME' (the record's sample name), e.g. >ISO0001")
                    name = words[0].decode("utf-8", "replace")
                    header = line[1:].strip().decode("utf-8", "replace")
                    if name in seen:
                        raise SpecError(f"record '{name}' appears twice (first at line {seen[name]})",
                                        file=f"{path}:{number}", hint="each sample needs its own name")
                    seen[name] = number
                    header_line, length, pieces = number, 0, []
                    start = offset + len(line)
                elif line.strip():
                    if name is None:
                        raise SpecError("not a FASTA file: the first line does not start with '>'",
                                        file=f"{path}:{number}", expected="'>NAME' header lines, each followed by "
                                        "sequence lines")
                    _check_letters(path, number, line)
                    bases = line.translate(None, _WHITESPACE)
                    length += len(bases)
                    if held is not None:
                        pieces.append(bases)
                offset += len(line)
            close(offset)
    except (OSError, EOFError, zlib.error) as err:
        raise SpecError(f"cannot read: {getattr(err, 'strerror', None) or err}", file=path) from None
    if not records:
        raise SpecError("no records: the file is empty", file=path, expected="a FASTA file ('>NAME' lines)")
    return FastaIndex(path, records, held)


_CACHE: dict[str, tuple[tuple[int, int], FastaIndex]] = {}


def index_fasta(path: str | Path) -> FastaIndex:
    """Check and index a FASTA file (plain or gzip); cached until the file changes."""
    name = os.fspath(path)
    if os.path.isdir(name):
        raise SpecError("is a folder, not a FASTA file", file=name)
    try:
        stat = os.stat(name)
    except OSError as err:
        raise SpecError(f"cannot read: {err.strerror or err}", file=name) from None
    stamp = (stat.st_size, stat.st_mtime_ns)
    hit = _CACHE.get(name)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    index = _scan(name, hold=_is_gzip(name))
    _CACHE[name] = (stamp, index)
    return index


def fasta_text(records: list[tuple[str, str]], width: int = _WRAP) -> str:
    """FASTA text of (name, sequence) pairs, sequence lines wrapped at ``width``."""
    out = []
    for name, seq in records:
        out.append(f">{name}\n")
        out.extend(seq[i:i + width] + "\n" for i in range(0, len(seq), width))
    return "".join(out)


def write_fasta(path: str | Path, records: list[tuple[str, str]]) -> Path:
    """Write (name, sequence) pairs as FASTA, atomically."""
    from specdsl.atomic import atomic_write_text

    return atomic_write_text(path, fasta_text(records))


def read_fasta(path: str | Path) -> list[tuple[str, str]]:
    """Every (name, sequence) of a FASTA file, checked; letters upper-cased, no-base letters as ``N``."""
    from specdsl.formats.onehot_csv import letters

    index = index_fasta(path)
    seqs = index.fetch(list(range(len(index.records))))
    return [(r.name, letters(s)) for r, s in zip(index.records, seqs)]


__all__ = ["FastaIndex", "FastaRecord", "fasta_text", "index_fasta", "read_fasta", "write_fasta"]
