"""The Keras side of :mod:`.schedules`: a callback that sets the learning rate before every batch."""

from __future__ import annotations

from collections.abc import Callable

import keras

from specdsl.errors import SpecError


class BatchSchedule(keras.callbacks.Callback):
    """The rate of every training batch from ``formula(epoch, batch, steps_per_epoch)``.

    Stateless by design: the rate depends on the epoch and batch indices only, so a run resumed
    at epoch N (``initial_epoch``) continues the same curve.  On JAX the trainer feeds its steps
    a copy of the variables; reading ``self.model`` syncs that copy back (Keras's
    ``Callback.model``), so the rate assigned here is the one the next step uses — a test trains
    with it on both backends and checks the weights each step moved by.
    """

    def __init__(self, name: str, formula: Callable[[int, int, int], float]):
        super().__init__()
        self.name = name
        self.formula = formula
        self.epoch = 0
        self.rate: float | None = None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        steps = (self.params or {}).get("steps")
        if not steps:
            raise SpecError(f"the {self.name} learning-rate schedule needs the number of batches per epoch, which "
                            "this data set does not tell", hint="use the plateau schedule with this reader")
        self.rate = float(self.formula(self.epoch, batch, int(steps)))
        self.model.optimizer.learning_rate = self.rate

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None and self.rate is not None:
            logs["learning_rate"] = self.rate  # the last batch's rate, for the history and the progress line


__all__ = ["BatchSchedule"]
