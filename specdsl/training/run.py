"""A training run: IR → checked plan → Keras model → fit → artifacts, for every head kind and reader.

Everything a user can get wrong is checked by :func:`~specdsl.training.plan.make_plan`
before TensorFlow builds anything.  Every epoch is committed to the backup, so a crash keeps
every finished one; the artifacts (:class:`~specdsl.training.paths.Paths`) are staged and
delivered together at the end (:mod:`~specdsl.training.delivery`), so those beside the prefix
always come from one run.  Ctrl+C stops cleanly with the best weights delivered.  Head kinds
contribute their losses, metrics, callbacks and history entries; readers their pipelines.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specdsl.atomic import WriteError
from specdsl.errors import SpecError
from specdsl.training.heads import head_kind
from specdsl.training.ir import TrainingIR
from specdsl.training.paths import Paths
from specdsl.training.plan import Plan, make_plan

EXIT_INTERRUPTED = 130


class TrainingInterrupted(Exception):
    """Ctrl+C during fit: the best weights and the history were written before this is raised,
    unless no epoch had finished (``wrote`` False): then nothing was written, so an earlier
    result in the same place is never replaced by an unvalidated model."""

    def __init__(self, place: str, wrote: bool = True, note: str = ""):
        super().__init__(place)
        self.wrote = wrote
        self.note = note  # which epoch was delivered (:func:`~specdsl.training.delivery.delivery_note`)


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
    files: list[Path] = field(default_factory=list)  # written by head kinds' after_run (classifier curves)
    note: str = ""  # which epoch's weights were delivered, and why
    process: tuple[int, int] = (0, 1)  # (this process, processes): set where process 0 wrote the artifacts

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


def _make_output_folder(paths: Paths, ir: TrainingIR) -> None:
    """Create the output folder; the plan has already checked that it can be written."""
    from specdsl.training.ir import place

    try:
        paths.folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:  # changed since the plan, or a read-only mount os.access cannot see
        raise place(SpecError(f"cannot create the output folder {paths.folder}: {err.strerror}",
                              path=ir.output.path), ir.document) from None


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
    from specdsl.training.devices import check_batch_size, choose_devices, use_run_backend
    from specdsl.training.lock import run_lock
    from specdsl.training.processes import process_output

    use_run_backend(ir)
    plan = plan or make_plan(ir)
    devices = choose_devices(ir.runtime.device, ir.document)  # a missing GPU is refused before anything is written
    check_batch_size(devices, ir.schedule.batch_size, "batch-size", ir.document)
    with process_output(devices, Paths.of(ir.output)) as out:  # process 0 writes; others into scratch
        _make_output_folder(out.paths, ir)
        with run_lock(out.paths.lock, ir.output.path):
            result = _locked_run(ir, plan, devices, out, resume, console if out.writes_artifacts else None,
                                 extra_callbacks)
    if not out.writes_artifacts:
        result.paths, result.files, result.process = out.shared, [], (out.process, out.processes)
    return result


def _locked_run(ir: TrainingIR, plan: Plan, devices: Any, out: Any, resume: bool, console: Any,
                extra_callbacks: Sequence[Any]) -> RunResult:
    from specdsl.training.delivery import clear_staging, complete_pending
    from specdsl.training.run_state import Backup, sweep_leftovers

    paths = out.paths
    sweep_leftovers(paths.written())
    complete_pending(paths)  # a kill in the middle of the last delivery: finish it before anything else
    out.wait_for_cleanup(resume)  # other processes resume from a copy of this backup
    backup = Backup(paths.backup)
    state = backup.load() if resume else None
    if resume and state is None:
        done = len(_history_from_disk(paths).get("loss", []))
        where = (f"no epoch of the run at {paths.backup} finished" if backup.exists()
                 else f"there is no backup at {paths.backup}")
        raise SpecError(
            f"nothing to resume: {where}"
            + (f"; the run finished ({done} epoch(s) in {paths.history})" if done else ""),
            hint="train without --resume to start a new run", path=ir.output.path)
    clear_staging(paths)  # a resumed run writes every staged file again from the backup

    from specdsl.backend.quiet import import_keras

    keras = import_keras()
    if ir.runtime.seed is not None:
        keras.utils.set_random_seed(ir.runtime.seed)
    policy = keras.config.dtype_policy()
    if ir.runtime.mixed_precision:
        keras.config.set_dtype_policy("mixed_float16")
    try:
        return _fit(plan, paths, keras, devices, backup, state, console, extra_callbacks)
    except WriteError as err:
        if backup.state_path.exists():
            err.hint = (f"{err.hint + '; ' if err.hint else ''}every finished epoch is kept in {backup.folder}: "
                        "make room, then run the same command with --resume")
        raise
    finally:
        keras.config.set_dtype_policy(policy)  # the process goes on in the precision it had


def _set_trainability(model: Any, plan: Plan) -> None:
    """DeepCpG's rules: not-trainable patterns first, trainable ones re-enable; output layers always train."""
    from specdsl.training.plan import layer_matches

    rules = plan.ir.trainability
    outputs = {o.layer for o in plan.outputs}
    for layer in model.layers:
        if layer.name in outputs or not layer.weights:
            continue
        if any(layer_matches(p, layer.name) for p in rules.not_trainable):
            layer.trainable = False
        if any(layer_matches(p, layer.name) for p in rules.trainable):
            layer.trainable = True


