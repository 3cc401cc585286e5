"""``specdsl make-data`` (the default generator): BPReveal training files with planted motifs."""

from __future__ import annotations

import argparse
from pathlib import Path

from specdsl.errors import SpecError

NAME = "bpreveal"
HELP = "bpreveal (default): --train/--val HDF5 files in prepareTrainingData's layout"
DEFAULT = True
SHARED = ("seed",)  # of make-data's own options: it writes --train/--val files, not a folder (--out)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--train", metavar="TRAIN.h5", help="training file to write")
    p.add_argument("--val", metavar="VAL.h5", help="validation file to write")
    p.add_argument("--regions", type=int, default=2000, help="regions in the training file")
    p.add_argument("--val-regions", type=int, default=500, help="regions in the validation file")
    p.add_argument("--input-length", type=int, help="input length (required)")
    p.add_argument("--output-length", type=int, help="output length (required)")
    p.add_argument("--max-jitter", type=int, default=0, help="jitter room on each side")
    p.add_argument("--tasks", type=int, nargs="+", default=[2], help="tasks per head, e.g. --tasks 2 1")


def run(args: argparse.Namespace) -> int:
    from specdsl.formats.synthetic_profiles import write_synthetic

    for flag in ("input_length", "output_length"):
        if getattr(args, flag) is None:
            raise SpecError("make-data bpreveal needs --input-length and --output-length",
                            path="--" + flag.replace("_", "-"))
    for path, n, seed in ((args.train, args.regions, args.seed), (args.val, args.val_regions, args.seed + 1)):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            try:
                write_synthetic(path, n, args.input_length, args.output_length, args.max_jitter, args.tasks,
                                seed=seed)
            except ValueError as err:
                raise SpecError(f"cannot make this data set: {err}", file=path) from None
            heads = ", ".join(f"{t} task(s)" for t in args.tasks)
            print(f"wrote {path}: {n} regions, sequence {args.input_length + 2 * args.max_jitter}x4, "
                  f"heads {heads} of {args.output_length + 2 * args.max_jitter}")
    return 0
