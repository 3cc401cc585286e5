"""Small builders for JSON Schema (draft 7) and the plain-word reading of a schema.

Each config kind is written once, as a JSON Schema, and everything else — the
validator, the error messages, ``docs/config.md``, the BNF, the ``init``
template — is derived from it.  These builders keep that one schema short and
uniform: every key gets a doc line (``description``), an example or a default,
and the rule *a key with a default is optional* is applied in one place.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]

# Marks a key as optional although it has no default (its absence means "not set").
_OPTIONAL = "x-optional"
# Hints for keys that belong to another program's config (BPReveal's schema forbids them with "not").
FOREIGN_KEYS = "x-foreign-keys"
_MISSING = object()


def _leaf(kind: str, doc: str, default: Any, example: Any, optional: bool, **rules: Any) -> Schema:
    s: Schema = {"type": kind, "description": doc}
    s.update({k: v for k, v in rules.items() if v is not None})
    if default is not _MISSING:
        s["default"] = default
    if example is not _MISSING:
        s["examples"] = [example]
    if optional:
        s[_OPTIONAL] = True
    return s


def integer(doc: str, *, minimum: int | None = None, maximum: int | None = None, default: Any = _MISSING,
            example: Any = _MISSING, optional: bool = False) -> Schema:
    return _leaf("integer", doc, default, example, optional, minimum=minimum, maximum=maximum)


def number(doc: str, *, minimum: float | None = None, exclusive_minimum: float | None = None,
           maximum: float | None = None, exclusive_maximum: float | None = None, default: Any = _MISSING,
           example: Any = _MISSING, optional: bool = False) -> Schema:
    return _leaf("number", doc, default, example, optional, minimum=minimum, exclusiveMinimum=exclusive_minimum,
                 maximum=maximum, exclusiveMaximum=exclusive_maximum)


def fraction(doc: str, **kw: Any) -> Schema:
    """A number in (0, 1]: BPReveal's ``fraction`` (learning rates, loss fractions)."""
    return number(doc, exclusive_minimum=0, maximum=1, **kw)


def open_fraction(doc: str, **kw: Any) -> Schema:
    """A number in (0, 1), both ends excluded: a share of a whole that must leave room for the rest
    (counts-loss-frac-target f, where the run divides by 1 − f)."""
    return number(doc, exclusive_minimum=0, exclusive_maximum=1, **kw)


def string(doc: str, *, default: Any = _MISSING, example: Any = _MISSING, optional: bool = False,
           allow_empty: bool = False) -> Schema:
    return _leaf("string", doc, default, example, optional, minLength=None if allow_empty else 1)


def file_name(doc: str, **kw: Any) -> Schema:
    s = string(doc, **kw)
    s["format"] = "file-name"  # an annotation: the BNF says <file-name>, messages say "a file name"
    return s


def choice(doc: str, values: list[str], *, default: Any = _MISSING, example: Any = _MISSING) -> Schema:
    s = _leaf("string", doc, default, example, False)
    s["enum"] = list(values)
    return s


def constant(doc: str, value: str, *, optional: bool = False) -> Schema:
    s = _leaf("string", doc, _MISSING, value, optional)
    s["const"] = value
    return s


def boolean(doc: str, *, default: Any = _MISSING, example: Any = _MISSING) -> Schema:
    return _leaf("boolean", doc, default, example, False)


def _strip(s: Schema) -> Schema:
    return {k: v for k, v in s.items() if k != _OPTIONAL}


