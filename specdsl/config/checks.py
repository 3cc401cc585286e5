"""Checks no JSON Schema can express: values that must agree with each other or with the registry.

Each check reads the positioned document (so its errors point at the right
value), skips quietly whatever the schema already reports as malformed, and
carries a one-line ``rule`` that ``docs/config.md`` lists under its kind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError, did_you_mean, quoted_list
from .reader import ArrayNode, Node, ObjectNode, PathStep, ScalarNode, format_path, locate
from .schemas import BPREVEAL_SOLO, CAPFINDER, SPECDSL_TRAIN


@dataclass(frozen=True)
class Check:
    rule: str
    kinds: tuple[str, ...]
    run: Callable[[Node], list[SpecError]]


def _scalar(root: Node, path: list[PathStep], kind: type | tuple[type, ...]) -> ScalarNode | None:
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


def _unique_head_names(root: Node) -> list[SpecError]:
    heads = root.child("heads")
    if not isinstance(heads, ArrayNode):
        return []
    first: dict[str, ScalarNode] = {}
    out = []
    for i in range(len(heads.items)):
        name = _scalar(root, ["heads", i, "head-name"], str)
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


def _bpnet_lengths(root: Node) -> list[SpecError]:
    """Check the lengths by analysing the BPNet preset itself, not a copy of its formula."""
    from ..lengths import input_for_output, lengths_for_input
    from ..presets import get_preset

    base = ["settings", "architecture"]
    names = ("input-length", "output-length", "input-filter-width", "output-filter-width", "layers", "filters")
    nodes = [_scalar(root, base + [n], int) for n in names]
    if any(n is None for n in nodes):
        return []
    inp, out, ifw, ofw, layers, filters = (int(n.value) for n in nodes)  # type: ignore[union-attr]
    if layers > 40 or min(inp, out, ifw, ofw, filters) < 1:
        return []  # the schema reports those
    bpnet = get_preset("BPNet")
    params = {"filters": 1, "layers": layers, "input_filter_width": ifw, "output_filter_width": ofw,
              "input_length": inp}
    try:
        got = min(lengths_for_input(bpnet, inp, params).outputs.values())
    except SpecError:
        got = None
    if got == out:
        return []
    try:
        fit = f"so input-length must be {input_for_output(bpnet, out, params).input_length}"
    except SpecError:
        fit = "and no input length gives exactly that output"
    made = f"gives an output of {got}" if got is not None else "is too short for the network"
    return [SpecError(
        f"input-length {inp} does not fit output-length {out}: with input-filter-width {ifw}, "
        f"output-filter-width {ofw} and {layers} layers, input-length {inp} {made}, {fit}",
        span=nodes[0].span, path=format_path(base + ["input-length"]),  # type: ignore[union-attr]
        hint="BPReveal itself would only fail at the first batch with a shape error")]


def _architecture_string(root: Node) -> list[SpecError]:
    node = _scalar(root, ["model", "architecture"], str)
    if node is None or not str(node.value).strip():
        return []
    from ..parsing import parse_chain  # the layer registry; still no TensorFlow

    text = str(node.value)
    raw = node.span.text()
    # Column of the string's first character; exact unless escapes changed the length.
    at = (node.span.line, node.span.column + 1) if raw[1:-1] == text else (node.span.line, node.span.column)
    try:
        parse_chain(text, node.span.source, at)
    except SpecError as err:
        err.path = err.path or "model.architecture"
        if _find_preset(text.strip()) is not None:  # a preset name where a string was expected
            err.hint = f'{text.strip()} is a preset: write "architecture": {{"preset": "{text.strip()}"}}'
        return [err]
    return []


def _find_preset(name: str) -> Any:
    from ..presets import find_preset

    return find_preset(name)


def _preset_names() -> list[str]:
    from ..presets import all_presets

    return [p.name for p in all_presets()]


def _preset(root: Node) -> list[SpecError]:
    arch = locate(root, ["model", "architecture"])
    name = _scalar(root, ["model", "architecture", "preset"], str)
    if not isinstance(arch, ObjectNode) or name is None:
        return []
    preset = _find_preset(str(name.value))
    path = ["model", "architecture"]
    if preset is None:
        return [SpecError(f"unknown preset '{name.value}'", span=name.span, path=format_path(path + ["preset"]),
                          hint=did_you_mean(str(name.value), _preset_names()) or "run 'specdsl presets'")]
    params = arch.child("params")
    out = _point(preset, params, arch.child("point"), path)
    if not isinstance(params, ObjectNode):
        return out
    from ..model import param_value_problem

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
    from ..hyper import preset_has_search

    given = point.entries if isinstance(point, ObjectNode) else []
    if not preset_has_search(preset):
        return [SpecError(f"preset {preset.name} is not a search space, so it has no point to choose", span=e.key_span,
                          path=format_path(path + ["point", e.key]), hint="delete model.architecture.point")
                for e in given[:1]]
    from ..search import Space

    values = {e.key: e.node.value for e in params.entries if isinstance(e.node, ScalarNode)} \
        if isinstance(params, ObjectNode) else {}
    from ..ir import Hyper

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
    from ..literals import is_number

    if isinstance(value, str) and is_number(value.strip()):
        return f"write the number without quotes: {value.strip()}"
    return f"the default is {json.dumps(default)}"


def _capfinder_remote(root: Node) -> list[SpecError]:
    from .from_capfinder import remote_dataset_errors

    return remote_dataset_errors(root)


def _capfinder_bounds(root: Node) -> list[SpecError]:
    from .from_capfinder import bound_errors

    return bound_errors(root)


CHECKS: tuple[Check, ...] = (
    Check("Head names are all different.", (BPREVEAL_SOLO, SPECDSL_TRAIN), _unique_head_names),
    Check("input-length − output-length = input-filter-width + output-filter-width + 2^(layers+2) − 6 "
          "(BPReveal's lengthCalc).", (BPREVEAL_SOLO,), _bpnet_lengths),
    Check("An architecture string is parsed: layer names and arguments are checked against the layer registry.",
          (SPECDSL_TRAIN,), _architecture_string),
    Check("A preset must exist, and params may only name that preset's parameters, each with a value of its "
          "type (a number, a whole number, or a name).", (SPECDSL_TRAIN,), _preset),
    Check("use_remote_dataset_version is \"\" or \"latest\" (the local processed dataset); another version is a "
          "Comet ML artifact and is refused.", (CAPFINDER,), _capfinder_remote),
    Check("max_lr lies above base_lr (cyclic_lr) and min_lr (sgdr).", (CAPFINDER,), _capfinder_bounds),
)


def semantic_errors(root: Node, kind: str) -> list[SpecError]:
    """Every cross-field problem of a document of ``kind``."""
    if not isinstance(root, ObjectNode):
        return []
    return [err for check in CHECKS if kind in check.kinds for err in check.run(root)]
