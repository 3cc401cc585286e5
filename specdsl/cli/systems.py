"""``specdsl <system> <verb> ARGS…``: a system's own command line, parsed by its adapter."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from specdsl.errors import SpecError, did_you_mean
from specdsl.plugins import systems


def add_groups(sub: Any) -> None:
    """One subcommand per system, for ``specdsl --help`` and ``specdsl <system> --help``."""
    for system in systems().values():
        verbs = "; ".join(f"{v}: {h}" for v, _, h in system.verbs)
        p = sub.add_parser(system.name, help=f"{system.doc}, with their own options",
                           description=f"specdsl {system.name} VERB ARGS…  ({verbs})")
        p.add_argument("system_verb", metavar="VERB", choices=system.verb_names(),
                       help="one of " + ", ".join(system.verb_names()))
        p.add_argument("system_args", nargs=argparse.REMAINDER, metavar="ARGS",
                       help=f"the options of {system.name}'s own command (specdsl {system.name} VERB --help)")


def system_call(argv: list[str]) -> tuple[bool, list[str]] | None:
    """``[--debug] SYSTEM VERB ARGS…`` → (debug, argv): adapters parse their own options."""
    known = systems()
    debug = bool(argv) and argv[0] == "--debug"
    rest = argv[1:] if debug else argv
    if len(rest) >= 2 and rest[0] in known and not rest[1].startswith("-"):
        return debug, rest
    if len(rest) == 1 and rest[0] in known:  # no verb: say which there are
        return debug, [rest[0], ""]
    return None


def run(system: str, verb: str, argv: list[str]) -> int:
    """Run ``specdsl <system> <verb> argv``."""
    entry = systems()[system]
    if not verb:
        raise SpecError(f"'specdsl {system}' needs a verb: specdsl {system} VERB ARGS…",
                        expected="one of " + "; ".join(f"{v} ({h})" for v, _, h in entry.verbs),
                        hint=f"specdsl {system} VERB --help shows a verb's own options")
    why = dict(entry.missing).get(verb)
    if why is not None:
        raise SpecError(f"'{system} {verb}' {why}" if why.startswith("is ") else f"'{system} {verb}': {why}")
    for name, module, _ in entry.verbs:
        if name == verb:
            return int(importlib.import_module(module).main(list(argv)) or 0)
    raise SpecError(f"'specdsl {system}' has no verb '{verb}'", expected="one of " + ", ".join(entry.verb_names()),
                    hint=did_you_mean(verb, entry.verb_names()))


__all__ = ["add_groups", "system_call", "run"]