def obj(title: str, doc: str, properties: dict[str, Schema], *, default: Any = _MISSING,
        one_or_both: tuple[str, str] | None = None, foreign: dict[str, str] | None = None) -> Schema:
    """An object with exactly these keys; required = no default and not marked optional.

    ``one_or_both`` names two optional keys of which at least one must be given
    (BPReveal's counts-loss-weight / counts-loss-frac-target).
    """
    s: Schema = {"type": "object", "title": title, "description": doc,
                 "properties": {k: _strip(v) for k, v in properties.items()}}
    required = [k for k, v in properties.items() if "default" not in v and not v.get(_OPTIONAL)]
    if required:
        s["required"] = required
    if one_or_both:
        s["anyOf"] = [{"required": [one_or_both[0]]}, {"required": [one_or_both[1]]}]
    s["additionalProperties"] = False
    if foreign:
        s[FOREIGN_KEYS] = dict(foreign)
    if default is not _MISSING:
        s["default"] = default
    return s


def list_of(item: Schema, doc: str, *, min_items: int = 1) -> Schema:
    return {"type": "array", "description": doc, "items": item, "minItems": min_items}


def map_of(title: str, doc: str, value: Schema, *, default: Any = _MISSING, example: Any = _MISSING) -> Schema:
    """An object with free keys (e.g. preset parameter overrides), each value checked against ``value``."""
    s: Schema = {"type": "object", "title": title, "description": doc, "additionalProperties": value}
    if default is not _MISSING:
        s["default"] = default
    if example is not _MISSING:
        s["examples"] = [example]
    return s


def either(doc: str, *alternatives: Schema) -> Schema:
    """One of several shapes that differ in JSON type (so errors can pick the intended one)."""
    return {"description": doc, "oneOf": list(alternatives)}


WORDS = "x-words"  # how messages describe a value whose rule a type name cannot say (a pattern)
TAG = "x-tag"
TAG_DEFAULT = "x-tag-default"
TAG_VALUES = "x-tag-values"


def tagged(doc: str, tag: str, default: str, variants: dict[str, Schema]) -> Schema:
    """Objects told apart by the value of one key (``kind`` of a head, ``reader`` of data).

    Each variant is an :func:`obj` with ``tag`` as a constant key (optional in the
    ``default`` variant, so configs written before the key existed stay valid); errors
    are reported against the variant the value names.
    """
    return {"description": doc, "oneOf": list(variants.values()), TAG: tag, TAG_DEFAULT: default,
            TAG_VALUES: list(variants)}


def tagged_branch(s: Schema, value: Any) -> Schema | None:
    """The variant of a :func:`tagged` schema that ``value`` (a dict) names, or None."""
    if TAG not in s or not isinstance(value, dict):
        return None
    name = value.get(s[TAG], s[TAG_DEFAULT])
    values = s[TAG_VALUES]
    return s["oneOf"][values.index(name)] if name in values else None


def document(kind: str, body: Schema) -> Schema:
    """The top-level schema of a kind: ``body`` plus the draft-7 header editors look for."""
    return {"$schema": "http://json-schema.org/draft-07/schema#", "$id": f"urn:specdsl:config:{kind}", **body}


# ---------------------------------------------------------------- reading a schema in plain words


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def describe_range(s: Schema) -> str:
    parts = []
    if "minimum" in s:
        parts.append(f"≥ {_num(s['minimum'])}")
    if "exclusiveMinimum" in s:
        parts.append(f"> {_num(s['exclusiveMinimum'])}")
    if "maximum" in s:
        parts.append(f"≤ {_num(s['maximum'])}")
    if "exclusiveMaximum" in s:
        parts.append(f"< {_num(s['exclusiveMaximum'])}")
    return " and ".join(parts)


_TYPE_WORDS = {"integer": "an integer", "number": "a number", "string": "a string", "boolean": "true or false",
               "object": "an object", "array": "a list", "null": "null"}


