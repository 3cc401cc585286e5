"""``--set PATH=VALUE``: any value of a config, set from the command line before the config is checked.

PATH is keys joined by dots (``schedule.epochs``); a number steps into a list
(``heads.0.loss-weight``).  VALUE is JSON (``2``, ``1e-4``, ``true``, ``["a.fa", "b.fa"]``), and
anything that is not JSON is text (``--set data.train=out/train.fa``, ``--set runtime.device=gpu``).

The value replaces the one in the positioned document the reader built, as a node positioned
in the option's own text.  So the schema and the cross-field checks see it as if the file held
it (one set of rules, no second validator for the command line), and an error about it is shown
at the option: ``--set schedule.epoch=2: schedule: unknown key 'epoch'`` with a caret under
``epoch``.  Sections the config lacks are created on the way (``--set runtime.device=gpu`` in a
config without ``runtime``).  A system's own options that set one key (the workshop's ``-lr``) are
:func:`alias` overrides, so they are checked, placed and stored the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from specdsl.config.reader import ArrayNode, Entry, Node, ObjectNode, PathStep, ScalarNode, format_path, parse_value
from specdsl.config.validate import describe_value
from specdsl.errors import Source, Span, SpecError

OPTION = "--set"
EXAMPLE = "--set schedule.epochs=2"


@dataclass(frozen=True)
class Override:
    """One command-line setting: the keys of its path, each with where it was typed, and its value."""

    steps: tuple[tuple[str, Span], ...]
    value: Node
    problems: tuple[SpecError, ...] = ()  # soft problems in the value (a duplicate key in a JSON object)


def parse_set(text: str, option: str = OPTION) -> Override:
    """``PATH=VALUE`` as typed after ``--set``."""
    source = Source(option, text, option=True)
    path, eq, _value_text = text.partition("=")
    if not eq or not path.strip():
        raise SpecError("expected PATH=VALUE", span=Span(source, 1, 1, 1, len(text) + 1),
                        expected="a dotted key path into the config, '=' and a value, e.g. " + EXAMPLE,
                        hint="a number in the path picks a list item: heads.0.loss-weight")
    steps, column = [], 1
    for key in path.split("."):
        span = Span(source, 1, column, 1, column + max(len(key), 1))
        if not key.strip():
            raise SpecError("an empty key in the path", span=span, expected="keys joined by single dots, e.g. "
                            "optimizer.learning-rate")
        steps.append((key, span))
        column += len(key) + 1
    node, problems = _value(source, len(path) + 2)
    return Override(tuple(steps), node, tuple(problems))


def alias(option: str, path: str, text: str) -> Override:
    """An option that sets the one key ``path`` to the value ``text``: errors are shown at ``option text``."""
    source = Source(option, text, option=True)
    whole = Span(source, 1, 1, 1, len(text) + 1)
    node, problems = _value(source, 1)
    return Override(tuple((key, whole) for key in path.split(".")), node, tuple(problems))


def _value(source: Source, column: int) -> tuple[Node, list[SpecError]]:
    """The value as JSON, positioned in the option's text; text that is not JSON is a string."""
    raw = source.text[column - 1:]
    try:
        json.loads(raw)
        return parse_value(source, column)
    except (ValueError, SpecError):  # not JSON (or JSON the config language refuses, such as NaN): text
        return ScalarNode(Span(source, 1, column, 1, len(source.text) + 1), raw), []


def parse_sets(texts: Iterable[str], option: str = OPTION) -> list[Override]:
    return [parse_set(text, option) for text in texts]


def apply_overrides(root: Node, overrides: Sequence[Override]) -> tuple[Node, list[SpecError]]:
    """``root`` with every override applied in order (a later one wins), and the problems: an override
    whose path leads nowhere is left out and reported with the rest, as are its value's soft problems."""
    problems: list[SpecError] = []
    for override in overrides:
        try:
            root = _set(root, override.steps, override.value, [])
        except SpecError as err:
            problems.append(err)
            continue
        problems += override.problems
    return root, problems


def _set(node: Node, steps: Sequence[tuple[str, Span]], value: Node, done: list[PathStep]) -> Node:
    (key, span), rest = steps[0], steps[1:]
    if isinstance(node, ObjectNode):
        entry = node.entry(key)
        if not rest:
            new = Entry(key, span, value)  # the key as typed: an unknown one is shown at the option
        else:
            inner = entry.node if entry is not None else ObjectNode(span, ())
            new = Entry(key, entry.key_span if entry is not None else span, _set(inner, rest, value, [*done, key]))
        entries = tuple(new if e is entry else e for e in node.entries) if entry is not None else (*node.entries, new)
        return ObjectNode(node.span, entries)
    where = format_path(done) or "the config"
    if isinstance(node, ArrayNode):
        count = len(node.items)
        if not key.isdigit():
            raise SpecError(f"{where} is a list, so the next step is an item's number, not '{key}'", span=span,
                            expected=f"a number from 0 to {count - 1}" if count else "nothing: the list is empty")
        index = int(key)
        if index >= count:
            raise SpecError(f"{where} has {count} item{'s' if count != 1 else ''}, so there is no item {index}",
                            span=span, hint="items are numbered from 0" if count else None)
        child = value if not rest else _set(node.items[index], rest, value, [*done, index])
        return ArrayNode(node.span, (*node.items[:index], child, *node.items[index + 1:]))
    raise SpecError(f"{where} is {describe_value(node)}, which has no key '{key}'", span=span,
                    hint=f"set {where} itself, e.g. {OPTION} {where}=VALUE" if done else None)


__all__ = ["Override", "alias", "apply_overrides", "parse_set", "parse_sets"]
