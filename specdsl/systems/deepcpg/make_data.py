"""``specdsl make-data deepcpg``: a genome and CpG profiles of cells with planted methylation."""

from __future__ import annotations

import argparse

from specdsl.errors import SpecError

NAME = "deepcpg"
HELP = "deepcpg: --out DIR with a genome and profiles"
DEFAULT = False


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cells", type=int, default=3, help="cells (profiles)")
    p.add_argument("--sites", type=int, default=5000, help="CpG sites per chromosome")
    p.add_argument("--chromosomes", nargs="+", default=["1", "2", "3"], help="chromosome names")


def run(args: argparse.Namespace) -> int:
    from .synthetic import write_synthetic_deepcpg

    if not args.out:
        raise SpecError("make-data deepcpg needs --out DIR", path="--out")
    for flag in ("cells", "sites"):
        if getattr(args, flag) < 1:
            raise SpecError(f"must be ≥ 1, got {getattr(args, flag)}", path=f"--{flag}")
    made = write_synthetic_deepcpg(args.out, chromosomes=tuple(args.chromosomes), sites_per_chromosome=args.sites,
                                   cells=args.cells, seed=args.seed)
    print(f"wrote {made['sites']:,} CpG sites on chromosome(s) {', '.join(args.chromosomes)} for {args.cells} "
          f"cells: genome in {made['dna_dir']}, profiles in {made['profiles'][0].parent}")
    print("prepare them with: specdsl deepcpg data " + " ".join(map(str, made["command"]))
          + f" --cpg_wlen 50 --out_dir {args.out}/data")
    return 0
