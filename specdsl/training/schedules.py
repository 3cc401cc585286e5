"""Learning-rate schedules: one registry entry per kind, for every run (``schedule.lr-schedule``).

Capfinder's three schedulers — ``plateau`` (Keras's ReduceLROnPlateau with a factor and a
floor), ``cyclic`` (Smith's cyclical learning rates: triangular, triangular2, exp_range) and
``sgdr`` (cosine annealing with warm restarts) — are entries here, so a ``specdsl-train``
config and Capfinder's ``lr_scheduler_params`` reach the same code.  An entry is its config
keys (a schema fragment), its formula as a pure function (what the tests check against the
published formulas) and the Keras callback the run adds.

The per-batch schedules are stateless: the rate of a batch is computed from the epoch and
the batch index alone, so a resumed run (``initial_epoch``) continues the same curve.  The
formulas are the published ones; where Capfinder's code differs (``exp_range`` returned
γ^it alone, dropping the base rate and the triangle) the published formula is used, see
docs/capfinder.md.  Nothing here imports Keras until a callback is built.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from specdsl.errors import SpecError, did_you_mean
from specdsl.schema import Schema, choice, constant, integer, number, obj

CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


# --------------------------------------------------------------------------- the formulas


def cyclic_lr(iteration: int, *, base_lr: float, max_lr: float, step_size: float, mode: str = "triangular",
              gamma: float = 1.0) -> float:
    """Smith (2017), "Cyclical Learning Rates for Training Neural Networks", per training batch.

    ``iteration`` counts batches from the start of training; ``step_size`` is half a cycle in
    batches.  cycle = ⌊1 + it/(2·step)⌋, x = |it/step − 2·cycle + 1|,
    lr = base + (max − base)·max(0, 1 − x)·scale, with scale 1 (triangular), 1/2^(cycle−1)
    (triangular2) or γ^it (exp_range).
    """
    if mode not in CYCLIC_MODES:
        raise SpecError(f"unknown cyclic mode '{mode}'", expected="one of " + ", ".join(CYCLIC_MODES),
                        hint=did_you_mean(mode, CYCLIC_MODES))
    cycle = math.floor(1 + iteration / (2 * step_size))
    x = abs(iteration / step_size - 2 * cycle + 1)
    scale = 1.0 if mode == "triangular" else 1 / 2 ** (cycle - 1) if mode == "triangular2" else gamma ** iteration
    return base_lr + (max_lr - base_lr) * max(0.0, 1 - x) * scale


def sgdr_cycles(cycle_length: int, mult_factor: float, epochs: int) -> list[tuple[int, int]]:
    """(first epoch, length) of every cycle that starts before ``epochs``: each cycle is
    ⌈previous length × mult_factor⌉ epochs long (Loshchilov and Hutter, SGDR)."""
    out, start, length = [], 0, int(cycle_length)
    while start < epochs:
        out.append((start, length))
        start += length
        length = int(math.ceil(length * mult_factor))
    return out


def sgdr_lr(epoch: int, batch: int, steps_per_epoch: int, *, min_lr: float, max_lr: float, lr_decay: float,
            cycle_length: int, mult_factor: float) -> float:
    """Cosine annealing with warm restarts: lr = min + ½(max_k − min)(1 + cos(π·b/(steps·length_k))).

    ``b`` counts batches since the current cycle k began; max_k = max_lr·lr_decay^k.  The
    rate restarts at max_k after the last epoch of every cycle (with the defaults 5 and 1.5:
    after epochs 5, 13, 25, 43, 70 …).
    """
    cycles = sgdr_cycles(cycle_length, mult_factor, epoch + 1)
    k = len(cycles) - 1
    start, length = cycles[k]
    b = (epoch - start) * steps_per_epoch + batch
    peak = max_lr * lr_decay ** k
    return min_lr + 0.5 * (peak - min_lr) * (1 + math.cos(math.pi * b / (steps_per_epoch * length)))


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class LrSchedule:
    """One kind of schedule: its config keys (besides ``kind``) and its callback."""

    name: str
    doc: str
    properties: Callable[[], dict[str, Schema]]
    make: Callable[[dict[str, Any], str], Any]  # (settings with _ keys, monitored quantity) → Keras callback


def _plateau_keys() -> dict[str, Schema]:
    return {
        "factor": number("Multiply the learning rate by this when the monitored loss stops improving.",
                         exclusive_minimum=0, exclusive_maximum=1, default=0.5),
        "patience": integer("Epochs without improvement before the rate is lowered.", minimum=0, default=5),
        "min-lr": number("The rate is never lowered below this.", minimum=0, default=1e-6),
    }


def _cyclic_keys() -> dict[str, Schema]:
    return {
        "base-lr": number("The lower bound of the cycle (the rate at the start).", exclusive_minimum=0,
                          default=1e-3),
        "max-lr": number("The upper bound of the cycle.", exclusive_minimum=0, default=5e-2),
        "step-size-factor": number("Half a cycle, in epochs (steps per epoch × this many batches).",
                                   exclusive_minimum=0, default=8),
        "mode": choice("triangular: the same triangle every cycle; triangular2: its height halves every cycle; "
                       "exp_range: its height is multiplied by gamma every batch.", list(CYCLIC_MODES),
                       default="triangular2"),
        "gamma": number("exp_range's factor per batch (1 keeps the height).", exclusive_minimum=0, maximum=1,
                        default=1.0),
    }


def _sgdr_keys() -> dict[str, Schema]:
    return {
        "min-lr": number("The rate at the end of every cycle.", minimum=0, default=1e-3),
        "max-lr": number("The rate at the start of the first cycle.", exclusive_minimum=0, default=2e-3),
        "lr-decay": number("Multiply the starting rate by this at every restart.", exclusive_minimum=0, maximum=1,
                           default=0.9),
        "cycle-length": integer("Epochs of the first cycle.", minimum=1, default=5),
        "mult-factor": number("Each cycle is this many times longer than the one before (rounded up).", minimum=1,
                              default=1.5),
    }


def _make_plateau(s: dict[str, Any], monitor: str) -> Any:
    import keras

    return keras.callbacks.ReduceLROnPlateau(monitor=monitor, mode="min", factor=float(s.get("factor", 0.5)),
                                             patience=int(s.get("patience", 5)), min_lr=float(s.get("min_lr", 1e-6)))


def _make_cyclic(s: dict[str, Any], monitor: str) -> Any:
    from specdsl.training.lr_callbacks import BatchSchedule

    base, top = float(s.get("base_lr", 1e-3)), float(s.get("max_lr", 5e-2))
    factor, mode, gamma = float(s.get("step_size_factor", 8)), str(s.get("mode", "triangular2")), \
        float(s.get("gamma", 1.0))
    return BatchSchedule("cyclic", lambda epoch, batch, steps: cyclic_lr(
        epoch * steps + batch, base_lr=base, max_lr=top, step_size=steps * factor, mode=mode, gamma=gamma))


def _make_sgdr(s: dict[str, Any], monitor: str) -> Any:
    from specdsl.training.lr_callbacks import BatchSchedule

    keys = {"min_lr": float(s.get("min_lr", 1e-3)), "max_lr": float(s.get("max_lr", 2e-3)),
            "lr_decay": float(s.get("lr_decay", 0.9)), "cycle_length": int(s.get("cycle_length", 5)),
            "mult_factor": float(s.get("mult_factor", 1.5))}
    return BatchSchedule("sgdr", lambda epoch, batch, steps: sgdr_lr(epoch, batch, steps, **keys))


_SCHEDULES: dict[str, LrSchedule] = {}


def register(entry: LrSchedule) -> LrSchedule:
    _SCHEDULES[entry.name] = entry
    return entry


register(LrSchedule("plateau", "lower the rate by a factor when the validation loss stops improving (Keras's "
                               "ReduceLROnPlateau)", _plateau_keys, _make_plateau))
register(LrSchedule("cyclic", "cycle the rate between two bounds, every batch (Smith's cyclical learning rates)",
                    _cyclic_keys, _make_cyclic))
register(LrSchedule("sgdr", "cosine annealing from a peak to a floor every batch, restarting after each cycle "
                            "(SGDR)", _sgdr_keys, _make_sgdr))


def all_schedules() -> dict[str, LrSchedule]:
    return dict(_SCHEDULES)


def get_schedule(name: str) -> LrSchedule:
    if name not in _SCHEDULES:
        raise SpecError(f"unknown learning-rate schedule '{name}'", expected="one of " + ", ".join(_SCHEDULES),
                        hint=did_you_mean(name, _SCHEDULES), path="schedule.lr-schedule.kind")
    return _SCHEDULES[name]


def snake_case_keys(name: str) -> dict[str, Schema]:
    """A schedule's config keys spelled as Capfinder spells them (``min_lr``, not ``min-lr``)."""
    return {key.replace("-", "_"): schema for key, schema in get_schedule(name).properties().items()}


