"""Profile predictions benchmark: regions/s predicting, and bigWig writing against it.

Why these numbers: a BPReveal user's genome tracks are tens of thousands (a fly) to millions (a
human) of windows; they need regions/s to plan a run, and to know that writing the tracks is not
what they wait for.  Goal: bigWig writing at least 10× the prediction rate.

1. **Tiling.** ``tile_genome`` over a synthetic genome (``--chroms`` chromosomes of ``--length`` bp
   of random bases, a few N runs), the demo model's window (354 → 250), spacing 0.
2. **Prediction.** :func:`specdsl.training.profile_predict.predict_to_h5` (what ``specdsl predict
   MODEL --bed … --genome …`` runs: windows read from the genome, ``predict_on_batch``, the HDF5
   written) over every tile, with the demo BPNet (``examples/bpnet_demo.json``: 32 filters, 4 layers,
   21/25, 354 → 250, 2 tasks) and, over ``--default-regions`` of them, BPReveal's default-sized BPNet
   (64 filters, 9 layers, 25/75, 3142 → 1000).  Untrained weights: the arithmetic is the same.
   After a warm-up batch; batch 64 (the default) and 256.  Also with ``--revcomp``.
3. **Tracks.** :func:`specdsl.formats.bigwig.write_tracks` (what ``specdsl tracks`` runs) from the
   demo model's prediction file (250 bp windows) and from one of the default-sized BPNet's geometry
   (1000 bp windows over the whole genome, random logits: writing does not depend on the values):
   both tasks' profile tracks, every covered base written, files closed (index and zoom levels);
   regions/s and values/s, and the ratio to each model's prediction rate.
4. **Whole genome in one pass.** ``genome_tracks`` (``specdsl tracks MODEL --whole-genome``), the
   demo model: tiling, prediction and both tracks together.

Run (about three minutes on a 2-core CPU)::

    .venv/bin/python benchmarks/bench_predict.py
    .venv/bin/python benchmarks/bench_predict.py --markdown     # a block for docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from machine_info import render_results, training_machine  # noqa: E402

DEMO = {"filters": 32, "layers": 4, "input_filter_width": 21, "output_filter_width": 25, "input_length": 354,
        "heads": 1, "tasks": 2}
DEFAULT = {"filters": 64, "layers": 9, "input_filter_width": 25, "output_filter_width": 75, "input_length": 3142,
           "heads": 1, "tasks": 2}


def write_genome(path: Path, chroms: int, length: int) -> int:
    import numpy as np

    from specdsl.formats.fasta import write_fasta

    rng = np.random.default_rng(0)
    records = []
    for i in range(chroms):
        seq = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, length)].copy()
        for start in rng.integers(0, length - 5000, 3):
            seq[start:start + int(rng.integers(100, 5000))] = ord("N")
        records.append((f"chr{i + 1}", seq.tobytes().decode()))
    write_fasta(path, records)
    return chroms * length


def synthetic_predictions(path: Path, genome: object, tiling: object) -> int:
    """A prediction file in BPReveal's layout over every window of ``tiling``, random logits: the
    default-sized BPNet's file without predicting it (the writing does not depend on the values)."""
    import numpy as np

    from specdsl.formats.prediction_h5 import Coordinates, HeadShape, create_predictions
    from specdsl.formats.tiling import tile_genome

    tiles = list(tile_genome(genome, range(len(genome.names)), tiling))
    chrom = np.concatenate([np.full(len(s), i) for i, s in tiles])
    starts = np.concatenate([s for _, s in tiles])
    coords = Coordinates(genome.names, genome.sizes, chrom, starts, starts + tiling.output_length)
    rng = np.random.default_rng(1)
    with create_predictions(path, len(starts), [HeadShape("h0", tiling.output_length, 2)], config="{}",
                            coords=coords) as writer:
        for at in range(0, len(starts), 512):
            rows = np.arange(at, min(at + 512, len(starts)))
            writer.write(rows, [rng.normal(size=(len(rows), tiling.output_length, 2))], [rng.normal(size=len(rows))])
    return len(starts)


def model(params: dict) -> object:
    from specdsl import api
    from specdsl.training.profile_predict import as_profile_model

    return as_profile_model(api.build_model("BPNet", params), "BPNet")


