"""``specdsl annotate``: label every base of real reads with a trained read-labelling model."""

from __future__ import annotations

import argparse
from typing import Any

from specdsl.console import console
from specdsl.errors import SpecError


def _annotate(args: argparse.Namespace) -> int:
    from .annotate import annotate_file

    for flag in ("window", "overlap", "batch_tokens"):
        if getattr(args, flag) < (0 if flag == "overlap" else 1):
            raise SpecError(f"must be ≥ {0 if flag == 'overlap' else 1}, got {getattr(args, flag)}",
                            path="--" + flag.replace("_", "-"))
    totals = annotate_file(args.model, args.reads, args.output, console=console(stderr=True), strand=args.strand,
                           window=args.window, overlap=args.overlap, batch_tokens=args.batch_tokens)
    rate = totals.reads / totals.seconds if totals.seconds else 0.0
    bases = totals.bases / totals.seconds if totals.seconds else 0.0
    print(f"annotated {totals.reads:,} reads ({totals.bases:,} bases) in {totals.seconds:.1f}s: {rate:,.1f} reads/s, "
          f"{bases:,.0f} bases/s; wrote {totals.rows:,} segments to {args.output}")
    return 0


def add_verb(sub: Any) -> None:
    p = sub.add_parser("annotate", help="label every base of real reads with a trained read-labelling model "
                                        "(e.g. from 'specdsl tranquillyzer train-model'); one TSV row per segment")
    p.add_argument("model", metavar="MODEL", help="a train-model variant folder (OUT/<model>_<idx>) or a .keras file")
    p.add_argument("reads", metavar="READS", help="FASTQ or FASTA, plain or gzip-compressed")
    p.add_argument("-o", "--output", required=True, metavar="ANNOTATIONS.tsv",
                   help="columns read_id, label, start, end (0-based, end exclusive), strand, score, sequence; "
                        "gzip-compressed when the name ends in .gz")
    p.add_argument("--strand", choices=["both", "forward"], default="both",
                   help="both: decode the read and its reverse complement, keep the more probable labelling; "
                        "forward: the read as given only (half the work)")
    p.add_argument("--window", type=int, default=4096, help="reads longer than this are decoded in overlapping "
                                                            "windows of this many bases")
    p.add_argument("--overlap", type=int, default=256, help="bases each window shares with its neighbour, per side")
    p.add_argument("--batch-tokens", type=int, default=65536, help="bases per model call (memory ∝ this)")
    p.set_defaults(func=_annotate)
