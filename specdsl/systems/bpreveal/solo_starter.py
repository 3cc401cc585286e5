"""``specdsl init bpreveal-solo``: BPReveal's own trainSoloModel config, with the data it names."""

from specdsl.config.starters import Starter

STARTER = Starter(
    "bpreveal-solo", "bpreveal-solo", "BPReveal's trainSoloModel JSON, as BPReveal reads it", None,
    data=("make-data bpreveal --train data/train.h5 --val data/val.h5 --input-length 3142 --output-length 1000 "
          "--max-jitter 100 --regions 1000 --val-regions 200",),
    default=True,
)
