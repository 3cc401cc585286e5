"""Profile models on the command line: ``specdsl predict MODEL --bed … --genome …`` and ``specdsl tracks``.

``predict`` with ``--bed``/``--genome`` or ``--fasta`` writes BPReveal's prediction HDF5
(:mod:`specdsl.formats.prediction_h5`); ``tracks`` turns one into a bigWig per head and task, or,
with ``--whole-genome``, tiles a genome, predicts it and writes the tracks in one streaming pass.
Inputs are read and checked before TensorFlow starts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from specdsl.errors import SpecError


def _task_order(text: str | None, revcomp: bool) -> list[int] | None:
    if text is None:
        return None
    if not revcomp:
        raise SpecError("goes with --revcomp: it says which task is which on the reverse strand",
                        path="--revcomp-task-order")
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise SpecError(f"'{text}' is not a list of task numbers", path="--revcomp-task-order",
                        expected="comma-separated task numbers, e.g. 1,0") from None


def add_profile_options(p: argparse.ArgumentParser) -> None:
    """``specdsl predict``'s options for profile models."""
    p.add_argument("--bed", metavar="REGIONS.bed", help="profile models: regions to predict, each as wide as the "
                                                        "model's output (with --genome)")
    p.add_argument("--genome", metavar="GENOME.fa", help="profile models: the genome the BED regions lie on")
    p.add_argument("--fasta", metavar="SEQUENCES.fa", help="profile models: sequences of the input length to "
                                                           "predict (--bed and --genome then give coordinates)")
    add_revcomp_options(p)


def add_revcomp_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--revcomp", action="store_true", help="profile models: average each window's prediction with "
                                                          "its reverse complement's")
    p.add_argument("--revcomp-task-order", metavar="ORDER", help="with --revcomp: each task's partner on the other "
                                                                 "strand, e.g. 1,0 (default: 0 for one task, 1,0 "
                                                                 "for two)")


def wants_profile(args: argparse.Namespace) -> bool:
    return any(getattr(args, name, None) for name in ("bed", "genome", "fasta"))


def _loaded(path: str) -> Any:
    from specdsl.training.profile_predict import load_profile_model

    return load_profile_model(path)


def cmd_predict_profile(args: argparse.Namespace) -> int:
    from specdsl.training.profile_predict import check_writable, predict_to_h5, read_inputs
    from specdsl.training.region_progress import RegionProgress

    if args.inputs:
        raise SpecError(f"'{args.inputs[0]}': a profile model reads --bed/--genome or --fasta, not INPUT files",
                        hint="classifier inputs and profile inputs cannot be mixed")
    if not args.output or not args.output.endswith((".h5", ".hdf5")):
        raise SpecError("a profile model's predictions go to an HDF5 file: give -o PREDICTIONS.h5", path="-o")
    inputs = read_inputs(args.bed, args.genome, args.fasta)  # checked before TensorFlow starts
    order = _task_order(args.revcomp_task_order, args.revcomp)
    check_writable(args.output)
    pm = _loaded(args.model)
    config = str({"model": args.model, "bed": args.bed, "genome": args.genome, "fasta": args.fasta,
                  "revcomp": args.revcomp, "batch-size": args.batch_size})
    with RegionProgress("predicting", inputs.count) as bar:
        done = predict_to_h5(pm, inputs, args.output, batch_size=args.batch_size, revcomp=args.revcomp,
                             task_order=order, config=config, progress=bar.advance)
    heads = ", ".join(f"{h.name} ({h.output_length} × {h.tasks})" for h in pm.heads)
    print(f"wrote {args.output}: {done.regions:,} regions, heads {heads}; {done.seconds:.1f} s "
          f"({done.rate:,.0f} regions/s)", file=sys.stderr)
    return 0


