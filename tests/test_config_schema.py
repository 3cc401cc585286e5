"""One schema per config kind, and what is derived from it: JSON Schema, BNF, templates, docs/config.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from specdsl.config import (
    config_docs,
    config_kinds,
    load_config,
    read_config_text,
    schema_bnf,
    schema_json,
)
from specdsl.config.kinds import all_config_kinds, schema_of
from specdsl.config.starters import default_starter, kind_template
from specdsl.errors import SpecError
from specdsl.schema import iter_keys, template_value

KINDS = config_kinds()

DOCS = Path(__file__).resolve().parent.parent / "docs" / "config.md"

# The seed's BNF for trainSoloModel (BPReveal documentation), verbatim.
SEED_BNF = """\
<solo-training-input-configuration> ::= { <solo-settings-section>, <data-section>, <head-section>, <verbosity-section> }
<solo-settings-section> ::= "settings" : <solo-settings-contents>
<data-section> ::= "train-data" : <file-name>, "val-data" : <file-name>
<head-section> ::= "heads" : [<head-list>]
<head-list> ::= <individual-head>«, <head-list>»
<individual-head> ::= { "num-tasks" : <integer>, "profile-loss-weight" : <number>, <counts-loss-section>, "head-name" : <string> }
<counts-loss-section> ::= "counts-loss-weight" : <number> | "counts-loss-frac-target" : <number> | "counts-loss-weight" : <number>, "counts-loss-frac-target" : <number>
<solo-settings-contents> ::= { "output-prefix" : <string>, "epochs" : <integer>, "max-jitter" : <integer>, "early-stopping-patience" : <integer>, "batch-size" : <integer>, "learning-rate" : <number>, "learning-rate-plateau-patience" : <integer>, "architecture" : <solo-architecture-specification> }
<solo-architecture-specification> ::= <solo-bpnet-architecture-specification>
<solo-bpnet-architecture-specification> ::= { "architecture-name" : "bpnet", "input-length" : <integer>, "output-length" : <integer>, "model-name" : <string>, "model-args" : <string>, "filters" : <integer>, "layers" : <integer>, "input-filter-width" : <integer>, "output-filter-width" : <integer> }
"""  # noqa: E501

# The seed's JSON schema: what each object requires.
SEED_REQUIRED = {
    "": {"heads", "train-data", "val-data", "settings", "verbosity"},
    "settings": {"output-prefix", "epochs", "max-jitter", "early-stopping-patience", "batch-size", "learning-rate",
                 "learning-rate-plateau-patience", "architecture"},
    "settings.architecture": {"architecture-name", "input-length", "output-length", "model-name", "filters", "layers",
                              "input-filter-width", "output-filter-width"},
    "heads[]": {"num-tasks", "profile-loss-weight", "head-name"},
}


def test_every_key_of_the_seed_bnf_is_in_the_schema() -> None:
    seed_keys = set(re.findall(r'"([a-z-]+)" :', SEED_BNF)) - {"bpnet"}
    schema_keys = {info.key for info in iter_keys(schema_of("bpreveal-solo"))}
    assert seed_keys and seed_keys <= schema_keys
    assert schema_keys - seed_keys == {"verbosity", "kind"}  # verbosity is in the seed's schema, not its BNF


def test_required_keys_match_bpreveal() -> None:
    required: dict[str, set[str]] = {}
    for info in iter_keys(schema_of("bpreveal-solo")):
        parent = info.path.rpartition(".")[0] if "." in info.path else ""
        if info.path.startswith("heads[]."):
            parent = "heads[]"
        if info.required:
            required.setdefault(parent, set()).add(info.key)
    assert required == SEED_REQUIRED


@pytest.mark.parametrize("kind", KINDS)
def test_schema_json_is_valid_draft7_for_editors(kind: str) -> None:
    schema = schema_json(kind)
    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#" and schema["title"] == kind
    def keywords(value: object) -> set[str]:
        if isinstance(value, dict):
            inner = {k: v for k, v in value.items() if k != "properties"}
            names = set(inner) | {k for sub in value.get("properties", {}).values() for k in keywords(sub)}
            return names | {k for v in inner.values() for k in keywords(v)}
        return {k for v in value for k in keywords(v)} if isinstance(value, list) else set()

    assert not [k for k in keywords(schema) if k.startswith("x-")]  # no private keywords leak out
    schema["title"] = "changed"
    assert schema_json(kind)["title"] == kind  # callers get copies
    for info in iter_keys(schema):
        assert info.schema.get("description"), info.path


def test_schema_json_keeps_bpreveal_rules() -> None:
    schema = schema_json("bpreveal-solo")
    head = schema["properties"]["heads"]["items"]
    assert head["anyOf"] == [{"required": ["counts-loss-weight"]}, {"required": ["counts-loss-frac-target"]}]
    arch = schema["properties"]["settings"]["properties"]["architecture"]
    assert arch["properties"]["architecture-name"]["enum"] == ["bpnet"]
    assert schema["properties"]["verbosity"]["enum"] == ["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]
    lr = schema["properties"]["settings"]["properties"]["learning-rate"]
    assert (lr["exclusiveMinimum"], lr["maximum"]) == (0, 1)


def test_unknown_kind_is_a_spec_error() -> None:
    with pytest.raises(SpecError) as info:
        schema_json("bpreveal-sol")
    assert info.value.hint == "did you mean 'bpreveal-solo'?"


def test_bnf_is_in_the_seed_style() -> None:
    bnf = schema_bnf("bpreveal-solo").splitlines()
    assert bnf[0].startswith('<bpreveal-solo> ::= { "settings" : <settings>, "train-data" : <file-name>')
    seed = SEED_BNF.splitlines()
    # The seed's head rules, with its rule names for a head:
    assert seed[4].replace("individual-head", "head") in bnf
    assert seed[6] in bnf
    assert '<head> ::= { "num-tasks" : <integer>, "profile-loss-weight" : <number>, <counts-loss-section>, ' \
           '"head-name" : <string> }' in bnf
    assert '«, "model-args" : <string>»' in schema_bnf("bpreveal-solo")
    train = schema_bnf("specdsl-train")
    assert "<architecture> ::= <architecture-string> | <preset-architecture>" in train
    for kind in KINDS:
        text = schema_bnf(kind)
        for info in iter_keys(schema_of(kind)):
            assert f'"{info.key}" :' in text, info.path


def _within(part: object, whole: object) -> bool:
    """Whether every key of ``part`` is in ``whole`` with the same value (dicts compared key by key)."""
    if isinstance(part, dict) and isinstance(whole, dict):
        return all(k in whole and _within(v, whole[k]) for k, v in part.items())
    if isinstance(part, list) and isinstance(whole, list):
        return len(part) == len(whole) and all(_within(p, w) for p, w in zip(part, whole))
    return part == whole


@pytest.mark.parametrize("kind", KINDS)
def test_template_validates_as_written_and_shows_every_key(kind: str, tmp_path) -> None:
    text = kind_template(kind)
    path = tmp_path / f"{kind}.json"
    path.write_text(text)
    ir = load_config(path)
    assert ir.kind == kind
    assert text.lstrip().startswith("#")  # commented, and the reader accepts the comments
    shown = read_config_text(text).to_python()
    given = default_starter(kind).values  # a task's values, else the template's own less those commented out
    assert _within(shown, template_value(schema_of(kind))) if given is None else _within(given, shown)
    for info in iter_keys(schema_of(kind)):
        if info.path.startswith("model.architecture."):  # the preset form is shown as a comment
            assert f'"{info.key}"' in text
        else:
            assert f'"{info.key}": ' in text, info.path  # as a value, or commented out, ready to use


def test_which_kind_a_config_is_names_every_kind() -> None:
    which = config_docs().split("## Which kind a config is")[1].split("\n## ")[0]
    for kind in KINDS:
        assert f'"kind": "{kind}"' in which
        assert all_config_kinds()[kind].claims is None or f"is a `{kind}` config" in which


def test_docs_page_is_generated_from_the_schemas() -> None:
    assert DOCS.read_text(encoding="utf-8") == config_docs(), \
        "docs/config.md is out of date: run `python -m specdsl.config.docs` and commit it"


def test_docs_list_every_key_with_type_default_and_doc() -> None:
    sections = config_docs().split("\n## `")[1:]
    assert [section.split("`")[0] for section in sections] == list(KINDS)
    for kind, section in zip(KINDS, sections):
        assert schema_bnf(kind).rstrip() in section and kind_template(kind).rstrip() in section
        for info in iter_keys(schema_of(kind)):
            row = next(line for line in section.splitlines() if line.startswith(f"| `{info.path}` |"))
            assert info.schema["description"] in row
            if "default" in info.schema and "properties" not in info.schema:
                assert json.dumps(info.schema["default"]) in row
