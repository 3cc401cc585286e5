"""``specdsl make-data capfinder``: one ``data__<cap>.csv`` of cap signals per class, with planted shapes."""

from __future__ import annotations

import argparse

from specdsl.errors import SpecError

NAME = "capfinder"
HELP = "capfinder: --out DIR with one data__<cap>.csv of cap signals per class"
DEFAULT = False


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reads", type=int, default=300, help="reads per class")
    p.add_argument("--classes", type=int, default=4, help="cap classes")


def run(args: argparse.Namespace) -> int:
    from .synthetic import write_caps

    if not args.out:
        raise SpecError("make-data capfinder needs --out DIR", path="--out")
    files = write_caps(args.out, reads=args.reads, classes=args.classes, seed=args.seed)
    print(f"wrote {args.reads:,} synthetic cap signals per class with planted class shapes: "
          + ", ".join(str(f) for f in files))
    return 0