def schedule_schema() -> Schema:
    """``schedule.lr-schedule`` in a ``specdsl-train`` config: one object, its ``kind`` names the entry."""
    from specdsl.schema import tagged

    variants = {name: obj(f"{name} schedule", f"{entry.doc}.", {
        "kind": constant("Which schedule.", name, optional=name == "plateau"), **entry.properties()})
        for name, entry in _SCHEDULES.items()}
    return {**tagged("A learning-rate schedule: plateau, cyclic or sgdr (Capfinder's three). When given it "
                     "replaces learning-rate-decay and learning-rate-plateau-patience; leave it out for those.",
                     "kind", "plateau", variants), "x-optional": True}


def schedule_callback(settings: dict[str, Any], monitor: str = "val_loss") -> Any:
    """The Keras callback of ``settings`` (``kind`` plus the entry's keys, ``_`` for ``-``)."""
    values = {k.replace("-", "_"): v for k, v in settings.items()}
    return get_schedule(str(values.pop("kind", "plateau"))).make(values, monitor)


__all__ = ["CYCLIC_MODES", "LrSchedule", "all_schedules", "cyclic_lr", "get_schedule", "register", "schedule_callback",
           "schedule_schema", "sgdr_cycles", "sgdr_lr", "snake_case_keys"]