def _compile_parts(plan: Plan) -> tuple[dict, dict, dict]:
    losses: dict[str, Any] = {}
    weights: dict[str, float] = {}
    metrics: dict[str, list[Any]] = {}
    for rh in plan.heads:
        parts = head_kind(rh.head.kind).compile_parts(rh)
        for into, part in zip((losses, weights, metrics), parts):
            into.update(part)
    return losses, weights, metrics


@dataclass
class _Monitors:
    """The callbacks whose state the backup carries and the delivery reads."""

    nan_guard: Any
    early: Any
    plateau: Any
    stopper: Any
    writer: Any
    previous: dict[str, Any]


def _compiled_model(plan: Plan, paths: Paths, keras: Any, devices: Any, backup: Any, state: Any) -> tuple[Any, Any]:
    """Build and compile (inside the devices' scope); on resume, put the backup's weights back.

    Returns the model and, on resume, the best epoch's weights (which the checkpoint is
    rewritten from, so it matches the committed state whatever a kill left).
    """
    from specdsl.backend.keras_model import bind_losses, build_keras_model
    from specdsl.training.run_state import save_checkpoint

    ir = plan.ir
    model = build_keras_model(plan.graph)
    if ir.body.start_from:
        from specdsl.training.start_from import start_from

        start_from(model, ir, {o.layer for o in plan.outputs})
    _set_trainability(model, plan)
    losses, loss_weights, metrics = _compile_parts(plan)
    bind_losses(model, losses)  # losses that read a layer's weights (a CRF's transitions)
    optimizer = keras.optimizers.get({"class_name": ir.optimizer.name,
                                      "config": {"learning_rate": ir.optimizer.learning_rate}})
    model.compile(optimizer=optimizer, jit_compile=devices.jit_compile(ir.runtime.xla), loss=losses,
                  loss_weights=loss_weights, metrics=metrics)
    if state is None:
        return model, None
    backup.restore(model, state.best or state.latest)
    best_weights = model.get_weights()
    save_checkpoint(model, paths.staged().checkpoint)
    backup.restore(model, state.latest)
    return model, best_weights


def _callbacks(plan: Plan, paths: Paths, keras: Any, backup: Any, state: Any, best_weights: Any, console: Any,
               validating: bool) -> tuple[list[Any], _Monitors]:
    """The run's callbacks, in the order their end-of-epoch work depends on: the monitors, then head
    callbacks (which may rewrite the monitors' ``best``), the history, then the commit of it all."""
    from specdsl.training.callbacks import HistoryWriter, LearningCurves, StopOnNaN, TrainingStopper
    from specdsl.training.progress import RichProgress
    from specdsl.training.run_state import Checkpointer

    ir, schedule = plan.ir, plan.ir.schedule
    monitor = "val_loss" if validating else "loss"
    early = keras.callbacks.EarlyStopping(monitor=monitor, mode="min", restore_best_weights=True,
                                          patience=schedule.early_stopping_patience
                                          if schedule.early_stopping_patience is not None else 10**9)
    nan_guard = StopOnNaN()
    callbacks: list[Any] = [nan_guard, early]
    plateau = None
    if schedule.lr_schedule:  # an entry of the schedule registry (Capfinder's plateau, cyclic, sgdr)
        from specdsl.training.schedules import schedule_callback

        scheduled = schedule_callback(dict(schedule.lr_schedule), monitor)
        callbacks.append(scheduled)
        if isinstance(scheduled, keras.callbacks.ReduceLROnPlateau):
            plateau = scheduled  # its counters go into the backup like the default plateau's
    if schedule.lr_plateau_patience is not None:
        plateau = keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=0.5, patience=schedule.lr_plateau_patience)
        callbacks.append(plateau)
    if schedule.lr_decay is not None:
        lr0, decay = ir.optimizer.learning_rate, schedule.lr_decay
        callbacks.append(keras.callbacks.LearningRateScheduler(lambda epoch: lr0 * decay ** epoch))
    stopper = TrainingStopper(schedule.max_time_s, schedule.stop_file)
    callbacks.append(stopper)
    previous = dict(state.history) if state is not None else {}
    ctx = CallbackContext([c for c in callbacks if getattr(c, "monitor", None) == "val_loss"], early, previous)
    head_callbacks: list[Any] = []
    for kind_name, rhs in plan.heads_by_kind().items():
        head_callbacks += head_kind(kind_name).callbacks(rhs, ctx)
    callbacks += head_callbacks  # after the monitors: they have seen the epoch before `best` changes

    def extra() -> dict[str, Any]:
        from specdsl.training.delivery import best_fields

        names = plan.display_names()  # only where users know outputs by other names (BPReveal's keys stay as they are)
        out: dict[str, Any] = {"outputs": names} if any(k != v for k, v in names.items()) else {}
        for kind_name in plan.heads_by_kind():
            out.update(head_kind(kind_name).history_extra(head_callbacks))
        return {**out, **best_fields(early, monitor)}

    staged = paths.staged()  # what users watch during the run; delivered beside the prefix at the end
    writer = HistoryWriter(staged.history, config=dict(ir.config), previous=previous, extra=extra)
    callbacks.append(writer)
    curves = staged.learning_curves()
    if curves is not None:
        callbacks.append(LearningCurves(*curves, plan.display_names(), previous=previous))
    callbacks.append(Checkpointer(backup, early, plateau, schedule.epochs, writer.history, staged.checkpoint,
                                  nan_guard, state, best_weights))
    if console is not None:
        callbacks.append(RichProgress(console, schedule.epochs, ir.runtime.verbosity))
    return callbacks, _Monitors(nan_guard, early, plateau, stopper, writer, previous)


