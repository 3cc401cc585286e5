"""What a run would do, said before it starts: ``specdsl train CONFIG --dry-run``.

A user about to start a long run wants to see the model, how much data each epoch reads, in how
many steps, on which device, and where every file will land, and to change a value and look again
(``--set``), before committing hours to it.  Everything here comes from the checked plan; nothing
is built, trained or written.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from specdsl.training.plan import Plan


def steps_per_epoch(plan: Plan, role: str) -> int:
    """The batches one epoch of ``role`` reads: training batches are whole where the reader makes them so."""
    n, size = plan.examples[role], plan.ir.schedule.batch_size
    return n // size if role == "train" and plan.reader.whole_batches else math.ceil(n / size)


def output_files(plan: Plan) -> list[tuple[str, Path]]:
    """(what, where) for every file a finished run leaves, in the order a user looks for them."""
    from specdsl.training.curves import planned_curves
    from specdsl.training.paths import Paths

    paths = Paths.of(plan.ir.output)
    out = [("model", paths.model), ("history", paths.history), ("checkpoint", paths.checkpoint)]
    curves = paths.learning_curves()
    if curves:
        out += [("learning curves", c) for c in curves]
    if paths.plot is not None:
        out.append(("plot", paths.plot))
    out += [("picture", p) for p in planned_curves(plan, paths)]
    out.append(("backup (while it runs)", paths.backup))
    return out


def plan_lines(plan: Plan, devices: Any) -> list[str]:
    """The lines after the model table: data, schedule, optimizer, device, outputs."""
    ir, schedule = plan.ir, plan.ir.schedule
    train, val = plan.examples["train"], plan.examples.get("val", 0)
    steps = steps_per_epoch(plan, "train")
    left = train - steps * schedule.batch_size
    lines = [f"data ({ir.data.reader}): {train:,} training examples"
             + (f", {val:,} validation examples ({_count(steps_per_epoch(plan, 'val'), 'batch', 'batches')})"
                if val else ", no validation data"),
             f"schedule: up to {_count(schedule.epochs, 'epoch')} of {_count(steps, 'step')}, "
             f"batch size {schedule.batch_size:,}"
             + (f" ({left:,} training examples left out of each epoch, different ones every time)" if left > 0 else "")
             + (f"; early stopping after {schedule.early_stopping_patience} epochs without improvement"
                if schedule.early_stopping_patience and schedule.early_stopping_patience < schedule.epochs else ""),
             f"optimizer: {ir.optimizer.name}, learning rate {ir.optimizer.learning_rate:g}",
             f"device{'s' if devices.count > 1 else ''}: {', '.join(devices.labels)}"
             + (f" ({devices.distribution})" if devices.distribution else "") + f"; backend {devices.backend}",
             "outputs:"]
    files = output_files(plan)
    width = max(len(what) for what, _ in files)
    lines += [f"  {what:<{width}}  {where}" for what, where in files]
    return lines


def _count(n: int, noun: str, plural: str = "") -> str:
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


__all__ = ["output_files", "plan_lines", "steps_per_epoch"]
