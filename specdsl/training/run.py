"""A training run: IR → checked plan → Keras model → fit → artifacts, for every head kind and reader.

Everything a user can get wrong is checked by :func:`~specdsl.training.plan.make_plan`
before TensorFlow builds anything.  Artifacts (:class:`~specdsl.training.paths.Paths`) are
written atomically; the history after every epoch, so a crash keeps every finished epoch.
Ctrl+C stops cleanly with the best weights saved.  Head kinds contribute their losses,
metrics, callbacks and history entries; readers their ``tf.data`` pipelines.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.training_ir import TrainingIR
from ..errors import SpecError
from .artifacts import write_history
from .heads import head_kind
from .paths import Paths
from .plan import Plan, make_plan

EXIT_INTERRUPTED = 130


class TrainingInterrupted(Exception):
    """Ctrl+C during fit: the best weights and the history were written before this is raised,
    unless no epoch had finished (``wrote`` False): then nothing was written, so an earlier
    result in the same place is never replaced by an unvalidated model."""

    def __init__(self, place: str, wrote: bool = True):
        super().__init__(place)
        self.wrote = wrote


class TrainingDiverged(SpecError):
    """The loss became NaN or infinite; the message says when and what to try."""


@dataclass
class RunResult:
    paths: Paths
    history: dict[str, Any]
    epochs_run: int
    stopped_early: bool
    seconds: float
    plan: Plan | None = None
    stop_reason: str | None = None

    @property
    def scores(self) -> dict[str, dict[str, Any]]:
        return self.history.get("validation-scores", {})


@dataclass
class CallbackContext:
    """What head kinds' callbacks may hook into (BPReveal's adaptive weight rewrites ``best``)."""

    monitors: list[Any]
    early_stopping: Any
    previous_history: dict[str, Any] = field(default_factory=dict)


def prepare(ir: TrainingIR) -> Plan:
    """All checks that need no TensorFlow (kept under this name for callers of earlier versions)."""
    return make_plan(ir)


def _check_output_place(paths: Paths, key: str) -> None:
    """Fail before training, not after it, when the outputs cannot be written."""
    import os

    folder = paths.folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SpecError(f"cannot create the output folder {folder}: {err.strerror}", path=key) from None
    if not os.access(folder, os.W_OK):
        raise SpecError(f"cannot write in the output folder {folder}", path=key)


def _history_from_disk(paths: Paths) -> dict[str, Any]:
    import json

    try:
        return json.loads(paths.history.read_text())
    except (OSError, ValueError):
        return {}


def train(ir: TrainingIR, *, resume: bool = False, console: Any = None,
          extra_callbacks: Sequence[Any] = (), plan: Plan | None = None) -> RunResult:
    """Run the training the IR describes; return where the artifacts are.

    ``extra_callbacks`` run after the run's own (a hook for notebooks and for tests that
    simulate a crash or a Ctrl+C at a chosen epoch).
    """
    plan = plan or make_plan(ir)
    paths = Paths.of(ir.output)
    _check_output_place(paths, ir.output.path)
    from .lock import run_lock

    with run_lock(paths.lock, ir.output.path):
        return _locked_run(ir, plan, paths, resume, console, extra_callbacks)


def _locked_run(ir: TrainingIR, plan: Plan, paths: Paths, resume: bool, console: Any,
                extra_callbacks: Sequence[Any]) -> RunResult:
    if resume and not paths.backup.exists():
        done = len(_history_from_disk(paths).get("loss", []))
        raise SpecError(
            f"nothing to resume: there is no backup at {paths.backup}"
            + (f"; the run finished ({done} epoch(s) in {paths.history})" if done else ""),
            hint="train without --resume to start a new run", path=ir.output.path)
    if not resume and paths.backup.exists():
        shutil.rmtree(paths.backup)  # a fresh run must not silently continue an old one

    from ..backend.quiet import import_keras

    keras = import_keras()
    if ir.runtime.seed is not None:
        keras.utils.set_random_seed(ir.runtime.seed)
    policy = keras.config.dtype_policy()
    if ir.runtime.mixed_precision:
        keras.config.set_dtype_policy("mixed_float16")
    try:
        return _fit(plan, paths, keras, resume, console, extra_callbacks)
    finally:
        keras.config.set_dtype_policy(policy)  # the process goes on in the precision it had


def _set_trainability(model: Any, plan: Plan) -> None:
    """DeepCpG's rules: not-trainable patterns first, trainable ones re-enable; output layers always train."""
    from .plan import layer_matches

    rules = plan.ir.trainability
    outputs = {o.layer for o in plan.outputs}
    for layer in model.layers:
        if layer.name in outputs or not layer.weights:
            continue
        if any(layer_matches(p, layer.name) for p in rules.not_trainable):
            layer.trainable = False
        if any(layer_matches(p, layer.name) for p in rules.trainable):
            layer.trainable = True


