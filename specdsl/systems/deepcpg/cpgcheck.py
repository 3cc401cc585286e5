"""Are the profiled positions the C of a CpG?  Counted, explained, never fatal (DeepCpG issue #33).

DeepCpG warns once per site ("No CpG site at position X!") and writes the site anyway; users
with minus-strand coordinates got thousands of lines and no diagnosis (issues #33, #41).  Here
the sites are checked in one vectorised pass per chromosome and the run ends with one warning:
how many sites are not a + strand CpG C, a few examples with the bases found there, and the
count per input file.  The sites are still written, as DeepCpG writes them.

One cause gets its own diagnosis: a bedGraph written in DeepCpG's documented convention
(column 2 is the 1-based C, not a 0-based start).  specdsl reads bedGraph starts as 0-based,
so such a file lands every position on the G; when most of a bedGraph's positions miss while
its raw starts are CpG Cs, the warning says so and how to convert the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from specdsl.systems.deepcpg.genome import cpg_flags, dinucleotide

EXAMPLES = 5


@dataclass
class FileCheck:
    """One input file's positions against the genome."""

    path: str
    kind: str  # TSV, bedGraph, positions
    positions: int = 0
    not_cpg: int = 0
    cpg_at_start: int = 0  # bedGraph only: positions whose raw start (pos - 1) is a CpG C

    def looks_one_based(self) -> bool:
        """A bedGraph whose starts are the C itself (DeepCpG's convention): most miss, the starts hit."""
        return (self.kind == "bedGraph" and self.positions > 0 and self.not_cpg > 0.5 * self.positions
                and self.cpg_at_start > 0.9 * self.positions)


@dataclass
class CpgCheck:
    """The check over every written site and every input file's positions."""

    sites: int = 0
    not_cpg: int = 0
    examples: list[str] = field(default_factory=list)
    files: dict[str, FileCheck] = field(default_factory=dict)

    def add_sites(self, chromo: str, seq: np.ndarray, sites: np.ndarray) -> None:
        bad = np.flatnonzero(~cpg_flags(seq, sites))
        self.sites += len(sites)
        self.not_cpg += len(bad)
        for i in bad[: max(0, EXAMPLES - len(self.examples))]:
            p = int(sites[i])
            self.examples.append(f"{chromo}:{p} ({dinucleotide(seq, p)})")

    def add_file(self, path: str, kind: str, seq: np.ndarray, pos: np.ndarray) -> None:
        entry = self.files.setdefault(path, FileCheck(path, kind))
        entry.positions += len(pos)
        entry.not_cpg += int(np.count_nonzero(~cpg_flags(seq, pos)))
        if kind == "bedGraph":
            entry.cpg_at_start += int(np.count_nonzero(cpg_flags(seq, pos - 1)))

    def summary(self) -> str:
        if not self.not_cpg:
            return f"CpG check: all {self.sites:,} sites are the C of a CpG on the + strand"
        return (f"CpG check: {self.not_cpg:,} of {self.sites:,} sites ({100 * self.not_cpg / self.sites:.1f}%) "
                "are not the C of a CpG on the + strand")

    def warning(self) -> list[str]:
        """Lines for stderr; empty when every site is a CpG C."""
        if not self.not_cpg:
            return []
        lines = [f"warning: {self.summary().removeprefix('CpG check: ')} in the genome (DeepCpG issue #33), "
                 f"e.g. {', '.join(self.examples)}; they are written anyway, as DeepCpG writes them"]
        for entry in self.files.values():
            if entry.not_cpg:
                lines.append(f"  {entry.path}: {entry.not_cpg:,} of {entry.positions:,} positions")
            if entry.looks_one_based():
                lines.append(f"  {entry.path}: {entry.cpg_at_start:,} of its starts are CpG Cs: this bedGraph gives "
                             "the 1-based C as its start (DeepCpG's documented convention), while specdsl reads "
                             "bedGraph starts as 0-based (C = start + 1); keep DeepCpG's reading by converting it "
                             "to TSV: zcat -f FILE | awk 'NR>1 {print $1\"\\t\"$2\"\\t\"$4}' > CELL.tsv")
        lines.append("  hint: positions must be the C of the CpG on the + strand; a minus-strand call sits on the G, "
                     "one base after it: move such calls to position - 1 and merge them with the + strand call; "
                     "and check that the profiles and --dna_files are the same genome build")
        return lines


__all__ = ["CpgCheck", "FileCheck"]
