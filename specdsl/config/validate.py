"""Check a parsed config against its kind's schema; every problem, in plain words, at its position.

``jsonschema`` does the checking; this module only translates.  Each jsonschema
error names a path into the instance, which :func:`reader.locate` maps back to
the value's span (the key's span for an unknown key, the enclosing object for a
missing one).  Its message is rebuilt from the schema itself (``describe``), so
the user reads "expected an integer ≥ 1, got the string "64"" and never
"'64' is not of type 'integer'".
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft7Validator, ValidationError
from jsonschema.validators import extend

from specdsl.config.checks import semantic_errors
from specdsl.config.kinds import check_kind, schema_of
from specdsl.config.programs import RUN_WITH, foreign_program
from specdsl.config.reader import ArrayNode, Node, ObjectNode, PathStep, ScalarNode, format_path, locate
from specdsl.errors import SpecError, SpecErrors, did_you_mean, nearest, quoted_list
from specdsl.schema import (
    FOREIGN_KEYS,
    TAG,
    TAG_DEFAULT,
    TAG_VALUES,
    Schema,
    describe,
    join_or,
    one_or_both_pair,
    tagged_branch,
)

# An integer is a number written without a point or exponent: 64.0 for epochs is a mistake worth
# reporting, and it keeps the IR's ints ints (draft 7 alone would accept 64.0).
_TYPES = Draft7Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, v: isinstance(v, int) and not isinstance(v, bool))
_Validator = extend(Draft7Validator, type_checker=_TYPES)



@cache
def _validator(kind: str) -> Draft7Validator:
    schema = schema_of(kind)
    _Validator.check_schema(schema)
    return _Validator(schema)


# ---------------------------------------------------------------- kind detection


def detect_kind(root: Node) -> str:
    """Which kind a config is.

    The rule: a top-level ``"kind"`` key names it; otherwise the config of another
    BPReveal program (a key only that program has, see :mod:`.programs`) is an
    error that names the program; otherwise the first kind whose ``claims`` rule
    accepts it (``bpreveal-solo`` claims configs with BPReveal's top-level keys
    ``settings``, ``train-data`` or ``val-data``, so BPReveal files work unchanged);
    anything else is an error that says what to add.
    """
    from specdsl.config.kinds import all_config_kinds

    kinds = all_config_kinds()
    if not isinstance(root, ObjectNode):
        raise SpecError(f"a config file holds one object {{ ... }}, not {describe_value(root)}", span=root.span)
    entry = root.entry("kind")
    if entry is not None:
        value = entry.node.value
        if isinstance(value, str) and value in kinds:
            return value
        message = f"unknown config kind {json.dumps(value)}" if isinstance(value, str) else (
            f"the config kind must be a string, not {describe_value(entry.node)}")
        raise SpecError(message, span=entry.node.span, path="kind",
                        expected="one of " + ", ".join(f'"{k}"' for k in kinds),
                        hint=did_you_mean(value, kinds) if isinstance(value, str) else None)
    foreign = foreign_program(root.to_python())
    if foreign is not None:
        program, keys = foreign
        first = keys.split("+")[0].split(".")[0].removesuffix("[]")
        runner = RUN_WITH.get(program, f"BPReveal's {program}")
        raise SpecError(f"this looks like a {program} config; specdsl trains solo models from trainSoloModel "
                        "configs", span=root.key_span(first) or root.span,
                        hint=f"it has {' and '.join(repr(k) for k in keys.split('+'))}, which {program} configs "
                             f"have; run it with {runner}")
    for name, kind in kinds.items():
        if kind.claims is not None and kind.claims(root):
            return name
    raise SpecError("cannot tell which kind of config this is", span=root.span,
                    expected='"kind": "specdsl-train", or a BPReveal trainSoloModel config '
                             '(with "settings", "train-data", "val-data" and "heads")')


# ---------------------------------------------------------------- the words for values


def describe_value(node: Node) -> str:
    """How an error names what the user wrote: ``the string "64"``, ``the number 1e3``, ``a list``."""
    if isinstance(node, ObjectNode):
        return "an empty object" if not node.entries else "an object"
    if isinstance(node, ArrayNode):
        return "an empty list" if not node.items else "a list"
    assert isinstance(node, ScalarNode)
    value = node.value
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str):
        if not value:
            return "an empty string"
        text = json.dumps(value)
        return "the string " + (text if len(text) <= 40 else text[:36] + '..."')
    return f"the number {node.span.text() or value}"


# ---------------------------------------------------------------- jsonschema errors → SpecErrors


class _Translator:
    """Turns jsonschema's errors into SpecErrors positioned in the parsed document."""

    def __init__(self, root: Node):
        self.root = root
        self.seen: set[tuple[Any, ...]] = set()

    def error(self, message: str, path: list[PathStep], node: Node, **kw: Any) -> list[SpecError]:
        key = (tuple(path), message)
        if key in self.seen:
            return []
        self.seen.add(key)
        return [SpecError(message, span=kw.pop("span", node.span), path=format_path(path), **kw)]

    def translate(self, err: ValidationError) -> list[SpecError]:
        path = list(err.absolute_path)
        node = locate(self.root, path)
        schema: Schema = err.schema if isinstance(err.schema, dict) else {}
        handler = getattr(self, "_" + str(err.validator), None)
        if handler is not None:
            return handler(err, path, node, schema)
        return self.error(f"is not valid here ({err.message})", path, node)  # pragma: no cover - no such keyword yet

    def _mismatch(self, err: ValidationError, path: list[PathStep], node: Node, schema: Schema) -> list[SpecError]:
        hint = None
        if "enum" in schema and isinstance(err.instance, str):
            hint = did_you_mean(err.instance, schema["enum"])
        return self.error(f"expected {describe(schema)}, got {describe_value(node)}", path, node, hint=hint)

    _type = _enum = _const = _minLength = _minItems = _pattern = _mismatch

    def _range(self, err: ValidationError, path: list[PathStep], node: Node, schema: Schema) -> list[SpecError]:
        return self.error(f"out of range: expected {describe(schema)}, got {node.span.text() or err.instance}",
                          path, node)

    _minimum = _maximum = _exclusiveMinimum = _exclusiveMaximum = _range

    def _required(self, err: ValidationError, path: list[PathStep], node: Node, schema: Schema) -> list[SpecError]:
        out: list[SpecError] = []
        known = schema.get("properties", {})
        strays = [e for e in node.entries if e.key not in known] if isinstance(node, ObjectNode) else []
        for key in schema.get("required", ()):
            if isinstance(err.instance, dict) and key not in err.instance:
                sub = known.get(key, {})
                typo = next((e for e in strays if nearest(e.key, [key])), None)
                if typo is not None:
                    hint = f"is '{typo.key}' at line {typo.key_span.line} a misspelling of it?"
                else:
                    hint = f"'{key}' is {describe(sub)}: {sub.get('description', '')}".rstrip(": ")
                out += self.error(f"missing required key '{key}'", path, node, hint=hint)
        return out

    def _additionalProperties(self, err: ValidationError, path: list[PathStep], node: Node,
                              schema: Schema) -> list[SpecError]:
        known = list(schema.get("properties", {}))
        foreign = schema.get(FOREIGN_KEYS, {})
        out: list[SpecError] = []
        if not isinstance(node, ObjectNode):  # pragma: no cover - jsonschema only reports objects here
            return out
        for entry in node.entries:
            if entry.key in known:
                continue
            hint = foreign.get(entry.key) or did_you_mean(entry.key, known)
            where = f"in {schema['title']}" if "title" in schema else "here"
            out += self.error(f"unknown key '{entry.key}'", path, entry.node, span=entry.key_span,
                              expected=f"a key {where}: " + quoted_list(known, limit=12), hint=hint)
        return out

    def _anyOf(self, err: ValidationError, path: list[PathStep], node: Node, schema: Schema) -> list[SpecError]:
        pair = one_or_both_pair(schema)
        if pair is None:  # pragma: no cover - every anyOf in the schemas is a one-or-both pair
            return self._oneOf(err, path, node, schema)
        where = schema.get("title", "this object")
        props = schema.get("properties", {})
        hint = "add " + " or ".join(f"'{k}' ({describe(props.get(k, {}))})" for k in pair)
        return self.error(f"{with_the(where)} needs '{pair[0]}' or '{pair[1]}' (or both)", path, node, hint=hint)

    def _oneOf(self, err: ValidationError, path: list[PathStep], node: Node, schema: Schema) -> list[SpecError]:
        """Alternatives differ in JSON type or in a tag key, so the value says which one the user meant."""
        branches = schema.get("oneOf") or schema.get("anyOf") or []
        if TAG in schema and isinstance(err.instance, dict):
            return self._tagged(err, path, node, schema)
        meant = [i for i, b in enumerate(branches) if "type" in b and _validator_type_ok(b["type"], err.instance)]
        if len(meant) == 1:
            out: list[SpecError] = []
            for sub in err.context or ():
                if sub.relative_schema_path and sub.relative_schema_path[0] == meant[0]:
                    out += self.translate(sub)
            if out:
                return out
        return self.error(f"expected {join_or([describe(b) for b in branches])}, got {describe_value(node)}",
                          path, node)


    def _tagged(self, err: ValidationError, path: list[PathStep], node: Node, schema: Schema) -> list[SpecError]:
        tag, values = schema[TAG], schema[TAG_VALUES]
        name = err.instance.get(tag, schema[TAG_DEFAULT])
        if name not in values:
            where = locate(self.root, path + [tag])
            return self.error(f"unknown {tag} {json.dumps(name)}", path + [tag], where,
                              expected="one of " + ", ".join(json.dumps(v) for v in values),
                              hint=did_you_mean(name, values) if isinstance(name, str) else None)
        index = values.index(name)
        out: list[SpecError] = []
        for sub in err.context or ():
            if sub.relative_schema_path and sub.relative_schema_path[0] == index:
                out += self.translate(sub)
        return out


