"""Small callbacks the run needs beyond Keras's own: a NaN guard and the history writer."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras

from .artifacts import write_history


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