def timed(fn) -> tuple[float, object]:  # noqa: ANN001 - any callable
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chroms", type=int, default=4, help="chromosomes of the synthetic genome")
    parser.add_argument("--length", type=int, default=2_000_000, help="bp per chromosome")
    parser.add_argument("--default-regions", type=int, default=256, help="regions for the default-sized BPNet")
    parser.add_argument("--markdown", action="store_true", help="print a markdown block for docs/benchmarks.md")
    args = parser.parse_args()

    import numpy as np
    import tensorflow as tf

    from specdsl.formats.bed import read_bed, write_bed
    from specdsl.formats.bigwig import track_specs, write_tracks
    from specdsl.formats.genome import open_genome, windows
    from specdsl.formats.prediction_h5 import open_predictions
    from specdsl.formats.tiling import Tiling, tile_genome
    from specdsl.training.genome_tracks import genome_tracks
    from specdsl.training.profile_predict import Predictor, predict_to_h5, read_inputs

    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bases = write_genome(work / "genome.fa", args.chroms, args.length)
        genome = open_genome(work / "genome.fa")
        seconds, tiles = timed(lambda: list(tile_genome(genome, range(len(genome.names)), Tiling(250, 354))))
        names = [genome.names[i] for i, starts in tiles for _ in starts]
        starts = np.concatenate([s for _, s in tiles])
        write_bed(work / "tiles.bed", names, starts, starts + 250)
        rows.append(("tiling", f"{bases / seconds / 1e6:,.1f} Mbp/s",
                     f"{len(starts):,} windows of 250 bp over {bases / 1e6:,.0f} Mbp ({args.chroms} chromosomes, "
                     f"N runs) in {seconds:.2f} s"))

        demo = model(DEMO)
        Predictor(demo)(windows(genome.codes(0), starts[:64] - 52, 354))  # warm-up
        rates = {}
        for batch, revcomp in ((64, False), (256, False), (64, True)):
            inputs = read_inputs(str(work / "tiles.bed"), str(work / "genome.fa"), None)
            seconds, _ = timed(lambda: predict_to_h5(demo, inputs, work / "demo.h5", batch_size=batch,  # noqa: B023
                                                     revcomp=revcomp))  # noqa: B023
            rates[(batch, revcomp)] = len(starts) / seconds
            what = " with --revcomp" if revcomp else ""
            rows.append((f"predict, demo BPNet, batch {batch}{what}", f"{rates[(batch, revcomp)]:,.0f} regions/s",
                         f"{len(starts):,} regions in {seconds:.1f} s; {demo.model.count_params():,} params, "
                         "354 → 250 × 2; HDF5 written"))

        big = model(DEFAULT)
        head = work / "head.bed"
        head.write_text("".join(f"{c}\t{s}\t{s + 1000}\n" for c, s in
                                zip(names[:args.default_regions], range(2000, 2000 + 1000 * args.default_regions,
                                                                          1000))))
        Predictor(big)(windows(genome.codes(0), np.array([0]), 3142))  # warm-up
        inputs = read_inputs(str(head), str(work / "genome.fa"), None)
        seconds, _ = timed(lambda: predict_to_h5(big, inputs, work / "big.h5", batch_size=64))
        rows.append(("predict, default BPNet, batch 64", f"{len(read_bed(head)) / seconds:,.1f} regions/s",
                     f"{len(read_bed(head)):,} regions in {seconds:.1f} s; {big.model.count_params():,} params, "
                     "3142 → 1000 × 2"))

        big_rate = len(read_bed(head)) / seconds
        synthetic_predictions(work / "wide.h5", genome, Tiling(1000, 3142))
        best = max(rates[(64, False)], rates[(256, False)])
        for name, path, window, rate in (("demo", "demo.h5", 250, best), ("default-sized", "wide.h5", 1000, big_rate)):
            with open_predictions(work / path) as predictions:
                specs = track_specs(work / name, predictions.heads, "profile")
                seconds, covered = timed(lambda: write_tracks(predictions, specs, "profile"))  # noqa: B023
                n = predictions.n
            write_rate = n / seconds
            rows.append((f"tracks, {window} bp windows (2 bigWigs, profile)", f"{write_rate:,.0f} regions/s",
                         f"{n:,} regions, {covered:,} bases per track ({2 * covered / seconds / 1e6:,.1f} M values/s) "
                         f"in {seconds:.1f} s, files closed"))
            verdict = "met" if write_rate >= 10 * rate else "not met"
            rows.append((f"tracks ÷ prediction, {name} BPNet", f"{write_rate / rate:,.1f}×",
                         f"against {rate:,.0f} regions/s predicting; goal ≥ 10×: {verdict}"))

        seconds, _ = timed(lambda: genome_tracks(demo, genome, work / "whole", chroms=list(range(args.chroms)),
                                                 batch_size=256))
        rows.append(("whole genome in one pass, demo BPNet", f"{len(starts) / seconds:,.0f} regions/s",
                     f"tile + predict + 2 tracks, batch 256: {bases / 1e6:,.0f} Mbp in {seconds:.1f} s"))

    info = training_machine(tf, "h5py", "pyBigWig")
    command = ".venv/bin/python benchmarks/bench_predict.py" + (" --markdown" if args.markdown else "")
    print(render_results(rows, info, command, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