def _start_from(model: Any, plan: Plan) -> list[str]:
    """Copy weights by layer name from trained models (DeepCpG's staged training); their heads are dropped."""
    from ..backend.keras_model import load_model

    outputs = {o.layer for o in plan.outputs}
    copied = []
    for part, path in plan.ir.body.start_from:
        source = load_model(path)
        theirs = {layer.name: layer for layer in source.layers if layer.weights}
        for layer in model.layers:
            other = theirs.get(layer.name)
            if other is None or layer.name in outputs or not layer.weights:
                continue
            if [w.shape for w in layer.weights] != [w.shape for w in other.weights]:
                raise SpecError(f"layer '{layer.name}' of the trained {part} model has other shapes than the model "
                                "being trained", file=path, hint="train with the same windows and cells")
            layer.set_weights(other.get_weights())
            copied.append(layer.name)
        if not any(name.startswith(part) for name in copied):
            raise SpecError(f"no layer of the trained {part} model matches the model being trained", file=path)
    return copied


def _compile_parts(plan: Plan) -> tuple[dict, dict, dict]:
    losses: dict[str, Any] = {}
    weights: dict[str, float] = {}
    metrics: dict[str, list[Any]] = {}
    for rh in plan.heads:
        parts = head_kind(rh.head.kind).compile_parts(rh)
        for into, part in zip((losses, weights, metrics), parts):
            into.update(part)
    return losses, weights, metrics


