"""``specdsl bpreveal predict-to-bigwig --h5 P.h5 --bw OUT.bw --head-id 0 --task-id 0 --mode profile``.

BPReveal's ``predictToBigwig``: one track of one head and task of a prediction file
(makePredictions' or ``specdsl predict``'s), overlapping regions averaged (BPReveal ≥ 3.6).  Every
option BPReveal requires is required here; ``--threads`` is accepted: the file is written in one
streaming pass whose memory does not grow with the chromosomes, so there is nothing to spread over
processes.  Where the values come from and how zeros are written: :mod:`specdsl.formats.bigwig`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from specdsl.errors import SpecError
from specdsl.formats.prediction_h5 import MODES
from specdsl.options import ToolParser

PROG = "specdsl bpreveal predict-to-bigwig"


def build_parser() -> ToolParser:
    p = ToolParser(PROG, "predictToBigwig", "Write one head and task of a prediction file as a bigWig "
                                            "(predictToBigwig).")
    p.add_argument("--h5", required=True, metavar="PREDICTIONS.h5", help="a prediction file with coordinates")
    p.add_argument("--bw", required=True, metavar="OUT.bw", help="the bigWig to write")
    p.add_argument("--head-id", type=int, required=True, metavar="N", help="which head (0-based)")
    p.add_argument("--task-id", type=int, required=True, metavar="N", help="which task of the head (0-based)")
    p.add_argument("--mode", required=True, choices=MODES,
                   help="profile (probability × counts; usually what you want), logits, mnlogits (logits less "
                        "their window mean), logcounts or counts")
    p.add_argument("--negate", action="store_true", help="multiply every value by −1 (for negative-strand tracks)")
    p.add_argument("--threads", type=int, default=24, metavar="N",
                   help="accepted for BPReveal's scripts; the track is written in one streaming pass")
    p.add_argument("--verbose", action="store_true", help="show a progress bar and a summary")
    return p


def main(argv: list[str]) -> int:
    from specdsl.formats.bigwig import TrackSpec, write_tracks
    from specdsl.formats.prediction_h5 import open_predictions
    from specdsl.training.profile_predict import check_writable
    from specdsl.training.region_progress import RegionProgress

    args = build_parser().parse(argv)
    if args.threads < 1:
        raise SpecError(f"must be ≥ 1, got {args.threads}", path="--threads")
    check_writable(args.bw)
    with open_predictions(args.h5) as predictions:
        if not 0 <= args.head_id < len(predictions.heads):
            raise SpecError(f"the file has {len(predictions.heads)} head(s): 0…{len(predictions.heads) - 1}, "
                            f"not {args.head_id}", path="--head-id")
        tasks = predictions.heads[args.head_id].tasks
        if not 0 <= args.task_id < tasks:
            raise SpecError(f"head {args.head_id} has {tasks} task(s): 0…{tasks - 1}, not {args.task_id}",
                            path="--task-id")
        with RegionProgress("writing", predictions.n, show=None if args.verbose else False) as bar:
            bases = write_tracks(predictions, [TrackSpec(args.head_id, args.task_id, Path(args.bw))], args.mode,
                                 negate=args.negate, progress=bar.advance)
    if args.verbose:
        print(bar.summary(f"wrote {args.bw} ({bases:,} bases)"), file=sys.stderr)
    return 0


__all__ = ["PROG", "build_parser", "main"]
