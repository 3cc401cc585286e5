"""Training IR → a checked plan: what the data offers, the heads' outputs, the graph, the statistics.

Everything a user can get wrong is found here, before TensorFlow starts: files and their
shapes (by the reader), targets that do not exist, input shapes that disagree with the data,
lengths that do not fit (profile heads), too few examples for a batch.  The plan holds the
lowered :class:`~specdsl.language.lowering.LayerGraph` with the heads attached as IR chains, so the
parameter report and the built model agree, as for any spec.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from specdsl.errors import ImpossibleShape, SpecError, SpecErrors, quoted_list
from specdsl.language.analysis import build_graph
from specdsl.language.ir import Heads, Preset, Ref
from specdsl.language.lowering import LayerGraph
from specdsl.language.model import written_preset
from specdsl.training.heads import OutputSpec, ResolvedHead, head_kind
from specdsl.training.ir import TrainingIR
from specdsl.training.readers import Fields, Reader, get_reader


@dataclass
class Plan:
    ir: TrainingIR
    reader: Reader
    fields: Fields
    input_shapes: dict[str, tuple[int, ...]]  # by reader field
    params: dict[str, Any]
    heads: list[ResolvedHead]
    outputs: list[OutputSpec]
    preset: Preset
    graph: LayerGraph
    examples: dict[str, int] = field(default_factory=dict)  # per role: examples one epoch reads
    facts: dict[str, Any] = field(default_factory=dict)  # what head kinds find for readers (output_length)

    @property
    def target_fields(self) -> list[str]:
        return [o.field for o in self.outputs]

    def heads_by_kind(self) -> dict[str, list[ResolvedHead]]:
        out: dict[str, list[ResolvedHead]] = {}
        for rh in self.heads:
            out.setdefault(rh.head.kind, []).append(rh)
        return out

    def display_names(self) -> dict[str, str]:
        return {o.layer: o.display for o in self.outputs}


def _input_shapes(ir: TrainingIR, fields: Fields) -> dict[str, tuple[int, ...]]:
    """Each model input's shape: as written, with unknown dimensions taken from the data."""
    shapes: dict[str, tuple[int, ...]] = {}
    for inp in ir.inputs:
        if inp.field not in fields.inputs:
            raise SpecError(f"the model input '{inp.name}' reads '{inp.field}', which the {ir.data.reader} files "
                            "do not offer", expected="one of " + quoted_list(list(fields.inputs)), path="inputs")
        found = fields.inputs[inp.field][0]
        if len(found) != len(inp.shape) or any(d is not None and d != f for d, f in zip(inp.shape, found)):
            written = "x".join("?" if d is None else str(d) for d in inp.shape)
            raise SpecError(f"the model input '{inp.name}' is {written}, but the data gives "
                            f"{'x'.join(map(str, found))}", path="inputs")
        shapes[inp.name] = tuple(found)
    return shapes


def _bind_shape_params(preset: Preset, params: dict[str, Any], shapes: dict[str, tuple[int, ...]]) -> None:
    """A preset input declared ``cells x cpg_wlen`` takes those parameters from the data's shape;
    a value the user set that disagrees with the data is an error, not silently overridden."""
    declared = preset.param_defaults()
    for decl in preset.inputs:
        for dim, value in zip(decl.shape, shapes.get(decl.name, ())):
            if not isinstance(dim, str) or dim not in declared:
                continue
            if dim in params and params[dim] != value:
                raise SpecError(f"parameter {dim} = {params[dim]} disagrees with the data, which gives input "
                                f"'{decl.name}' {'x'.join(map(str, shapes[decl.name]))}",
                                path=f"model.architecture.params.{dim}",
                                hint=f"leave {dim} out (it is taken from the data) or set it to {value}")
            params[dim] = value


def _resolve_heads(ir: TrainingIR, fields: Fields, body_shape: tuple) -> list[ResolvedHead]:
    counters: dict[str, int] = {}
    out = []
    for head in ir.heads:
        kind = head_kind(head.kind)
        index = counters.get(head.kind, 0)
        counters[head.kind] = index + 1
        rh = kind.resolve(head, index, fields.targets)
        kind.check_body(rh, body_shape)
        out.append(rh)
    return out


def layer_matches(pattern: str, name: str) -> bool:
    """``re.match`` against the layer name or its DeepCpG spelling (``dna_conv1`` ↔ ``dna/conv1``)."""
    return bool(re.match(pattern, name) or re.match(pattern, name.replace("_", "/", 1)))


def _check_trainability(ir: TrainingIR, graph: LayerGraph, outputs: list[OutputSpec]) -> None:
    """A pattern that matches no layer is a mistake, not a no-op (the names are in ``specdsl params``)."""
    layers = [n.name for n in graph.layers if n.params and n.name not in {o.layer for o in outputs}]
    for pattern in ir.trainability.trainable + ir.trainability.not_trainable:
        try:
            hit = any(layer_matches(pattern, name) for name in layers)
        except re.error as err:
            raise SpecError(f"'{pattern}' is not a valid regular expression: {err}", path=ir.trainability.path) \
                from None
        if not hit:
            raise SpecError(f"'{pattern}' matches no layer with weights", path=ir.trainability.path,
                            expected="a regular expression over layer names such as "
                                     + ", ".join(layers[:4]) + (", …" if len(layers) > 4 else ""),
                            hint="'specdsl params' lists the layer names; DeepCpG's dna/… spelling works too")


