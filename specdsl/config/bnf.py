"""The BNF of a config kind, derived from its schema, in the style of BPReveal's documentation.

BPReveal users read their config format as BNF (``<head-list> ::=
<individual-head>«, <head-list>»``); rendering it from the schema means the
grammar people read can never disagree with what validation accepts.
``«...»`` marks an optional part; keys may come in any order.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from specdsl.config.kinds import schema_of
from specdsl.schema import Schema, one_or_both_pair

_PRIMITIVES = {"integer": "<integer>", "number": "<number>", "string": "<string>", "boolean": "<boolean>",
               "null": "null"}


def _pair_name(a: str, b: str) -> str:
    common = []
    for x, y in zip(a.split("-"), b.split("-")):
        if x != y:
            break
        common.append(x)
    return "-".join(common or ["choice"]) + "-section"


class _Rules:
    def __init__(self) -> None:
        self.rules: dict[str, str] = {}

    def define(self, name: str, build: Callable[[], str]) -> str:
        """Define ``<name> ::= build()``; the slot is taken first so rules read top-down."""
        if name not in self.rules:
            self.rules[name] = ""
            self.rules[name] = build()
        return f"<{name}>"

    def value(self, key: str, s: Schema, parent: str) -> str:
        """The right-hand side for one key's value, defining any rules it needs."""
        if "const" in s:
            return json.dumps(s["const"])
        if "enum" in s:
            if len(s["enum"]) == 1:
                return json.dumps(s["enum"][0])
            return self.define(key if key != "name" else f"{parent}-{key}",
                               lambda: " | ".join(map(json.dumps, s["enum"])))
        if "oneOf" in s:
            return self.define(key, lambda: " | ".join(self.value(key, b, parent) for b in s["oneOf"]))
        kind = s.get("type")
        if isinstance(kind, list):
            return " | ".join(_PRIMITIVES[k] for k in kind)
        if kind == "object":
            return self.object(s) if "properties" in s else self.mapping(s)
        if kind == "array":
            item = s["items"]
            noun = item.get("title", key)
            name = f"{noun}-list"
            inner = self.define(name, lambda: f"{self.value(noun, item, parent)}«, <{name}>»")
            return f"[«{inner}»]" if s.get("minItems", 0) == 0 else f"[{inner}]"  # «…»: may be empty
        if kind == "string" and "title" in s:
            return f"<{s['title'].replace(' ', '-')}>"
        if kind == "string" and s.get("format") == "file-name":
            return "<file-name>"
        return _PRIMITIVES[kind]

    def object(self, s: Schema) -> str:
        return self.define(s["title"].replace(" ", "-"), lambda: self._object_body(s))

    def _object_body(self, s: Schema) -> str:
        title = s["title"]
        required = set(s.get("required", ()))
        pair = one_or_both_pair(s)
        items: list[tuple[str, bool]] = []
        for key, sub in s["properties"].items():
            if pair and key == pair[1]:
                continue
            if pair and key == pair[0]:
                a, b = (f'"{k}" : {self.value(k, s["properties"][k], title)}' for k in pair)
                body = f"{a} | {b} | {a}, {b}"
                items.append((self.define(_pair_name(*pair), lambda body=body: body), False))
                continue
            items.append((f'"{key}" : {self.value(key, sub, title)}', key not in required))
        parts: list[str] = []
        for text, optional in items:
            sep = ", " if parts else ""
            parts.append(f"«{sep}{text}»" if optional else f"{sep}{text}")
        return "{ " + "".join(parts) + " }"

    def mapping(self, s: Schema) -> str:
        name = s["title"].replace(" ", "-")

        def body() -> str:
            entries = self.define(f"{name}-entries", lambda: f"<string> : <{name}-value>«, <{name}-entries>»")
            self.define(f"{name}-value", lambda: self.value(f"{name}-value", s["additionalProperties"], name))
            return f"{{}} | {{ {entries} }}"
        return self.define(name, body)


def schema_bnf(kind: str) -> str:
    """The BNF of config kind ``kind`` (for ``specdsl schema NAME --bnf``)."""
    rules = _Rules()
    rules.value(kind, schema_of(kind), kind)
    return "\n".join(f"<{name}> ::= {body}" for name, body in rules.rules.items()) + "\n"
