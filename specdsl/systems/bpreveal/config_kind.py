"""``bpreveal-solo`` → training IR: BPReveal's trainSoloModel config, read verbatim.

BPReveal's ``bpnet`` architecture becomes the preset ``BPNet`` with parameters ``filters``,
``layers``, ``input_filter_width`` and ``output_filter_width``; each head is a ``profile``
head; the data is read by ``bpreveal-h5``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from specdsl.config.bodies import body_preset
from specdsl.config.kind import ConfigKind, register
from specdsl.config.reader import Node, ObjectNode
from specdsl.config.schemas import (
    BPREVEAL_SOLO,
    batch_size,
    data_file,
    early_stopping_patience,
    epochs,
    heads,
    input_length,
    learning_rate,
    max_jitter,
    model_name,
    output_length,
    output_prefix,
    plateau_patience,
    verbosity,
)
from specdsl.schema import Schema, choice, constant, document, integer, obj, string
from specdsl.training.ir import (
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
BPREVEAL_KEYS = ("settings", "train-data", "val-data")


_BPNET = obj("architecture", "The BPNet-style network (BPReveal's only solo architecture).", {
    "architecture-name": choice("The kind of network; BPReveal knows only \"bpnet\".", ["bpnet"], example="bpnet"),
    "input-length": input_length(),
    "output-length": output_length(),
    "model-name": model_name(),
    "model-args": string("Reserved by BPReveal for future architecture options; unused.", allow_empty=True,
                         example="", optional=True),
    "filters": integer("Convolution filters in every layer, typically 32 to 128.", minimum=1, example=64),
    "layers": integer("How many dilated residual layers (dilations 2, 4, ..., 2^layers).", minimum=0, example=9),
    "input-filter-width": integer("Width of the first, motif-scanning convolution, e.g. 7 to 25.", minimum=1,
                                  example=25),
    "output-filter-width": integer("Width of the last convolution that makes the profile, e.g. 25 to 75.",
                                   minimum=1, example=75),
})

_SOLO_SETTINGS = obj("settings", "Training settings and the architecture.", {
    "output-prefix": output_prefix(),
    "epochs": epochs(),
    "max-jitter": max_jitter(),
    "early-stopping-patience": early_stopping_patience(),
    "batch-size": batch_size(),
    "learning-rate": learning_rate(),
    "learning-rate-plateau-patience": plateau_patience(),
    "architecture": _BPNET,
}, foreign={"transformation-model": "transformation-model belongs to trainCombinedModel configs; this is a "
                                    "trainSoloModel config"})

@cache
def schema() -> Schema:
    """BPReveal's trainSoloModel config, verbatim; unknown keys are errors."""
    return document(BPREVEAL_SOLO, obj(
        BPREVEAL_SOLO,
        "BPReveal's trainSoloModel configuration, accepted verbatim; unknown keys are errors.", {
            "settings": _SOLO_SETTINGS,
            "train-data": data_file("training", "data/train.h5"),
            "val-data": data_file("validation", "data/val.h5"),
            "heads": heads(),
            "verbosity": verbosity(),
            "kind": constant("Names this kind explicitly; BPReveal ignores it.", BPREVEAL_SOLO, optional=True),
        }))


def claims(root: Node) -> bool:
    """A config with any of BPReveal's top-level keys is a trainSoloModel config (files work unchanged)."""
    return isinstance(root, ObjectNode) and any(key in root.value for key in BPREVEAL_KEYS)


def profile_heads(items: list[dict[str, Any]], model: dict[str, Any]) -> tuple[HeadIR, ...]:
    from specdsl.training.heads import head_kind

    kind = head_kind("profile")
    return tuple(kind.from_config(item, f"heads[{i}]", model) for i, item in enumerate(items))


def _from_bpreveal(cfg: dict[str, Any], source: str) -> TrainingIR:
    s, a = cfg["settings"], cfg["settings"]["architecture"]
    params = {"filters": a["filters"], "layers": a["layers"], "input_filter_width": a["input-filter-width"],
              "output_filter_width": a["output-filter-width"], "input_length": a["input-length"]}
    return TrainingIR(
        kind=BPREVEAL_SOLO, source=source,
        inputs=(InputIR("sequence", (a["input-length"], 4), "float32", "sequence"),),
        body=body_preset(BPNET_PRESET, params),
        heads=profile_heads(cfg["heads"], {**a, "config-path": "settings.architecture"}),
        data=DataIR("bpreveal-h5", (cfg["train-data"],), (cfg["val-data"],), settings(max_jitter=s["max-jitter"]),
                    "settings", "train-data", "val-data"),
        optimizer=OptimizerIR("adam", float(s["learning-rate"])),
        schedule=ScheduleIR(s["epochs"], s["batch-size"], early_stopping_patience=s["early-stopping-patience"],
                            lr_plateau_patience=s["learning-rate-plateau-patience"]),
        runtime=RuntimeIR(cfg["verbosity"]),
        output=OutputIR(s["output-prefix"], "prefix", "settings.output-prefix"),
        model_name=a["model-name"] or None, config=cfg)


register(ConfigKind(BPREVEAL_SOLO, "BPReveal's trainSoloModel config", schema, _from_bpreveal, claims, order=0,
                    claims_doc="has any of BPReveal's top-level keys " + ", ".join(f"`{k}`" for k in BPREVEAL_KEYS)
                               + " (BPReveal's `trainSoloModel` files work unchanged)"))
