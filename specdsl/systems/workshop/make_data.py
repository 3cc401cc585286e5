"""``specdsl make-data workshop``: TB isolates with planted resistance mutations."""

from __future__ import annotations

import argparse

from specdsl.errors import SpecError

NAME = "workshop"
HELP = "workshop: --out DIR with TB isolates (FASTA, labels for 13 drugs, BAMs)"
DEFAULT = False


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--isolates", type=int, default=1000, help="isolates")
    p.add_argument("--bams", type=int, default=0, help="BAMs of simulated reads for this many test "
                                                       "isolates")


def run(args: argparse.Namespace) -> int:
    from .synthetic import write_isolates

    if not args.out:
        raise SpecError("make-data workshop needs --out DIR", path="--out")
    if args.isolates < 10:
        raise SpecError(f"must be ≥ 10 (split 60/20/20 into train, val and test), got {args.isolates}",
                        path="--isolates")
    if args.bams < 0:
        raise SpecError(f"must be ≥ 0, got {args.bams}", path="--bams")
    made = write_isolates(args.out, isolates=args.isolates, bams=args.bams, seed=args.seed)
    out = args.out.rstrip("/")
    print(f"wrote {args.isolates:,} synthetic isolates with planted resistance mutations in {out}/: "
          f"reference.fa, regions.csv, isolates/{{train,val,test}}.fa + .labels.csv (13 drugs), "
          f"katg/… (katG, isoniazid), mutations.csv (the truth)"
          + (f", {len(made['bams'])} BAM(s) in {out}/bam/" if made["bams"] else ""))
    return 0
