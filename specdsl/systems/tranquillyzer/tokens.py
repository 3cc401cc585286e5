"""Read bases ↔ the model's integer tokens: A C G T N = 1 2 3 4 5, 0 = padding (tranquillyzer's coding).

Lower case reads as upper case, U as T (RNA reads), and anything else (IUPAC codes, gaps) as N:
a real read may hold them, and N has its own embedding row in specdsl's models.
"""

from __future__ import annotations

import numpy as np

BASES = "ACGTN"
_ENCODE = np.full(256, 5, dtype=np.uint8)
for _i, _b in enumerate("ACGT", 1):
    _ENCODE[ord(_b)] = _ENCODE[ord(_b.lower())] = _i
_ENCODE[ord("U")] = _ENCODE[ord("u")] = 4
_DECODE = np.frombuffer(b"NACGTN", dtype=np.uint8)  # token 0 (padding) never reaches text; shown as N
_COMPLEMENT = np.array([0, 4, 3, 2, 1, 5], dtype=np.uint8)


def encode(sequence: str | bytes) -> np.ndarray:
    """Tokens (uint8) of a read."""
    raw = sequence.encode("ascii", "replace") if isinstance(sequence, str) else sequence
    return _ENCODE[np.frombuffer(raw, dtype=np.uint8)]


def decode(tokens: np.ndarray) -> str:
    """The bases of tokens 1–5."""
    return _DECODE[np.asarray(tokens, dtype=np.uint8)].tobytes().decode("ascii")


def reverse_complement(tokens: np.ndarray) -> np.ndarray:
    """Tokens of the reverse complement (N stays N)."""
    return _COMPLEMENT[np.asarray(tokens, dtype=np.uint8)][::-1]


__all__ = ["BASES", "decode", "encode", "reverse_complement"]