def _fit(plan: Plan, paths: Paths, keras: Any, devices: Any, backup: Any, state: Any, console: Any,
         extra_callbacks: Sequence[Any]) -> RunResult:
    from specdsl.formats.data_errors import surfaced
    from specdsl.training.delivery import deliver, delivery_note, stage
    from specdsl.training.devices import adapt_batches, training_devices
    from specdsl.training.keras_batches import keras_batches
    from specdsl.training.run_batches import field_batches, keras_pairs
    from specdsl.training.run_state import restore_monitors

    ir, schedule = plan.ir, plan.ir.schedule
    seed = 0 if ir.runtime.seed is None else ir.runtime.seed
    started = time.monotonic()
    interrupted = False
    to_keras, first_epoch = keras_pairs(plan), state.epochs_done if state is not None else 0
    val_stream = field_batches(plan, "val", False, seed) if ir.data.val else None
    with training_devices(ir.runtime, console, devices):
        model, best_weights = _compiled_model(plan, paths, keras, devices, backup, state)

        def for_fit(stream: Any, role: str) -> Any:
            fitted = adapt_batches(stream, devices, batch_size=schedule.batch_size, examples=plan.examples[role])
            return keras_batches(fitted, to_keras, first_epoch=first_epoch)

        train_ds = for_fit(field_batches(plan, "train", True, seed), "train")
        val_ds = None if val_stream is None else for_fit(val_stream, "val")
        callbacks, watch = _callbacks(plan, paths, keras, backup, state, best_weights, console, val_ds is not None)
        callbacks.extend(extra_callbacks)
        try:
            if state is None or not state.finished:
                with surfaced():
                    model.fit(train_ds, validation_data=val_ds, epochs=schedule.epochs,
                              initial_epoch=state.epochs_done if state is not None else 0,
                              callbacks=callbacks, verbose=0, shuffle=False)
            else:  # killed after the last epoch, before delivery: deliver now
                restore_monitors(watch.early, watch.plateau, state, best_weights)
        except KeyboardInterrupt:
            interrupted = True
    history = watch.writer.history()
    if interrupted and len(history.get("loss", [])) == len(watch.previous.get("loss", [])):
        raise TrainingInterrupted(str(paths.model), wrote=False)  # no new epoch: keep what is on disk
    if watch.early.best_weights is not None:  # the delivered model is the best epoch, whatever Keras did at the end
        model.set_weights(watch.early.best_weights)
    final = delivered(model, keras)  # outside the devices' scope: scores take batches of any size
    if not interrupted:
        from specdsl.training.final_report import validation_scores

        val_raw = None if val_stream is None else keras_batches(val_stream, to_keras)
        scores = validation_scores(final, val_raw, plan)
        if scores:
            history["validation-scores"] = scores  # the delivered model, observed labels only
    files = stage(plan, paths, final, history)
    nan = watch.nan_guard
    deliver(paths, finished=nan.where is None and not interrupted)  # a finished run's backup goes with it
    stopped_early = bool(watch.early.stopped_epoch)
    note = delivery_note(history, stopped_early=stopped_early, interrupted=interrupted, diverged=nan.where is not None)
    if nan.where is not None:
        raise TrainingDiverged(
            f"training stopped: the loss became {nan.value} at epoch {nan.where[0] + 1}, batch {nan.where[1] + 1}",
            hint="lower the learning rate and check the data for values that give infinite losses (for profile "
                 f"heads: windows without reads); {note}, with the history up to that point",
            file=str(paths.history))
    if interrupted:
        raise TrainingInterrupted(str(paths.model), note=note)
    epochs_run = len(history.get("loss", []))
    return RunResult(paths, history, epochs_run, stopped_early, time.monotonic() - started, plan,
                     watch.stopper.reason, files, note)


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
