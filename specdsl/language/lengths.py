"""Length arithmetic (BPReveal's lengthCalc, for any architecture): input ↔ output length.

Pure analysis, and no search: the graph is lowered once with the input length
unknown (``?``), which marks every tensor whose length follows from the input's.
Walking that graph backwards, each layer's own length rule (``Primitive.min_length``:
a valid convolution needs ``(n − 1)·stride + dil·(k − 1) + 1`` positions for ``n``
outputs, a crop ``n + left + right``, …) gives the shortest input for the wanted
output length; one forward lowering at that length confirms it is exact.  So the
answer is right for every layer kind, at any depth (BPNet with 10 layers and
widths 25/75 needs 5,190 bases for 1,000, as BPReveal's lengthCalc says), for
presets and raw strings alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from specdsl.errors import LimitExceeded, SpecError
from specdsl.language.analysis import build_graph
from specdsl.language.ir import Preset
from specdsl.language.limits import MAX_SIZE
from specdsl.language.lowering import LayerGraph
from specdsl.language.primitives import PRIMITIVES, Shape


@dataclass(frozen=True)
class LengthAnswer:
    input_name: str
    input_length: int
    outputs: dict[str, int]

    @property
    def receptive_field(self) -> int | None:
        """Bases of input that one output position sees (valid, stride-1 models)."""
        lengths = set(self.outputs.values())
        return self.input_length - lengths.pop() + 1 if len(lengths) == 1 else None


def _sequence_input(preset: Preset, params: Mapping[str, Any]) -> tuple[str, int]:
    """The one (length × channels) input, read from its declaration: no lowering at a default length,
    which a deep network may not be able to take."""
    seqs = [d for d in preset.inputs if len(d.shape) == 2]
    if len(seqs) != 1:
        _refuse_a_classifier(preset, params)
        raise SpecError(f"{preset.name} does not have exactly one sequence input", span=preset.span)
    channels = seqs[0].shape[1]
    if isinstance(channels, str):
        channels = {**preset.param_defaults(), **params}.get(channels)
    if not isinstance(channels, int) or isinstance(channels, bool) or channels < 1:
        raise SpecError(f"input '{seqs[0].name}' of {preset.name} has no fixed number of channels",
                        span=seqs[0].span)
    return seqs[0].name, channels


def lengths_for_input(preset: Preset, input_length: int, params: Mapping[str, Any] | None = None) -> LengthAnswer:
    params = dict(params or {})
    if input_length < 1:
        raise SpecError(f"an input length must be ≥ 1, not {input_length}")
    name, channels = _sequence_input(preset, params)
    graph = build_graph(preset, params, {name: (input_length, channels)})
    outs = {k: v[0] for k, v in graph.output_shapes().items() if len(v) == 2 and v[0] is not None}
    if not outs:
        _refuse_a_classifier(preset, params, graph)
        raise SpecError(f"{preset.name} has no output with a length", span=preset.span)
    return LengthAnswer(name, input_length, outs)


def _refuse_a_classifier(preset: Preset, params: Mapping[str, Any], graph: LayerGraph | None = None) -> None:
    """Raise :func:`not_a_profile_model` when ``graph`` (by default the preset at its declared input
    shapes) has no output with a length; return when it has one, or cannot be analysed."""
    if graph is None:
        try:
            graph = build_graph(preset, params)
        except SpecError:
            return
    if not any(len(shape) == 2 for shape in graph.output_shapes().values()):
        raise not_a_profile_model(preset, graph)


def not_a_profile_model(preset: Preset, graph: LayerGraph) -> SpecError:
    """``specdsl length`` of a classifier: no output has a length, so there is nothing to compute; the
    shapes the user is after are what ``specdsl params`` reports."""
    from specdsl.language.adhoc import is_architecture_string
    from specdsl.language.presets import find_preset
    from specdsl.language.primitives import format_shape
    from specdsl.language.printer import format_chain

    outs = ", ".join(f"{k} {format_shape(v)}" for k, v in graph.output_shapes().items())
    chain = preset.main_chain()
    if is_architecture_string(preset) and chain is not None:
        what, target = "this architecture", f"'{format_chain(chain)}'"
    else:
        found = find_preset(preset.name)
        builtin = found is not None and (found.span and found.span.source.name) == (preset.span and
                                                                                     preset.span.source.name)
        what = preset.name
        target = preset.name if builtin or preset.span is None else f"{preset.span.source.name}:{preset.name}"
    return SpecError(f"{what} is not a profile model: its outputs ({outs}) have no length, so no input length "
                     "maps to an output length", span=preset.span,
                     hint=f"its shapes are what specdsl params {target} reports (--json for a machine-readable "
                          "list, --input SHAPE for another input)")


def _has_length(shape: Shape) -> bool:
    """In a graph lowered with the input length unknown, the tensors whose length follows from it."""
    return len(shape) >= 1 and shape[0] is None


def shortest_input(graph: LayerGraph, output_length: int) -> int:
    """The shortest input length giving every length-carrying output at least ``output_length``.

    ``graph`` is lowered with an unknown input length.  One backward pass over its
    layers (they are stored in creation order, so reversed is a valid order): a
    tensor needs the largest length any consumer asks of it; a consumer without a
    length of its own (global pooling, a flatten) asks for one position.
    """
    shapes = {n.name: n.shape for n in graph.inputs + graph.layers}
    need: dict[str, int] = {o: output_length for o in graph.outputs if _has_length(shapes[o])}
    for node in reversed(graph.layers):
        wanted = need.get(node.name, 1)
        for source in node.inputs:
            if not _has_length(shapes[source]):
                continue
            ask = PRIMITIVES[node.prim].min_length(wanted, node.config) if _has_length(node.shape) else 1
            need[source] = max(need.get(source, 1), ask)
    (seq,) = [n.name for n in graph.inputs if _has_length(n.shape)]
    return need.get(seq, 1)


def input_for_output(preset: Preset, output_length: int, params: Mapping[str, Any] | None = None) -> LengthAnswer:
    """The smallest input length whose profile outputs are exactly ``output_length`` long."""
    if output_length < 1:
        raise SpecError(f"an output length must be ≥ 1, not {output_length}")
    params = dict(params or {})
    name, channels = _sequence_input(preset, params)
    try:
        graph = build_graph(preset, params, {name: (None, channels)})
    except SpecError:  # a flatten cannot take an unknown length: a classifier, most likely
        _refuse_a_classifier(preset, params)
        raise
    if not any(_has_length(s) for s in graph.output_shapes().values()):
        _refuse_a_classifier(preset, params, graph)
        raise SpecError(f"{preset.name}'s outputs keep no length that follows from its input's", span=preset.span)
    n = shortest_input(graph, output_length)
    if n >= MAX_SIZE:
        raise LimitExceeded(f"an output of {output_length:,} needs an input of {n:,} positions, beyond the "
                            f"limit of {MAX_SIZE - 1:,}", hint="the network trims more than that; check its depth")
    answer = lengths_for_input(preset, n, params)
    if min(answer.outputs.values()) != output_length:
        raise SpecError(
            f"no input length gives an output of exactly {output_length}",
            hint=f"input {n} gives {min(answer.outputs.values())}",
        )
    return answer


def check_lengths(preset: Preset, input_length: int, output_length: int,
                  params: Mapping[str, Any] | None = None, path: str | None = None) -> None:
    """Reject a config whose lengths disagree with its architecture, naming the fitting length."""
    got = lengths_for_input(preset, input_length, params)
    if set(got.outputs.values()) != {output_length}:
        fit = input_for_output(preset, output_length, params)
        raise SpecError(
            f"input-length {input_length} gives an output of {min(got.outputs.values())}, "
            f"not output-length {output_length}",
            path=path,
            hint=f"for output-length {output_length} use input-length {fit.input_length}; "
                 f"or keep input-length {input_length} with output-length {min(got.outputs.values())}",
        )
