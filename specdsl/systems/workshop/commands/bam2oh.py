"""``specdsl workshop bam2oh X.bam --regions gene.csv --output X_oh.csv``: the workshop's ``bam2oh.py``.

The majority base of the reads at every position of the regions, as the workshop's one-hot
CSV (:mod:`specdsl.formats.bam_pileup` says how positions, strands and depth are handled);
``specdsl onehot X.bam --regions gene.csv -o X_oh.csv`` is the same.
"""

from __future__ import annotations

from specdsl.formats.bam_pileup import MIN_BASE_QUALITY, MIN_DEPTH
from specdsl.options import ToolParser


def build_parser() -> ToolParser:
    p = ToolParser("specdsl workshop bam2oh", "bam2oh.py", "Converts a sorted, indexed BAM to one-hot encoding.")
    p.add_argument("bam", help="the BAM file (sorted and indexed)")
    p.add_argument("--regions", required=True, help="gene region: a CSV of chrom,start,end (1-based, inclusive)")
    p.add_argument("--output", required=True, help="output file name")
    p.add_argument("--min-depth", type=int, default=MIN_DEPTH, help="specdsl: fewer base calls give a zero row")
    p.add_argument("--min-base-quality", type=int, default=MIN_BASE_QUALITY,
                   help="specdsl: base calls below this quality are not counted")
    return p


def main(argv: list[str]) -> int:
    from specdsl.systems.workshop.convert import to_onehot

    args = build_parser().parse(argv)
    made = to_onehot([args.bam], args.output, regions=args.regions, min_depth=args.min_depth,
                     min_base_quality=args.min_base_quality)
    print(f"wrote {made.files[0]}: {made.positions:,} positions")
    return 0
