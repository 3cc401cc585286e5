"""bigWig tracks of predictions, written with pyBigWig in one streaming pass, overlaps averaged.

BPReveal's ``predictToBigwig`` (≥ 3.6) averages overlapping windows: per chromosome it sums the
values into a float32 vector as long as the chromosome, counts the coverage in a uint16 vector,
and divides.  :class:`TrackWriter` computes the same average from windows that arrive sorted by
start: once a window starting at *s* has arrived, no later window can touch a base before *s*,
so those bases are final and are written out and forgotten.  Memory is the span of one batch of
windows, not a chromosome (BPReveal's 6 bytes/bp per chromosome and worker); sums are float64.

What is written: every covered base, as fixedStep runs (``span=1, step=1``, 4 bytes a base, from
float32 arrays).  Bases no window covers are gaps (pyBigWig reads them as NaN).  **Difference from
BPReveal:** BPReveal also leaves out bases whose value is exactly 0 (and fails on a chromosome
whose values are all 0); here a predicted 0 is written as 0, so "predicted zero" and "not
predicted" stay apart.  Header: the genome's chromosomes in FASTA order, zoom levels on
(browsers need them).  Each file is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.prediction_h5 import HeadShape, PredictionFile, track_values

READ_ROWS = 2048  # prediction rows read from the HDF5 file at a time


class TrackWriter:
    """One bigWig track fed windows in (chromosome, start) order; overlapping windows averaged."""

    def __init__(self, bw: Any, chroms: Sequence[tuple[str, int]], negate: bool = False) -> None:
        self.bw, self.chroms, self.sign = bw, list(chroms), -1.0 if negate else 1.0
        self.chrom = -1
        self.base = 0  # genome position of sums[0]
        self.last = -1  # the largest start seen on this chromosome
        self.sums = np.zeros(0, np.float64)
        self.counts = np.zeros(0, np.int64)
        self.bases = 0  # bases written so far

    def add(self, chrom: int, starts: np.ndarray, values: np.ndarray) -> None:
        """Windows ``[starts[i], starts[i] + L)`` of chromosome ``chrom`` with values (B, L), starts sorted."""
        if not len(starts):
            return
        starts = np.asarray(starts, np.int64)
        if chrom != self.chrom:
            if chrom < self.chrom:
                raise SpecError(f"windows of '{self.chroms[chrom][0]}' came after '{self.chroms[self.chrom][0]}'",
                                hint="windows must arrive in the genome's chromosome order")
            self.finish_chromosome()
            self.chrom, self.base, self.last = chrom, int(starts[0]), int(starts[0])
        if starts[0] < self.last or (np.diff(starts) < 0).any():
            raise SpecError("windows must arrive sorted by start within a chromosome")
        width = values.shape[1]
        need = int(starts[-1]) + width - self.base
        if need > len(self.sums):
            grow = max(need, 2 * len(self.sums))
            self.sums = np.concatenate([self.sums, np.zeros(grow - len(self.sums))])
            self.counts = np.concatenate([self.counts, np.zeros(grow - len(self.counts), np.int64)])
        offset = int(starts[0]) - self.base
        span = int(starts[-1] - starts[0]) + width
        index = ((starts - starts[0])[:, None] + np.arange(width)[None, :]).ravel()
        self.sums[offset:offset + span] += np.bincount(index, weights=np.asarray(values, np.float64).ravel(),
                                                       minlength=span)
        self.counts[offset:offset + span] += np.bincount(index, minlength=span)
        self.last = int(starts[-1])
        self._flush(self.last)

    def _flush(self, upto: int) -> None:
        """Write the bases before ``upto`` (final: no later window reaches them) and drop them."""
        cut = upto - self.base
        if cut <= 0:
            return
        counts = self.counts[:cut]
        covered = counts > 0
        if covered.any():
            values = (self.sign * self.sums[:cut] / np.maximum(counts, 1)).astype(np.float32)
            steps = np.diff(np.concatenate(([0], covered.view(np.int8), [0])))
            name = self.chroms[self.chrom][0]
            for a, b in zip(np.flatnonzero(steps == 1).tolist(), np.flatnonzero(steps == -1).tolist()):
                self.bw.addEntries(name, self.base + a, values=values[a:b], span=1, step=1)
                self.bases += b - a
        self.sums = self.sums[cut:].copy()
        self.counts = self.counts[cut:].copy()
        self.base = upto

    def finish_chromosome(self) -> None:
        if self.chrom >= 0:
            self._flush(self.base + len(self.sums))
        self.sums, self.counts = np.zeros(0, np.float64), np.zeros(0, np.int64)


@contextlib.contextmanager
def open_tracks(paths: Sequence[str | Path], chroms: Sequence[tuple[str, int]],
                negate: bool = False) -> Iterator[list[TrackWriter]]:
    """A :class:`TrackWriter` per path, each file in place only once the block ends normally."""
    import pyBigWig

    from specdsl.atomic import WriteError, atomic_path

    header = [(str(name), int(size)) for name, size in chroms if int(size) > 0]
    with contextlib.ExitStack() as stack:
        writers = []
        for path in paths:
            tmp = stack.enter_context(atomic_path(path, suffix=".bw.tmp"))
            bw = pyBigWig.open(tmp, "w")
            if bw is None:
                raise WriteError("pyBigWig cannot create this file", file=str(path))
            bw.addHeader(header, maxZooms=10)
            stack.callback(bw.close)  # runs before the rename: close writes the index and zoom levels
            writers.append(TrackWriter(bw, chroms, negate))
        yield writers
        for writer in writers:
            writer.finish_chromosome()


def read_track(path: str | Path, chrom: str, start: int, end: int) -> np.ndarray:
    """A track's values over ``[start, end)`` of ``chrom`` as float64, NaN where no window covered a base."""
    import pyBigWig

    bw = pyBigWig.open(str(path))
    if bw is None:
        raise SpecError("cannot read as bigWig", file=str(path))
    try:
        return np.asarray(bw.values(chrom, start, end, numpy=True), np.float64)
    finally:
        bw.close()


