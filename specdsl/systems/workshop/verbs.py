"""``specdsl onehot``: the workshop's one-hot CSVs from FASTA records or BAMs."""

from __future__ import annotations

import argparse
from typing import Any


def _onehot(args: argparse.Namespace) -> int:
    from .convert import to_onehot

    made = to_onehot(args.inputs, args.output, regions=args.regions, min_depth=args.min_depth,
                     min_base_quality=args.min_base_quality, min_mapq=args.min_mapq)
    shown = ", ".join(str(p) for p in made.files[:3]) + (f", … ({len(made.files) - 3} more)"
                                                          if len(made.files) > 3 else "")
    print(f"wrote {len(made.files):,} one-hot file(s) of {made.positions:,} positions: {shown}")
    return 0


def add_verb(sub: Any) -> None:
    p = sub.add_parser("onehot", help="FASTA records, or BAMs over --regions, to the workshop's one-hot CSVs "
                                      "(header A,C,G,T; one file per sample)")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="FASTA files (one CSV per record) or indexed BAM files")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="a folder (one <sample>.csv per record or BAM), or X.csv for a single BAM")
    p.add_argument("--regions", metavar="REGIONS.csv",
                   help="BAMs: chrom,start,end per line (1-based, inclusive), concatenated in file order")
    p.add_argument("--min-depth", type=int, metavar="N", help="BAMs: fewer base calls → a zero row (default 3)")
    p.add_argument("--min-base-quality", type=int, metavar="Q", help="BAMs: calls below this are not counted "
                                                                     "(default 13)")
    p.add_argument("--min-mapq", type=int, metavar="Q", help="BAMs: reads below this mapping quality are skipped "
                                                             "(default 0)")
    p.set_defaults(func=_onehot)
