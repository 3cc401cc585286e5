"""``bpreveal-solo`` → training IR: BPReveal's trainSoloModel config, read verbatim.

BPReveal's ``bpnet`` architecture becomes the preset ``BPNet`` with parameters ``filters``,
``layers``, ``input_filter_width`` and ``output_filter_width``; each head is a ``profile``
head; the data is read by ``bpreveal-h5``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .kinds import ConfigKind, register
from .schemas import BPREVEAL_SOLO
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

BPNET_PRESET = "BPNet"


def profile_heads(items: list[dict[str, Any]], model: dict[str, Any]) -> tuple[HeadIR, ...]:
    from ..training.heads import head_kind

    kind = head_kind("profile")
    return tuple(kind.from_config(item, f"heads[{i}]", model) for i, item in enumerate(items))


def body_preset(name: str, params: dict[str, Any], label: str | None = None) -> BodyIR:
    from ..presets import get_preset

    preset = get_preset(name)
    return BodyIR(replace(preset, heads=(), outputs=()), settings(params), label or preset.name)


def _from_bpreveal(cfg: dict[str, Any], source: str) -> TrainingIR:
    s, a = cfg["settings"], cfg["settings"]["architecture"]
    params = {"filters": a["filters"], "layers": a["layers"], "input_filter_width": a["input-filter-width"],
              "output_filter_width": a["output-filter-width"], "input_length": a["input-length"]}
    return TrainingIR(
        kind=BPREVEAL_SOLO, source=source,
        inputs=(InputIR("sequence", (a["input-length"], 4), "float32", "sequence"),),
        body=body_preset(BPNET_PRESET, params),
        heads=profile_heads(cfg["heads"], a),
        data=DataIR("bpreveal-h5", (cfg["train-data"],), (cfg["val-data"],), settings(max_jitter=s["max-jitter"]),
                    "settings", "train-data", "val-data"),
        optimizer=OptimizerIR("adam", float(s["learning-rate"])),
        schedule=ScheduleIR(s["epochs"], s["batch-size"], early_stopping_patience=s["early-stopping-patience"],
                            lr_plateau_patience=s["learning-rate-plateau-patience"]),
        runtime=RuntimeIR(cfg["verbosity"]),
        output=OutputIR(s["output-prefix"], "prefix", "settings.output-prefix"),
        model_name=a["model-name"] or None, config=cfg)


register(ConfigKind(BPREVEAL_SOLO, "BPReveal's trainSoloModel config", _from_bpreveal))
