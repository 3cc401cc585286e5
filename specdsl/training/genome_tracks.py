"""Whole-genome tracks in one streaming pass: tile a chromosome, predict its windows, write its tracks.

``specdsl tracks MODEL --whole-genome --genome GENOME.fa -o DIR`` does in one pass what BPReveal
does in three programs and two intermediate files (``tileGenome`` → a BED, ``makePredictions`` →
an HDF5 of every window's logits, ``predictToBigwig`` once per head and task).  Per chromosome:
its sequence (one byte a base), its windows (:mod:`specdsl.formats.tiling`, the model's output and
input lengths), then batches of windows are predicted and their values streamed into one
:class:`~specdsl.formats.bigwig.TrackWriter` per head and task, which averages overlaps and writes
finished bases at once.  Memory is one chromosome's sequence plus a batch; nothing holds the
genome's predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from specdsl.errors import SpecError
from specdsl.formats.bed import Regions
from specdsl.formats.bigwig import TrackSpec, open_tracks, track_specs
from specdsl.formats.genome import Genome, windows
from specdsl.formats.prediction_h5 import track_values
from specdsl.formats.tiling import Tiling, blacklist_by_chrom, tile_chromosome
from specdsl.training.profile_predict import Predictor, ProfileModel
from specdsl.training.region_progress import RegionProgress


def genome_tracks(pm: ProfileModel, genome: Genome, out_dir: str | Path, *, chroms: Sequence[int],
                  mode: str = "profile", negate: bool = False, spacing: int = 0, chrom_edge_boundary: int = 0,
                  blacklists: Sequence[Regions] = (), revcomp: bool = False,
                  task_order: Sequence[int] | None = None, batch_size: int = 64,
                  progress: RegionProgress | None = None) -> list[TrackSpec]:
    """Tile, predict and write one bigWig per head and task of ``pm`` over ``chroms``; returns the tracks."""
    if batch_size < 1:
        raise SpecError(f"must be ≥ 1, got {batch_size}", path="--batch-size")
    tiling = Tiling(pm.output_length, pm.input_length, spacing, chrom_edge_boundary)
    tiling.check()
    predictor = Predictor(pm, revcomp, task_order)
    specs = track_specs(out_dir, pm.heads, mode)
    black = blacklist_by_chrom(blacklists)
    pad, width = tiling.pad, pm.input_length
    with open_tracks([s.path for s in specs], list(zip(genome.names, genome.sizes)), negate) as writers:
        for k, chrom in enumerate(chroms, start=1):
            codes = genome.codes(chrom)
            starts = tile_chromosome(codes, tiling, black.get(genome.names[chrom], ()))
            if progress is not None:
                progress.stage(f"{genome.names[chrom]} ({k}/{len(chroms)})", len(starts))
            for at in range(0, len(starts), batch_size):
                batch = starts[at:at + batch_size]
                logits, counts = predictor(windows(codes, batch - pad, width))
                for spec, writer in zip(specs, writers):
                    writer.add(chrom, batch, track_values(mode, logits[spec.head], counts[spec.head], spec.task))
                if progress is not None:
                    progress.advance(len(batch))
    return specs


__all__ = ["genome_tracks"]
