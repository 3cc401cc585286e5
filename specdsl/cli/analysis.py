"""Verbs that read the language only: presets, params, space, check, length, kinds (no TensorFlow, no Keras)."""

from __future__ import annotations

import argparse
from typing import Any

from specdsl.console import Column, Table, printer
from specdsl.errors import SpecError


def _add_binding_args(p: argparse.ArgumentParser, *, configs: bool = False) -> None:
    p.add_argument("--input", "-i", action="append", default=[], metavar="[NAME=]SHAPE",
                   help="input shape such as 1001x4 (NAME= for a multi-input preset); repeatable"
                        + ("; not for configs, whose data give the shapes" if configs else ""))
    p.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   help="override a preset parameter, e.g. --set dna_wlen=501; repeatable"
                        + ("; for a CONFIG.json, any value of the config, as 'specdsl train --set' takes it "
                           "(--set schedule.epochs=2)" if configs else ""))


def cmd_presets(args: argparse.Namespace) -> int:
    from specdsl import api
    from specdsl.language.report import preset_summary

    rows = [preset_summary(p, g) for p, g in api.presets_table(args.family, args.files)]
    if args.json:
        print(_json_text(rows))
        return 0
    title = f"presets of {', '.join(args.files)}" if args.files else "specdsl presets"
    table = Table(["name", "family", "inputs", Column("params", "right"), "spec"], title=title)
    for r in rows:
        ins = ", ".join(f"{k} {'x'.join('?' if d is None else str(d) for d in v)}" for k, v in r["inputs"].items())
        table.add_row(r["name"], r["family"], ins, f"{r['params']:,}", r["spec"] or "(graph)")
    printer().print(table)
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    from specdsl import api
    from specdsl.language.report import graph_report, render_graph_report

    graph = api.analyse(args.spec, api.parse_settings(args.set), api.parse_inputs(args.input))
    report = graph_report(graph)
    if args.json:
        print(_json_text(report))
    else:
        render_graph_report(report, printer())
    return 0


def cmd_space(args: argparse.Namespace) -> int:
    from specdsl import api
    from specdsl.language.spaces.points import list_points
    from specdsl.language.spaces.report import render_space, space_report

    if args.limit < 0:
        raise SpecError(f"must be ≥ 0, not {args.limit}", path="--limit")
    space = api.space(args.spec, api.parse_settings(args.set), api.parse_inputs(args.input))
    listing = list_points(space, args.limit, max_params=args.max_params, sample=args.sample, seed=args.seed)
    report = space_report(space, listing, args.max_params)
    if args.json:
        print(_json_text(report))
    else:
        render_space(report, printer())
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from specdsl import api
    from specdsl.language.primitives import format_shape

    if api.is_config_path(args.spec):
        if args.input:
            raise SpecError("--input applies to specs; a training config takes its input shapes from the data",
                            path="--input", hint="to change a value of the config, use --set PATH=VALUE")
        plan = api.check_config(args.spec, args.set)
        if isinstance(plan, str):  # the summary of a config kind that describes a whole pipeline (Capfinder's)
            print(plan)
            return 0
        outs = ", ".join(o.display for o in plan.outputs)
        print(f"ok: {args.spec}: {plan.ir.kind} config; model {plan.graph.name}, {plan.graph.total:,} parameters; "
              f"outputs {outs}; {plan.examples['train']:,} training and {plan.examples['val']:,} validation "
              f"examples ({plan.ir.data.reader})")
        return 0
    for graph in api.check(args.spec, api.parse_settings(args.set), api.parse_inputs(args.input)):
        outs = ", ".join(f"{k} {format_shape(v)}" for k, v in graph.output_shapes().items())
        print(f"ok: {graph.name}: {graph.total:,} parameters; outputs {outs}")
    return 0


def cmd_length(args: argparse.Namespace) -> int:
    from specdsl import api
    from specdsl.language.lengths import input_for_output, lengths_for_input
    from specdsl.language.model import resolve_target

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


def cmd_kinds(args: argparse.Namespace) -> int:
    from specdsl.language.kinds import all_kinds

    if args.kind is not None:
        from specdsl.language.kind_view import find_kind_view, render_kind_view

        view = find_kind_view(args.kind)
        if args.json:
            print(_json_text(view))
        else:
            render_kind_view(view, printer())
        return 0
    if args.json:
        from specdsl.language.kind_view import all_kind_views

        print(_json_text(all_kind_views()))
        return 0
    table = Table(["kind", "aliases", "arguments", "what it is"], title="layer kinds")
    for kind in all_kinds().values():
        named = {p for pos in kind.positional for p in (pos if isinstance(pos, tuple) else (pos,))}
        opts = ", ".join(a.name for a in kind.args if a.name not in named)
        sig = kind.signature() + (f" ; {opts}" if opts else "")
        aliases = ", ".join(kind.aliases + tuple(kind.shorthands))
        table.add_row(kind.name, aliases, sig, kind.doc)
    printer().print(table, "specdsl kinds KIND shows one kind: its arguments, their defaults and an example")
    return 0


def add_verbs(sub: Any) -> None:
    p = sub.add_parser("presets", help="list the built-in presets, or those of your spec files")
    p.add_argument("files", nargs="*", metavar="FILE.spec",
                   help="list only the presets these spec files define (the built-in ones are not shown then); "
                        "without files, every built-in preset")
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
    p.add_argument("--limit", "-n", type=int, default=10, metavar="N", help="list up to N points")
    p.add_argument("--max-params", type=int, metavar="N", help="list only points with at most N parameters")
    p.add_argument("--sample", action="store_true", help="random points instead of the first ones in grid order")
    p.add_argument("--seed", type=int, default=0, help="seed of --sample")
    p.set_defaults(func=cmd_space)

    p = sub.add_parser("check", help="validate a spec, or a training config completely (schema, lengths, data "
                                     "files) without training; exit 0 when it is valid")
    p.add_argument("spec", metavar="SPEC|PRESET|FILE|CONFIG.json",
                   help="architecture string, preset name, .spec file (FILE.spec:NAME for one preset) or training "
                        "config")
    _add_binding_args(p, configs=True)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("length", help="input length ↔ output length of a profile model (like lengthCalc)")
    p.add_argument("spec", metavar="SPEC|PRESET|FILE", help="a profile model: architecture string, preset name or "
                                                           ".spec file")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--output-length", type=int, metavar="N", help="find the input length for this output")
    group.add_argument("--input-length", type=int, metavar="N", help="find the output length for this input")
    p.add_argument("--set", "-s", action="append", default=[], metavar="KEY=VALUE",
                   help="override a preset parameter, e.g. --set layers=8")
    p.set_defaults(func=cmd_length)

    p = sub.add_parser("kinds", help="list the layer kinds of the architecture language, or show one kind's "
                                     "arguments and an example")
    p.add_argument("kind", nargs="?", metavar="KIND",
                   help="a layer kind, alias or shorthand (conv, mp, relu): its arguments (position, name, values, "
                        "default, meaning) and an example with its shapes and parameters; without KIND, the table "
                        "of every kind")
    p.add_argument("--json", action="store_true", help="machine-readable output (every kind's view without KIND)")
    p.set_defaults(func=cmd_kinds)


def _json_text(value: object) -> str:
    """``--json`` output (json is imported only when asked for: the table path never needs it)."""
    import json

    return json.dumps(value, indent=2, ensure_ascii=False)