def cmd_tracks(args: argparse.Namespace) -> int:
    from specdsl.training.region_progress import RegionProgress

    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise SpecError("is a file; -o names the folder the tracks go to", file=str(out))
    if args.whole_genome:
        return _whole_genome(args, out)
    for name in ("genome", "chrom", "blacklist", "spacing", "chrom_edge_boundary", "revcomp", "revcomp_task_order"):
        if getattr(args, name) not in (None, False, []):
            raise SpecError(f"--{name.replace('_', '-')} goes with --whole-genome; a prediction file's regions and "
                            "values are already made", path=f"--{name.replace('_', '-')}")
    from specdsl.formats.bigwig import track_specs, write_tracks
    from specdsl.formats.prediction_h5 import open_predictions
    from specdsl.training.profile_predict import check_writable

    with open_predictions(args.input) as predictions:
        specs = track_specs(out, predictions.heads, args.mode)
        for spec in specs:
            check_writable(spec.path)
        with RegionProgress("writing tracks", predictions.n) as bar:
            bases = write_tracks(predictions, specs, args.mode, negate=args.negate, progress=bar.advance)
    _report(specs, bar.summary("tracks"), bases)
    return 0


def _whole_genome(args: argparse.Namespace, out: Path) -> int:
    from specdsl.formats.bed import read_bed
    from specdsl.formats.bigwig import track_specs
    from specdsl.formats.genome import chosen_chromosomes, open_genome
    from specdsl.training.genome_tracks import genome_tracks
    from specdsl.training.profile_predict import check_writable
    from specdsl.training.region_progress import RegionProgress

    if not args.genome:
        raise SpecError("--whole-genome tiles a genome: give --genome GENOME.fa", path="--genome")
    genome = open_genome(args.genome)
    chroms = chosen_chromosomes(genome, args.chrom)
    blacklists = [read_bed(b) for b in args.blacklist or ()]
    order = _task_order(args.revcomp_task_order, args.revcomp)
    pm = _loaded(args.input)
    for spec in track_specs(out, pm.heads, args.mode):
        check_writable(spec.path)
    with RegionProgress("predicting") as bar:
        specs = genome_tracks(pm, genome, out, chroms=chroms, mode=args.mode, negate=args.negate,
                              spacing=args.spacing or 0, chrom_edge_boundary=args.chrom_edge_boundary or 0,
                              blacklists=blacklists, revcomp=args.revcomp, task_order=order,
                              batch_size=args.batch_size, progress=bar)
    _report(specs, bar.summary(f"{len(chroms)} chromosome(s) tiled and predicted"), None)
    return 0


def _report(specs: list[Any], summary: str, bases: int | None) -> None:
    print(summary, file=sys.stderr)
    where = f" ({bases:,} bases each)" if bases is not None else ""
    for spec in specs:
        print(f"wrote {spec.path}{where}")


def add_tracks(sub: Any) -> None:
    from specdsl.formats.prediction_h5 import MODES

    p = sub.add_parser("tracks", help="bigWig tracks (one per head and task) from a profile model's prediction "
                                      "file, or from the model over a whole genome (--whole-genome)")
    p.add_argument("input", metavar="PREDICTIONS.h5|MODEL.keras",
                   help="a prediction file (specdsl predict, BPReveal's makePredictions); with --whole-genome, "
                        "the model")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the tracks, named "
                                                                        "<head>.task<j>.<mode>.bw")
    p.add_argument("--mode", choices=MODES, default="profile",
                   help="profile (probability × counts), logits, mnlogits (logits less their window mean), "
                        "logcounts or counts")
    p.add_argument("--negate", action="store_true", help="multiply every value by −1 (for minus-strand tracks)")
    p.add_argument("--whole-genome", action="store_true",
                   help="INPUT is a model: tile --genome, predict every window and write the tracks in one pass")
    p.add_argument("--genome", metavar="GENOME.fa", help="with --whole-genome: the genome to tile")
    p.add_argument("--chrom", action="append", metavar="NAME",
                   help="with --whole-genome: only this chromosome (repeatable; default: every one)")
    p.add_argument("--blacklist", action="append", metavar="REGIONS.bed",
                   help="with --whole-genome: leave out windows whose input touches these regions (repeatable)")
    p.add_argument("--spacing", type=int, metavar="BP", help="with --whole-genome: bp between windows, negative "
                                                             "to overlap them (default: 0, abutting)")
    p.add_argument("--chrom-edge-boundary", type=int, metavar="BP",
                   help="with --whole-genome: bp kept free at each chromosome end (default: 0)")
    add_revcomp_options(p)
    p.add_argument("--batch-size", type=int, default=64, metavar="N", help="with --whole-genome: windows per batch")
    p.set_defaults(func=cmd_tracks)


__all__ = ["add_profile_options", "add_tracks", "cmd_predict_profile", "cmd_tracks", "wants_profile"]
