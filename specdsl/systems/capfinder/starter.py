"""``specdsl init specdsl-train --template signals``: one class per nanopore signal (Capfinder's caps)."""

from specdsl.config.starters import Starter

STARTER = Starter(
    "signals", "specdsl-train",
    "one class per raw nanopore signal (Capfinder's cap types, its cnn_lstm classifier) from signal CSVs "
    "(read_id,cap_class,timeseries)",
    {
        "kind": "specdsl-train",
        "output-prefix": "models/signals",
        "model": {"architecture": {"preset": "cnn_lstm", "params": {"target_length": 500, "num_classes": 4}}},
        "heads": [{"kind": "multiclass", "head-name": "cap", "target": "cap_class",
                   "classes": ["cap_0", "cap_1", "cap_2", "cap_2-1"]}],
        "data": {"reader": "signal-csv", "train": "data/caps/data__*.csv", "val": "data/caps-val/data__*.csv",
                 "target-length": 500},
        "schedule": {"batch-size": 32},
    },
    data=("make-data capfinder --out data/caps --reads 200",
          "make-data capfinder --out data/caps-val --reads 50 --seed 1"),
)
