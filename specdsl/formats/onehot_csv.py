"""The workshop's one-hot CSV: header ``A,C,G,T``, one row per position, one file per sample.

``bam2oh.py`` writes it and the workshop's models read it::

    A,C,G,T
    1,0,0,0
    0,0,0,0      ← an uncovered position, or an N: no base

Channels are in **A, C, G, T** order everywhere in the workshop code (DeepCpG's files use A, T,
G, C; the two never mix).  A row has at most one 1; an all-zero row is a position without a
base call (N, an IUPAC ambiguity code, a gap, a position the reads do not cover).  Row *i* is
position *i* of the sequence, in the order the sequence was written (for BAM-derived files:
regions concatenated in file order, each on the reference's forward strand; see
:mod:`.pileup`).

Reading is strict, because a shifted or doubled column silently ruins a model: the header
must be exactly ``A,C,G,T`` and every row four values 0 or 1 with at most one 1.  Files
written by the workshop (``0``/``1`` separated by commas, ``\\n`` line ends) are parsed in one
vectorised pass; anything else (``\\r\\n``, spaces, ``1.0``) is parsed line by line, which is
also how a bad row is found and reported as ``FILE:LINE``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from specdsl.errors import SpecError

BASES = "ACGT"
HEADER = "A,C,G,T"
N_CODE = 4
# byte → code: A0 C1 G2 T3 (either case); anything else (N, IUPAC codes, gaps) → 4
_CODES = np.full(256, N_CODE, dtype=np.uint8)
for _code, _base in enumerate(BASES):
    _CODES[ord(_base)] = _CODES[ord(_base.lower())] = _code
# code → one-hot row; 4 (no base) → zeros
_ROWS = np.vstack([np.eye(4, dtype=np.float32), np.zeros((252, 4), dtype=np.float32)])
_LETTERS = np.frombuffer(b"ACGTN", dtype=np.uint8)
_SUFFIX = "_oh"  # the workshop names its files <sample>_oh.csv


def codes(sequence: str | bytes | np.ndarray) -> np.ndarray:
    """uint8 codes A0 C1 G2 T3, anything else 4, for a sequence given as text or bytes."""
    raw = sequence.encode("ascii", "replace") if isinstance(sequence, str) else sequence
    return _CODES[np.frombuffer(raw, dtype=np.uint8) if not isinstance(raw, np.ndarray) else raw]


def from_codes(values: np.ndarray) -> np.ndarray:
    """(…, L) codes → (…, L, 4) float32 one-hot in A, C, G, T order; code 4 → a zero row."""
    return _ROWS[np.asarray(values, dtype=np.uint8)]


def encode(sequence: str | bytes) -> np.ndarray:
    """A DNA sequence → (L, 4) float32 one-hot; N and every non-ACGT letter → a zero row."""
    return from_codes(codes(sequence))


def to_codes(onehot: np.ndarray) -> np.ndarray:
    """(L, 4) one-hot → uint8 codes; a zero row → 4."""
    array = np.asarray(onehot)
    return np.where(array.sum(axis=-1) > 0, array.argmax(axis=-1), N_CODE).astype(np.uint8)


def letters(values: np.ndarray) -> str:
    """Codes → the sequence as text, code 4 as ``N``."""
    return _LETTERS[np.minimum(np.asarray(values, dtype=np.uint8), N_CODE)].tobytes().decode("ascii")


def decode(onehot: np.ndarray) -> str:
    """(L, 4) one-hot → the sequence, a zero row as ``N`` (the inverse of :func:`encode` on ACGTN)."""
    return letters(to_codes(onehot))


def sample_name(path: str | Path) -> str:
    """The sample a one-hot file holds: its name without ``.csv`` and a trailing ``_oh``
    (``ERR6634978_oh.csv`` → ``ERR6634978``), so files named the workshop's way match labels."""
    stem = Path(path).name
    stem = stem[: -len(".csv")] if stem.lower().endswith(".csv") else stem
    return stem[: -len(_SUFFIX)] if stem.endswith(_SUFFIX) and len(stem) > len(_SUFFIX) else stem


# --------------------------------------------------------------------------- reading


def _header_problem(line: str) -> str | None:
    got = line.lstrip("\ufeff").strip().replace(" ", "")
    if got == HEADER:
        return None
    if got.upper() == HEADER:
        return f"the header is '{line.strip()}'; it must be upper case, exactly {HEADER}"
    return f"the header is '{line.strip()}', not {HEADER}"


