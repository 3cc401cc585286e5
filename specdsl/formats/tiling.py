"""Whole-genome tiling: BPReveal's ``tileGenome`` algorithm, one chromosome at a time.

For each chromosome (``src/tools/tileGenome.py``, ``src/bedUtils.py`` in BPReveal 5):

1. forbid ``chrom_edge_boundary`` bp at each end (a chromosome shorter than twice that is
   forbidden whole) and every base of the blacklists;
2. the *whitelist segments* are the maximal runs of allowed bases with no N (nor any other
   letter that is not A, C, G or T, in either case);
3. each segment is shrunk by ``pad = (input_length − output_length) // 2`` at both ends and
   dropped if what is left is shorter than ``output_length``; windows of ``output_length`` are
   placed from its start every ``output_length + spacing`` bp (``spacing`` 0 abuts them, a
   negative one overlaps them), and a last window is right-aligned to the segment's end when
   the regular ones leave its end uncovered (it may overlap its neighbour).

So every window's *input* lies in N-free, non-blacklisted sequence.  Deliberate differences from
BPReveal: the edge boundary is applied together with blacklists (BPReveal < 4.1.2 dropped it then),
and no window is written twice when the regular windows already end at the segment's end.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.bed import Regions
from specdsl.formats.genome import Genome


@dataclass(frozen=True)
class Tiling:
    """The window geometry: output and input lengths, the gap between windows, the edge kept free."""

    output_length: int
    input_length: int
    spacing: int = 0
    chrom_edge_boundary: int = 0

    @property
    def pad(self) -> int:
        return (self.input_length - self.output_length) // 2

    def check(self, options: dict[str, str] | None = None) -> None:
        """Each number in range, the error naming the option the user gave (``options``: field → flag)."""
        names = {"output_length": "--output-length", "input_length": "--input-length", "spacing": "--spacing",
                 "chrom_edge_boundary": "--chrom-edge-boundary", **(options or {})}
        if self.output_length < 1:
            raise SpecError(f"must be ≥ 1, got {self.output_length}", path=names["output_length"])
        if self.input_length < self.output_length:
            raise SpecError(f"must be at least the output length ({self.output_length}), got {self.input_length}",
                            path=names["input_length"], hint="a window's input covers its output and the "
                                                             "receptive field around it")
        if self.output_length + self.spacing < 1:
            raise SpecError(f"{self.spacing} overlaps windows by their whole length", path=names["spacing"],
                            expected=f"a spacing > −{self.output_length} (−output-length)")
        if self.chrom_edge_boundary < 0:
            raise SpecError(f"must be ≥ 0, got {self.chrom_edge_boundary}", path=names["chrom_edge_boundary"])


def blacklist_by_chrom(blacklists: Sequence[Regions]) -> dict[str, list[tuple[int, int]]]:
    """Every blacklisted interval, by chromosome."""
    out: dict[str, list[tuple[int, int]]] = {}
    for regions in blacklists:
        for chrom, start, end in zip(regions.chroms, regions.starts.tolist(), regions.ends.tolist()):
            out.setdefault(chrom, []).append((start, end))
    return out


def whitelist_segments(codes: np.ndarray, edge: int, blacklist: Sequence[tuple[int, int]] = ()) -> np.ndarray:
    """(n, 2) [start, end) of the maximal runs of A/C/G/T bases outside the edges and the blacklist."""
    size = len(codes)
    if size < 2 * edge or size == 0:
        return np.empty((0, 2), np.int64)
    allowed = codes < 4
    allowed[:edge] = False
    allowed[size - edge:] = False
    for start, end in blacklist:
        allowed[max(0, start):max(0, min(size, end))] = False
    steps = np.diff(np.concatenate(([0], allowed.view(np.int8), [0])))
    return np.stack([np.flatnonzero(steps == 1), np.flatnonzero(steps == -1)], axis=1).astype(np.int64)


def tile_segments(segments: np.ndarray, tiling: Tiling) -> np.ndarray:
    """Sorted output-window starts over the segments (see the module docstring, step 3)."""
    out_len, pad, step = tiling.output_length, tiling.pad, tiling.output_length + tiling.spacing
    parts = []
    for seg_start, seg_end in segments.tolist():
        first, last = seg_start + pad, seg_end - pad - out_len  # the first and the right-aligned start
        if last < first:
            continue
        starts = np.arange(first, last + 1, step, dtype=np.int64)
        if starts[-1] != last:
            starts = np.append(starts, last)
        parts.append(starts)
    return np.concatenate(parts) if parts else np.empty(0, np.int64)


def tile_chromosome(codes: np.ndarray, tiling: Tiling, blacklist: Sequence[tuple[int, int]] = ()) -> np.ndarray:
    """The output-window starts of one chromosome, sorted."""
    return tile_segments(whitelist_segments(codes, tiling.chrom_edge_boundary, blacklist), tiling)


def tile_genome(genome: Genome, chroms: Sequence[int], tiling: Tiling,
                blacklists: Sequence[Regions] = ()) -> Iterator[tuple[int, np.ndarray]]:
    """``(chromosome index, window starts)`` for each chromosome of ``chroms``, one in memory at a time."""
    black = blacklist_by_chrom(blacklists)
    for i in chroms:
        yield i, tile_chromosome(genome.codes(i), tiling, black.get(genome.names[i], ()))


__all__ = ["Tiling", "blacklist_by_chrom", "tile_chromosome", "tile_genome", "tile_segments", "whitelist_segments"]
