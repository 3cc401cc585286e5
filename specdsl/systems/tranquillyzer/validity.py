"""Is a labelled read one molecule of the library?  tranquillyzer's rule (``extract_annotated_seqs.py``).

A read's labels are collapsed into segments and their order is compared with the seq order
(``5p, CBC, UMI, polyT, cDNA, 3p``), its reverse (a read of the other strand: orientation ``-``),
and both without the homopolymer (polyA/T of length 0 is a read without it).  A cDNA segment may
come before and after (the random flanks of a read: renamed ``random_s`` / ``random_e``).
Exactly one match is a **valid** read.  Otherwise the read is **invalid**, and the reason says

* ``concatenated reads xN (+:a, -:b) — extra segments: [...]`` when N ≥ 2 copies of the order (in
  either orientation, with or without the homopolymer, cDNA allowed between them) are found from
  left to right, a of them forward and b reversed; the labels no copy took (cDNA aside) are the extra
  ones;
* ``Unexpected pattern: [...]`` otherwise, with the read's segment labels.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

CDNA = "cDNA"


@dataclass(frozen=True)
class Verdict:
    """A read's architecture (``valid``/``invalid``), the reason if invalid, and its orientation."""

    valid: bool
    reason: str
    orientation: str  # "+", "-", or "" when no copy of the order was found
    names: tuple[str, ...]  # each segment's name: its label, or random_s / random_e for the flanks
    copies: int = 1  # copies of the order found (≥ 2: a concatenated read)

    @property
    def architecture(self) -> str:
        return "valid" if self.valid else "invalid"


class Layout:
    """The segment orders a valid read may have (see the module docstring), longest first."""

    def __init__(self, order: Sequence[str], homopolymers: Collection[str]):
        self.order = tuple(order)
        bare = tuple(label for label in order if label not in homopolymers)
        variants = [(self.order, "+"), (self.order[::-1], "-")]
        if bare != self.order:
            variants += [(bare, "+"), (bare[::-1], "-")]
        self.variants: list[tuple[tuple[str, ...], str]] = []
        for labels, sign in variants:
            if all(labels != v for v, _ in self.variants):
                self.variants.append((labels, sign))

    def check(self, labels: Sequence[str]) -> Verdict:
        """The verdict on a read whose segments, in read order, carry ``labels``."""
        labels = tuple(labels)
        for lead in (0, 1):
            for tail in (0, 1):
                core = labels[lead:len(labels) - tail]
                if (lead and labels[0] != CDNA) or (tail and labels[-1] != CDNA) or len(core) < 1:
                    continue
                signs = {sign for variant, sign in self.variants if core == variant}
                if len(signs) == 1 or signs == {"+", "-"}:  # a palindromic order reads as forward
                    names = (("random_s",) if lead else ()) + core + (("random_e",) if tail else ())
                    return Verdict(True, "", "+" if "+" in signs else signs.pop(), names)
        return self._invalid(labels)

    def _invalid(self, labels: tuple[str, ...]) -> Verdict:
        copies: list[str] = []
        extra: list[str] = []
        i = 0
        while i < len(labels):
            for variant, sign in self.variants:
                if labels[i:i + len(variant)] == variant:
                    copies.append(sign)
                    i += len(variant)
                    break
            else:
                if labels[i] != CDNA:  # cDNA: a flank, or what lies between two copies
                    extra.append(labels[i])
                i += 1
        if len(copies) >= 2:
            reason = (f"concatenated reads x{len(copies)} (+:{copies.count('+')}, -:{copies.count('-')}) — extra "
                      f"segments: {extra}")
            return Verdict(False, reason, copies[0], labels, len(copies))
        return Verdict(False, f"Unexpected pattern: {list(labels)}", copies[0] if copies else "", labels, len(copies))


__all__ = ["CDNA", "Layout", "Verdict"]
