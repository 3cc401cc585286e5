"""``--help`` of every verb and option: each says what it is, its default once, and the registries' names."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Iterator

import pytest

from specdsl.cli import build_parser
from specdsl.config.kinds import config_kinds
from specdsl.config.starters import all_starters
from specdsl.plugins import modules, systems


def _walk(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, argparse.ArgumentParser,
                                                                        argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, f"{path} {name}")
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield path, parser, action


def _every_option() -> Iterator[tuple[str, argparse.ArgumentParser, argparse.Action]]:
    yield from _walk(build_parser(), "specdsl")
    for system in systems().values():
        for verb, module, _ in system.verbs:
            yield from _walk(importlib.import_module(module).build_parser(), f"specdsl {system.name} {verb}")


def _help_of(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    formatter = parser._get_formatter()
    return formatter._expand_help(action) if action.help else ""


def test_every_argument_and_option_of_every_verb_has_help() -> None:
    missing = [f"{path}: {'/'.join(a.option_strings) or a.dest}" for path, parser, a in _every_option()
               if not _help_of(parser, a).strip()]
    assert not missing, missing


def test_no_default_is_printed_twice_and_defaults_are_printed() -> None:
    twice, untold = [], []
    for path, parser, action in _every_option():
        text = _help_of(parser, action).lower()
        name = f"{path}: {'/'.join(action.option_strings)}"
        if text.count("default") > 1:
            twice.append(name)
        if (action.option_strings and action.default not in (None, False, argparse.SUPPRESS, [])
                and "default" not in text and "accepted" not in text):
            untold.append(name)
    assert not twice, twice
    assert not untold, untold


@pytest.mark.parametrize("verb,names", [
    ("init", lambda: [*config_kinds(), *all_starters()]),
    ("schema", lambda: list(config_kinds())),
    ("make-data", lambda: [m.NAME for m in modules("make_data")]),
])
def test_verb_help_lists_every_name_its_registry_has(verb, names, capsys) -> None:
    try:
        build_parser().parse_args([verb, "--help"])
    except SystemExit:
        pass
    text = " ".join(capsys.readouterr().out.split())
    assert all(name in text for name in names()), text
    assert verb != "make-data" or "capfinder" in text


def test_the_main_help_lists_every_system(capsys) -> None:
    try:
        build_parser().parse_args(["--help"])
    except SystemExit:
        pass
    text = capsys.readouterr().out
    assert all(name in text for name in systems())
