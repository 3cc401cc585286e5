"""Checks no JSON Schema can express: values that must agree with each other or with the registry.

Each check reads the positioned document (so its errors point at the right
value), skips quietly whatever the schema already reports as malformed, and
carries a one-line ``rule`` that ``docs/config.md`` lists under its kind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from specdsl.config.reader import ArrayNode, Node, ObjectNode, PathStep, ScalarNode, format_path, locate, place
from specdsl.config.schemas import SPECDSL_TRAIN
from specdsl.errors import SpecError, did_you_mean, quoted_list


@dataclass(frozen=True)
class Check:
    rule: str
    kinds: tuple[str, ...]
    run: Callable[[Node], list[SpecError]]


def scalar_at(root: Node, path: list[PathStep], kind: type | tuple[type, ...]) -> ScalarNode | None:
    """The scalar at ``path`` if it is there and of the right Python type (bools are not ints)."""
    node = root
    for step in path:
        nxt = node.child(step)
        if nxt is None:
            return None
        node = nxt
    if isinstance(node, ScalarNode) and isinstance(node.value, kind) and not isinstance(node.value, bool):
        return node
    return None


def unique_head_names(root: Node) -> list[SpecError]:
    heads = root.child("heads")
    if not isinstance(heads, ArrayNode):
        return []
    first: dict[str, ScalarNode] = {}
    out = []
    for i in range(len(heads.items)):
        name = scalar_at(root, ["heads", i, "head-name"], str)
        if name is None:
            continue
        if name.value in first:
            where = first[name.value].span
            out.append(SpecError(f"the head name '{name.value}' is used twice", span=name.span,
                                 path=format_path(["heads", i, "head-name"]),
                                 hint=f"it is first used at line {where.line}; head names name layers and "
                                      "outputs, so each must be different"))
        else:
            first[str(name.value)] = name
    return out


def _architecture_string(root: Node) -> list[SpecError]:
    node = scalar_at(root, ["model", "architecture"], str)
    if node is None or not str(node.value).strip():
        return []
    from specdsl.language.model import spec_file_target
    from specdsl.language.parsing import parse_chain  # the layer registry; still no TensorFlow

    text = str(node.value)
    if spec_file_target(text.strip()) is not None:  # "my.spec:PromCnn": a preset of a spec file
        return _resolved(root, text, ["model", "architecture"])[1]
    raw = node.span.text()
    # Column of the string's first character; exact unless escapes changed the length.
    at = (node.span.line, node.span.column + 1) if raw[1:-1] == text else (node.span.line, node.span.column)
    try:
        parse_chain(text, node.span.source, at)
    except SpecError as err:
        err.path = err.path or "model.architecture"
        if _resolved(root, text.strip(), [])[0] is not None:  # a preset name where a string was expected
            err.hint = f'{text.strip()} is a preset: write "architecture": {{"preset": "{text.strip()}"}}'
        return [err]
    return []


def _resolved(root: Node, name: str, path: list[PathStep]) -> tuple[Any, list[SpecError]]:
    """The preset ``name`` written at ``path`` (:mod:`.user_presets`), or the problem placed there; nothing
    when a bare name cannot be looked up because a listed spec file is broken (that check says why)."""
    from specdsl.config.user_presets import ConfigPresets

    presets = ConfigPresets.of_document(root)
    if presets.blocked(name):
        return None, []
    try:
        return presets.find(name, format_path(path) or ""), []
    except SpecError as err:
        return None, [place(err, root)]


def _spec_files(root: Node) -> list[SpecError]:
    from specdsl.config.user_presets import ConfigPresets

    return [place(err, root) for err in ConfigPresets.of_document(root).listing_errors()]


def _preset(root: Node) -> list[SpecError]:
    arch = locate(root, ["model", "architecture"])
    name = scalar_at(root, ["model", "architecture", "preset"], str)
    if not isinstance(arch, ObjectNode) or name is None:
        return []
    path: list[PathStep] = ["model", "architecture"]
    preset, problems = _resolved(root, str(name.value), path + ["preset"])
    if preset is None:
        return problems
    params = arch.child("params")
    out = _point(preset, params, arch.child("point"), path)
    if not isinstance(params, ObjectNode):
        return out
    from specdsl.language.model import param_value_problem

    known = [p.name for p in preset.params]
    for e in params.entries:
        where = format_path(path + ["params", e.key])
        if e.key not in known:
            out.append(SpecError(f"preset {preset.name} has no parameter '{e.key}'", span=e.key_span, path=where,
                                 expected=("one of " + quoted_list(known, limit=12)) if known else "no parameters",
                                 hint=did_you_mean(e.key, known)))
        elif isinstance(e.node, ScalarNode):
            problem = param_value_problem(preset, e.key, e.node.value)
            if problem is not None:
                out.append(SpecError(f"parameter '{e.key}' of {preset.name} {problem}", span=e.node.span,
                                     path=where, hint=_param_hint(e.node.value, preset.param_defaults()[e.key])))
    return out


def _point(preset: Any, params: Node | None, point: Node | None, path: list[str]) -> list[SpecError]:
    """``model.architecture.point``: only for a search space, each axis known and its value one of the axis's;
    a searched training hyperparameter (a learning rate) set in ``params`` is said to do nothing here."""
    from specdsl.language.hyper import preset_has_search

    given = point.entries if isinstance(point, ObjectNode) else []
    if not preset_has_search(preset):
        return [SpecError(f"preset {preset.name} is not a search space, so it has no point to choose", span=e.key_span,
                          path=format_path(path + ["point", e.key]), hint="delete model.architecture.point")
                for e in given[:1]]
    from specdsl.language.spaces.space import Space

    values = {e.key: e.node.value for e in params.entries if isinstance(e.node, ScalarNode)} \
        if isinstance(params, ObjectNode) else {}
    from specdsl.language.ir import Hyper

    plain = {k: v for k, v in values.items() if not isinstance(preset.param_defaults().get(k, Hyper), Hyper)}
    try:
        space = Space.from_preset(preset, plain)
    except SpecError:
        return []  # the parameter checks below say what is wrong with them
    out = [SpecError(f"'{e.key}' is a searched training hyperparameter of {preset.name}: a specdsl-train config "
                     "does not use it", span=e.key_span, path=format_path(path + ["params", e.key]),
                     hint="set the rate at optimizer.learning-rate")
           for e in (params.entries if isinstance(params, ObjectNode) else []) if e.key in space.extras]
    for e in given:
        try:
            space.bind({e.key: e.node.value if isinstance(e.node, ScalarNode) else None})
        except SpecError as error:
            out.append(SpecError(error.message, span=e.node.span if e.key in dict(space.axes) else e.key_span,
                                 path=format_path(path + ["point", e.key]), expected=error.expected, hint=error.hint))
    return out


def _param_hint(value: Any, default: Any) -> str:
    from specdsl.language.literals import is_number

    if isinstance(value, str) and is_number(value.strip()):
        return f"write the number without quotes: {value.strip()}"
    return f"the default is {json.dumps(default)}"


_CHECKS: list[Check] = [
    Check("Head names are all different.", (SPECDSL_TRAIN,), unique_head_names),
    Check("An architecture string is parsed: layer names and arguments are checked against the layer registry.",
          (SPECDSL_TRAIN,), _architecture_string),
    Check("Every file under spec-files exists (relative to the config file's folder) and is a valid spec file.",
          (SPECDSL_TRAIN,), _spec_files),
    Check("A preset must exist (built in, in one of spec-files, or FILE.spec:NAME), and params may only name "
          "that preset's parameters, each with a value of its type (a number, a whole number, or a name).",
          (SPECDSL_TRAIN,), _preset),
]


def register_check(check: Check) -> Check:
    """Add a cross-field check (systems register theirs from the modules they list under ``config_checks``)."""
    _CHECKS.append(check)
    return check


@cache
def _load() -> None:
    from specdsl.plugins import modules

    modules("config_checks")


def all_checks() -> tuple[Check, ...]:
    _load()
    return tuple(_CHECKS)


def semantic_errors(root: Node, kind: str) -> list[SpecError]:
    """Every cross-field problem of a document of ``kind``."""
    if not isinstance(root, ObjectNode):
        return []
    return [err for check in all_checks() if kind in check.kinds for err in check.run(root)]
