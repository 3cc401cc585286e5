"""Commented starting configs, written from the schemas (``specdsl init``).

A template shows every key with its default or an example and a ``#`` comment
saying what it is, so a user edits values instead of looking up key names.
It is built from the same schema validation uses, and a test checks that each
template validates as written.

A key that is optional and has no default changes what a run does only when it is
there (``start-from`` loads weights, ``lr-schedule`` replaces the learning-rate decay),
so the template shows it commented out: the user removes the ``#`` to use it, and a
template never asks for a file the user does not have or for two rules that exclude
each other.  A *starter* (:mod:`.starters`, ``specdsl init KIND --template NAME``)
gives a task's own values (its reader, heads, architecture and data paths); the
writer shows them, in the branch of every ``oneOf`` they take, around the same
commented keys.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from specdsl.config.kinds import schema_of
from specdsl.schema import Schema, describe, one_or_both_pair, template_value

_INDENT = "    "
_WIDTH = 100
_NONE = object()  # no value given for a key: the template's own


def _comment(text: str, pad: str) -> list[str]:
    return [f"{pad}# {line}" for line in textwrap.wrap(text, _WIDTH - len(pad) - 2, break_on_hyphens=False)]


def _status(key: str, s: Schema, parent: Schema) -> str:
    pair = one_or_both_pair(parent)
    if pair and key in pair:
        other = pair[1] if key == pair[0] else pair[0]
        return f"give this, {other}, or both"
    if key in parent.get("required", ()):
        return "required"
    if s.get("type") == "object" and "properties" in s:
        return "optional section"
    if "default" in s:
        return f"default {json.dumps(s['default'])}"
    return "optional; remove the # to use it"


def _shown(key: str, s: Schema, parent: Schema, given: dict[str, Any]) -> bool:
    """Whether a key the values leave out is written as a value (else commented out, see the module doc);
    of a give-one-or-both pair, the template shows both, a starter's values the one they give."""
    pair = one_or_both_pair(parent)
    return (key in parent.get("required", ()) or "default" in s or "const" in s  # a kind, a reader: it says which
            or (pair is not None and key in pair and not any(k in given for k in pair))
            or (s.get("type") == "object" and "properties" in s))


def _fits(alt: Schema, value: Any) -> bool:
    """Whether ``value`` is of the ``oneOf`` branch ``alt``: its JSON type, and the constants (``kind``,
    ``reader``) that tell an object's branches apart."""
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int, "number": (int, float)}
    wanted = kinds.get(alt.get("type", ""))
    if wanted is not None and not isinstance(value, wanted):
        return False
    if isinstance(value, dict):
        for key, sub in alt.get("properties", {}).items():
            if "const" in sub and key in value and value[key] != sub["const"]:
                return False
    return True


def _branch(s: Schema, value: Any) -> int:
    alts = s["oneOf"]
    return 0 if value is _NONE else next((i for i, alt in enumerate(alts) if _fits(alt, value)), 0)


def _or_comment(alt: Schema, pad: str) -> list[str]:
    """``# or: {…}`` for another kind of value, wrapped between items so no "key": value pair is split."""
    return _one_line(template_value(alt, prefer_example=True), f"{pad}# or: ", f"{pad}#     ")


def _one_line(value: Any, first: str, rest: str) -> list[str]:
    lines, line = [], first
    for i, item in enumerate(json.dumps(value, ensure_ascii=False).split(", ")):
        piece = item if i == 0 else ", " + item
        if len(line) + len(piece) > _WIDTH and i:
            lines.append(line + ",")
            line = rest + item
        else:
            line += piece
    return [*lines, line]


def _others(s: Schema, value: Any, pad: str) -> list[str]:
    """``# or:`` lines for the branches of a ``oneOf`` other than the one written."""
    chosen = _branch(s, value) if "oneOf" in s else 0
    return [line for i, alt in enumerate(s.get("oneOf", ())) if i != chosen for line in _or_comment(alt, pad)]


class _Writer:
    def value(self, s: Schema, depth: int, given: Any = _NONE) -> list[str]:
        """Lines for a value (``given``, else the template's); the first continues the key's line."""
        if "oneOf" in s:
            return self.value(s["oneOf"][_branch(s, given)], depth, given)
        if s.get("type") == "object" and "properties" in s and (given is _NONE or isinstance(given, dict)):
            return self.object(s, depth, {} if given is _NONE else given)
        if s.get("type") == "array" and "items" in s and isinstance(given, list) and given:
            return self.array(s, depth, given)
        if given is not _NONE:
            return [json.dumps(given, ensure_ascii=False)]
        if s.get("type") == "array" and "default" in s:  # an optional list (spec-files): its default, []
            return [json.dumps(s["default"])]
        if s.get("type") == "array":
            return self.array(s, depth, [_NONE])
        return [json.dumps(template_value(s))]

    def array(self, s: Schema, depth: int, items: list[Any]) -> list[str]:
        pad = _INDENT * (depth + 1)
        item = s["items"]
        lines = ["["] + _comment(item.get("description", ""), pad) + _others(item, items[0], pad)
        for i, given in enumerate(items):
            body = self.value(item, depth + 1, given)
            lines += [pad + body[0], *body[1:]]
            if i < len(items) - 1:
                lines[-1] += ","
        return lines + [_INDENT * depth + "]"]

    def object(self, s: Schema, depth: int, given: dict[str, Any]) -> list[str]:
        pad = _INDENT * (depth + 1)
        entries = []
        for key, sub in s["properties"].items():
            lines = _comment(f"{key}: {describe(sub)}; {_status(key, sub, s)}. {sub.get('description', '')}", pad)
            value = given.get(key, _NONE)
            lines += _others(sub, value, pad)
            if value is _NONE and not _shown(key, sub, s, given):  # one line, ready to be uncommented
                example = template_value(sub, prefer_example=True)
                lines += _one_line(example, f'{pad}# "{key}": ', f"{pad}#     ")
                lines[-1] += ","
                entries.append((lines, False))
                continue
            body = self.value(sub, depth + 1, value)
            entries.append((lines + [f'{pad}"{key}": {body[0]}', *body[1:]], True))
        out = ["{"]
        for i, (lines, active) in enumerate(entries):  # a comma after each but the last: the config reader takes
            out += lines                                 # a trailing one, so any key can be uncommented as it is
            if active and i < len(entries) - 1:
                out[-1] += ","
        return out + [_INDENT * depth + "}"]


def init_template(kind: str, values: dict[str, Any] | None = None, intro: str = "") -> str:
    """A commented config of ``kind`` with every key, that validates as written; ``values`` (a
    starter's) replace the template's own values where they are given, ``intro`` heads it."""
    schema = schema_of(kind)
    head = _comment(f'A training config of kind "{kind}". {schema["description"]}', "")
    for paragraph in filter(None, intro.split("\n")):  # an indented one is a command line: whole, to copy
        head += [f"# {paragraph}"] if paragraph.startswith(" ") else _comment(paragraph, "")
    head += _comment("Comments start with # or //. Every key is shown with its default or an example; keys "
                     "marked optional may be deleted, and those commented out are used once their # is removed.",
                     "")
    return "\n".join(head + _Writer().value(schema, 0, _NONE if values is None else values)) + "\n"