def join_or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def describe(s: Schema) -> str:
    """What a value must be, in words: ``an integer ≥ 1``, ``one of "bpnet"``, ``a list of heads``."""
    if WORDS in s:
        return s[WORDS]
    if "const" in s:
        return json.dumps(s["const"])
    if "enum" in s:
        if len(s["enum"]) == 1:
            return json.dumps(s["enum"][0])
        return "one of " + ", ".join(json.dumps(v) for v in s["enum"])
    if "oneOf" in s:
        return join_or([describe(b) for b in s["oneOf"]])
    kind = s.get("type")
    if isinstance(kind, list):
        return join_or([_TYPE_WORDS[k] if k != "boolean" else "true/false" for k in kind])
    if kind in ("integer", "number"):
        rng = describe_range(s)
        return _TYPE_WORDS[kind] + (f" {rng}" if rng else "")
    if kind == "string":
        if "title" in s:
            return with_article(s["title"])
        return "a file name" if s.get("format") == "file-name" else (
            "a non-empty string" if s.get("minLength") else "a string")
    if kind == "array":
        item = s.get("items", {})
        noun = f"{item['title']} objects" if "title" in item else "values"
        least = f" (at least {s['minItems']})" if s.get("minItems", 0) > 1 else (
            ", at least one" if s.get("minItems") == 1 else "")
        return f"a list of {noun}{least}"
    if kind == "object":
        return with_article(f"{s['title']} object") if "title" in s else "an object"
    return _TYPE_WORDS.get(kind, "a value")


def with_article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


@dataclass(frozen=True)
class KeyInfo:
    """One key of a schema, as the docs and the template need it."""

    path: str  # model.architecture, heads[].num-tasks
    key: str
    schema: Schema
    required: bool
    one_of_pair: tuple[str, str] | None  # set when the key is one of a "one or both" pair


def one_or_both_pair(s: Schema) -> tuple[str, str] | None:
    """The two keys of an :func:`obj` ``one_or_both`` rule, read back from its ``anyOf``."""
    branches = s.get("anyOf", ())
    if len(branches) == 2 and all(set(b) == {"required"} and len(b["required"]) == 1 for b in branches):
        return branches[0]["required"][0], branches[1]["required"][0]
    return None


def iter_keys(s: Schema, path: str = "") -> Iterator[KeyInfo]:
    """Every key a config of this schema can hold, depth first, in declaration order.

    List items show up as ``heads[].name``; the object alternative of a ``oneOf``
    is walked too, so ``model.architecture.preset`` is documented.
    """
    if TAG in s:  # each variant's keys, marked with the tag value that selects them
        for name, alt in zip(s[TAG_VALUES], s["oneOf"]):
            yield from iter_keys(alt, f"{path} ({s[TAG]} {name})")
        return
    if "oneOf" in s:
        for alt in s["oneOf"]:
            yield from iter_keys(alt, path)
        return
    if s.get("type") == "array":
        yield from iter_keys(s.get("items", {}), path + "[]")
        return
    props = s.get("properties")
    if not props:
        return
    required = set(s.get("required", ()))
    pair = one_or_both_pair(s)
    for key, sub in props.items():
        sub_path = f"{path}.{key}" if path else key
        yield KeyInfo(sub_path, key, sub, key in required, pair if pair and key in pair else None)
        yield from iter_keys(sub, sub_path)


def template_value(s: Schema, *, prefer_example: bool = False) -> Any:
    """The value a template shows for a key: its default, else its example, else one built from its keys.

    ``prefer_example`` shows the example even where a default exists (e.g. preset
    params, whose default ``{}`` says nothing about how to write them).
    """
    again = lambda sub: template_value(sub, prefer_example=prefer_example)
    if prefer_example and "examples" in s:
        return s["examples"][0]
    if "default" in s and not (s.get("type") == "object" and "properties" in s):
        return s["default"]
    if "examples" in s:
        return s["examples"][0]
    if "oneOf" in s:
        return again(s["oneOf"][0])
    if s.get("type") == "array":
        return [again(s["items"])]
    if s.get("type") == "object" and "properties" in s:
        return {k: again(v) for k, v in s["properties"].items()}
    raise ValueError(f"schema has neither default nor example: {s.get('description', s)}")
