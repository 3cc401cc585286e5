"""``specdsl init specdsl-train --template classifier``: a one-hot DNA classifier with one call per label."""

from specdsl.config.starters import Starter

STARTER = Starter(
    "classifier", "specdsl-train",
    "yes/no calls from DNA (one sigmoid output per label column, e.g. resistance to each drug) on FASTA records "
    "or one-hot CSVs with a labels CSV",
    {
        "kind": "specdsl-train",
        "output-prefix": "models/classifier",
        "model": {"architecture": "conv[64@11]_mp[4]_conv[64@7]_mp[4]_gap_fc[64]_do[rate=0.2]"},
        "heads": [{"kind": "binary", "head-name": "calls", "targets": [".*"]}],
        "data": {"reader": "sequence-labels", "train": "data/isolates/train.fa", "val": "data/isolates/val.fa",
                 "labels": ["data/isolates/train.labels.csv", "data/isolates/val.labels.csv"]},
        "optimizer": {"learning-rate": 0.001},
        "schedule": {"batch-size": 32},
    },
    data=("make-data workshop --out data --isolates 300",),
)
