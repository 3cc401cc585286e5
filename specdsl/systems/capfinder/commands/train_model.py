"""``specdsl capfinder train-model --config_file X.json``: Capfinder's whole training pipeline.

The config is read verbatim as the ``capfinder`` config kind (every error at once, with its
line); the pipeline is :mod:`specdsl.systems.capfinder.pipeline`, the same as ``specdsl train X.json``.
``--reprocess`` rebuilds the processed dataset (Capfinder asks at an interactive prompt).
"""

from __future__ import annotations

from specdsl.options import ToolParser


def build_parser() -> ToolParser:
    p = ToolParser("specdsl capfinder train-model", "capfinder train-model",
                   "Trains the model using the parameters in the JSON configuration file.")
    p.add_argument("-c", "--config_file", required=True,
                   help="Path to the JSON configuration file containing the parameters for the training pipeline.")
    p.add_argument("--reprocess", action="store_true",
                   help="specdsl: rebuild the processed dataset even when an up-to-date one exists")
    return p


def main(argv: list[str]) -> int:
    from specdsl.config import load_config
    from specdsl.systems.capfinder.config_kind import CAPFINDER
    from specdsl.systems.capfinder.pipeline import run_ir

    args = build_parser().parse(argv)
    return run_ir(load_config(args.config_file, kind=CAPFINDER), reprocess=args.reprocess)
