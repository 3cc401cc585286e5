"""A training run: config IR → checked data and lengths → Keras model → fit → artifacts.

Everything a user can get wrong (lengths, file shapes, tasks per head) is checked
before TensorFlow builds anything.  Outputs are ``<prefix>.keras``,
``<prefix>.checkpoint.keras`` (best epoch) and ``<prefix>.history.json``, each
written atomically; the history is rewritten after every epoch, so a crash keeps
every finished epoch.  Ctrl+C stops cleanly with the best weights saved.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config.training_ir import TrainingIR
from ..errors import SpecError
from .artifacts import write_history
from .data import CountsSummary, check_dataset, summarize_counts
from .model_for_config import TrainingModel, training_model

EXIT_INTERRUPTED = 130


class TrainingInterrupted(Exception):
    """Ctrl+C during fit: the best weights and the history were written before this is raised."""


class TrainingDiverged(SpecError):
    """The loss became NaN or infinite; the message says when and what to try."""


@dataclass(frozen=True)
class Paths:
    prefix: str

    @property
    def model(self) -> Path:
        return Path(f"{self.prefix}.keras")

    @property
    def checkpoint(self) -> Path:
        return Path(f"{self.prefix}.checkpoint.keras")

    @property
    def history(self) -> Path:
        return Path(f"{self.prefix}.history.json")

    @property
    def backup(self) -> Path:
        return Path(f"{self.prefix}.backup")


@dataclass
class RunResult:
    paths: Paths
    history: dict[str, Any]
    epochs_run: int
    stopped_early: bool
    seconds: float


def prepare(ir: TrainingIR) -> tuple[TrainingModel, CountsSummary]:
    """All checks that need no TensorFlow: lengths, files, tasks per head, empty windows."""
    tm = training_model(ir)
    tasks = [h.num_tasks for h in ir.heads]
    names = [h.name for h in ir.heads]
    n_train = check_dataset(ir.train_data, ir.input_length, tm.output_length, ir.max_jitter, tasks, head_names=names)
    check_dataset(ir.val_data, ir.input_length, tm.output_length, ir.max_jitter, tasks, head_names=names)
    summaries = []
    for path, jitter in ((ir.train_data, True), (ir.val_data, False)):
        summary = summarize_counts(path, tm.output_length, ir.max_jitter, len(ir.heads), jitter=jitter)
        summaries.append(summary)
        for head, empty in zip(ir.heads, summary.empty_windows):
            if empty:
                raise SpecError(
                    f"head '{head.name}': {empty} region(s) have a window without any reads, so their log-counts "
                    "target is -inf and the loss would become NaN",
                    file=path, hint="drop regions with too few counts when you prepare the data (BPReveal's "
                    "prepareBed min-counts), or lower max-jitter")
    if n_train < ir.batch_size:
        raise SpecError(f"the training file has {n_train} regions, fewer than batch-size {ir.batch_size}",
                        file=ir.train_data, path="batch-size")
    return tm, summaries[0]


def _check_output_place(paths: Paths) -> None:
    """Fail before training, not after it, when the outputs cannot be written."""
    import os

    folder = paths.model.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SpecError(f"cannot create the output folder {folder}: {err.strerror}", path="output-prefix") from None
    if not os.access(folder, os.W_OK):
        raise SpecError(f"cannot write in the output folder {folder}", path="output-prefix")


def _history_from_disk(paths: Paths) -> dict[str, Any]:
    import json

    try:
        return json.loads(paths.history.read_text())
    except (OSError, ValueError):
        return {}


def train(ir: TrainingIR, *, resume: bool = False, console: Any = None,
          extra_callbacks: Sequence[Any] = ()) -> RunResult:
    """Run the training the config describes; return where the artifacts are.

    ``extra_callbacks`` run after the run's own (a hook for notebooks and for tests that
    simulate a crash or a Ctrl+C at a chosen epoch).
    """
    tm, counts = prepare(ir)
    paths = Paths(ir.output_prefix)
    _check_output_place(paths)
    if resume and not paths.backup.exists():
        done = len(_history_from_disk(paths).get("loss", []))
        raise SpecError(
            f"nothing to resume: there is no backup at {paths.backup}"
            + (f"; the run finished ({done} epoch(s) in {paths.history})" if done else ""),
            hint="train without --resume to start a new run", path="output-prefix")
    if not resume and paths.backup.exists():
        shutil.rmtree(paths.backup)  # a fresh run must not silently continue an old one

    from ..backend.quiet import import_keras

    keras = import_keras()
    if ir.seed is not None:
        keras.utils.set_random_seed(ir.seed)
    policy = keras.config.dtype_policy()
    if ir.mixed_precision:
        keras.config.set_dtype_policy("mixed_float16")
    try:
        return _fit(ir, tm, counts, paths, keras, resume, console, extra_callbacks)
    finally:
        keras.config.set_dtype_policy(policy)  # the process goes on in the precision it had


def _fit(ir: TrainingIR, tm: TrainingModel, counts: CountsSummary, paths: Paths, keras: Any, resume: bool, console: Any,
         extra_callbacks: Sequence[Any]) -> RunResult:
    import tensorflow as tf

    from ..backend.keras_model import build_keras_model, save_model
    from .adaptive import AdaptiveCountsLossWeight, AdaptiveHead
    from .callbacks import HistoryWriter, StopOnNaN
    from .data import make_dataset
    from .losses import solo_losses
    from .progress import RichProgress

    gpus = tf.config.list_physical_devices("GPU")
    strategy = tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()

    heads = list(ir.heads)
    head_names = [h.name for h in heads]
    counts0 = [h.counts_loss_weight if h.counts_loss_weight is not None else 1.0 for h in heads]
    with strategy.scope():
        model = build_keras_model(tm.graph)
        losses = solo_losses(head_names, [h.profile_loss_weight for h in heads], counts0,
                             output_names=tm.output_names)
        optimizer = keras.optimizers.get({"class_name": ir.optimizer,
                                          "config": {"learning_rate": ir.learning_rate}})
        model.compile(optimizer=optimizer, jit_compile=bool(ir.xla), **losses.compile_kwargs())

    seed = 0 if ir.seed is None else ir.seed
    tasks = [h.num_tasks for h in heads]
    train_ds = make_dataset(ir.train_data, ir.input_length, tm.output_length, ir.max_jitter, tasks, ir.batch_size,
                            shuffle=True, seed=seed, jitter=True, output_names=tm.output_names, head_names=head_names)
    val_ds = make_dataset(ir.val_data, ir.input_length, tm.output_length, ir.max_jitter, tasks, ir.batch_size,
                          shuffle=False, seed=seed, jitter=False, output_names=tm.output_names, head_names=head_names)

    mean_counts = counts.mean_counts  # ĉ for heads whose starting λ is estimated (37·f·ĉ)
    adaptive_heads = [
        AdaptiveHead(h.name, losses.counts_losses[h.name], tm.output_names[i], tm.output_names[len(heads) + i],
                     frac_target=h.counts_loss_frac_target, initial_weight=h.counts_loss_weight,
                     mean_counts=mean_counts[i],
                     profile_weight=h.profile_loss_weight)
        for i, h in enumerate(heads)
    ]
    early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=ir.early_stopping_patience, mode="min",
                                          restore_best_weights=True)
    checkpoint = keras.callbacks.ModelCheckpoint(str(paths.checkpoint), monitor="val_loss", save_best_only=True,
                                                 mode="min")
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=ir.lr_plateau_patience)
    adaptive = AdaptiveCountsLossWeight(adaptive_heads, monitors=[checkpoint, plateau], early_stopping=early)
    previous = _history_from_disk(paths) if resume else {}
    if previous:
        adaptive.restore(previous)  # λ and its history continue instead of starting over
    writer = HistoryWriter(paths.history, config=dict(ir.config), previous=previous,
                           extra=adaptive.history_entry)
    callbacks = [StopOnNaN(), early, checkpoint, plateau, adaptive, writer]
    if resume or ir.epochs > 1:
        callbacks.insert(0, keras.callbacks.BackupAndRestore(str(paths.backup), delete_checkpoint=True))
    if console is not None:
        callbacks.append(RichProgress(console, ir.epochs, ir.verbosity))
    callbacks.extend(extra_callbacks)

    started = time.monotonic()
    interrupted = False
    try:
        model.fit(train_ds, validation_data=val_ds, epochs=ir.epochs, callbacks=callbacks, verbose=0, shuffle=False)
    except KeyboardInterrupt:
        interrupted = True
        if early.best_weights is not None:
            model.set_weights(early.best_weights)
    history = writer.history()
    save_model(model, paths.model)
    write_history(paths.history, history)
    nan = next((c for c in callbacks if isinstance(c, StopOnNaN)), None)
    if nan is not None and nan.where is not None:
        raise TrainingDiverged(
            f"training stopped: the loss became {nan.value} at epoch {nan.where[0] + 1}, batch {nan.where[1] + 1}",
            hint="lower learning-rate, check the data for empty windows (log of 0 counts), or set a smaller "
                 "counts-loss-weight; the model and history up to that point were written",
            file=str(paths.history))
    if interrupted:
        raise TrainingInterrupted(str(paths.model))
    epochs_run = len(history.get("loss", []))
    return RunResult(paths, history, epochs_run, bool(early.stopped_epoch), time.monotonic() - started)


def loss_fell(history: dict[str, Any]) -> bool:
    losses = [v for v in history.get("loss", []) if v is not None and math.isfinite(v)]
    return len(losses) >= 2 and losses[-1] < losses[0]