def _dataset(plan: Plan, role: str, shuffle: bool, seed: int) -> Any:
    inputs = {inp.field: inp.name for inp in plan.ir.inputs}
    targets = {o.field: o.layer for o in plan.outputs}
    ds = plan.reader.dataset(plan, role, list(inputs) + list(targets), shuffle=shuffle, seed=seed)
    single = len(inputs) == 1

    def split(fields: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        x = {name: fields[f] for f, name in inputs.items()}
        y = {layer: fields[f] for f, layer in targets.items()}
        # Keras 3 refuses a dict of targets for a model with a single output: give that one bare
        return (next(iter(x.values())) if single else x), (next(iter(y.values())) if len(y) == 1 else y)

    return ds.map(split)


def _fit(plan: Plan, paths: Paths, keras: Any, resume: bool, console: Any,
         extra_callbacks: Sequence[Any]) -> RunResult:
    from ..backend.keras_model import bind_losses, build_keras_model, save_model
    from .callbacks import HistoryWriter, LearningCurves, StopOnNaN, TrainingStopper
    from .devices import training_devices
    from .progress import RichProgress

    ir = plan.ir
    with training_devices(ir.runtime, console):
        model = build_keras_model(plan.graph)
        if ir.body.start_from:
            _start_from(model, plan)
        _set_trainability(model, plan)
        losses, loss_weights, metrics = _compile_parts(plan)
        bind_losses(model, losses)  # losses that read a layer's weights (a CRF's transitions)
        optimizer = keras.optimizers.get({"class_name": ir.optimizer.name,
                                          "config": {"learning_rate": ir.optimizer.learning_rate}})
        model.compile(optimizer=optimizer, jit_compile=bool(ir.runtime.xla), loss=losses, loss_weights=loss_weights,
                      metrics=metrics)

    seed = 0 if ir.runtime.seed is None else ir.runtime.seed
    train_ds = _dataset(plan, "train", True, seed)
    val_ds = _dataset(plan, "val", False, seed) if ir.data.val else None
    monitor = "val_loss" if val_ds is not None else "loss"
    schedule = ir.schedule

    early = keras.callbacks.EarlyStopping(monitor=monitor, mode="min", restore_best_weights=True,
                                          patience=schedule.early_stopping_patience
                                          if schedule.early_stopping_patience is not None else 10**9)
    checkpoint = keras.callbacks.ModelCheckpoint(str(paths.checkpoint), monitor=monitor, save_best_only=True,
                                                 mode="min")
    callbacks: list[Any] = [StopOnNaN(), early, checkpoint]
    if schedule.lr_plateau_patience is not None:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=0.5,
                                                           patience=schedule.lr_plateau_patience))
    if schedule.lr_decay is not None:
        lr0, decay = ir.optimizer.learning_rate, schedule.lr_decay
        callbacks.append(keras.callbacks.LearningRateScheduler(lambda epoch: lr0 * decay ** epoch))
    stopper = TrainingStopper(schedule.max_time_s, schedule.stop_file)
    callbacks.append(stopper)
    previous = _history_from_disk(paths) if resume else {}
    ctx = CallbackContext([c for c in callbacks if getattr(c, "monitor", None) == "val_loss"], early, previous)
    head_callbacks: list[Any] = []
    for kind_name, rhs in plan.heads_by_kind().items():
        head_callbacks += head_kind(kind_name).callbacks(rhs, ctx)
    callbacks += head_callbacks  # after the monitors: they have seen the epoch before `best` changes

    def extra() -> dict[str, Any]:
        names = plan.display_names()  # only where users know outputs by other names (BPReveal's keys stay as they are)
        out: dict[str, Any] = {"outputs": names} if any(k != v for k, v in names.items()) else {}
        for kind_name in plan.heads_by_kind():
            out.update(head_kind(kind_name).history_extra(head_callbacks))
        return out

    writer = HistoryWriter(paths.history, config=dict(ir.config), previous=previous, extra=extra)
    callbacks.append(writer)
    curves = paths.learning_curves()
    if curves is not None:
        callbacks.append(LearningCurves(*curves, plan.display_names(), previous=previous))
    if resume or schedule.epochs > 1:
        callbacks.insert(0, keras.callbacks.BackupAndRestore(str(paths.backup), delete_checkpoint=True))
    if console is not None:
        callbacks.append(RichProgress(console, schedule.epochs, ir.runtime.verbosity))
    callbacks.extend(extra_callbacks)

    started = time.monotonic()
    interrupted = False
    try:
        model.fit(train_ds, validation_data=val_ds, epochs=schedule.epochs, callbacks=callbacks, verbose=0,
                  shuffle=False)
    except KeyboardInterrupt:
        interrupted = True
    if interrupted and len(writer.history().get("loss", [])) == len(previous.get("loss", [])):
        raise TrainingInterrupted(str(paths.model), wrote=False)  # no new epoch: keep what is on disk
    if early.best_weights is not None:  # the delivered model is the best epoch, whatever Keras 3.x did at the end
        model.set_weights(early.best_weights)
    history = writer.history()
    if not interrupted:
        from .final_report import validation_scores

        scores = validation_scores(model, val_ds, plan)
        if scores:
            history["validation-scores"] = scores  # the delivered model, observed labels only
    save_model(delivered(model, keras), paths.model)
    write_history(paths.history, history)
    if paths.plot is not None and history.get("loss"):
        from .plot import plot_history

        plot_history(paths.history, paths.plot)
    nan = next((c for c in callbacks if isinstance(c, StopOnNaN)), None)
    if nan is not None and nan.where is not None:
        raise TrainingDiverged(
            f"training stopped: the loss became {nan.value} at epoch {nan.where[0] + 1}, batch {nan.where[1] + 1}",
            hint="lower the learning rate and check the data for values that give infinite losses (for profile "
                 "heads: windows without reads); the model and history up to that point were written",
            file=str(paths.history))
    if interrupted:
        raise TrainingInterrupted(str(paths.model))
    epochs_run = len(history.get("loss", []))
    return RunResult(paths, history, epochs_run, bool(early.stopped_epoch), time.monotonic() - started, plan,
                     stopper.reason)


def delivered(model: Any, keras: Any) -> Any:
    """The model as delivered: the same layers and weights without the compile state.

    Losses, metrics and the optimizer are training-only objects (resuming uses the backup,
    not this file), so a model of stock Keras layers loads with plain
    ``keras.saving.load_model(path, safe_mode=True)`` in a process that never imports specdsl,
    and other tools (BPReveal's, a colleague's script) can use it.
    """
    copy = model.__class__.from_config(model.get_config())  # clone_model would copy the compile state too
    copy.set_weights(model.get_weights())
    return copy


def loss_fell(history: dict[str, Any]) -> bool:
    losses = [v for v in history.get("loss", []) if v is not None and math.isfinite(v)]
    return len(losses) >= 2 and losses[-1] < losses[0]


def artifact_list(paths: Paths) -> list[Path]:
    return [p for p in paths.written() if p.exists()]
