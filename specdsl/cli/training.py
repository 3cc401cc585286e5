"""Verbs of training runs and their configs: train, make-data, init, schema."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from specdsl.errors import SpecError, did_you_mean


def _check_config_kind(kind: str) -> None:
    from specdsl.config.kinds import check_kind

    check_kind(kind)


def _config_kinds() -> tuple[str, ...]:
    from specdsl.config.kinds import config_kinds

    return config_kinds()


def cmd_train(args: argparse.Namespace) -> int:
    from specdsl.config.kinds import config_kind
    from specdsl.config.overrides import parse_sets
    from specdsl.config.preflight import load_for_run

    overrides = parse_sets(args.set)
    if args.backend:  # before anything imports Keras; it overrides the config's runtime.backend
        from specdsl.backend.selection import use_backend

        use_backend(args.backend, "--backend")
    if args.dry_run:
        return _dry_run(args, overrides)
    ir = load_for_run(args.config, overrides)
    if args.backend:
        ir = dataclasses.replace(ir, runtime=dataclasses.replace(ir.runtime, backend=args.backend))
    pipeline = config_kind(ir.kind).load_pipeline()
    if pipeline is not None:  # Capfinder's config: ETL, search, final training, evaluation
        return pipeline.run_ir(ir, resume=args.resume, reprocess=args.reprocess)
    if args.reprocess:
        raise SpecError(f"--reprocess rebuilds a Capfinder run's processed dataset; this is a {ir.kind} config",
                        path="--reprocess")
    from specdsl.training.session import run_training

    return run_training(ir, resume=args.resume)


def _dry_run(args: argparse.Namespace, overrides: list[Any]) -> int:
    """``train --dry-run``: every check of ``specdsl check``, then the plan; nothing is trained or written."""
    from specdsl.config.preflight import check_config

    for flag, given in (("--resume", args.resume), ("--reprocess", args.reprocess)):
        if given:
            raise SpecError(f"{flag} changes what a run does; --dry-run only checks the config and shows the plan",
                            path=flag, hint=f"leave out {flag} or --dry-run")
    plan = check_config(args.config, overrides)
    done = "dry run: nothing was trained or written"
    if isinstance(plan, str):  # a config kind that describes a whole pipeline (Capfinder's): its own summary
        print(f"{plan}\n{done}")
        return 0
    from specdsl.console import printer
    from specdsl.language.report import graph_report, render_graph_report
    from specdsl.training.devices import check_batch_size, choose_devices, use_run_backend
    from specdsl.training.plan_report import plan_lines

    ir = plan.ir
    if args.backend:
        ir = dataclasses.replace(ir, runtime=dataclasses.replace(ir.runtime, backend=args.backend))
    use_run_backend(ir)
    devices = choose_devices(ir.runtime.device, ir.document)
    check_batch_size(devices, ir.schedule.batch_size, "batch-size", ir.document)
    out = printer()
    out.print(f"plan of {args.config} ({ir.kind} config)")
    render_graph_report(graph_report(plan.graph), out)
    out.print(*plan_lines(plan, devices), done)
    return 0


def _generators() -> dict[str, Any]:
    """``make-data`` generators, by name: the modules systems list under ``make_data``."""
    from specdsl.plugins import modules

    return {m.NAME: m for m in modules("make_data")}


def cmd_make_data(args: argparse.Namespace) -> int:
    generator = _generators()[args.format]
    for action in args.make_data_parser.given():  # an option another generator reads would be dropped silently
        owner = args.make_data_owners.get(action.dest)
        takes = getattr(generator, "SHARED", ("out", "seed"))
        if owner is not None and (owner != args.format if owner else action.dest not in takes):
            flag = action.option_strings[-1] if action.option_strings[-1].startswith("--") else action.option_strings[0]
            whose = f": it is an option of 'make-data {owner}'" if owner else ""
            raise SpecError(f"'make-data {args.format}' does not use {flag}{whose}", path=flag,
                            hint=f"'specdsl make-data --help' lists the options of make-data {args.format} "
                                 "under its name")
    return int(generator.run(args) or 0)


def cmd_init(args: argparse.Namespace) -> int:
    from specdsl.config.starters import all_starters, kind_template, starter_template

    if args.kind in all_starters() and args.kind not in _config_kinds():  # specdsl init classifier
        if args.template and args.template != args.kind:
            raise SpecError(f"'{args.kind}' is a template already; --template {args.template} names another",
                            path="--template", hint=f"specdsl init {args.kind}, or specdsl init "
                                                    f"{all_starters()[args.kind].kind} --template {args.template}")
        text = starter_template(args.kind)
    else:
        if args.kind not in _config_kinds():
            names = [*_config_kinds(), *all_starters()]
            raise SpecError(f"unknown config kind or template '{args.kind}'",
                            expected="a config kind (" + ", ".join(_config_kinds()) + ") or a template ("
                                     + ", ".join(n for n in all_starters() if n not in _config_kinds()) + ")",
                            hint=did_you_mean(args.kind, names))
        text = starter_template(args.template, args.kind) if args.template else kind_template(args.kind)
    if args.output:
        from pathlib import Path

        if Path(args.output).exists() and not args.force:
            raise SpecError("the file exists; add --force to replace it", file=args.output)
        from specdsl.atomic import atomic_write_text

        atomic_write_text(args.output, text)
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from specdsl.config import schema_bnf, schema_json

    _check_config_kind(args.kind)
    if args.bnf:
        print(schema_bnf(args.kind))
    else:
        print(json.dumps(schema_json(args.kind), indent=2, ensure_ascii=False))
    return 0


def add_verbs(sub: Any) -> None:
    p = sub.add_parser("train", help="train a model from a training config (BPReveal, Capfinder or specdsl kind)")
    p.add_argument("config", metavar="CONFIG.json", help="the training config (specdsl init KIND writes one)")
    p.add_argument("--set", "-s", action="append", default=[], metavar="PATH=VALUE",
                   help="change one value of the config for this run, checked like the file: a dotted key path "
                        "(a number picks a list item) and a JSON value, else text, e.g. --set schedule.epochs=2 "
                        "--set heads.0.loss-weight=2; repeatable")
    p.add_argument("--dry-run", action="store_true", help="check everything and show the plan (the model, the "
                   "examples and steps per epoch, the device, where each output goes); train and write nothing")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last epoch")
    p.add_argument("--backend", choices=["auto", "tensorflow", "jax", "torch"], help="the Keras backend to train "
                   "with, in place of the config's runtime.backend (KERAS_BACKEND is used when neither names one)")
    p.add_argument("--reprocess", action="store_true", help="Capfinder configs: rebuild the processed dataset even "
                                                            "when an up-to-date one exists")
    p.set_defaults(func=cmd_train)

    generators = _generators()
    default = next((name for name, g in generators.items() if g.DEFAULT), None)
    p = sub.add_parser("make-data", help="write a synthetic data set with a planted signal, in the files of one "
                                         f"system ({', '.join(generators)})")
    p.add_argument("format", nargs="?", choices=list(generators), default=default,
                   help="; ".join(g.HELP for g in generators.values()))
    folders = [name for name, g in generators.items() if "out" in getattr(g, "SHARED", ("out",))]
    p.add_argument("--out", metavar="DIR", help="the folder to write into (" + ", ".join(folders) + ")")
    p.add_argument("--seed", type=int, default=0, help="seed of the random data")
    owners = {"out": "", "seed": ""}  # option → the generator that reads it ("": those whose SHARED list it)
    for name, generator in generators.items():
        before = len(p._actions)
        generator.add_arguments(p.add_argument_group(f"options of make-data {name}"))
        owners.update({action.dest: name for action in p._actions[before:]})
    p.set_defaults(func=cmd_make_data, make_data_parser=p, make_data_owners=owners)

    from specdsl.config.starters import all_starters, default_starter

    starters = all_starters()
    kinds = _config_kinds()
    defaults = {kind: getattr(default_starter(kind), "name", None) for kind in kinds}
    p = sub.add_parser("init", help="write a commented config template with every key and its default",
                       description="Write a commented config template: every key of the config kind, each with "
                                   "its default or an example; a template (a task's starter values) fills in the "
                                   "reader, heads, architecture and data paths of one task. Every template passes "
                                   "'specdsl check' once its data files exist; its header says how to make them.")
    p.add_argument("kind", metavar="KIND|TEMPLATE",
                   help="a config kind (" + ", ".join(kinds) + ") or a template name (short for the template's kind "
                        "with --template NAME)")
    p.add_argument("--template", "-t", metavar="NAME", choices=list(starters),
                   help="the task to start from: " + "; ".join(f"{s.name} ({s.kind}): {s.task}"
                                                               for s in starters.values())
                        + "".join(f"; {kind} starts from '{name}' when no --template is given"
                                  for kind, name in defaults.items() if name))
    p.add_argument("-o", "--output", metavar="FILE", help="write the template here (else to stdout)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("schema", help="print a config kind's JSON Schema (for editors) or its BNF")
    p.add_argument("kind", metavar="KIND", help="the config kind: " + ", ".join(kinds))
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="JSON Schema (the default)")
    fmt.add_argument("--bnf", action="store_true", help="BNF, as in BPReveal's documentation")
    p.set_defaults(func=cmd_schema)
