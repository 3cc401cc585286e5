"""``specdsl init capfinder``: Capfinder's training config, with cap signals where it looks for them."""

from specdsl.config.starters import Starter

STARTER = Starter(
    "capfinder", "capfinder", "Capfinder's train-model config: ETL, hyperparameter search, final training",
    None, data=("make-data capfinder --out data/caps --reads 1000",), default=True,
)
