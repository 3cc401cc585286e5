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

from specdsl.errors import ImpossibleShape, Problems, SpecError, quoted_list
from specdsl.language.adhoc import is_architecture_string, model_name
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


def _resolve_heads(ir: TrainingIR, fields: Fields, found: Problems) -> list[ResolvedHead | None]:
    """Each head with its targets in the data, or None where that failed (recorded in ``found``): the
    heads do not depend on each other, so every head's problem is reported at once."""
    counters: dict[str, int] = {}
    out = []
    for head in ir.heads:
        index = counters.get(head.kind, 0)
        counters[head.kind] = index + 1
        out.append(found.attempt(head_kind(head.kind).resolve, head, index, fields.targets))
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
    """Every check whose inputs are sound runs, so one run reports every independent problem: the
    output place, a trained model to start from, the data files, the inputs against them, the
    architecture against their shapes and each head's targets; then, once all of those pass, the
    heads against the model and every example of the data files.  What an error leaves unchecked
    is said once, in a note (``specdsl check`` on a config with four mistakes reports all four)."""
    found = Problems(_output_problems(ir))
    found.attempt(_check_start_from, ir)
    reader = get_reader(ir.data.reader)
    ir, fields = _fields(ir, reader, found)
    if fields is None:
        found.skipped("the model against the data and the heads' targets", "the training data have errors")
        found.raise_any()
    assert fields is not None
    shapes = found.attempt(_input_shapes, ir, fields)
    params = ir.body.params_dict()
    body = written_preset(ir.body.preset, params)  # a builder's preset, written for these parameters
    ends = found.attempt(_build_body, body, params, shapes) if shapes is not None else None
    heads = _resolve_heads(ir, fields, found)
    if ends is not None:
        body_shape = next(iter(ends.output_shapes().values()))
        for rh in heads:
            if rh is not None:
                found.attempt(head_kind(rh.head.kind).check_body, rh, body_shape)
    if shapes is None or ends is None or None in heads:
        blame = "the inputs have" if shapes is None else "the architecture has" if ends is None else "the heads have"
        found.skipped("the heads against the model and the data files' examples", f"{blame} errors")
        found.raise_any()
    assert shapes is not None
    plan = found.attempt(_with_heads, ir, reader, fields, shapes, params, body, [rh for rh in heads if rh])
    if plan is None:
        found.skipped("the data files' examples", "the heads have errors")
        found.raise_any()
    assert plan is not None
    _check_data(plan, found)
    for kind_name, rhs in plan.heads_by_kind().items():
        head_kind(kind_name).prepare(rhs, plan)
    return plan


def _fields(ir: TrainingIR, reader: Reader, found: Problems) -> tuple[TrainingIR, Fields | None]:
    """What the files offer.  Where only the validation files are at fault, the IR without them goes
    on, so the model is still checked against the training data in the same run."""
    try:
        return ir, reader.fields(ir)
    except SpecError as err:
        found.add(err)
        if not ir.data.val:
            return ir, None
    train_only = replace(ir, data=replace(ir.data, val=()))
    try:
        return train_only, reader.fields(train_only)
    except SpecError:  # the training files are at fault too (their error came first)
        return ir, None


def _build_body(body: Preset, params: dict[str, Any], shapes: dict[str, tuple[int, ...]]) -> LayerGraph:
    """The architecture alone on the data's shapes (the heads' outputs come later)."""
    _bind_shape_params(body, params, shapes)
    return _build(replace(body, heads=(), outputs=(body.nodes[-1].name,)), params, shapes)


def _with_heads(ir: TrainingIR, reader: Reader, fields: Fields, shapes: dict[str, tuple[int, ...]],
                params: dict[str, Any], body: Preset, heads: list[ResolvedHead]) -> Plan:
    """The plan with the heads attached as IR chains to the body (the graph the model is built from)."""
    outputs = _ordered_outputs(heads)
    last = body.nodes[-1].name
    preset = replace(body, outputs=(),
                     heads=tuple(Heads(o.layer, 1, Ref(o.source or last), o.chain) for o in outputs))
    graph = _build(preset, params, shapes)
    named = ir.body.label if not is_architecture_string(ir.body.preset) else ""  # else its label is its text
    graph.name = ir.model_name or named or model_name(ir.body.preset)
    by_field = {inp.field: shapes[inp.name] for inp in ir.inputs}
    return Plan(ir, reader, fields, by_field, params, heads, outputs, preset, graph)


def _check_data(plan: Plan, found: Problems) -> None:
    """The whole model's checks and every data file's, independent of each other: all of them run."""
    ir = plan.ir
    found.attempt(_check_trainability, ir, plan.graph, plan.outputs)
    before = len(found.errors)
    for kind_name, rhs in plan.heads_by_kind().items():
        found.attempt(head_kind(kind_name).check_graph, rhs, plan)
    if len(found.errors) > before:  # the readers take what the heads find here (a profile's output length)
        found.skipped("the data files' examples", "the heads do not fit the model")
        found.raise_any()
    shared = sorted(set(ir.data.train) & set(ir.data.val))
    if shared and not plan.reader.holds_out(ir):
        logging.getLogger(__name__).warning("%s is both a training and a validation file: validation scores are "
                                            "not held out", shared[0])
    train = found.attempt(_check_files, plan, "train")
    val = found.attempt(_check_files, plan, "val") if ir.data.val else 0
    plan.examples["train"], plan.examples["val"] = train or 0, val or 0
    if train is not None and train < ir.schedule.batch_size:
        found.add(SpecError(f"the training data holds {train} examples, fewer than the batch size "
                            f"{ir.schedule.batch_size}", path="batch-size", file=", ".join(ir.data.train)))
    found.raise_any()


__all__ = ["Plan", "make_plan"]
