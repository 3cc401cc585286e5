"""Motif databases read (MEME, JASPAR) and written (MEME): the matrices ``specdsl motifs`` matches against.

Users bring either a MEME file (the MEME suite's ``MOTIF`` / ``letter-probability matrix`` layout,
what ``modisco report -m`` reads) or a JASPAR file (``>ID NAME`` then four rows of counts, with or
without ``A [ … ]`` brackets, what jaspar.genereg.net downloads as ``.jaspar``/``.pfm``).  Both are
read by hand because memelite's reader knows only MEME and fails with an ``IndexError`` on a
malformed row; these readers name the file and line instead.  Every motif comes back as a
probability matrix ``(W, 4)`` over A C G T (JASPAR counts are normalised per column), with its
whole title as ``name`` (``MA0035.4 GATA1``), that title's first and second words as
:attr:`~MotifMatrix.identifier` and :attr:`~MotifMatrix.alt_name`, and a MEME motif's ``URL`` line
(before or after its matrix, as JASPAR's ``.meme`` files put it) as ``url``.

Writing: :func:`write_meme` gives MEME version 4 with a uniform background, which MEME's own
``tomtom``, memelite and modisco-lite read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from specdsl.errors import SpecError

BASES = "ACGT"
_WIDTH = re.compile(r"\bw=\s*(\d+)")


@dataclass(frozen=True)
class MotifMatrix:
    """One motif: ``name`` as the database gives it (``MA0035.4 GATA1``), its matrix ``(W, 4)``, A C G T, and URL."""

    name: str
    matrix: np.ndarray
    url: str = ""

    @property
    def identifier(self) -> str:
        """The title's first word: MEME's motif identifier, JASPAR's matrix ID (``MA0035.4``)."""
        words = self.name.split()
        return words[0] if words else ""

    @property
    def alt_name(self) -> str:
        """The title's second word: MEME's alternate name, JASPAR's TF name (``GATA1``); empty when there is none."""
        words = self.name.split()
        return words[1] if len(words) > 1 else ""


