"""``specdsl workshop inh-model -lr 0.001 -dr 0.2``: the workshop's ``inh_model.py``.

Trains the isoniazid model on katG (``examples/workshop_inh.json``: the ``InhModel`` preset on
the katG sequences ``specdsl make-data workshop`` writes) with the given learning rate and
dropout, and draws ``INH-model_LR:<lr>-DR:<dr>-ACC.png`` and ``-LOSS.png`` beside the model.
"""

from __future__ import annotations

from specdsl.options import ToolParser
from specdsl.systems.workshop.commands.common import add_config, add_settings, train

CONFIG = "examples/workshop_inh.json"


def build_parser() -> ToolParser:
    p = ToolParser("specdsl workshop inh-model", "inh_model.py",
                   "Isoniazid prediction model using katG sequences as input.")
    add_settings(p)
    add_config(p, CONFIG)
    return p


def main(argv: list[str]) -> int:
    args = build_parser().parse(argv)
    return train(args.config, args.learning_rate, args.dropout_rate, "inh-model")
