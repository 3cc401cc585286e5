"""``specdsl-train`` → training IR: any architecture string or preset, any head kinds, any reader.

The architecture string is parsed here, once, with the config's positions, and the IR
carries the parsed chain.  Model inputs are bound to reader fields by the reader
(:meth:`Reader.bind_inputs`: the ``inputs`` map, the reader's aliases, else the input's
name), and each head item is converted by its kind (:meth:`HeadKind.from_config`), so
nothing here knows a particular reader or head kind.
"""

from __future__ import annotations

from typing import Any

from ..errors import Source
from .from_bpreveal import body_preset
from .kinds import ConfigKind, register
from .schemas import SPECDSL_TRAIN
from .training_ir import (
    BodyIR,
    DataIR,
    HeadIR,
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


def _body(model: dict[str, Any], source: str, reader: Any, inputs: dict[str, str]) -> BodyIR:
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
    name = reader.single_input or (next(iter(inputs)) if len(inputs) == 1 else "input")
    shape = reader.input_shape(name, model)
    return BodyIR(adhoc_preset(arch, chain, shape=shape, input_name=name, node_name="body"), (), arch)


def _heads(items: list[dict[str, Any]], model: dict[str, Any]) -> tuple[HeadIR, ...]:
    from ..training.heads import head_kind

    return tuple(head_kind(item.get("kind", "profile")).from_config(item, f"heads[{i}]", model)
                 for i, item in enumerate(items))


def _from_specdsl(cfg: dict[str, Any], source: str) -> TrainingIR:
    m, d, o, s, r = cfg["model"], cfg["data"], cfg["optimizer"], cfg["schedule"], cfg["runtime"]
    from ..training.readers import get_reader

    reader = get_reader(d.get("reader", BPREVEAL_READER))
    body = _body(m, source, reader, cfg.get("inputs", {}))
    reader_settings = {k.replace("-", "_"): v for k, v in d.items() if k not in ("reader", "train", "val")}
    decay = s.get("learning-rate-decay")
    return TrainingIR(
        kind=SPECDSL_TRAIN, source=source, inputs=reader.bind_inputs(body.preset, m, cfg.get("inputs", {})),
        body=body, heads=_heads(cfg["heads"], {**m, "preset-params": body.params_dict(),
                                               "preset-defaults": body.preset.param_defaults()}),
        data=DataIR(reader.name, _files(d["train"]), _files(d.get("val")), settings(reader_settings)),
        optimizer=OptimizerIR(o["name"], float(o["learning-rate"])),
        schedule=ScheduleIR(s["epochs"], s["batch-size"], early_stopping_patience=s["early-stopping-patience"],
                            lr_plateau_patience=None if decay else s["learning-rate-plateau-patience"],
                            lr_decay=decay, train_examples=s.get("train-examples"),
                            val_examples=s.get("val-examples")),
        runtime=RuntimeIR(r["verbosity"], r.get("seed"), r["mixed-precision"], r["xla"]),
        output=OutputIR(cfg["output-prefix"], "prefix", "output-prefix"),
        model_name=m.get("model-name") or None, config=cfg)


register(ConfigKind(SPECDSL_TRAIN, "specdsl's own training config", _from_specdsl))
