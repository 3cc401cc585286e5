"""Verbs over Keras models: compile, inspect, predict, tracks (:mod:`.profiles`), evaluate, plot."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from specdsl.cli.analysis import _add_binding_args
from specdsl.cli.profiles import add_profile_options, add_tracks
from specdsl.console import printer
from specdsl.errors import SpecError


def cmd_compile(args: argparse.Namespace) -> int:
    from specdsl import api

    model, graph = api.compile_to_file(args.spec, args.output, api.parse_settings(args.set),
                                       api.parse_inputs(args.input))
    if args.summary:
        model.summary()
    print(f"wrote {args.output}: {model.count_params():,} parameters")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from specdsl.backend.keras_model import load_model

    model = load_model(args.model)
    if args.summary:
        model.summary()
    ins = ", ".join(f"{t.name.split(':')[0]} {tuple(t.shape[1:])}" for t in model.inputs)
    outs = ", ".join(f"{n} {tuple(t.shape[1:])}" for n, t in zip(model.output_names, model.outputs))
    print(f"{args.model}: model '{model.name}', {model.count_params():,} parameters, "
          f"loaded with safe_mode=True\n  inputs: {ins}\n  outputs: {outs}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from specdsl.cli.profiles import cmd_predict_profile, wants_profile

    if wants_profile(args):
        return cmd_predict_profile(args)
    if not args.inputs:
        raise SpecError("nothing to predict: give INPUT files (a classifier), or --bed and --genome or --fasta "
                        "(a profile model)", hint="see 'specdsl predict --help'")
    from specdsl.training.predictions import predict, prediction_table, write_predictions

    predictions = predict(args.model, args.inputs, threshold=args.threshold, batch_size=args.batch_size)
    if args.output:
        write_predictions(args.output, predictions)
    if args.verbose:
        printer().print(prediction_table(predictions))
    elif not args.output:
        sys.stdout.write(predictions.csv_text())
    if args.output:
        print(f"wrote {args.output}: {len(predictions.samples):,} sample(s) × {len(predictions.outputs)} output(s)",
              file=sys.stderr)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from specdsl.training.evaluation import evaluate, evaluation_tables, write_evaluation

    result = evaluate(args.model, args.data, args.labels, threshold=args.threshold, batch_size=args.batch_size)
    if args.json:
        from specdsl.training.metrics import report_json

        sys.stdout.write(report_json(result.as_dict()))
    else:
        printer().print(*evaluation_tables(result))
    if args.output:
        files = write_evaluation(result, args.output)
        print("wrote " + ", ".join(str(f) for f in files), file=sys.stderr)


def cmd_plot(args: argparse.Namespace) -> int:
    from specdsl.training.delivery import finish_pending
    from specdsl.training.plot import plot_history

    finish_pending(args.history)  # a run's history is drawn only once its model is delivered beside it
    print(f"wrote {plot_history(args.history, args.output)}")
    return 0


def add_verbs(sub: Any) -> None:
    p = sub.add_parser("compile", help="build the Keras model and save it as .keras")
    p.add_argument("spec", metavar="SPEC|PRESET|FILE", help="architecture string, preset name or .spec file")
    p.add_argument("-o", "--output", required=True, metavar="OUT.keras", help="where to save the model")
    p.add_argument("--summary", action="store_true", help="print the Keras summary")
    _add_binding_args(p)
    p.set_defaults(func=cmd_compile)

    p = sub.add_parser("inspect", help="load a .keras file safely (safe_mode=True) and describe it")
    p.add_argument("model", metavar="MODEL.keras", help="a model saved by specdsl compile or train")
    p.add_argument("--summary", action="store_true", help="print the Keras summary")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("predict", help="a classifier's calls and probabilities for one-hot CSVs, FASTA records or "
                                       "Capfinder's cap signal CSVs; a profile model's logits and counts for BED "
                                       "regions of a genome or FASTA records (--bed/--genome, --fasta)")
    p.add_argument("model", metavar="MODEL.keras", help="a trained classifier or profile model")
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="classifiers: one-hot CSVs, folders of them, FASTA "
                                                              "files, or signal CSVs (read_id,…,timeseries)")
    p.add_argument("-o", "--output", metavar="PREDICTIONS.csv|.h5", help="write the predictions here (classifiers: "
                                                                         "else to stdout; profile models: an HDF5 "
                                                                         "file, required)")
    p.add_argument("-v", "--verbose", action="store_true", help="print the predictions as a table")
    p.add_argument("--threshold", type=float, default=0.5, help="binary call 1 above this probability")
    p.add_argument("--batch-size", type=int, default=64, help="samples per batch the model sees at once")
    add_profile_options(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("evaluate", help="per-output accuracy, AUROC, AUPRC, MCC, F1 (and confusion matrices) of a "
                                        "classifier on labelled samples")
    p.add_argument("model", metavar="MODEL.keras", help="a trained classifier")
    p.add_argument("data", nargs="+", metavar="DATA", help="FASTA files or one-hot CSVs (folders of them)")
    p.add_argument("--labels", nargs="+", metavar="LABELS.csv",
                   help="labels CSV(s); default: beside each DATA, named after it (test.fa → test.labels.csv)")
    p.add_argument("-o", "--output", metavar="PREFIX", help="also write PREFIX.json and PREFIX.png")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--threshold", type=float, default=0.5, help="binary call 1 above this probability")
    p.add_argument("--batch-size", type=int, default=64, help="samples per batch the model sees at once")
    p.set_defaults(func=cmd_evaluate)

    add_tracks(sub)

    p = sub.add_parser("plot", help="plot loss curves from a history file")
    p.add_argument("history", metavar="HISTORY.json", help="the history.json a training run wrote")
    p.add_argument("-o", "--output", required=True, metavar="PLOT.png", help="where to write the picture")
    p.set_defaults(func=cmd_plot)
