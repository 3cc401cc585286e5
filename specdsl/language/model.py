"""Instantiate a preset (or an ad-hoc architecture string) into a layer graph.

Binding happens here: parameter overrides (``--set``), input-shape overrides
(``--input``), ``$name`` references inside architecture strings, ``use`` of other
presets, and output heads.  The result is the lowered :class:`LayerGraph` that both
the parameter report and the Keras backend consume.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

from specdsl.errors import Span, SpecError, UnknownLayerKind, did_you_mean
from specdsl.language.adhoc import adhoc_preset, model_name
from specdsl.language.builders import TRUE_WORDS, materialize
from specdsl.language.ir import (
    Block,
    Chain,
    Concat,
    Hyper,
    InputDecl,
    Preset,
    Ref,
    Repeat,
    Use,
    Var,
    block_count,
)
from specdsl.language.kinds import all_kinds
from specdsl.language.limits import MAX_BLOCKS
from specdsl.language.lowering import LayerGraph, Tensor, lower_chain
from specdsl.language.presets import find_preset, get_preset
from specdsl.language.primitives import Shape
from specdsl.language.printer import format_hyper
from specdsl.language.registry import Arg, Kind, check_value


def param_value_problem(preset: Preset, key: str, value: Any) -> str | None:
    """Why ``value`` cannot bind the preset's parameter ``key`` ("must be a number, not '64'"), or None.

    The parameter's default says its type: a number (a whole one for an integer default) or a
    name.  Shared by the binding below and the config check, so a config reports exactly what a
    build would refuse, at the parameter's key, together with the schema errors.
    """
    default = preset.param_defaults()[key]
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must be a number, not {_shown(value)}"
        if isinstance(default, int) and isinstance(value, float) and not value.is_integer():
            return f"must be a whole number, not {value}"
    elif isinstance(default, str) and not isinstance(value, str):
        if isinstance(value, bool) and default.lower() in TRUE_WORDS:
            return None  # a yes/no parameter: JSON true/false and TSV TRUE/FALSE mean the same
        return f"must be a name (a string), not {_shown(value)}"
    return None


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"'{value}'" if isinstance(value, str) else repr(value)


class _Instantiator:
    def __init__(self, graph: LayerGraph):
        self.graph = graph

    def bind_params(self, preset: Preset, overrides: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
        values = preset.param_defaults()
        for key, value in overrides.items():
            if key not in values:
                if not strict:
                    continue
                raise SpecError(
                    f"{preset.name} has no parameter '{key}'",
                    expected="one of " + ", ".join(values) if values else "no parameters",
                    hint=did_you_mean(key, values),
                )
            problem = param_value_problem(preset, key, value)
            if problem is not None:
                raise SpecError(f"parameter '{key}' of {preset.name} {problem}")
            if isinstance(values[key], int) and isinstance(value, float):
                value = int(value)
            values[key] = value
        spans = {p.name: p.span for p in preset.params}
        for name, value in values.items():
            if value is None:
                raise SpecError(f"the architecture uses ${name} but no value was given", span=spans.get(name),
                                hint=f"add --set {name}=VALUE")
        return values

    def substitute(self, chain: Chain, values: Mapping[str, Any]) -> Chain:
        items = []
        for item in chain.items:
            if isinstance(item, Repeat):
                times = item.times
                if isinstance(times, Hyper):
                    raise _search_here(times)
                if isinstance(times, Var):
                    times = check_value(_REPEATS, _REPEATS.args[0], self._value(times, values, item.span), item.span)
                    if times * block_count(item.body) > MAX_BLOCKS:
                        raise SpecError(f"this expands to {times * block_count(item.body):,} blocks, more than the "
                                        f"limit of {MAX_BLOCKS:,}", span=item.span)
                    if times == 0:
                        continue
                items.append(replace(item, times=times, body=self.substitute(item.body, values)))
            else:
                items.append(self._substitute_block(item, values))
        return replace(chain, items=tuple(items))

    def _substitute_block(self, block: Block, values: Mapping[str, Any]) -> Block:
        if not any(isinstance(v, (Var, Hyper, Chain, tuple)) for _, v in block.args):
            return block  # every value was checked when it was parsed (or bound from a checked domain)
        kind = all_kinds()[block.kind]
        args = []
        for key, value in block.args:
            arg = kind.arg(key)
            if isinstance(value, Hyper):
                raise _search_here(value)
            if isinstance(value, Chain):
                value = self.substitute(value, values)
            elif isinstance(value, tuple):
                value = tuple(tuple(self._value(x, values, block.span) for x in pair) for pair in value)
                value = check_value(kind, arg, value, block.span)
            else:
                value = check_value(kind, arg, self._value(value, values, block.span), block.span)
            args.append((key, value))
        return replace(block, args=tuple(args))

    def _value(self, value: Any, values: Mapping[str, Any], span: Span | None) -> Any:
        if isinstance(value, Hyper):
            raise _search_here(value)
        if not isinstance(value, Var):
            return value
        if value.name not in values:
            raise SpecError(f"unknown parameter ${value.name}", span=span, hint=did_you_mean(value.name, values))
        found = values[value.name]
        if isinstance(found, Hyper):
            raise _search_here(found, value.name)
        return found

    def shape(self, decl: InputDecl, values: Mapping[str, Any]) -> Shape:
        dims = []
        for d in decl.shape:
            if isinstance(d, str):
                if d not in values:
                    raise SpecError(f"input '{decl.name}' uses an unknown parameter '{d}'", span=decl.span,
                                    hint=did_you_mean(d, values))
                d = values[d]
                if not isinstance(d, int) or d < 1:
                    raise SpecError(f"input '{decl.name}': dimension '{d}' must be a whole number ≥ 1",
                                    span=decl.span)
            dims.append(d)
        return tuple(dims)

    def emit(self, preset: Preset, values: Mapping[str, Any], bound: list[Tensor] | None,
             input_shapes: Mapping[str, Shape] | None = None) -> list[Tensor]:
        preset = materialize(preset, values)  # a preset written by a builder, for these values
        env: dict[str, Tensor] = {}
        if bound is None:
            shapes = dict(input_shapes or {})
            if "" in shapes:  # an unnamed --input applies to a single-input model
                if len(preset.inputs) != 1:
                    raise SpecError(f"{preset.name} has {len(preset.inputs)} inputs; name the one to reshape",
                                    expected="--input NAME=SHAPE with NAME one of "
                                    + ", ".join(i.name for i in preset.inputs))
                shapes[preset.inputs[0].name] = shapes.pop("")
            for name in shapes:
                if name not in {i.name for i in preset.inputs}:
                    raise SpecError(f"{preset.name} has no input '{name}'",
                                    hint=did_you_mean(name, [i.name for i in preset.inputs]))
            for decl in preset.inputs:
                shape = shapes.get(decl.name) or self.shape(decl, values)
                env[decl.name] = self.graph.add_input(decl.name, shape, decl.dtype, decl.span)
        else:
            if len(bound) != len(preset.inputs):
                raise SpecError(f"{preset.name} takes {len(preset.inputs)} input(s) but is given {len(bound)}",
                                span=preset.span)
            env.update({decl.name: t for decl, t in zip(preset.inputs, bound)})

        last: Tensor | None = None
        for node in preset.nodes:
            x = self.source(node.source, env, values, node.name)
            x = lower_chain(self.graph, self.substitute(node.chain, values), x, node.name, values)
            env[node.name] = last = x
        declared = list(preset.outputs) + [h.name for h in preset.heads]
        twice = sorted({n for n in declared if declared.count(n) > 1})
        if twice:
            raise SpecError(f"{preset.name}: output '{twice[0]}' is declared twice", span=preset.span)
        outputs = [self.lookup(name, env, preset.span) for name in preset.outputs]
        for head in preset.heads:
            count = head.count if isinstance(head.count, int) else values.get(head.count)
            if not isinstance(count, int) or count < 1:
                raise SpecError(f"output '{head.name}': the number of heads must be a whole number ≥ 1",
                                span=head.span)
            x = self.source(head.source, env, values, head.name)
            chain = self.substitute(head.chain, values)
            for i in range(1, count + 1):
                name = head.name if count == 1 else f"{head.name}_{i}"
                y = lower_chain(self.graph, chain, x, name, values)
                outputs.append(self.graph.rename(y, name) if y.node != x.node else y)
        if not outputs:
            if last is None:
                raise SpecError(f"{preset.name} computes nothing", span=preset.span)
            outputs = [last]
        return outputs

    def lookup(self, name: str, env: Mapping[str, Tensor], span: Span | None) -> Tensor:
        if name not in env:
            raise SpecError(f"unknown tensor '{name}'", span=span,
                            expected="an input or a name assigned above", hint=did_you_mean(name, env))
        return env[name]

    def source(self, src: Ref | Concat | Use, env: dict[str, Tensor], values: Mapping[str, Any],
               target: str) -> Tensor:
        if isinstance(src, Ref):
            return self.lookup(src.name, env, src.span)
        if isinstance(src, Concat):
            parts = [self.lookup(n, env, src.span) for n in src.names]
            return self.graph.add("concatenate", parts, f"{target}_concat", {}, kind="concat",
                                  spec="concat(" + ", ".join(src.names) + ")", span=src.span)
        callee_name = src.preset
        if isinstance(callee_name, Var):
            callee_name = str(self._value(callee_name, values, src.span))
        callee = _sibling(src, callee_name) or find_preset(callee_name)
        if callee is None:
            try:
                get_preset(callee_name)  # raises with a suggestion
            except SpecError as err:
                err.span = src.span
                raise
        args = [self.source(a, env, values, target) for a in src.args]
        callee_values = self.bind_params(callee, {k: v for k, v in values.items()
                                                  if k in callee.param_defaults()}, strict=False)
        outs = self.emit(callee, callee_values, args)
        if len(outs) != 1:
            raise SpecError(f"use {callee.name}: it has {len(outs)} outputs, but use needs exactly one",
                            span=src.span)
        return outs[0]


def _search_here(hyper: Hyper, name: str = "") -> SpecError:
    """A search space reached where one model is needed (inside a preset another one uses)."""
    what = f"the searched parameter ${name}" if name else f"the search space {format_hyper(hyper)}"
    return SpecError(f"{what} cannot be analysed here: only a whole preset or string can be a search space",
                     span=hyper.span, hint="bind a point first (specdsl space lists them), or write a value")


#: What a ``$name x(…)`` count is checked as once bound.
_REPEATS = Kind("repeat", "", lambda ctx, x: x,
                args=(Arg("count", "int", doc="repeat count ($name x(…))", minimum=0),))


def _sibling(use: Use, name: str) -> Preset | None:
    """A preset defined in the same spec file as the ``use`` statement."""
    if use.span is None:
        return None
    for preset in _file_presets(use.span.source.text, use.span.source.name):
        if preset.name.lower() == name.lower():
            return preset
    return None


@lru_cache(maxsize=32)
def _file_presets(text: str, name: str) -> tuple[Preset, ...]:
    from specdsl.language.spec_files import parse_spec_file

    return tuple(parse_spec_file(text, name))


def written_preset(preset: Preset, params: Mapping[str, Any] | None = None) -> Preset:
    """The preset with its structure fixed for these parameters: a builder's preset is written
    for them (its layers, heads and outputs can then be replaced, as training plans do); any
    other preset is returned as it is."""
    if not preset.builder:
        return preset
    return materialize(preset, _Instantiator(LayerGraph(preset.name)).bind_params(preset, params or {}, strict=True))


def build_plain_graph(preset: Preset, params: Mapping[str, Any] | None = None,
                      inputs: Mapping[str, Shape] | None = None) -> LayerGraph:
    """:func:`build_graph` of a preset known to hold no search space (a bound point)."""
    graph = LayerGraph(model_name(preset))
    inst = _Instantiator(graph)
    values = inst.bind_params(preset, params or {}, strict=True)
    graph.settings = dict(values)
    graph.outputs = [t.node for t in inst.emit(preset, values, None, inputs)]
    return graph


def spec_file_target(target: str) -> tuple[str, str] | None:
    """``(path, preset name or "")`` when ``target`` names a spec file, else None.

    The rule: a target is a file exactly when it ends in ``.spec`` or has the form
    ``PATH.spec:NAME``.  Nothing else is looked up on disk, so an architecture
    string of any length is never taken for a file name (and never stat'ed).
    """
    if target.endswith(".spec"):
        return target, ""
    path, sep, name = target.rpartition(":")
    if sep and path.endswith(".spec") and name and ":" not in name:
        return path, name
    return None


def resolve_target(target: str) -> Preset:
    """A preset name, a spec file (``file.spec`` or ``file.spec:Preset``), or an architecture string."""
    from specdsl.language.presets import preset_in_file

    as_file = spec_file_target(target)
    if as_file is not None:
        return preset_in_file(*as_file)
    preset = find_preset(target)
    if preset is not None:
        return preset
    try:
        return adhoc_preset(target)
    except UnknownLayerKind as err:
        # A single word that is neither a preset nor a layer kind is most likely a misspelt preset.
        if target.replace("-", "").isalnum():
            from specdsl.language.presets import all_presets

            names = [p.name for p in all_presets()]
            hint = did_you_mean(target, names)
            if hint:
                raise SpecError(f"unknown preset or layer kind '{target}'", span=err.span, hint=hint,
                                expected="a preset name (specdsl presets) or an architecture string") from None
        raise