def _ordered_outputs(heads: list[ResolvedHead]) -> list[OutputSpec]:
    keyed = [(o.group, h, i, o) for h, rh in enumerate(heads) for i, o in enumerate(rh.outputs)]
    outputs = [o for *_, o in sorted(keyed, key=lambda t: t[:3])]
    seen: dict[str, str] = {}
    for o in outputs:
        if o.layer in seen:
            raise SpecError(f"two outputs are named '{o.layer}' ({seen[o.layer]} and {o.display})", path="heads",
                            hint="give heads different names or targets")
        seen[o.layer] = o.display
    return outputs


def make_plan(ir: TrainingIR) -> Plan:
    """Resolve and check everything; no TensorFlow.  Errors point at the config key they concern."""
    from specdsl.training.ir import place

    try:
        return _make_plan(ir)
    except SpecError as err:
        raise place(err, ir.document) from None


def _check_start_from(ir: TrainingIR) -> None:
    """A whole trained model named in the config must be there before anything is built."""
    from specdsl.training.start_from import WHOLE_MODEL

    for part, path in ir.body.start_from:
        if part == WHOLE_MODEL and not Path(path).is_file():
            raise SpecError(f"{path}: trained model not found", path="model.start-from",
                            hint="give the path of a .keras file")


def _check_files(plan: Plan, role: str) -> int:
    try:
        return plan.reader.check(plan, role)
    except SpecError as err:
        for inner in getattr(err, "errors", None) or [err]:
            inner.path = inner.path or plan.ir.data.key(role)
        raise


def _build(preset: Preset, params: dict[str, Any], shapes: dict[str, tuple[int, ...]]) -> LayerGraph:
    """The layer graph; an input too short for the architecture says what the data gave."""
    try:
        return build_graph(preset, params, shapes)
    except ImpossibleShape as err:
        given = ", ".join(f"{name} {'x'.join(map(str, shape))}" for name, shape in shapes.items())
        if getattr(err, "too_short", False):  # --input means nothing here: the data fixes the lengths
            err.hint = f"the data gives {given}: use longer windows, or an architecture that needs shorter ones"
        raise


def _output_problems(ir: TrainingIR) -> list[SpecError]:
    """Where the artifacts go: a prefix that names a folder would train the whole run and then fail,
    or hide its files; a place that cannot be written would fail after the run (nothing is created)."""
    import os

    from specdsl.training.paths import Paths

    place, key = ir.output.place, ir.output.path
    if ir.output.style == "prefix" and (place.endswith(("/", os.sep)) or os.path.isdir(place)):
        return [SpecError(f"'{place}' names a folder; the output prefix is the start of file names", path=key,
                          hint=f"e.g. {place.rstrip('/' + os.sep) or '.'}/model writes model.keras, "
                               "model.history.json …")]
    if ir.output.style == "folder" and os.path.isfile(place):
        return [SpecError(f"'{place}' is a file, not a folder", path=key)]
    problem = Paths.of(ir.output).write_problem()
    if problem is not None:
        return [SpecError(problem, path=key, hint="choose a place you can write to")]
    return []


def _make_plan(ir: TrainingIR) -> Plan:
    """The output place is checked apart from the rest, so its problem is reported with the first
    other one (a run with a bad prefix and a missing data file hears of both at once)."""
    found = _output_problems(ir)
    try:
        plan = _plan(ir)
    except SpecError as err:
        if not found:
            raise
        raise SpecErrors(found + (getattr(err, "errors", None) or [err])) from None
    if found:
        raise found[0] if len(found) == 1 else SpecErrors(found)
    return plan


def _plan(ir: TrainingIR) -> Plan:
    _check_start_from(ir)
    reader = get_reader(ir.data.reader)
    fields = reader.fields(ir)
    shapes = _input_shapes(ir, fields)
    params = ir.body.params_dict()
    body = written_preset(ir.body.preset, params)  # a builder's preset, written for these parameters
    _bind_shape_params(body, params, shapes)
    last = body.nodes[-1].name
    ends = _build(replace(body, heads=(), outputs=(last,)), params, shapes)
    body_shape = next(iter(ends.output_shapes().values()))
    heads = _resolve_heads(ir, fields, body_shape)
    outputs = _ordered_outputs(heads)
    preset = replace(body, outputs=(),
                     heads=tuple(Heads(o.layer, 1, Ref(o.source or last), o.chain) for o in outputs))
    graph = _build(preset, params, shapes)
    graph.name = ir.model_name or ir.body.label or graph.name
    _check_trainability(ir, graph, outputs)
    by_field = {inp.field: shapes[inp.name] for inp in ir.inputs}
    plan = Plan(ir, reader, fields, by_field, params, heads, outputs, preset, graph)
    groups = plan.heads_by_kind()
    for kind_name, rhs in groups.items():
        head_kind(kind_name).check_graph(rhs, plan)
    shared = sorted(set(ir.data.train) & set(ir.data.val))
    if shared and not reader.holds_out(ir):
        logging.getLogger(__name__).warning("%s is both a training and a validation file: validation scores are "
                                            "not held out", shared[0])
    plan.examples["train"] = _check_files(plan, "train")
    plan.examples["val"] = _check_files(plan, "val") if ir.data.val else 0
    if plan.examples["train"] < ir.schedule.batch_size:
        raise SpecError(f"the training data holds {plan.examples['train']} examples, fewer than the batch size "
                        f"{ir.schedule.batch_size}", path="batch-size",
                        file=", ".join(ir.data.train))
    for kind_name, rhs in groups.items():
        head_kind(kind_name).prepare(rhs, plan)
    return plan


__all__ = ["Plan", "make_plan"]
