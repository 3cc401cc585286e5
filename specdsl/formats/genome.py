"""A genome FASTA as chromosomes, and the one-hot windows a profile model reads from it or from a FASTA.

:class:`Genome` reads the file once to index it (:func:`specdsl.formats.fasta.index_fasta`: names,
lengths, letters checked, ``FILE:LINE`` in messages) and then holds **one chromosome at a time**,
one byte per base, so a whole-genome pass costs memory per chromosome, not per genome.  (A
gzip-compressed genome cannot be read at an offset: it is held whole, one byte per base.)

Windows are one-hot in A, C, G, T order.  N, the IUPAC ambiguity codes and soft-masked
lower-case letters are read as specdsl reads them everywhere (:mod:`specdsl.formats.onehot_csv`):
lower case is the base, anything that is not A, C, G or T is a zero row.  BPReveal aborts a
prediction run on the first N; here the window is predicted, its N positions contributing
nothing to the first convolution.

:func:`region_batches` checks a BED file against the genome and the model's window before any
prediction starts (each region as wide as the model's output, on a chromosome of the genome,
its input window inside the chromosome) and yields batches one chromosome at a time;
:func:`fasta_batches` does the same for FASTA records of the input length.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from specdsl.errors import SpecError, did_you_mean
from specdsl.formats.bed import Regions
from specdsl.formats.fasta import FastaIndex, index_fasta
from specdsl.formats.onehot_csv import from_codes


@dataclass
class Genome:
    """The chromosomes of a genome FASTA, in file order; one chromosome's codes held at a time."""

    path: str
    index: FastaIndex
    names: list[str] = field(init=False)
    sizes: list[int] = field(init=False)
    _held: tuple[int, np.ndarray] | None = field(default=None, init=False, repr=False)
    _position: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.names = [r.name for r in self.index.records]
        self.sizes = [r.length for r in self.index.records]
        self._position = {n: i for i, n in enumerate(self.names)}

    def find(self, name: str) -> int | None:
        return self._position.get(name)

    def codes(self, i: int) -> np.ndarray:
        """uint8 codes of chromosome ``i`` (A0 C1 G2 T3, 4 = no base); the previous one is let go."""
        if self._held is None or self._held[0] != i:
            self._held = None  # release before reading the next one: one chromosome in memory
            self._held = (i, self.index.fetch([i])[0])
        return self._held[1]


def open_genome(path: str | Path) -> Genome:
    """Index a genome FASTA (plain or gzip); every letter checked, names unique."""
    return Genome(str(path), index_fasta(path))


def chosen_chromosomes(genome: Genome, names: Sequence[str] | None, option: str = "--chrom") -> list[int]:
    """Positions of the named chromosomes (all of them when ``names`` is empty), in genome order."""
    if not names:
        return list(range(len(genome.names)))
    out = []
    for name in names:
        found = genome.find(name)
        if found is None:
            raise SpecError(f"chromosome '{name}' is not in the genome {genome.path}", path=option,
                            hint=did_you_mean(name, genome.names))
        out.append(found)
    return sorted(set(out))


def windows(codes: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """(len(starts), width, 4) float32 one-hot windows ``codes[s : s + width]``, one gather."""
    index = np.asarray(starts, np.int64)[:, None] + np.arange(width)[None, :]
    return from_codes(codes[index])


@dataclass(frozen=True)
class CheckedRegions:
    """BED regions checked against a genome: each region's chromosome as an index into the genome."""

    regions: Regions
    chrom_index: np.ndarray  # int64, position of each region's chromosome in the genome


def check_regions(regions: Regions, genome: Genome, *, output_length: int, input_length: int,
                  what: str = "the model") -> CheckedRegions:
    """Every region ``output_length`` wide, on a chromosome of ``genome``, its input window inside it."""
    pad = (input_length - output_length) // 2
    index = np.empty(len(regions), np.int64)
    for i, chrom in enumerate(regions.chroms):
        found = genome.find(chrom)
        if found is None:
            hint = did_you_mean(chrom, genome.names)
            raise SpecError(f"chromosome '{chrom}' is not in the genome {genome.path}", file=regions.where(i),
                            hint=hint or f"the genome has {len(genome.names)} chromosome(s): "
                                         + ", ".join(genome.names[:6]) + (" …" if len(genome.names) > 6 else ""))
        index[i] = found
    widths = regions.ends - regions.starts
    wrong = np.flatnonzero(widths != output_length)
    if wrong.size:
        i = int(wrong[0])
        raise SpecError(f"the region {regions.chroms[i]}:{regions.starts[i]}-{regions.ends[i]} is {widths[i]} bp "
                        f"wide; {what} predicts {output_length} bp windows", file=regions.where(i),
                        hint=f"every BED region must be exactly the output length ({output_length} bp); "
                             "specdsl bpreveal tile-genome makes such regions")
    sizes = np.asarray(genome.sizes, np.int64)[index]
    outside = np.flatnonzero((regions.starts - pad < 0) | (regions.ends + pad > sizes))
    if outside.size:
        i = int(outside[0])
        raise SpecError(f"the input window of {regions.chroms[i]}:{regions.starts[i]}-{regions.ends[i]} "
                        f"({regions.starts[i] - pad}-{regions.ends[i] + pad}, {pad} bp each side) runs past the "
                        f"chromosome (0-{sizes[i]})", file=regions.where(i),
                        hint=f"keep regions at least {pad} bp from the chromosome ends "
                             f"(tile-genome --chrom-edge-boundary {pad} does)")
    return CheckedRegions(regions, index)


def region_batches(checked: CheckedRegions, genome: Genome, *, input_length: int, output_length: int,
                   batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(rows, one-hot (B, input_length, 4))`` for every region, one chromosome after another.

    Rows are the regions' positions in the BED file, increasing within a batch; a batch never
    spans two chromosomes, so one chromosome's sequence is in memory at a time.
    """
    pad = (input_length - output_length) // 2
    order = np.argsort(checked.chrom_index, kind="stable")
    chroms = checked.chrom_index[order]
    cuts = np.flatnonzero(np.diff(chroms)) + 1
    for group in np.split(order, cuts):
        codes = genome.codes(int(checked.chrom_index[group[0]]))
        for at in range(0, len(group), batch_size):
            rows = group[at:at + batch_size]
            yield rows, windows(codes, checked.regions.starts[rows] - pad, input_length)


def check_fasta_lengths(index: FastaIndex, input_length: int) -> None:
    """Every record exactly the model's input length (BPReveal's rule for its FASTA variant)."""
    for record in index.records:
        if record.length != input_length:
            raise SpecError(f"record '{record.name}' is {record.length} bp long; the model reads {input_length} bp",
                            file=f"{index.path}:{record.line}",
                            hint=f"every FASTA record must be exactly the input length ({input_length} bp); "
                                 "for genome regions, give a BED file and the genome instead")


def fasta_batches(index: FastaIndex, batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(rows, one-hot (B, L, 4))`` for the records of a FASTA file, in file order."""
    for at in range(0, len(index.records), batch_size):
        rows = np.arange(at, min(at + batch_size, len(index.records)))
        yield rows, from_codes(np.stack(index.fetch(rows.tolist())))


__all__ = ["CheckedRegions", "Genome", "check_fasta_lengths", "check_regions", "chosen_chromosomes", "fasta_batches",
           "open_genome", "region_batches", "windows"]
