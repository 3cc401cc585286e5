"""``specdsl init specdsl-train --template classifier``: a one-hot DNA classifier with one call per label."""

from specdsl.config.starters import Starter

STARTER = Starter(
    "classifier", "specdsl-train",
    "yes/no calls from DNA (one sigmoid output per label column, e.g. resistance to each drug) on FASTA records "
    "or one-hot CSVs with a labels CSV",
    {
        "kind": "specdsl-train",
        "output-prefix": "models/classifier",
        # The workshop's TbDrug13 layout: a mutation's position matters (flatten, not a global pool), and with a
        # few steps an epoch the batch norm's running averages must follow quickly (momentum 0.9, not 0.99).
        "model": {"architecture": "conv[32@9]_mp[4]_flat_bn[momentum=0.9]_fc[64]_do[rate=0.2]"},
        "heads": [{"kind": "binary", "head-name": "calls", "targets": [".*"]}],
        "data": {"reader": "sequence-labels", "train": "data/isolates/train.fa", "val": "data/isolates/val.fa",
                 "labels": ["data/isolates/train.labels.csv", "data/isolates/val.labels.csv"]},
        "optimizer": {"learning-rate": 0.001},
        "schedule": {"batch-size": 32},
    },
    data=("make-data workshop --out data --isolates 300",),
)
