"""The graph a training config trains: its body (preset or string) plus its heads.

Heads are BPReveal's: per head a linear profile convolution of
``output-filter-width`` giving ``num-tasks`` logits per position, and a counts
branch (global average pooling → Dense(1)).  They are added to the IR as data,
so the parameter report and the Keras model agree as for any other spec, and the
outputs carry BPReveal's names (``solo_profile_<head>``, ``solo_logcounts_<head>``)
so its users' history scripts still read the keys.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..config.training_ir import TrainingIR
from ..errors import Source, SpecError
from ..ir import Heads, Preset, Ref
from ..lengths import check_lengths, lengths_for_input
from ..lowering import LayerGraph
from ..model import adhoc_preset, build_graph
from ..parsing import parse_chain
from ..presets import get_preset
from .data import solo_output_names

DEFAULT_OUTPUT_FILTER_WIDTH = 75


@dataclass(frozen=True)
class TrainingModel:
    graph: LayerGraph
    preset: Preset
    params: dict
    output_names: list[str]  # profiles then log counts, BPReveal's order
    output_length: int


def _body(ir: TrainingIR) -> tuple[Preset, dict, int]:
    """The body preset (its own heads removed), its parameters and the profile-conv width."""
    arch = ir.architecture
    if arch.is_preset:
        base = get_preset(arch.preset)
        params = arch.params_dict()
        declared = base.param_defaults()
        if "input_length" in declared:
            params["input_length"] = ir.input_length
        width = int(params.get("output_filter_width", declared.get("output_filter_width",
                                                                  DEFAULT_OUTPUT_FILTER_WIDTH)))
        seq_inputs = [i for i in base.inputs if len(i.shape) == 2]
        if len(seq_inputs) != 1 or len(base.inputs) != 1:
            raise SpecError(f"preset {base.name} cannot be trained on sequence files: it needs exactly one "
                            "sequence input", hint="use BPNet or an architecture string")
        body = replace(base, heads=(), outputs=())
        return body, params, width
    chain = parse_chain(arch.text, Source(f"{ir.source} (model.architecture)", arch.text))
    body = adhoc_preset(arch.text, chain, shape=(ir.input_length, 4), input_name="sequence", node_name="body")
    return body, {}, getattr(ir, "output_filter_width", None) or DEFAULT_OUTPUT_FILTER_WIDTH


def training_model(ir: TrainingIR) -> TrainingModel:
    """Body + BPReveal heads, lengths checked against the config before anything is built."""
    body, params, width = _body(ir)
    last = body.nodes[-1].name
    ends = build_graph(replace(body, outputs=(last,)), params, {body.inputs[0].name: (ir.input_length, 4)})
    shape = next(iter(ends.output_shapes().values()))
    if len(shape) != 2:
        raise SpecError(f"the architecture must end in a sequence (length × channels) for the profile heads, "
                        f"but it ends in shape {shape}", path="model.architecture",
                        hint="drop the final pooling/flatten/dense layers; the heads add their own")
    names = solo_output_names([h.name for h in ir.heads])
    heads = []
    for i, head in enumerate(ir.heads):
        profile = parse_chain(f"conv[{head.num_tasks}@{width},act=linear]")
        heads.append(Heads(names[i], 1, Ref(last), profile))
    for i, _head in enumerate(ir.heads):
        heads.append(Heads(names[len(ir.heads) + i], 1, Ref(last), parse_chain("gap_dense[1]")))
    preset = replace(body, heads=tuple(heads), outputs=())
    name = body.inputs[0].name
    inputs = {name: (ir.input_length, 4)}
    if ir.output_length is not None:
        check_lengths(preset, ir.input_length, ir.output_length, params, path="output-length")
        output_length = ir.output_length
    else:
        output_length = min(lengths_for_input(preset, ir.input_length, params).outputs.values())
    graph = build_graph(preset, params, inputs)
    return TrainingModel(graph, preset, params, names, output_length)


__all__ = ["TrainingModel", "training_model"]
