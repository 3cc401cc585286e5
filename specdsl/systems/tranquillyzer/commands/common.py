"""Options simulate-data and train-model share: the seq-orders file and the simulation's error model.

tranquillyzer (typer) spells them ``--min-cdna``/``--polyt-error-rate``; its documentation writes
``--min-cDNA``/``--polyT-error-rate``.  Both spellings are accepted.
"""

from __future__ import annotations

import argparse
from typing import Any

from specdsl.errors import SpecError
from specdsl.options import ToolParser
from specdsl.systems.tranquillyzer.simulator import SimulationOptions


def add_simulation_options(p: ToolParser, reads: int, reads_flag: str, max_insertions: float) -> None:
    p.add_argument("--training-seq-orders-file", metavar="TSV",
                   help="training_seq_orders.tsv; default: the one tranquillyzer ships")
    p.add_argument(reads_flag, type=int, default=reads, dest="num_reads",
                   help="molecules to simulate (twice as many reads with --rc)")
    p.add_argument("--mismatch-rate", type=float, default=0.05, help="chance of a substitution at each base")
    p.add_argument("--insertion-rate", type=float, default=0.05, help="chance of an inserted base at each base")
    p.add_argument("--deletion-rate", type=float, default=0.06, help="chance of a deleted base at each base")
    p.add_argument("--min-cDNA", "--min-cdna", type=int, default=100, dest="min_cDNA", help="shortest cDNA")
    p.add_argument("--max-cDNA", "--max-cdna", type=int, default=500, dest="max_cDNA",
                   help="cDNA lengths are uniform in [min, max)")
    p.add_argument("--polyT-error-rate", "--polyt-error-rate", type=float, default=0.02, dest="polyT_error_rate",
                   help="mismatch, insertion and deletion rate inside polyA/polyT")
    p.add_argument("--max-insertions", type=float, default=max_insertions,
                   help="most random bases inserted after one base")
    p.add_argument("--threads", type=int, default=2, help="worker processes for the simulation")
    p.add_argument("--rc", action=argparse.BooleanOptionalAction, default=True,
                   help="also add each molecule's reverse complement (twice the reads)")
    p.add_argument("--transcriptome", metavar="FASTA", help="cDNA from these transcripts; default: random bases")
    p.add_argument("--invalid-fraction", type=float, default=0.3,
                   help="molecules made invalid (concatenated, repeated adapter, truncated)")


def simulation_options(args: Any, seed: int, reads_flag: str) -> SimulationOptions:
    """Checked options; each problem names its option."""
    for flag in ("mismatch_rate", "insertion_rate", "deletion_rate", "polyT_error_rate", "invalid_fraction"):
        value = getattr(args, flag)
        if not 0 <= value <= 1:
            raise SpecError(f"must lie in [0, 1], got {value}", path=_flag(flag))
    if args.mismatch_rate + args.insertion_rate + args.deletion_rate > 1:
        raise SpecError("mismatch, insertion and deletion rates add up to more than 1", path="--mismatch-rate")
    if args.num_reads < 1:
        raise SpecError(f"must be ≥ 1, got {args.num_reads}", path=reads_flag)
    if args.min_cDNA < 0 or args.max_cDNA < args.min_cDNA:
        raise SpecError(f"need 0 ≤ --min-cDNA ≤ --max-cDNA, got {args.min_cDNA} and {args.max_cDNA}", path="--min-cDNA")
    if args.max_insertions < 0 or float(args.max_insertions) != int(args.max_insertions):
        raise SpecError(f"must be a whole number ≥ 0, got {args.max_insertions}", path="--max-insertions")
    if args.threads < 1:
        raise SpecError(f"must be ≥ 1, got {args.threads}", path="--threads")
    return SimulationOptions(args.num_reads, args.mismatch_rate, args.insertion_rate, args.deletion_rate, args.min_cDNA,
                             args.max_cDNA, args.polyT_error_rate, int(args.max_insertions), bool(args.rc),
                             args.invalid_fraction, seed)


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def new_seed() -> int:
    import numpy as np

    return int(np.random.SeedSequence().entropy % (2**31))


__all__ = ["add_simulation_options", "new_seed", "simulation_options"]