def _fast(body: bytes) -> np.ndarray | None:
    """The rows of a canonical body (``d,d,d,d\\n`` lines of 0/1, at most one 1), or None."""
    if not body.endswith(b"\n"):
        body += b"\n"
    if len(body) % 8:
        return None
    grid = np.frombuffer(body, dtype=np.uint8).reshape(-1, 8)
    if not (np.all(grid[:, [1, 3, 5]] == ord(",")) and np.all(grid[:, 7] == ord("\n"))):
        return None
    values = grid[:, [0, 2, 4, 6]].astype(np.int16) - ord("0")
    if np.any((values < 0) | (values > 1)) or np.any(values.sum(axis=1) > 1):
        return None
    return values.astype(np.float32)


def _value(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value in (0.0, 1.0) else None


def _slow(path: str, lines: list[str]) -> np.ndarray:
    """Line by line from line 2; the first bad row is a SpecError naming ``FILE:LINE``."""
    rows: list[list[float]] = []
    last = len(lines)
    while last > 1 and not lines[last - 1].strip():
        last -= 1  # blank lines at the end are harmless
    for number, line in enumerate(lines[1:last], start=2):
        where = f"{path}:{number}"
        text = line.strip()
        if not text:
            raise SpecError("a blank line inside the data", file=where, expected=f"four values per row ({HEADER})")
        fields = [f.strip() for f in text.split(",")]
        if len(fields) != 4:
            raise SpecError(f"{len(fields)} value(s) in '{text}'", file=where,
                            expected=f"four values per row, one per column of {HEADER}")
        values = [_value(f) for f in fields]
        bad = next((f for f, v in zip(fields, values) if v is None), None)
        if bad is not None:
            raise SpecError(f"'{bad}' is not 0 or 1 (in '{text}')", file=where,
                            expected="a one-hot row such as 1,0,0,0 (0,0,0,0 for no base)")
        if sum(values) > 1:  # type: ignore[arg-type]
            raise SpecError(f"the row '{text}' is not one-hot: it marks {int(sum(values))} bases",  # type: ignore
                            file=where, expected="at most one 1 per row (0,0,0,0 for no base)")
        rows.append(values)  # type: ignore[arg-type]
    return np.asarray(rows, dtype=np.float32).reshape(-1, 4)


def read_onehot(path: str | Path) -> np.ndarray:
    """A one-hot CSV → (L, 4) float32; every mistake is a SpecError naming the file and line."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise SpecError("is a folder, not a one-hot CSV file", file=name) from None
    except OSError as err:
        raise SpecError(f"cannot read: {err.strerror or err}", file=name) from None
    head, _, body = data.partition(b"\n")
    try:
        header = head.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError("not a text file", file=f"{name}:1", expected=f"a one-hot CSV with the header {HEADER}") \
            from None
    problem = _header_problem(header)
    if problem:
        raise SpecError(problem, file=f"{name}:1", expected=f"the header {HEADER}, then one row per position",
                        hint="the workshop's bam2oh.py and 'specdsl onehot' write this format")
    rows = _fast(body) if body else None
    if rows is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            raise SpecError("not text (a byte that is not UTF-8)", file=f"{name}:{line}") from None
        rows = _slow(name, text.replace("\r\n", "\n").split("\n"))
    if not len(rows):
        raise SpecError("no positions: the file has a header and no rows", file=name)
    return rows


# --------------------------------------------------------------------------- writing


def onehot_text(onehot: np.ndarray) -> str:
    """The CSV text of a (L, 4) one-hot array (values rounded to 0/1)."""
    array = np.asarray(onehot)
    if array.ndim != 2 or array.shape[1] != 4:
        raise SpecError(f"a one-hot array must be (positions, 4), got shape {array.shape}")
    grid = np.full((len(array), 8), ord(","), dtype=np.uint8)
    grid[:, [0, 2, 4, 6]] = (np.rint(array) > 0).astype(np.uint8) + ord("0")
    grid[:, 7] = ord("\n")
    return HEADER + "\n" + grid.tobytes().decode("ascii")


def write_onehot(path: str | Path, onehot: np.ndarray) -> Path:
    """Write a (L, 4) one-hot array as the workshop's CSV, atomically (a crash leaves no half file)."""
    from specdsl.atomic import atomic_write_text

    return atomic_write_text(path, onehot_text(onehot))


def is_onehot_name(path: str | Path) -> bool:
    """Whether a path names a one-hot CSV (by its ``.csv`` ending; a folder of them is checked apart)."""
    return os.fspath(path).lower().endswith(".csv")


__all__ = ["BASES", "HEADER", "codes", "decode", "encode", "from_codes", "is_onehot_name", "letters", "onehot_text",
           "read_onehot", "sample_name", "to_codes", "write_onehot"]