def with_the(noun: str) -> str:
    return f"the {noun}" if " " not in noun else noun


def _validator_type_ok(kind: str | list[str], value: Any) -> bool:
    kinds = kind if isinstance(kind, list) else [kind]
    return any(_TYPES.is_type(value, k) for k in kinds)


def schema_errors(root: Node, kind: str) -> list[SpecError]:
    """Every way ``root`` breaks the schema of ``kind``, positioned and in plain words."""
    translator = _Translator(root)
    out: list[SpecError] = []
    for err in _validator(check_kind(kind)).iter_errors(root.to_python()):
        out += translator.translate(err)
    return out


def errors_against(root: Node, schema: Schema) -> list[SpecError]:
    """Every way ``root`` breaks ``schema``, positioned and in plain words, sorted by position: for the
    configs of programs that are not training runs (BPReveal's makePredictions), which no kind names."""
    _Validator.check_schema(schema)
    translator = _Translator(root)
    found = [e for err in _Validator(schema).iter_errors(root.to_python()) for e in translator.translate(err)]
    return sorted(found, key=_position)


def _position(err: SpecError) -> tuple[int, int]:
    return (err.span.line, err.span.column) if err.span is not None else (0, 0)


# ---------------------------------------------------------------- defaults


def with_defaults(schema: Schema, value: Any) -> Any:
    """``value`` with every missing key that has a default filled in (sections included)."""
    branch = tagged_branch(schema, value)
    if branch is not None:
        return with_defaults(branch, value)
    if "oneOf" in schema:
        for branch in schema["oneOf"]:
            if "type" in branch and _validator_type_ok(branch["type"], value):
                return with_defaults(branch, value)
        return value
    if isinstance(value, dict) and "properties" in schema:
        out = dict(value)
        for key, sub in schema["properties"].items():
            if key not in out and "default" in sub:
                out[key] = copy.deepcopy(sub["default"])
            if key in out:
                out[key] = with_defaults(sub, out[key])
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [with_defaults(schema["items"], v) for v in value]
    return value


