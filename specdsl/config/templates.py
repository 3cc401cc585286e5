"""Commented starting configs, written from the schemas (``specdsl init``).

A template shows every key with its default or an example and a ``#`` comment
saying what it is, so a user edits values instead of looking up key names.
It is built from the same schema validation uses, and a test checks that each
template validates as written.
"""

from __future__ import annotations

import json
import textwrap

from specdsl.config.kinds import schema_of
from specdsl.schema import Schema, describe, one_or_both_pair, template_value

_INDENT = "    "
_WIDTH = 100


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
    return "optional"


def _or_comment(alt: Schema, pad: str) -> list[str]:
    """``# or: {…}`` for another kind of value, wrapped between items so no "key": value pair is split."""
    lines, line = [], f"{pad}# or: "
    for i, item in enumerate(json.dumps(template_value(alt, prefer_example=True)).split(", ")):
        piece = item if i == 0 else ", " + item
        if len(line) + len(piece) > _WIDTH and i:
            lines.append(line + ",")
            line = f"{pad}#     {item}"
        else:
            line += piece
    return [*lines, line]


class _Writer:
    def value(self, s: Schema, depth: int) -> list[str]:
        """Lines for a value; the first continues the key's line, the rest are indented."""
        if "oneOf" in s:
            return self.value(s["oneOf"][0], depth)
        if s.get("type") == "object" and "properties" in s:
            return self.object(s, depth)
        if s.get("type") == "array" and "default" in s:  # an optional list (spec-files): its default, []
            return [json.dumps(s["default"])]
        if s.get("type") == "array":
            pad = _INDENT * (depth + 1)
            item = s["items"]
            lines = ["["] + _comment(item.get("description", ""), pad)
            for alt in item.get("oneOf", ())[1:]:  # other kinds of item (e.g. binary heads)
                lines += _or_comment(alt, pad)
            body = self.value(item, depth + 1)
            return lines + [pad + body[0], *body[1:], _INDENT * depth + "]"]
        return [json.dumps(template_value(s))]

    def object(self, s: Schema, depth: int) -> list[str]:
        pad = _INDENT * (depth + 1)
        props = s["properties"]
        out = ["{"]
        for i, (key, sub) in enumerate(props.items()):
            out += _comment(f"{key}: {describe(sub)}; {_status(key, sub, s)}. {sub.get('description', '')}", pad)
            for alt in sub.get("oneOf", ())[1:]:
                out += _or_comment(alt, pad)
            body = self.value(sub, depth + 1)
            comma = "," if i < len(props) - 1 else ""
            out += [f'{pad}"{key}": {body[0]}', *body[1:]]
            out[-1] += comma
        return out + [_INDENT * depth + "}"]


def init_template(kind: str) -> str:
    """A commented config of ``kind`` with every key, that validates as written."""
    schema = schema_of(kind)
    head = _comment(f'A training config of kind "{kind}". {schema["description"]}', "")
    head += _comment("Comments start with # or //. Every key is shown with its default or an example; "
                     "keys marked optional may be deleted.", "")
    return "\n".join(head + _Writer().value(schema, 0)) + "\n"