def _read_text(path: str | Path, option: str | None) -> str:
    """The file's text, or a SpecError naming it (and the option that gave it) when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise SpecError(f"cannot read the motif database: {err.strerror or err}", file=str(path),
                        path=option) from None


def _numbers(text: str, path: str, line: int, option: str | None = None) -> list[float]:
    try:
        return [float(v) for v in text.replace("[", " ").replace("]", " ").split()]
    except ValueError:
        raise SpecError(f"line {line}: expected numbers, got '{text.strip()}'", file=path, path=option) from None


def _found(motifs: list[MotifMatrix], name: str, layout: str, option: str | None = None) -> list[MotifMatrix]:
    """``motifs``, or a SpecError saying the file holds none and what its layout should be."""
    if not motifs:
        raise SpecError("no motif in this file", file=name, path=option, hint=layout)
    return motifs


def _url(line: str) -> str | None:
    """The address of a MEME ``URL`` line, else None."""
    words = line.split()
    return words[1] if len(words) > 1 and words[0] == "URL" else None


def read_meme(path: str | Path, option: str | None = None) -> list[MotifMatrix]:
    """The motifs of a MEME file, each row checked to hold four numbers; ``option`` names the flag in errors."""
    name = str(path)
    lines = _read_text(path, option).splitlines()

    def fail(message: str) -> SpecError:
        return SpecError(message, file=name, path=option)

    motifs: list[MotifMatrix] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("ALPHABET") and "ACGT" not in line.replace(" ", "").upper():
            raise fail(f"line {i + 1}: only the DNA alphabet ACGT is read, not '{line.strip()}'")
        if motifs and (address := _url(line)) is not None:  # JASPAR's .meme files give it after the matrix
            motifs[-1] = replace(motifs[-1], url=address)
        if not line.startswith("MOTIF"):
            i += 1
            continue
        title, start, url = " ".join(line[5:].split()), i + 1, ""
        if not title:
            raise fail(f"line {start}: a MOTIF line without a name")
        while i < len(lines) and not lines[i].startswith("letter-probability"):
            i += 1
            if i < len(lines) and (address := _url(lines[i])) is not None:
                url = address
            if i < len(lines) and lines[i].startswith("MOTIF"):
                raise fail(f"line {start}: motif '{title}' has no letter-probability matrix")
        if i == len(lines):
            raise fail(f"line {start}: motif '{title}' has no letter-probability matrix")
        found = _WIDTH.search(lines[i])
        if found is None:
            raise fail(f"line {i + 1}: the letter-probability line has no 'w= N'")
        width, rows = int(found.group(1)), []
        while len(rows) < width:
            i += 1
            if i == len(lines):
                raise fail(f"motif '{title}' ends after {len(rows)} of its {width} rows")
            if not lines[i].strip():
                continue
            row = _numbers(lines[i], name, i + 1, option)
            if len(row) != 4:
                raise fail(f"line {i + 1}: a row of motif '{title}' holds {len(row)} numbers, not 4")
            rows.append(row)
        motifs.append(MotifMatrix(title, np.array(rows, np.float64), url))
        i += 1
    return _found(motifs, name, "a MEME file has 'MOTIF name' lines, each followed by a 'letter-probability "
                                "matrix: … w= N' line", option)


def read_jaspar(path: str | Path) -> list[MotifMatrix]:
    """The motifs of a JASPAR file (``>ID NAME`` and four count rows A C G T, bracketed or not), as PPMs."""
    name = str(path)
    motifs: list[MotifMatrix] = []
    title, rows, start = None, [], 0

    def finish() -> None:
        if title is None:
            return
        if len(rows) != 4 or len({len(r) for r in rows}) != 1 or not rows[0]:
            raise SpecError(f"line {start}: motif '{title}' needs four rows (A, C, G, T) of equal length",
                            file=name)
        counts = np.array(rows, np.float64).T
        if (counts < 0).any():
            raise SpecError(f"line {start}: motif '{title}' has negative counts", file=name)
        totals = counts.sum(axis=1, keepdims=True)
        motifs.append(MotifMatrix(title, np.where(totals > 0, counts / np.maximum(totals, 1e-300), 0.25)))

    for number, line in enumerate(Path(path).read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        text = line.strip()
        if not text:
            continue
        if text.startswith(">"):
            finish()
            title, rows, start = " ".join(text[1:].split()), [], number
            continue
        if title is None:
            raise SpecError(f"line {number}: expected a '>ID NAME' header first", file=name)
        if text[0].upper() in BASES and not text[0].isdigit():
            if text[0].upper() != BASES[len(rows) % 4]:
                raise SpecError(f"line {number}: rows go A, C, G, T; expected {BASES[len(rows) % 4]}", file=name)
            text = text[1:]
        rows.append(_numbers(text, name, number))
    finish()
    return _found(motifs, name, "a JASPAR file has '>ID NAME' headers, each followed by four rows of counts "
                                "(A, C, G, T)")


def read_motif_db(path: str | Path) -> list[MotifMatrix]:
    """A MEME or JASPAR database, told apart by content (a ``MOTIF`` line or a ``>`` header), not by name."""
    name = str(path)
    head = _read_text(path, "--meme-db")[:65536]
    if re.search(r"^MOTIF", head, re.M):
        return read_meme(path)
    if re.search(r"^\s*>", head, re.M):
        return read_jaspar(path)
    raise SpecError("neither a MEME file (MOTIF lines) nor a JASPAR file (>ID NAME headers)", file=name,
                    path="--meme-db")


def meme_text(motifs: Sequence[MotifMatrix], nsites: Sequence[int] | None = None) -> str:
    """MEME version 4 text of ``motifs`` (uniform background, both strands)."""
    parts = ["MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\n"
             "A 0.25 C 0.25 G 0.25 T 0.25\n\n"]
    for k, motif in enumerate(motifs):
        sites = nsites[k] if nsites is not None else 1
        parts.append(f"MOTIF {motif.name}\nletter-probability matrix: alength= 4 w= {len(motif.matrix)} "
                     f"nsites= {sites} E= 0\n")
        parts.extend(" ".join(f"{v:.6f}" for v in row) + "\n" for row in motif.matrix)
        parts.append("\n")
    return "".join(parts)


def write_meme(path: str | Path, motifs: Sequence[MotifMatrix], nsites: Sequence[int] | None = None) -> None:
    """:func:`meme_text` written atomically to ``path``."""
    from specdsl.atomic import atomic_write_text

    atomic_write_text(path, meme_text(motifs, nsites))


__all__ = ["BASES", "MotifMatrix", "meme_text", "read_jaspar", "read_meme", "read_motif_db", "write_meme"]