# ---------------------------------------------------------------- the entry point


def validate(root: Node, kind: str | None = None, *, problems: Iterable[SpecError] = ()) -> tuple[str, dict]:
    """Check a parsed config; return its kind and its value with defaults applied.

    Raises :class:`SpecErrors` holding every problem at once, sorted by position:
    ``problems`` the reader already found (duplicate keys), schema errors, and the
    checks no schema can express (see :mod:`.checks`).
    """
    checked = check_document(root, kind, problems=problems)
    if checked.errors or checked.config is None:
        raise SpecErrors(checked.errors)
    return checked.kind, checked.config


@dataclass(frozen=True)
class Checked:
    """A config's kind, every problem its document has (sorted by position), and what is left to check:
    its value with defaults, less what breaks the schema (:func:`repaired`), or None with ``blocked``,
    the key whose error leaves nothing usable (a required key that is missing)."""

    kind: str
    config: dict | None
    errors: list[SpecError]
    blocked: str | None = None


def check_document(root: Node, kind: str | None = None, *, problems: Iterable[SpecError] = ()) -> Checked:
    """Like :func:`validate`, without raising, so ``specdsl check`` can go on with what is left to the
    data files and the model and report their errors in the same run."""
    kind = check_kind(kind) if kind is not None else detect_kind(root)
    errors = sorted(list(problems) + schema_errors(root, kind) + semantic_errors(root, kind), key=_position)
    value, blocked = repaired(_validator(kind), root.to_python()) if errors else (root.to_python(), None)
    return Checked(kind, with_defaults(schema_of(kind), value) if value is not None else None, errors, blocked)


