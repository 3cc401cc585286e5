"""``specdsl init specdsl-train --template profile``: a BPNet profile model on BPReveal's training files."""

from specdsl.config.starters import Starter

STARTER = Starter(
    "profile", "specdsl-train",
    "base-resolution profiles and counts (BPNet, BPReveal's heads and losses) from prepareTrainingData HDF5 files",
    {
        "kind": "specdsl-train",
        "output-prefix": "models/profile",
        "model": {"architecture": {"preset": "BPNet", "params": {"filters": 64, "layers": 9}},
                  "input-length": 3142, "output-length": 1000},
        "heads": [{"kind": "profile", "head-name": "task0", "num-tasks": 2, "profile-loss-weight": 1,
                   "counts-loss-weight": 100}],
        "data": {"reader": "bpreveal-h5", "train": "data/train.h5", "val": "data/val.h5"},
    },
    data=("make-data bpreveal --train data/train.h5 --val data/val.h5 --input-length 3142 --output-length 1000 "
          "--regions 1000 --val-regions 200",),
    default=True,
)
