"""What a run keeps on disk so that a kill at any moment can be resumed, losing at most one epoch.

The backup folder (``PREFIX.backup/``, ``DIR/backup/``) holds:

* ``latest-NNNN.weights.h5``: model *and* optimizer variables after epoch NNNN;
* ``best-NNNN.weights.h5``: the weights of the best epoch so far;
* ``state.json``: the commit record — which two weights files are current, the epochs done,
  the early-stopping and plateau counters, and the history up to that epoch.

After every epoch the files are written in this order, each atomically (temporary name,
then rename): the history (``history.json``, for the user), the best weights (when the epoch
improved), the latest weights, then ``state.json``, which is the commit point.  Only then are
superseded weights files deleted and the user-facing best checkpoint rewritten.  A kill before
the commit leaves the previous ``state.json``, whose files all still exist; a kill after it
leaves a complete new state.  Versioned names are what make this true: a file named by a
committed state is never overwritten.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import keras

from specdsl.atomic import WriteError, atomic_path, atomic_write_text
from specdsl.errors import SpecError
from specdsl.training.artifacts import json_safe
from specdsl.training.paths import STATE

VERSION = 1


@dataclass
class RunState:
    """The committed state of an interrupted run (everything but the weights themselves)."""

    epochs_done: int
    finished: bool
    latest: str
    best: str | None
    best_epoch: int | None
    early: dict[str, Any] = field(default_factory=dict)
    plateau: dict[str, Any] = field(default_factory=dict)
    history: dict[str, Any] = field(default_factory=dict)
    version: int = VERSION


def weights_bytes(model: Any) -> int:
    """About the size of a weights file (model and optimizer), for the free-space check."""
    variables = list(model.weights)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        variables += list(optimizer.variables)
    return sum(int(v.numpy().nbytes) if hasattr(v, "numpy") else 0 for v in variables) + (1 << 20)


class Backup:
    """One run's backup folder: read the committed state, commit a new one, restore a model."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    @property
    def state_path(self) -> Path:
        return self.folder / STATE

    def exists(self) -> bool:
        return self.folder.exists()

    def load(self) -> RunState | None:
        """The committed state, or None when no epoch was committed (killed before the first)."""
        if not self.state_path.exists():
            return None
        try:
            raw = json.loads(self.state_path.read_text())
            state = RunState(**raw)
        except (OSError, ValueError, TypeError) as err:
            raise SpecError(f"the backup of this run is not one specdsl wrote or can read ({err})",
                            file=str(self.state_path),
                            hint="train without --resume to start again") from None
        for name in (state.latest, state.best):
            if name is not None and not (self.folder / name).exists():
                raise SpecError(f"the backup names {name}, which is missing", file=str(self.state_path),
                                hint="train without --resume to start again")
        return state

    def _save_weights(self, model: Any, name: str) -> None:
        with atomic_path(self.folder / name, suffix=".weights.h5", need_bytes=weights_bytes(model)) as tmp:
            model.save_weights(tmp)

    def commit(self, model: Any, epoch: int, improved: bool, state: RunState) -> None:
        """Write this epoch's weights and then the state that names them; drop what it superseded."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if improved:
            state.best = f"best-{epoch:04d}.weights.h5"
            self._save_weights(model, state.best)
        state.latest = f"latest-{epoch:04d}.weights.h5"
        self._save_weights(model, state.latest)
        atomic_write_text(self.state_path, json.dumps(json_safe(asdict(state)), indent=1) + "\n")
        self.prune(keep={STATE, state.latest, state.best})

    def prune(self, keep: set[str | None]) -> None:
        """Delete superseded weights and the temporary files a kill may have left."""
        for path in self.folder.iterdir():
            if path.name not in keep and path.is_file():
                path.unlink(missing_ok=True)

    def restore(self, model: Any, name: str) -> None:
        """Load weights (and optimizer variables) saved by :meth:`commit` into a compiled model."""
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and not optimizer.built:
            optimizer.build(model.trainable_variables)
        try:
            model.load_weights(str(self.folder / name))
        except (OSError, ValueError) as err:
            raise SpecError(f"cannot restore the model from the backup: {err}", file=str(self.folder / name),
                            hint="was the config changed since the run was interrupted? train without --resume "
                                 "to start again") from None


# The counters of Keras's monitors that decide when to stop and when to lower the rate.
_EARLY_FIELDS = ("wait", "best", "best_epoch", "stopped_epoch")
_PLATEAU_FIELDS = ("wait", "best", "cooldown_counter")


def _counters(callback: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    if callback is None:
        return {}
    return {name: getattr(callback, name) for name in fields if hasattr(callback, name)}


def _set_counters(callback: Any, values: dict[str, Any]) -> None:
    if callback is None:
        return
    for name, value in values.items():
        if name == "best" and value is None:
            continue  # json_safe wrote an infinite best (nothing seen yet) as null
        setattr(callback, name, value)


def restore_monitors(early: Any, plateau: Any, state: RunState, best_weights: list[Any] | None) -> None:
    """Give early stopping and the plateau schedule their counters (and the best weights) from before the kill."""
    _set_counters(early, state.early)
    _set_counters(plateau, state.plateau)
    if early is not None and best_weights is not None:
        early.best_weights = best_weights


class Checkpointer(keras.callbacks.Callback):
    """Commits the run after every epoch and, on resume, puts the monitors back as they were.

    It runs after every callback that changes state at the end of an epoch (early stopping,
    the plateau schedule, head callbacks, the history writer), so what it commits is the state
    the next epoch would start from.  An epoch whose loss became NaN is not committed: a
    resume starts from the last finite one.
    """

    def __init__(self, backup: Backup, early: Any, plateau: Any, epochs: int, history: Any,
                 checkpoint: Path, nan_guard: Any, resumed: RunState | None = None,
                 best_weights: list[Any] | None = None):
        super().__init__()
        self.backup = backup
        self.early = early
        self.plateau = plateau
        self.epochs = epochs
        self.history = history
        self.checkpoint = checkpoint
        self.nan_guard = nan_guard
        self.resumed = resumed
        self.best_weights = best_weights
        self.best: str | None = resumed.best if resumed else None

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Keras resets the monitors here; give them back their counters from before the kill."""
        if self.resumed is not None:
            restore_monitors(self.early, self.plateau, self.resumed, self.best_weights)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.nan_guard is not None and self.nan_guard.where is not None:
            return
        improved = self.early is not None and getattr(self.early, "best_epoch", None) == epoch
        state = RunState(epochs_done=epoch + 1,
                         finished=bool(self.model.stop_training) or epoch + 1 >= self.epochs,
                         latest="", best=self.best,
                         best_epoch=getattr(self.early, "best_epoch", None),
                         early=_counters(self.early, _EARLY_FIELDS),
                         plateau=_counters(self.plateau, _PLATEAU_FIELDS),
                         history=self.history())
        self.backup.commit(self.model, epoch, improved, state)
        self.best = state.best
        if improved:
            save_checkpoint(self.model, self.checkpoint)


def sweep_leftovers(files: list[Path]) -> list[Path]:
    """Remove the temporary files a kill in the middle of writing ``files`` left beside them.

    They are hidden (``.NAME.XXXXXXXX.tmp``, see :mod:`specdsl.atomic`) and never read, but a
    run that was killed repeatedly would pile them up.  Called under the run lock, so no other
    run is writing them.
    """
    removed = []
    for path in files:
        for leftover in path.parent.glob(f".{path.stem}.*"):
            if leftover.is_file():
                leftover.unlink(missing_ok=True)
                removed.append(leftover)
    return removed


def save_checkpoint(model: Any, path: Path) -> None:
    """The best epoch's model with its compile state (for users who look at it mid-run)."""
    from specdsl.backend.keras_model import save_model

    save_model(model, path)


__all__ = ["Backup", "Checkpointer", "RunState", "WriteError", "restore_monitors", "save_checkpoint", "sweep_leftovers",
           "weights_bytes"]
