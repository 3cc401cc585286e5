"""``specdsl workshop full-model``: the workshop's ``full_model.py``, the 13-drug model.

Two uses, as in the workshop: ``-lr X -dr Y`` trains the model of
``examples/workshop_full.json`` (``TbDrug13`` on every locus of the synthetic isolates) with
those settings; ``-i X_oh.csv [-v] [-o drug_predictions.csv]`` predicts the 13 drugs of a
sample with the trained model (``--model``, by default the config's ``PREFIX.keras``), one
0/1 call per drug (1 = resistant) — ``specdsl predict`` with the workshop's options.
"""

from __future__ import annotations

import sys

from specdsl.errors import SpecError
from specdsl.options import ToolParser
from specdsl.systems.workshop.commands.common import (
    DROPOUT,
    LEARNING_RATE,
    add_config,
    add_settings,
    load_example,
    train,
)

CONFIG = "examples/workshop_full.json"


def build_parser() -> ToolParser:
    p = ToolParser("specdsl workshop full-model", "full_model.py",
                   "Predicts resistance to 13 drugs from one-hot encoded gene regions; trains the model without -i.")
    p.add_argument("-i", "--input", nargs="+", metavar="ONEHOT.csv", help="one hot encoded input file(s): predict")
    p.add_argument("-o", "--output", metavar="PREDICTIONS.csv", help="output file name (with -i)")
    p.add_argument("-v", "--verbose", action="store_true", help="show output in the terminal (with -i)")
    add_settings(p, with_defaults=False)
    add_config(p, CONFIG)
    p.add_argument("--model", metavar="MODEL.keras", help="specdsl: the trained model (default: the config's "
                                                          "output-prefix + .keras)")
    p.add_argument("--threshold", type=float, default=0.5, help="specdsl: call 1 above this probability")
    return p


def _predict(args: object) -> int:
    from specdsl.training.predictions import predict, prediction_table, write_predictions

    model = args.model or f"{load_example(args.config).output.place}.keras"  # type: ignore[attr-defined]
    predictions = predict(model, args.input, threshold=args.threshold)  # type: ignore[attr-defined]
    if args.output:  # type: ignore[attr-defined]
        write_predictions(args.output, predictions)  # type: ignore[attr-defined]
        print(f"wrote {args.output}", file=sys.stderr)  # type: ignore[attr-defined]
    if args.verbose or not args.output:  # type: ignore[attr-defined]
        from specdsl.console import printer

        printer().print(prediction_table(predictions))
    return 0


def main(argv: list[str]) -> int:
    args = build_parser().parse(argv)
    if args.input:
        given = [flag for flag, name in (("-lr", "learning_rate"), ("-dr", "dropout_rate")) if hasattr(args, name)]
        if given:
            raise SpecError(f"{given[0]} sets how the model trains; -i predicts with the trained model", path=given[0],
                            hint="train first (specdsl workshop full-model -lr X -dr Y), then predict with -i")
        return _predict(args)
    for flag, value in (("-o", args.output), ("-v", args.verbose or None), ("--model", args.model)):
        if value:
            raise SpecError(f"{flag} goes with -i (predicting); without -i full-model trains", path=flag)
    lr = getattr(args, "learning_rate", LEARNING_RATE)
    dr = getattr(args, "dropout_rate", DROPOUT)
    return train(args.config, lr, dr, "full-model")
