"""Verbs of training runs and their configs: train, make-data, init, schema."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from specdsl.errors import SpecError


def _check_config_kind(kind: str) -> None:
    from specdsl.config.kinds import check_kind

    check_kind(kind)


def cmd_train(args: argparse.Namespace) -> int:
    from specdsl.config import load_config
    from specdsl.config.kinds import config_kind

    ir = load_config(args.config)
    pipeline = config_kind(ir.kind).load_pipeline()
    if pipeline is not None:  # Capfinder's config: ETL, search, final training, evaluation
        return pipeline.run_ir(ir, resume=args.resume, reprocess=args.reprocess)
    if args.reprocess:
        raise SpecError(f"--reprocess rebuilds a Capfinder run's processed dataset; this is a {ir.kind} config",
                        path="--reprocess")
    from specdsl.training.session import run_training

    return run_training(ir, resume=args.resume)


def _generators() -> dict[str, Any]:
    """``make-data`` generators, by name: the modules systems list under ``make_data``."""
    from specdsl.plugins import modules

    return {m.NAME: m for m in modules("make_data")}


def cmd_make_data(args: argparse.Namespace) -> int:
    return int(_generators()[args.format].run(args) or 0)


def cmd_init(args: argparse.Namespace) -> int:
    from specdsl.config import init_template

    _check_config_kind(args.kind)
    text = init_template(args.kind)
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
    p.add_argument("config", metavar="CONFIG.json")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last epoch")
    p.add_argument("--reprocess", action="store_true", help="Capfinder configs: rebuild the processed dataset even "
                                                            "when an up-to-date one exists")
    p.set_defaults(func=cmd_train)

    generators = _generators()
    default = next((name for name, g in generators.items() if g.DEFAULT), None)
    p = sub.add_parser("make-data", help="write a synthetic data set with a planted signal, in the files of one "
                                         f"system ({', '.join(generators)})")
    p.add_argument("format", nargs="?", choices=list(generators), default=default,
                   help="; ".join(g.HELP for g in generators.values()))
    p.add_argument("--out", metavar="DIR", help="the folder a generator that writes a folder writes into")
    p.add_argument("--seed", type=int, default=0, help="seed of the random data (default 0)")
    for generator in generators.values():
        generator.add_arguments(p)
    p.set_defaults(func=cmd_make_data)

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
