"""``specdsl-train`` → training IR: any architecture string or preset, any head kinds, any reader.

The architecture string is parsed here, once, with the config's positions, and the IR
carries the parsed chain.  Model inputs are bound to reader fields by the ``inputs`` map,
else by name (``cpg_state`` ← ``cpg/state``); the bpreveal-h5 reader feeds the single
sequence input of ``model.input-length`` bases.
"""

from __future__ import annotations

from typing import Any

from ..errors import Source, SpecError
from ..ir import Preset
from .from_bpreveal import body_preset
from .kinds import ConfigKind, register
from .schemas import SPECDSL_TRAIN
from .training_ir import (
    BodyIR,
    DataIR,
    HeadIR,
    InputIR,
    OptimizerIR,
    OutputIR,
    RuntimeIR,
    ScheduleIR,
    TrainingIR,
    settings,
)

BPREVEAL_READER = "bpreveal-h5"


def _files(value: str | list[str] | None) -> tuple[str, ...]:
    """File names as written; a name with ``*``, ``?`` or ``[`` is a glob (DeepCpG users write
    ``data/c{1,3,5}_*.h5`` in the shell), expanded in sorted order.  A glob that matches
    nothing stays as written, so the reader reports it as a missing file."""
    import glob

    names = [] if value is None else [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for name in names:
        matches = sorted(glob.glob(name)) if glob.has_magic(name) else []
        out += matches or [name]
    return tuple(out)


def _body(model: dict[str, Any], source: str, reader: str, inputs: dict[str, str]) -> BodyIR:
    from ..model import adhoc_preset
    from ..parsing import parse_chain

    arch = model["architecture"]
    if not isinstance(arch, str):
        params = dict(arch.get("params", {}))
        body = body_preset(arch["preset"], params)
        declared = body.preset.param_defaults()
        if "input_length" in declared and model.get("input-length") is not None:
            body = BodyIR(body.preset, settings(params, input_length=model["input-length"]), body.label)
        return body
    chain = parse_chain(arch, Source(f"{source} (model.architecture)", arch))
    name = "sequence" if reader == BPREVEAL_READER else (next(iter(inputs)) if len(inputs) == 1 else "input")
    shape = (model.get("input-length") or 1, 4) if reader == BPREVEAL_READER else None
    return BodyIR(adhoc_preset(arch, chain, shape=shape, input_name=name, node_name="body"), (), arch)


def _inputs(preset: Preset, model: dict[str, Any], reader: str, mapping: dict[str, str]) -> tuple[InputIR, ...]:
    if reader == BPREVEAL_READER:
        if model.get("input-length") is None:
            raise SpecError("model.input-length is needed to read bpreveal-h5 files", path="model.input-length")
        return tuple(InputIR(i.name, (model["input-length"], 4), "float32", "sequence") for i in preset.inputs)
    unknown = sorted(set(mapping) - {i.name for i in preset.inputs})
    if unknown:
        raise SpecError(f"inputs names '{unknown[0]}', which the model does not have", path=f"inputs.{unknown[0]}",
                        expected="one of " + ", ".join(i.name for i in preset.inputs))
    return tuple(InputIR(i.name, tuple(None for _ in i.shape), i.dtype, mapping.get(i.name, i.name.replace("_", "/")))
                 for i in preset.inputs)


def _profile_width(body: BodyIR, model: dict[str, Any]) -> int:
    """A preset's own output_filter_width parameter wins over model.output-filter-width."""
    declared = body.preset.param_defaults()
    if "output_filter_width" in declared and not isinstance(model["architecture"], str):
        return int(body.params_dict().get("output_filter_width", declared["output_filter_width"]))
    return int(model["output-filter-width"])


def _heads(items: list[dict[str, Any]], model: dict[str, Any], width: int) -> tuple[HeadIR, ...]:
    from ..training.heads import head_kind
    from .from_bpreveal import profile_heads

    out: list[HeadIR] = []
    for i, item in enumerate(items):
        kind = item.get("kind", "profile")
        if kind == "profile":
            out += profile_heads([{k: v for k, v in item.items() if k != "kind"}], model.get("output-length"),
                                 width)
            out[-1] = HeadIR(out[-1].kind, out[-1].name, out[-1].settings, f"heads[{i}]")
        else:
            out.append(head_kind(kind).from_config(item, f"heads[{i}]"))
    return tuple(out)


def _from_specdsl(cfg: dict[str, Any], source: str) -> TrainingIR:
    m, d, o, s, r = cfg["model"], cfg["data"], cfg["optimizer"], cfg["schedule"], cfg["runtime"]
    reader = d.get("reader", BPREVEAL_READER)
    body = _body(m, source, reader, cfg.get("inputs", {}))
    reader_settings = {k.replace("-", "_"): v for k, v in d.items() if k not in ("reader", "train", "val")}
    decay = s.get("learning-rate-decay")
    return TrainingIR(
        kind=SPECDSL_TRAIN, source=source, inputs=_inputs(body.preset, m, reader, cfg.get("inputs", {})), body=body,
        heads=_heads(cfg["heads"], m, _profile_width(body, m)),
        data=DataIR(reader, _files(d["train"]), _files(d.get("val")), settings(reader_settings)),
        optimizer=OptimizerIR(o["name"], float(o["learning-rate"])),
        schedule=ScheduleIR(s["epochs"], s["batch-size"], early_stopping_patience=s["early-stopping-patience"],
                            lr_plateau_patience=None if decay else s["learning-rate-plateau-patience"],
                            lr_decay=decay, train_examples=s.get("train-examples"),
                            val_examples=s.get("val-examples")),
        runtime=RuntimeIR(r["verbosity"], r.get("seed"), r["mixed-precision"], r["xla"]),
        output=OutputIR(cfg["output-prefix"], "prefix", "output-prefix"),
        model_name=m.get("model-name") or None, config=cfg)


register(ConfigKind(SPECDSL_TRAIN, "specdsl's own training config", _from_specdsl))