def repaired(validator: Draft7Validator, value: Any, rounds: int = 8) -> tuple[Any, str | None]:
    """``value`` less what breaks the schema, for the later checks to run on the rest; else (None, the key path
    that stops it).

    An unknown key is dropped; a wrong value is dropped too, so its default (if it has one) takes
    its place; a wrong list item takes its whole list with it, since dropping the item alone would
    renumber the items after it and every later error would name the wrong one.  A missing
    required key cannot be made up: then nothing is left to check."""
    value = copy.deepcopy(value)
    for _ in range(rounds):
        errors = [leaf for err in validator.iter_errors(value) for leaf in _leaves(err)]
        if not errors:
            return value, None
        for err in errors:
            path = list(err.absolute_path)
            if err.validator == "required":
                return None, format_path(path) or "the config"
            target = _at(value, path)
            if target is _GONE:  # taken out with its list or section by an earlier error of this round
                continue
            if err.validator == "additionalProperties" and isinstance(target, dict):
                known = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
                for key in [key for key in target if key not in known]:
                    del target[key]
                continue
            while path and isinstance(_at(value, path[:-1]), list):
                path.pop()
            parent = _at(value, path[:-1])
            if not path or not isinstance(parent, dict):
                return None, format_path(list(err.absolute_path)) or "the config"
            parent.pop(path[-1], None)
    return None, "the config"  # pragma: no cover - every round takes something out


_GONE = object()


def _leaves(err: ValidationError) -> list[ValidationError]:
    """The errors inside the alternative the value meant (its tag names it, or its JSON type does), as the
    messages are made (:class:`_Translator`): so an unknown key in a head drops the key, not the heads."""
    schema: Schema = err.schema if isinstance(err.schema, dict) else {}
    branches = schema.get("oneOf") or schema.get("anyOf") or []
    if err.validator not in ("oneOf", "anyOf") or not err.context or not branches:
        return [err]
    if TAG in schema:
        name = err.instance.get(schema[TAG], schema[TAG_DEFAULT]) if isinstance(err.instance, dict) else None
        index = schema[TAG_VALUES].index(name) if name in schema[TAG_VALUES] else None
    else:
        meant = [i for i, b in enumerate(branches) if "type" in b and _validator_type_ok(b["type"], err.instance)]
        index = meant[0] if len(meant) == 1 else None
    inner = [sub for sub in err.context if sub.relative_schema_path and sub.relative_schema_path[0] == index]
    return [leaf for sub in inner for leaf in _leaves(sub)] if inner else [err]


def _at(value: Any, path: list[Any]) -> Any:
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return _GONE
    return value
