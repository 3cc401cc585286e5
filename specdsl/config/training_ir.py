"""The training IR: what a run needs, whichever config kind it was written in.

Both config kinds become this one frozen value, so the training code has a
single input and never looks at config keys (principle: the IR is the
contract).  BPReveal's ``bpnet`` architecture becomes the preset ``BPNet``
with parameters ``filters``, ``layers``, ``input_filter_width`` and
``output_filter_width``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .schemas import BPREVEAL_SOLO, SPECDSL_TRAIN

BPNET_PRESET = "BPNet"


@dataclass(frozen=True)
class ArchitectureSpec:
    """Either an architecture string (``text``) or a preset name with parameter overrides."""

    text: str | None = None
    preset: str | None = None
    params: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if (self.text is None) == (self.preset is None):
            raise ValueError("an architecture is either a string or a preset, exactly one of them")

    @property
    def is_preset(self) -> bool:
        return self.preset is not None

    def params_dict(self) -> dict[str, Any]:
        return dict(self.params)


@dataclass(frozen=True)
class HeadIR:
    """One output head and its loss weights.

    ``counts_loss_weight`` None with a ``counts_loss_frac_target`` means the
    trainer picks the starting weight; a frac target turns on adaptive weighting.
    """

    name: str
    num_tasks: int
    profile_loss_weight: float
    counts_loss_weight: float | None
    counts_loss_frac_target: float | None


@dataclass(frozen=True)
class TrainingIR:
    """A validated training config with every default applied.

    File names are kept as written (relative to the working directory, as in
    BPReveal).  ``config`` is the resolved config (defaults filled in), kept so a
    run can store exactly what it trained with; treat it as read-only.
    """

    kind: str
    source: str
    architecture: ArchitectureSpec
    input_length: int
    output_length: int | None  # None: whatever the architecture produces (specdsl-train only)
    heads: tuple[HeadIR, ...]
    train_data: str
    val_data: str
    output_prefix: str
    epochs: int
    batch_size: int
    optimizer: str
    learning_rate: float
    early_stopping_patience: int
    lr_plateau_patience: int
    max_jitter: int
    verbosity: str
    mixed_precision: bool = False
    xla: bool = False
    seed: int | None = None
    model_name: str | None = None
    model_args: str | None = None
    output_filter_width: int | None = None  # profile-conv width for architecture strings
    config: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)


def _heads(items: list[dict[str, Any]]) -> tuple[HeadIR, ...]:
    def opt_float(v: Any) -> float | None:
        return None if v is None else float(v)
    return tuple(HeadIR(h["head-name"], h["num-tasks"], float(h["profile-loss-weight"]),
                        opt_float(h.get("counts-loss-weight")), opt_float(h.get("counts-loss-frac-target")))
                 for h in items)


def _from_bpreveal(cfg: dict[str, Any], source: str) -> TrainingIR:
    s, a = cfg["settings"], cfg["settings"]["architecture"]
    params = (("filters", a["filters"]), ("layers", a["layers"]), ("input_filter_width", a["input-filter-width"]),
              ("output_filter_width", a["output-filter-width"]))
    return TrainingIR(
        kind=BPREVEAL_SOLO, source=source, architecture=ArchitectureSpec(preset=BPNET_PRESET, params=params),
        input_length=a["input-length"], output_length=a["output-length"], heads=_heads(cfg["heads"]),
        train_data=cfg["train-data"], val_data=cfg["val-data"], output_prefix=s["output-prefix"],
        epochs=s["epochs"], batch_size=s["batch-size"], optimizer="adam", learning_rate=float(s["learning-rate"]),
        early_stopping_patience=s["early-stopping-patience"], lr_plateau_patience=s["learning-rate-plateau-patience"],
        max_jitter=s["max-jitter"], verbosity=cfg["verbosity"], model_name=a["model-name"],
        model_args=a.get("model-args"), config=cfg)


def _from_specdsl(cfg: dict[str, Any], source: str) -> TrainingIR:
    m, d, o, s, r = cfg["model"], cfg["data"], cfg["optimizer"], cfg["schedule"], cfg["runtime"]
    arch = m["architecture"]
    spec = (ArchitectureSpec(text=arch) if isinstance(arch, str)
            else ArchitectureSpec(preset=arch["preset"], params=tuple(arch.get("params", {}).items())))
    return TrainingIR(
        kind=SPECDSL_TRAIN, source=source, architecture=spec, input_length=m["input-length"],
        output_length=m.get("output-length"), heads=_heads(cfg["heads"]), train_data=d["train"], val_data=d["val"],
        output_prefix=cfg["output-prefix"], epochs=s["epochs"], batch_size=s["batch-size"], optimizer=o["name"],
        learning_rate=float(o["learning-rate"]), early_stopping_patience=s["early-stopping-patience"],
        lr_plateau_patience=s["learning-rate-plateau-patience"], max_jitter=d["max-jitter"],
        verbosity=r["verbosity"], mixed_precision=r["mixed-precision"], xla=r["xla"], seed=r.get("seed"),
        model_name=m.get("model-name"), output_filter_width=m.get("output-filter-width"), config=cfg)


def to_training_ir(kind: str, config: dict[str, Any], source: str = "<config>") -> TrainingIR:
    """The IR of a validated, defaults-applied config of ``kind`` (see :func:`validate`)."""
    build = {BPREVEAL_SOLO: _from_bpreveal, SPECDSL_TRAIN: _from_specdsl}[kind]
    return build(config, source)
