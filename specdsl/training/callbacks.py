"""Small callbacks the run needs beyond Keras's own: a NaN guard and the history writer."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras

from specdsl.training.artifacts import write_history


class StopOnNaN(keras.callbacks.Callback):
    """Stop at the first non-finite batch loss and remember where (for a clear message)."""

    def __init__(self) -> None:
        super().__init__()
        self.where: tuple[int, int] | None = None
        self.value: str = ""
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.where = (self._epoch, batch)
            self.value = "NaN" if math.isnan(float(loss)) else "infinite"
            self.model.stop_training = True


class HistoryWriter(keras.callbacks.Callback):
    """Per-epoch losses, metrics and learning rate, rewritten atomically after every epoch.

    Keys follow Keras/BPReveal (``loss``, ``val_loss``, ``solo_profile_<h>_multinomial_nll``,
    ``learning_rate`` …) plus ``counts-loss-weight`` and ``config``, so BPReveal users'
    scripts read it unchanged.  ``previous`` continues a resumed run's history.
    """

    def __init__(self, path: str | Path, config: dict, previous: dict | None = None,
                 extra: Callable[[], dict] | None = None):
        super().__init__()
        self.path = Path(path)
        self.config = config
        self.extra = extra or (lambda: {})
        self.epochs: dict[str, list[Any]] = {k: list(v) for k, v in (previous or {}).items()
                                             if isinstance(v, list)}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = dict(logs or {})
        if "learning_rate" not in logs:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        done = len(self.epochs.get("loss", []))
        for key, value in logs.items():
            column = self.epochs.setdefault(key, [None] * done)
            column.append(float(value))
        write_history(self.path, self.history())

    def history(self) -> dict[str, Any]:
        return {**self.epochs, **self.extra(), "config": self.config}


class TrainingStopper(keras.callbacks.Callback):
    """Stop after ``max_time_s`` seconds or once ``stop_file`` exists (DeepCpG's --max_time/--stop_file)."""

    def __init__(self, max_time_s: float | None = None, stop_file: str | None = None):
        super().__init__()
        self.max_time_s = max_time_s
        self.stop_file = stop_file
        self.reason: str | None = None
        self._start = 0.0

    def on_train_begin(self, logs: dict | None = None) -> None:
        import time

        self._start = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        import os
        import time

        if self.max_time_s is not None and time.monotonic() - self._start > self.max_time_s:
            self.reason = f"the time limit of {self.max_time_s / 3600:.3g} h was reached"
        elif self.stop_file and os.path.exists(self.stop_file):
            self.reason = f"the stop file {self.stop_file} exists"
        if self.reason:
            self.model.stop_training = True


class LearningCurves(keras.callbacks.Callback):
    """DeepCpG's ``lc_train.tsv`` / ``lc_val.tsv``: one row per epoch, ``loss`` then each output's
    ``<output>_acc`` (sorted), tab-separated, 4 decimals; rewritten atomically after every epoch.

    Output names are DeepCpG's (``cpg/BS27_4_SER``), mapped back from the Keras layer names.
    """

    def __init__(self, train_path: Path, val_path: Path, display: dict[str, str], metrics: tuple[str, ...] = ("acc",),
                 previous: dict | None = None):
        super().__init__()
        self.paths = (train_path, val_path)
        self.display = display
        self.metrics = metrics
        self.rows: tuple[list[dict], list[dict]] = ([], [])
        for epoch in range(len((previous or {}).get("loss", []))):  # a resumed run keeps its earlier epochs
            logs = {k: v[epoch] for k, v in previous.items() if isinstance(v, list) and epoch < len(v)}
            for rows, prefix in zip(self.rows, ("", "val_")):
                if not prefix or logs.get("val_loss") is not None:
                    rows.append(self._row(logs, prefix))

    def _row(self, logs: dict, prefix: str) -> dict:
        row = {"loss": logs.get(f"{prefix}loss")}
        for metric in self.metrics:
            for layer in sorted(self.display, key=lambda n: self.display[n]):
                value = logs.get(f"{prefix}{layer}_{metric}")
                if value is not None:
                    row[f"{self.display[layer]}_{metric}"] = value
        return row

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        for rows, prefix in zip(self.rows, ("", "val_")):
            if not prefix or "val_loss" in logs:
                rows.append(self._row(logs, prefix))
        self.write()

    def write(self) -> None:
        """Both files as they stand (the delivery writes them once more from the final history)."""
        from specdsl.atomic import atomic_write_text

        for rows, path in zip(self.rows, self.paths):
            if not rows:
                continue
            columns = list(rows[0])
            lines = ["\t".join(columns)]
            lines += ["\t".join("" if r.get(c) is None else f"{float(r[c]):.4f}" for c in columns) for r in rows]
            atomic_write_text(path, "\n".join(lines) + "\n")
