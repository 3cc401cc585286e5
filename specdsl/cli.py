"""The ``specdsl`` command: thin verbs over :mod:`specdsl.api`.

User mistakes are :class:`~specdsl.errors.SpecError`: printed with position and
caret, exit status 2, no traceback (``--debug`` shows one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from .errors import SpecError

EXIT_USER_ERROR = 2


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    # Pipes and CI logs get a wide table rather than rich's 80-column default.
    width = None if sys.stdout.isatty() else 200
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def _add_binding_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", "-i", action="append", default=[], metavar="[NAME=]SHAPE",
                   help="input shape such as 1001x4 (NAME= for a multi-input preset); repeatable")
    p.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   help="override a preset parameter, e.g. --set dna_wlen=501; repeatable")


def cmd_presets(args: argparse.Namespace) -> int:
    from . import api
    from .report import preset_summary

    rows = [preset_summary(p, g) for p, g in api.presets_table(args.family)]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    from rich.table import Table

    table = Table(title="specdsl presets", title_justify="left")
    for col in ("name", "family", "inputs", "params", "spec"):
        table.add_column(col, justify="right" if col == "params" else "left", overflow="fold")
    for r in rows:
        ins = ", ".join(f"{k} {'x'.join('?' if d is None else str(d) for d in v)}" for k, v in r["inputs"].items())
        table.add_row(r["name"], r["family"], ins, f"{r['params']:,}", r["spec"] or "(graph)")
    _console().print(table)
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    from . import api
    from .report import graph_report, render_graph_report

    graph = api.analyse(args.spec, api.parse_settings(args.set), api.parse_inputs(args.input))
    report = graph_report(graph)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        render_graph_report(report, _console())
    return 0


def cmd_space(args: argparse.Namespace) -> int:
    from . import api
    from .search.points import list_points
    from .search.report import render_space, space_report

    if args.limit < 0:
        raise SpecError(f"must be ≥ 0, not {args.limit}", path="--limit")
    space = api.space(args.spec, api.parse_settings(args.set), api.parse_inputs(args.input))
    listing = list_points(space, args.limit, max_params=args.max_params, sample=args.sample, seed=args.seed)
    report = space_report(space, listing, args.max_params)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        render_space(report, _console())
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from . import api
    from .primitives import format_shape

    if api.is_config_path(args.spec):
        if args.set or args.input:
            raise SpecError("--set and --input apply to specs, not to training configs", path="--set/--input",
                            hint="put the values in the config")
        pipeline = _pipeline_of(args.spec)
        if pipeline is not None:  # a config kind that describes a whole pipeline (Capfinder's)
            print(pipeline[0].check(pipeline[1]))
            return 0
        plan = api.check_config(args.spec)
        outs = ", ".join(o.display for o in plan.outputs)
        print(f"ok: {args.spec}: {plan.ir.kind} config; model {plan.graph.name}, {plan.graph.total:,} parameters; "
              f"outputs {outs}; {plan.examples['train']:,} training and {plan.examples['val']:,} validation "
              f"examples ({plan.ir.data.reader})")
        return 0
    for graph in api.check(args.spec, api.parse_settings(args.set), api.parse_inputs(args.input)):
        outs = ", ".join(f"{k} {format_shape(v)}" for k, v in graph.output_shapes().items())
        print(f"ok: {graph.name}: {graph.total:,} parameters; outputs {outs}")
    return 0


def cmd_compile(args: argparse.Namespace) -> int:
    from . import api

    model, graph = api.compile_to_file(args.spec, args.output, api.parse_settings(args.set),
                                       api.parse_inputs(args.input))
    if args.summary:
        model.summary()
    print(f"wrote {args.output}: {model.count_params():,} parameters")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from .backend.keras_model import load_model

    model = load_model(args.model)
    if args.summary:
        model.summary()
    ins = ", ".join(f"{t.name.split(':')[0]} {tuple(t.shape[1:])}" for t in model.inputs)
    outs = ", ".join(f"{n} {tuple(t.shape[1:])}" for n, t in zip(model.output_names, model.outputs))
    print(f"{args.model}: model '{model.name}', {model.count_params():,} parameters, "
          f"loaded with safe_mode=True\n  inputs: {ins}\n  outputs: {outs}")
    return 0


def cmd_length(args: argparse.Namespace) -> int:
    from . import api
    from .lengths import input_for_output, lengths_for_input
    from .model import resolve_target

    preset = resolve_target(args.spec)
    params = api.parse_settings(args.set)
    if args.output_length is not None:
        answer = input_for_output(preset, args.output_length, params)
    else:
        answer = lengths_for_input(preset, args.input_length, params)
    outs = ", ".join(f"{k} {v}" for k, v in answer.outputs.items())
    rf = answer.receptive_field
    print(f"input-length {answer.input_length} → output-length {outs}"
          + (f"; receptive field {rf} bp" if rf else ""))
    return 0


def _pipeline_of(path: str) -> tuple[Any, Any] | None:
    """(the kind's pipeline, the IR) for a config whose kind runs a whole pipeline, else None."""
    from .config import load_config
    from .config.kinds import config_kind

    ir = load_config(path)
    pipeline = config_kind(ir.kind).pipeline
    return (pipeline, ir) if pipeline is not None else None


def cmd_train(args: argparse.Namespace) -> int:
    from .config import load_config
    from .config.kinds import config_kind

    ir = load_config(args.config)
    pipeline = config_kind(ir.kind).pipeline
    if pipeline is not None:  # Capfinder's config: ETL, search, final training, evaluation
        return pipeline.run(ir, resume=args.resume, reprocess=args.reprocess)
    if args.reprocess:
        raise SpecError(f"--reprocess rebuilds a Capfinder run's processed dataset; this is a {ir.kind} config",
                        path="--reprocess")
    return run_training(ir, resume=args.resume)


def run_training(ir: Any, *, resume: bool = False, resume_hint: str = "the same command and") -> int:
    """Train and report in plain words; shared by ``train`` and the adapters' train verbs."""
    from .training.paths import Paths
    from .training.run import EXIT_INTERRUPTED, TrainingInterrupted, artifact_list, loss_fell, train

    console = _console(stderr=True)
    paths = Paths.of(ir.output)
    if not resume and paths.backup.exists():
        print(f"note: {paths.backup} holds an interrupted run; this new run replaces it once its first epoch "
              f"finishes (stop now and use {resume_hint} --resume to continue that run instead)", file=sys.stderr)
    try:
        result = train(ir, resume=resume, console=console)
    except TrainingInterrupted as stop:
        if not stop.wrote:
            print("interrupted before the first epoch finished: nothing was written", file=sys.stderr)
        else:
            print(f"interrupted: the best weights so far are in {paths.model} and the history in {paths.history}; "
                  f"continue with {resume_hint} --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    losses = result.history.get("loss", [])
    first = f"{losses[0]:.4g}" if losses else "?"
    last = f"{losses[-1]:.4g}" if losses else "?"
    trend = (f"loss {first}" if len(losses) < 2 else
             f"loss {'fell' if loss_fell(result.history) else 'did not fall'} ({first} → {last})")
    why = "; stopped early" if result.stopped_early else (f"; stopped: {result.stop_reason}"
                                                            if result.stop_reason else "")
    print(f"trained {result.epochs_run} epoch(s) in {result.seconds:.1f}s; {trend}{why}")
    for name, scores in result.scores.items():
        shown = ", ".join(f"{k.upper()} {scores[k]:.3f}" for k in ("auc", "acc", "mcc", "mse", "r")
                          if isinstance(scores.get(k), float))
        print(f"validation {name}: {shown} ({scores.get('n', 0):,} observed)")
    files = [str(p) for p in [*artifact_list(result.paths), *result.files]]
    print("wrote " + ", ".join(files[:-1]) + (" and " if len(files) > 1 else "") + files[-1])
    return 0


def _make_deepcpg_data(args: argparse.Namespace) -> int:
    from .deepcpg.synthetic import write_synthetic_deepcpg

    if not args.out:
        raise SpecError("make-data deepcpg needs --out DIR", path="--out")
    for flag in ("cells", "sites"):
        if getattr(args, flag) < 1:
            raise SpecError(f"must be ≥ 1, got {getattr(args, flag)}", path=f"--{flag}")
    made = write_synthetic_deepcpg(args.out, chromosomes=tuple(args.chromosomes), sites_per_chromosome=args.sites,
                                   cells=args.cells, seed=args.seed)
    print(f"wrote {made['sites']:,} CpG sites on chromosome(s) {', '.join(args.chromosomes)} for {args.cells} "
          f"cells: genome in {made['dna_dir']}, profiles in {made['profiles'][0].parent}")
    print("prepare them with: specdsl deepcpg data " + " ".join(map(str, made["command"]))
          + f" --cpg_wlen 50 --out_dir {args.out}/data")
    return 0


def _make_workshop_data(args: argparse.Namespace) -> int:
    from .workshop.synthetic import write_isolates

    if not args.out:
        raise SpecError("make-data workshop needs --out DIR", path="--out")
    if args.isolates < 10:
        raise SpecError(f"must be ≥ 10 (split 60/20/20 into train, val and test), got {args.isolates}",
                        path="--isolates")
    if args.bams < 0:
        raise SpecError(f"must be ≥ 0, got {args.bams}", path="--bams")
    made = write_isolates(args.out, isolates=args.isolates, bams=args.bams, seed=args.seed)
    out = args.out.rstrip("/")
    print(f"wrote {args.isolates:,} synthetic isolates with planted resistance mutations in {out}/: "
          f"reference.fa, regions.csv, isolates/{{train,val,test}}.fa + .labels.csv (13 drugs), "
          f"katg/… (katG, isoniazid), mutations.csv (the truth)"
          + (f", {len(made['bams'])} BAM(s) in {out}/bam/" if made["bams"] else ""))
    return 0


def _make_capfinder_data(args: argparse.Namespace) -> int:
    from .capfinder.synthetic import write_caps

    if not args.out:
        raise SpecError("make-data capfinder needs --out DIR", path="--out")
    files = write_caps(args.out, reads=args.reads, classes=args.classes, seed=args.seed)
    print(f"wrote {args.reads:,} synthetic cap signals per class with planted class shapes: "
          + ", ".join(str(f) for f in files))
    return 0


def cmd_make_data(args: argparse.Namespace) -> int:
    from .training.synthetic import write_synthetic

    if args.format == "capfinder":
        return _make_capfinder_data(args)
    if args.format == "deepcpg":
        return _make_deepcpg_data(args)
    if args.format == "workshop":
        return _make_workshop_data(args)
    for flag in ("input_length", "output_length"):
        if getattr(args, flag) is None:
            raise SpecError("make-data bpreveal needs --input-length and --output-length",
                            path="--" + flag.replace("_", "-"))

    for path, n, seed in ((args.train, args.regions, args.seed), (args.val, args.val_regions, args.seed + 1)):
        if path:
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
            try:
                write_synthetic(path, n, args.input_length, args.output_length, args.max_jitter, args.tasks,
                                seed=seed)
            except ValueError as err:
                raise SpecError(f"cannot make this data set: {err}", file=path) from None
            heads = ", ".join(f"{t} task(s)" for t in args.tasks)
            print(f"wrote {path}: {n} regions, sequence {args.input_length + 2 * args.max_jitter}x4, "
                  f"heads {heads} of {args.output_length + 2 * args.max_jitter}")
    return 0


def cmd_onehot(args: argparse.Namespace) -> int:
    from .workshop.convert import to_onehot

    made = to_onehot(args.inputs, args.output, regions=args.regions, min_depth=args.min_depth,
                     min_base_quality=args.min_base_quality, min_mapq=args.min_mapq)
    shown = ", ".join(str(p) for p in made.files[:3]) + (f", … ({len(made.files) - 3} more)"
                                                          if len(made.files) > 3 else "")
    print(f"wrote {len(made.files):,} one-hot file(s) of {made.positions:,} positions: {shown}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from .workshop.predictions import predict, prediction_table, write_predictions

    predictions = predict(args.model, args.inputs, threshold=args.threshold, batch_size=args.batch_size)
    if args.output:
        write_predictions(args.output, predictions)
    if args.verbose:
        _console().print(prediction_table(predictions))
    elif not args.output:
        sys.stdout.write(predictions.csv_text())
    if args.output:
        print(f"wrote {args.output}: {len(predictions.samples):,} sample(s) × {len(predictions.outputs)} output(s)",
              file=sys.stderr)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .workshop.evaluation import evaluate, evaluation_tables, write_evaluation

    result = evaluate(args.model, args.data, args.labels, threshold=args.threshold, batch_size=args.batch_size)
    if args.json:
        from .metrics import report_json

        sys.stdout.write(report_json(result.as_dict()))
    else:
        console = _console()
        for table in evaluation_tables(result):
            console.print(table)
    if args.output:
        files = write_evaluation(result, args.output)
        print("wrote " + ", ".join(str(f) for f in files), file=sys.stderr)
def cmd_annotate(args: argparse.Namespace) -> int:
    from .tranquillyzer.annotate import annotate_file

    for flag in ("window", "overlap", "batch_tokens"):
        if getattr(args, flag) < (0 if flag == "overlap" else 1):
            raise SpecError(f"must be ≥ {0 if flag == 'overlap' else 1}, got {getattr(args, flag)}",
                            path="--" + flag.replace("_", "-"))
    totals = annotate_file(args.model, args.reads, args.output, console=_console(stderr=True), strand=args.strand,
                           window=args.window, overlap=args.overlap, batch_tokens=args.batch_tokens)
    rate = totals.reads / totals.seconds if totals.seconds else 0.0
    bases = totals.bases / totals.seconds if totals.seconds else 0.0
    print(f"annotated {totals.reads:,} reads ({totals.bases:,} bases) in {totals.seconds:.1f}s: {rate:,.1f} reads/s, "
          f"{bases:,.0f} bases/s; wrote {totals.rows:,} segments to {args.output}")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from .training.plot import plot_history

    print(f"wrote {plot_history(args.history, args.output)}")
    return 0


def _check_config_kind(kind: str) -> None:
    from .config.schemas import check_kind

    check_kind(kind)


def cmd_init(args: argparse.Namespace) -> int:
    from .config import init_template

    _check_config_kind(args.kind)
    text = init_template(args.kind)
    if args.output:
        from pathlib import Path

        if Path(args.output).exists() and not args.force:
            raise SpecError("the file exists; add --force to replace it", file=args.output)
        from .atomic import atomic_write_text

        atomic_write_text(args.output, text)
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .config import schema_bnf, schema_json

    _check_config_kind(args.kind)
    if args.bnf:
        print(schema_bnf(args.kind))
    else:
        print(json.dumps(schema_json(args.kind), indent=2, ensure_ascii=False))
    return 0


def cmd_kinds(args: argparse.Namespace) -> int:
    from rich.table import Table

    from .registry import all_kinds

    table = Table(title="layer kinds", title_justify="left")
    for col in ("kind", "aliases", "arguments", "what it is"):
        table.add_column(col, overflow="fold")
    for kind in all_kinds().values():
        named = {p for pos in kind.positional for p in (pos if isinstance(pos, tuple) else (pos,))}
        opts = ", ".join(a.name for a in kind.args if a.name not in named)
        sig = kind.signature() + (f" ; {opts}" if opts else "")
        aliases = ", ".join(kind.aliases + tuple(kind.shorthands))
        table.add_row(kind.name, aliases, sig, kind.doc)
    _console().print(table)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="specdsl",
        description="Compile architecture strings, presets and training configs into Keras 3 models.",
    )
    parser.add_argument("--version", action="version", version=f"specdsl {__version__}")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks for errors")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True

    p = sub.add_parser("presets", help="list the named presets")
    p.add_argument("--family", "-f", help="only this family, e.g. deepcpg-dna")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_presets)

    p = sub.add_parser("params", help="per-layer shapes, parameter counts and MACs (no TensorFlow)")
    p.add_argument("spec", metavar="SPEC|PRESET|FILE", help="architecture string, preset name or .spec file")
    _add_binding_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_params)

    p = sub.add_parser("space", help="a search space's axes, exact size and points with their params and MACs "
                                     "(no TensorFlow)")
    p.add_argument("spec", metavar="SPEC|PRESET|FILE", help="architecture string with {…}, preset name or .spec file")
    _add_binding_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--limit", "-n", type=int, default=10, metavar="N", help="list up to N points (default 10)")
    p.add_argument("--max-params", type=int, metavar="N", help="list only points with at most N parameters")
    p.add_argument("--sample", action="store_true", help="random points instead of the first ones in grid order")
    p.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")
    p.set_defaults(func=cmd_space)

    p = sub.add_parser("check", help="validate a spec, or a training config completely (schema, lengths, data "
                                     "files) without training; exit 0 when it is valid")
    p.add_argument("spec", metavar="SPEC|PRESET|FILE|CONFIG.json")
    _add_binding_args(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("compile", help="build the Keras model and save it as .keras")
    p.add_argument("spec", metavar="SPEC|PRESET|FILE")
    p.add_argument("-o", "--output", required=True, metavar="OUT.keras")
    p.add_argument("--summary", action="store_true", help="print the Keras summary")
    _add_binding_args(p)
    p.set_defaults(func=cmd_compile)

    p = sub.add_parser("inspect", help="load a .keras file safely (safe_mode=True) and describe it")
    p.add_argument("model", metavar="MODEL.keras")
    p.add_argument("--summary", action="store_true", help="print the Keras summary")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("length", help="input length ↔ output length of a profile model (like lengthCalc)")
    p.add_argument("spec", metavar="SPEC|PRESET|FILE")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--output-length", type=int, metavar="N", help="find the input length for this output")
    group.add_argument("--input-length", type=int, metavar="N", help="find the output length for this input")
    p.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   help="override a preset parameter, e.g. --set layers=8")
    p.set_defaults(func=cmd_length)

    p = sub.add_parser("train", help="train a model from a training config (BPReveal, Capfinder or specdsl kind)")
    p.add_argument("config", metavar="CONFIG.json")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last epoch")
    p.add_argument("--reprocess", action="store_true", help="Capfinder configs: rebuild the processed dataset even "
                                                            "when an up-to-date one exists")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("make-data", help="write a synthetic data set with a planted signal: BPReveal HDF5 files "
                                         "(the default) or a DeepCpG genome + CpG profiles")
    p.add_argument("format", nargs="?", choices=["bpreveal", "deepcpg", "workshop", "capfinder"], default="bpreveal",
                   help="bpreveal (default): --train/--val HDF5 files; deepcpg: --out DIR with a genome and profiles; "
                        "workshop: --out DIR with TB isolates (FASTA, labels for 13 drugs, BAMs); capfinder: --out "
                        "DIR with one data__<cap>.csv of cap signals per class")
    p.add_argument("--out", metavar="DIR", help="deepcpg: folder for dna/*.fa.gz and cpg/<cell>.tsv; workshop: "
                                                "folder for the isolates")
    p.add_argument("--isolates", type=int, default=1000, help="workshop: isolates (default 1000)")
    p.add_argument("--reads", type=int, default=300, help="capfinder: reads per class (default 300)")
    p.add_argument("--classes", type=int, default=4, help="capfinder: cap classes (default 4)")
    p.add_argument("--bams", type=int, default=0, help="workshop: BAMs of simulated reads for this many test "
                                                       "isolates (default 0)")
    p.add_argument("--cells", type=int, default=3, help="deepcpg: cells (profiles), default 3")
    p.add_argument("--sites", type=int, default=5000, help="deepcpg: CpG sites per chromosome, default 5000")
    p.add_argument("--chromosomes", nargs="+", default=["1", "2", "3"], help="deepcpg: chromosome names")
    p.add_argument("--train", metavar="TRAIN.h5", help="training file to write")
    p.add_argument("--val", metavar="VAL.h5", help="validation file to write")
    p.add_argument("--regions", type=int, default=2000, help="regions in the training file (default 2000)")
    p.add_argument("--val-regions", type=int, default=500, help="regions in the validation file (default 500)")
    p.add_argument("--input-length", type=int, help="bpreveal: input length (required)")
    p.add_argument("--output-length", type=int, help="bpreveal: output length (required)")
    p.add_argument("--max-jitter", type=int, default=0)
    p.add_argument("--tasks", type=int, nargs="+", default=[2], help="tasks per head, e.g. --tasks 2 1")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_make_data)

    p = sub.add_parser("onehot", help="FASTA records, or BAMs over --regions, to the workshop's one-hot CSVs "
                                      "(header A,C,G,T; one file per sample)")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="FASTA files (one CSV per record) or indexed BAM files")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="a folder (one <sample>.csv per record or BAM), or X.csv for a single BAM")
    p.add_argument("--regions", metavar="REGIONS.csv",
                   help="BAMs: chrom,start,end per line (1-based, inclusive), concatenated in file order")
    p.add_argument("--min-depth", type=int, metavar="N", help="BAMs: fewer base calls → a zero row (default 3)")
    p.add_argument("--min-base-quality", type=int, metavar="Q", help="BAMs: calls below this are not counted "
                                                                     "(default 13)")
    p.add_argument("--min-mapq", type=int, metavar="Q", help="BAMs: reads below this mapping quality are skipped "
                                                             "(default 0)")
    p.set_defaults(func=cmd_onehot)

    p = sub.add_parser("predict", help="a classifier's calls and probabilities for one-hot CSVs, FASTA records or "
                                       "Capfinder's cap signal CSVs")
    p.add_argument("model", metavar="MODEL.keras")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="one-hot CSVs, folders of them, FASTA files, or signal "
                                                              "CSVs (read_id,…,timeseries)")
    p.add_argument("-o", "--output", metavar="PREDICTIONS.csv", help="write the predictions here (else to stdout)")
    p.add_argument("-v", "--verbose", action="store_true", help="print the predictions as a table")
    p.add_argument("--threshold", type=float, default=0.5, help="binary call 1 above this probability (default 0.5)")
    p.add_argument("--batch-size", type=int, default=64)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("evaluate", help="per-output accuracy, AUROC, AUPRC, MCC, F1 (and confusion matrices) of a "
                                        "classifier on labelled samples")
    p.add_argument("model", metavar="MODEL.keras")
    p.add_argument("data", nargs="+", metavar="DATA", help="FASTA files or one-hot CSVs (folders of them)")
    p.add_argument("--labels", nargs="+", metavar="LABELS.csv",
                   help="labels CSV(s); default: beside each DATA, named after it (test.fa → test.labels.csv)")
    p.add_argument("-o", "--output", metavar="PREFIX", help="also write PREFIX.json and PREFIX.png")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--threshold", type=float, default=0.5, help="binary call 1 above this probability (default 0.5)")
    p.add_argument("--batch-size", type=int, default=64)
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("annotate", help="label every base of real reads with a trained read-labelling model "
                                        "(e.g. from 'specdsl tranquillyzer train-model'); one TSV row per segment")
    p.add_argument("model", metavar="MODEL", help="a train-model variant folder (OUT/<model>_<idx>) or a .keras file")
    p.add_argument("reads", metavar="READS", help="FASTQ or FASTA, plain or gzip-compressed")
    p.add_argument("-o", "--output", required=True, metavar="ANNOTATIONS.tsv",
                   help="columns read_id, label, start, end (0-based, end exclusive), strand, score, sequence; "
                        "gzip-compressed when the name ends in .gz")
    p.add_argument("--strand", choices=["both", "forward"], default="both",
                   help="both: decode the read and its reverse complement, keep the more probable labelling; "
                        "forward: the read as given only (half the work)")
    p.add_argument("--window", type=int, default=4096, help="reads longer than this are decoded in overlapping "
                                                            "windows of this many bases")
    p.add_argument("--overlap", type=int, default=256, help="bases each window shares with its neighbour, per side")
    p.add_argument("--batch-tokens", type=int, default=65536, help="bases per model call (memory ∝ this)")
    p.set_defaults(func=cmd_annotate)

    p = sub.add_parser("plot", help="plot loss curves from a history file")
    p.add_argument("history", metavar="HISTORY.json")
    p.add_argument("-o", "--output", required=True, metavar="PLOT.png")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("init", help="write a commented config template with every key and its default")
    p.add_argument("kind", metavar="KIND", help="bpreveal-solo or specdsl-train")
    p.add_argument("-o", "--output", metavar="FILE")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("schema", help="print a config kind's JSON Schema (for editors) or its BNF")
    p.add_argument("kind", metavar="KIND")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="JSON Schema (the default)")
    fmt.add_argument("--bnf", action="store_true", help="BNF, as in BPReveal's documentation")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("kinds", help="list the layer kinds of the architecture language")
    p.set_defaults(func=cmd_kinds)

    from .compat import SYSTEMS

    for system in SYSTEMS.values():
        verbs = "; ".join(f"{v}: {h}" for v, _, h in system.verbs)
        p = sub.add_parser(system.name, help=f"{system.doc}, with their own options",
                           description=f"specdsl {system.name} VERB ARGS…  ({verbs})")
        p.add_argument("system_verb", metavar="VERB", choices=system.verb_names())
        p.add_argument("system_args", nargs=argparse.REMAINDER, metavar="ARGS")
    return parser


