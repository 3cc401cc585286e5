"""Progress with rich: a bar per epoch with live loss and ETA, then one line per epoch."""

from __future__ import annotations

import math
import time
from typing import Any

import keras

# BPReveal's verbosity words; INFO and DEBUG show the bar, WARNING only epoch lines.
_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


def shows_bar(verbosity: str) -> bool:
    return _LEVELS.get(verbosity.upper(), 20) <= 20


def shows_epochs(verbosity: str) -> bool:
    return _LEVELS.get(verbosity.upper(), 20) <= 30


def _short(key: str) -> str:
    return key.replace("_multinomial_nll", "_mnll").replace("_reweightable_mse", "_mse")


class RichProgress(keras.callbacks.Callback):
    """Live bar per epoch (loss, ETA) and an end-of-epoch line with every loss term, lr and time."""

    def __init__(self, console: Any, epochs: int, verbosity: str = "INFO"):
        super().__init__()
        self.console = console
        self.epochs = epochs
        self.bar = shows_bar(verbosity)
        self.lines = shows_epochs(verbosity)
        self._progress: Any = None
        self._task: Any = None
        self._start = 0.0
        self._last = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.monotonic()
        if not self.bar:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn(f"epoch {epoch + 1}/{self.epochs}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn(), console=self.console, transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("train", total=self.params.get("steps"), loss="…")

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._progress is None:
            return
        now = time.monotonic()
        loss = (logs or {}).get("loss")
        if now - self._last > 0.1 or batch + 1 == self.params.get("steps"):
            self._last = now
            text = f"{float(loss):.4g}" if loss is not None else "…"
            self._progress.update(self._task, completed=batch + 1, loss=text)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        if not self.lines:
            return
        logs = dict(logs or {})
        lr = logs.pop("learning_rate", None)
        main = [f"loss {logs.pop('loss', math.nan):.4g}"]
        if "val_loss" in logs:
            main.append(f"val_loss {logs.pop('val_loss'):.4g}")
        terms = [f"{_short(k)} {v:.4g}" for k, v in sorted(logs.items())
                 if not k.endswith("_loss") and isinstance(v, (int, float))]
        extra = f"  lr {float(lr):.3g}" if lr is not None else ""
        from specdsl.console import styled

        self.console.print(styled((f"epoch {epoch + 1}/{self.epochs}", "bold"),
                                  f"  {'  '.join(main)}{extra}  {time.monotonic() - self._start:.1f}s\n    ",
                                  ("  ".join(terms), "dim")).to_rich())

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