@dataclass(frozen=True)
class TrackSpec:
    """One track of a prediction file: which head and task, in which mode, to which path."""

    head: int
    task: int
    path: Path


def track_specs(out_dir: str | Path, heads: Sequence[HeadShape], mode: str) -> list[TrackSpec]:
    """One track per head and task: ``DIR/<head>.task<j>.<mode>.bw`` (``h0.task0.profile.bw``)."""
    return [TrackSpec(i, j, Path(out_dir) / f"{head.name}.task{j}.{mode}.bw")
            for i, head in enumerate(heads) for j in range(head.tasks)]


def sorted_rows(predictions: PredictionFile) -> np.ndarray:
    """Row order by (chromosome, start): the order the tracks are written in."""
    coords = predictions.coords
    if coords is None:
        raise SpecError("the file has no coordinates (chrom_names, coords_chrom, coords_start, coords_stop)",
                        file=predictions.path, hint="predict from a BED file and a genome, or give FASTA input "
                                                    "its coordinates (a BED file and the genome)")
    widths = coords.stop - coords.start
    head = predictions.heads[0].output_length
    bad = np.flatnonzero(widths != head)
    if bad.size:
        i = int(bad[0])
        raise SpecError(f"row {i} spans {coords.start[i]}-{coords.stop[i]} ({widths[i]} bp) but holds {head} "
                        "values", file=predictions.path, hint="each region must be as wide as the output window")
    return np.lexsort((coords.start, coords.chrom))


def write_tracks(predictions: PredictionFile, specs: Sequence[TrackSpec], mode: str, *, negate: bool = False,
                 progress: Callable[[int], None] | None = None) -> int:
    """Write each spec's track from a prediction file; returns the bases written per track."""
    order = sorted_rows(predictions)
    coords = predictions.coords
    assert coords is not None
    chroms = list(zip(coords.chrom_names, coords.chrom_sizes))
    heads = sorted({s.head for s in specs})
    with open_tracks([s.path for s in specs], chroms, negate) as writers:
        for at in range(0, len(order), READ_ROWS):
            rows = order[at:at + READ_ROWS]
            chrom = coords.chrom[rows]
            cuts = np.flatnonzero(np.diff(chrom)) + 1
            data = {h: predictions.rows(h, rows) for h in heads}
            for piece in np.split(np.arange(len(rows)), cuts):
                starts = coords.start[rows[piece]]
                for spec, writer in zip(specs, writers):
                    logits, logcounts = data[spec.head]
                    writer.add(int(chrom[piece[0]]), starts,
                               track_values(mode, logits[piece], logcounts[piece], spec.task))
            if progress is not None:
                progress(len(rows))
    return writers[0].bases if writers else 0


__all__ = ["READ_ROWS", "TrackSpec", "TrackWriter", "open_tracks", "read_track", "sorted_rows", "track_specs",
           "write_tracks"]