def _system_call(argv: list[str]) -> tuple[bool, list[str]] | None:
    """``[--debug] SYSTEM VERB ARGS…`` → (debug, argv): adapters parse their own options."""
    from .compat import SYSTEMS

    debug = bool(argv) and argv[0] == "--debug"
    rest = argv[1:] if debug else argv
    if len(rest) >= 2 and rest[0] in SYSTEMS and not rest[1].startswith("-"):
        return debug, rest
    if len(rest) == 1 and rest[0] in SYSTEMS:  # no verb: say which there are
        return debug, [rest[0], ""]
    return None


def _run_system(argv: list[str]) -> int:
    from .compat import run

    return run(argv[0], argv[1], argv[2:])


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    system_call = _system_call(argv)
    if system_call is not None:
        debug, rest = system_call
        args = argparse.Namespace(debug=debug, func=lambda _a: _run_system(rest))
    else:
        args = build_parser().parse_args(argv)
    if not args.debug:  # TensorFlow's C++ start-up chatter is not for users
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        return int(args.func(args) or 0)
    except SpecError as err:
        if args.debug:
            raise
        print(err.render(), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `specdsl params X --json | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # a path the user gave cannot be read or written
        if args.debug:
            raise
        where = f"{err.filename}: " if err.filename else ""
        print(f"{where}{err.strerror or err}", file=sys.stderr)
        return EXIT_USER_ERROR
