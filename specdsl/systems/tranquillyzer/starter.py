"""``specdsl init specdsl-train --template labels``: tranquillyzer's CNN-LSTM-CRF read labeller."""

from specdsl.config.starters import Starter

STARTER = Starter(
    "labels", "specdsl-train",
    "a label for every base of a read (adapter, barcode, UMI, polyT, cDNA; tranquillyzer's CNN-LSTM with a CRF) "
    "from simulated or annotated reads",
    {
        "kind": "specdsl-train",
        "output-prefix": "models/labels",
        "model": {"architecture": {"preset": "CnnLstmCrf"}},
        "heads": [{"kind": "labels", "head-name": "segments", "target": "labels",
                   "classes": ["3p", "5p", "CBC", "UMI", "cDNA", "polyT"], "decoder": "crf"}],
        "data": {"reader": "labelled-reads", "train": "data/simulated_data/reads.h5",
                 "val": "data/simulated_data/reads.h5", "train-fraction": 0.8},
        "schedule": {"batch-size": 32},
    },
    data=("tranquillyzer simulate-data 10x3p_sc_ont data --num-reads 1000 --min-cDNA 50 --max-cDNA 150 --seed 1",),
)
