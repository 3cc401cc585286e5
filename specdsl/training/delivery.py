"""Delivery: a run's outputs are written aside and swapped in together, so that the model, its
history, its pictures and its checkpoint beside the prefix always come from one run.

While a run trains, the files users watch (the history, the best epoch's checkpoint, DeepCpG's
``lc_train.tsv``/``lc_val.tsv``) are rewritten after every epoch in the staging folder,
``PREFIX.backup/delivery/`` (``DIR/backup/delivery/``), under their final names.  At the end —
and after a Ctrl+C or a NaN, which deliver the best epoch so far — the delivered model, the final
history and every picture and table drawn from it are written there too, then moved beside the
prefix together (:func:`specdsl.atomic.replace_together`: a journal names every move before the
first is made).  So a run that dies (a kill, a broken pipe, an exception) before its delivery
changes nothing beside the prefix, and one killed during it is completed by whoever next takes
the place's lock: the next run, ``specdsl plot`` (:func:`finish_pending`).

Nothing in the staging folder is trusted on resume: the backup's state is, and a resumed run
writes every staged file again from it.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

from specdsl.atomic import finish_replacing, replace_together
from specdsl.training.paths import Paths


def clear_staging(paths: Paths) -> None:
    """Start a run with an empty staging folder (a kill while staging may have left a picture of
    another learning rate, which would otherwise be delivered with this run)."""
    shutil.rmtree(paths.staging, ignore_errors=True)


def complete_pending(paths: Paths) -> bool:
    """Finish a delivery a kill interrupted (the caller holds the run lock); False when there was none.

    A run that had finished no longer needs its backup, so that goes too.
    """
    if not finish_replacing(paths.journal):
        return False
    if _finished(paths):
        _drop_backup(paths)
    return True


def finish_pending(history: str | Path) -> None:
    """Before a history file is read on its own (``specdsl plot``): if a kill stopped the delivery
    it belongs to, finish it, so the history read is the delivered model's.  Waits for a run
    that is delivering right now; a history that is not a run's output is left alone."""
    paths = Paths.of_history(history)
    if paths is None or not paths.journal.exists():
        return
    from specdsl.training.lock import run_lock

    with run_lock(paths.lock, str(history), wait=True):
        complete_pending(paths)


def stage(plan: Any, paths: Paths, model: Any, history: dict[str, Any]) -> list[Path]:
    """Write the delivered model, the final history and what is drawn from it into the staging folder.

    Returns the files head kinds drew (the classifiers' curves) by the names they have once delivered.
    """
    from specdsl.backend.keras_model import save_model
    from specdsl.training.artifacts import write_history
    from specdsl.training.callbacks import LearningCurves
    from specdsl.training.heads import head_kind

    staged = paths.staged()
    save_model(model, staged.model)
    write_history(staged.history, history)
    curves = staged.learning_curves()
    if curves is not None:  # a resumed run that had finished every epoch wrote none yet
        LearningCurves(*curves, plan.display_names(), previous=history).write()
    if staged.plot is not None and history.get("loss"):
        from specdsl.training.plot import plot_history

        plot_history(staged.history, staged.plot)
    drawn = [f for kind_name, rhs in plan.heads_by_kind().items()
             for f in head_kind(kind_name).after_run(rhs, plan, staged, history)]
    return [paths.folder / Path(f).name for f in drawn]


def deliver(paths: Paths, finished: bool) -> None:
    """Move every staged file beside the prefix at once; a finished run's backup is then dropped
    (an interrupted one keeps it, for ``--resume``)."""
    staging = paths.staging
    moves = [(f, paths.folder / f.name) for f in sorted(staging.iterdir())
             if f.is_file() and not f.name.startswith(".")]
    replace_together(moves, paths.journal)
    if finished:
        _drop_backup(paths)


def _finished(paths: Paths) -> bool:
    try:
        return bool(json.loads(paths.state.read_text(encoding="utf-8")).get("finished"))
    except (OSError, ValueError, AttributeError):
        return False


def _drop_backup(paths: Paths) -> None:
    paths.state.unlink(missing_ok=True)  # first: a kill in the middle leaves nothing that looks resumable
    shutil.rmtree(paths.backup, ignore_errors=True)


def best_fields(early: Any, monitor: str) -> dict[str, Any]:
    """History keys naming the epoch whose weights are delivered: ``monitor`` and ``best-epoch`` (1-based).

    The delivered weights are always the early-stopping callback's best (see ``run._fit``), so
    its ``best_epoch`` is the delivered epoch, on resume too (its counters are restored).
    """
    out: dict[str, Any] = {"monitor": monitor}
    if early is not None and getattr(early, "best", None) is not None:
        out["best-epoch"] = int(early.best_epoch) + 1
    return out


def delivery_note(history: dict[str, Any], *, stopped_early: bool = False, interrupted: bool = False,
                  diverged: bool = False) -> str:
    """Which epoch's weights were delivered, and why: ``delivered: best val_loss 0.2031 at epoch 1 of 5;
    early stopping restored it``."""
    done = len(history.get("loss", []))
    best, monitor = history.get("best-epoch"), history.get("monitor")
    values = history.get(monitor) if isinstance(monitor, str) else None
    if not isinstance(best, int) or not isinstance(values, list) or not 1 <= best <= len(values):
        return f"delivered: the last epoch's weights ({done} of {done})"
    value = values[best - 1]
    shown = f"{value:.4g}" if isinstance(value, (int, float)) and math.isfinite(value) else "?"
    if best == done:
        return f"delivered: the last epoch's weights ({done} of {done}), the best {monitor} ({shown})"
    if stopped_early:
        why = "early stopping restored it"
    elif diverged:
        why = "the best epoch before the loss diverged"
    elif interrupted:
        why = f"the best of the {done} epoch(s) that finished before the interruption"
    else:
        why = "its weights were restored at the end of the run"
    return f"delivered: best {monitor} {shown} at epoch {best} of {done}; {why}"


__all__ = ["best_fields", "clear_staging", "complete_pending", "deliver", "delivery_note", "finish_pending", "stage"]
