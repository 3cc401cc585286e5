"""Streaming FASTA / FASTQ reader (plain or gzip, told apart by content, not by name).

Reads come one at a time, so a file of millions of reads, or one read of megabases, is read in
memory proportional to the longest read.  A damaged file is an error that names the file, the
line and what was expected: a FASTQ record cut short (a download or a copy that stopped), a
quality line of the wrong length, a FASTQ header that does not start with ``@``, a gzip stream
that ends early.  FASTQ records are the usual four lines; FASTA sequences may wrap over lines.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from specdsl.errors import SpecError


@dataclass(frozen=True)
class Record:
    id: str  # the header up to the first white space
    sequence: bytes
    line: int  # where the record starts (1-based)
    quality: bytes = b""  # FASTQ's quality line (phred+33), empty for FASTA


def _open(path: str) -> IO[bytes]:
    p = Path(path)
    if not p.is_file():
        raise SpecError("no such file" if not p.exists() else "is a folder, not a reads file", file=path)
    with open(p, "rb") as probe:
        magic = probe.read(2)
    return gzip.open(p, "rb") if magic == b"\x1f\x8b" else open(p, "rb")  # noqa: SIM115 - closed by the caller


def _name(header: bytes) -> str:
    text = header[1:].decode("utf-8", "replace").strip()
    return text.split()[0] if text else ""


def read_fastx(path: str | Path) -> Iterator[Record]:
    """Every record of a FASTA or FASTQ file (``.gz`` or not), in file order."""
    path = str(path)
    handle = _open(path)
    line_no = 0
    try:
        lines = iter(handle)

        def next_line() -> bytes | None:
            nonlocal line_no
            try:
                raw = next(lines)
            except StopIteration:
                return None
            line_no += 1
            return raw.rstrip(b"\r\n")

        first = next_line()
        while first is not None and not first.strip():
            first = next_line()
        if first is None:
            return
        if first.startswith(b">"):
            yield from _fasta(first, next_line, lambda: line_no)
        elif first.startswith(b"@"):
            yield from _fastq(path, first, next_line, lambda: line_no)
        else:
            shown = first[:20].decode("utf-8", "replace")
            raise SpecError(f"line {line_no}: neither FASTA ('>') nor FASTQ ('@'): the file starts with '{shown}'",
                            file=path, expected="a FASTA or FASTQ file, plain or gzip-compressed")
    except EOFError:
        raise SpecError(f"the gzip stream ends early, after line {line_no} (a truncated download or copy?)",
                        file=path) from None
    except (gzip.BadGzipFile, zlib.error) as err:
        raise SpecError(f"damaged gzip data after line {line_no}: {err}", file=path) from None
    finally:
        handle.close()


def _fasta(header: bytes, next_line, where) -> Iterator[Record]:  # type: ignore[no-untyped-def]
    start = where()
    parts: list[bytes] = []
    while True:
        line = next_line()
        if line is None or line.startswith(b">"):
            yield Record(_name(header), b"".join(parts), start)
            if line is None:
                return
            header, start, parts = line, where(), []
        elif line and not line.startswith(b";"):
            parts.append(line.strip())


def _fastq(path: str, header: bytes, next_line, where) -> Iterator[Record]:  # type: ignore[no-untyped-def]
    while True:
        start = where()
        if not header.startswith(b"@"):
            shown = header[:30].decode("utf-8", "replace")
            raise SpecError(f"line {start}: expected a FASTQ header starting with '@', found '{shown}'", file=path,
                            hint="each FASTQ record is four lines: @id, sequence, +, quality")
        name = _name(header)
        sequence = next_line()
        if sequence is None:
            raise SpecError(f"truncated FASTQ record '{name}' (line {start}): the file ends before its sequence line",
                            file=path)
        plus = next_line()
        if plus is None:
            raise SpecError(f"truncated FASTQ record '{name}' (line {start}): the file ends before its '+' line",
                            file=path)
        if not plus.startswith(b"+"):
            raise SpecError(f"line {where()}: expected '+' after the sequence of '{name}', found "
                            f"'{plus[:30].decode('utf-8', 'replace')}'", file=path,
                            hint="each FASTQ record is four lines: @id, sequence, +, quality")
        quality = next_line()
        if quality is None:
            raise SpecError(f"truncated FASTQ record '{name}' (line {start}): the file ends before its quality line",
                            file=path)
        if len(quality) != len(sequence):
            raise SpecError(f"line {where()}: the quality line of '{name}' has {len(quality)} characters but its "
                            f"sequence has {len(sequence)} (a truncated record?)", file=path)
        yield Record(name, sequence, start, quality)
        header = next_line()
        while header is not None and not header.strip():
            header = next_line()
        if header is None:
            return


__all__ = ["Record", "read_fastx"]
