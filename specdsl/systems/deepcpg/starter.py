"""``specdsl init specdsl-train --template deepcpg``: DeepCpG's joint model on dcpg_data.py's files."""

from specdsl.config.starters import Starter

STARTER = Starter(
    "deepcpg", "specdsl-train",
    "CpG methylation of single cells from DNA and neighbouring CpG states (DeepCpG: a DNA, a CpG and a joint "
    "model) on dcpg_data.py's HDF5 chunks",
    {
        "kind": "specdsl-train",
        "output-prefix": "models/deepcpg",
        "model": {"architecture": {"preset": "DeepCpG", "params": {"dna_model": "CnnL2h128", "cpg_model": "RnnL1",
                                                                     "joint_model": "JointL2h512"}}},
        "heads": [{"kind": "binary", "head-name": "cpg", "targets": ["cpg/.*"]}],
        "data": {"reader": "deepcpg-h5", "train": "data/c[12]_*.h5", "val": "data/c3_*.h5",
                 "dna-wlen": 1001, "cpg-wlen": 50},
        "schedule": {"batch-size": 128, "learning-rate-decay": 0.975},
    },
    data=("make-data deepcpg --out raw --sites 2000 --cells 3",
          "deepcpg data --cpg_profiles raw/cpg/*.tsv --dna_files raw/dna --dna_wlen 1001 --cpg_wlen 50 "
          "--out_dir data"),
)
