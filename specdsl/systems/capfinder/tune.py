"""The search step of Capfinder's pipeline: which point of the model type's space the final training uses.

Written against :mod:`specdsl.search` (``Space``, ``SearchSettings``, ``run_search``), imported
here and nowhere else in the pipeline, and only when a search runs, so the rest of the
pipeline (ETL, final training, evaluation) works and is tested without it.

* ``max_trials`` 0 skips the search: the final training uses the space's default point, learning
  rate included (KerasTuner's defaults: a choice's first value, a range's lower bound), as
  KerasTuner builds a hypermodel with fresh hyperparameters (Capfinder's hyperband ignores
  max_trials).
* Otherwise KerasTuner searches ``tuning_strategy`` with Capfinder's settings: the objective
  is the validation accuracy (maximised), each trial trains at most ``max_epochs_hpt``
  epochs with early stopping after ``patience`` epochs (best weights kept) and the fixed
  ReduceLROnPlateau Capfinder's tuning uses (×0.5 after 5 epochs, floor 1e-6); the learning
  rate is searched alongside the architecture (each preset declares Capfinder's range);
  results go to ``output_dir/tuner_models/<tune comet_project_name>_<model_type>``.
* Ctrl+C during the search keeps the best finished trial and goes on to the final training;
  when no trial had finished there is nothing to train (:class:`SearchInterrupted`).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, replace
from typing import Any

from specdsl.errors import SpecError
from specdsl.systems.capfinder.config import CapfinderConfig
from specdsl.systems.capfinder.config_kind import DEFAULT_LEARNING_RATE, SIGNAL, TARGET
from specdsl.training.ir import BodyIR, TrainingIR, settings

LEARNING_RATE = "learning_rate"
TUNING_PLATEAU = {"factor": 0.5, "patience": 5, "min_lr": 1e-6}  # Capfinder's fixed schedule while tuning


class SearchInterrupted(Exception):
    """Ctrl+C before any trial finished: no point to train."""


@dataclass
class Choice:
    """The point the final training uses, and how it was found."""

    values: dict[str, Any]
    learning_rate: float
    searched: bool
    score: float | None = None
    interrupted: bool = False
    trials: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"values": self.values, LEARNING_RATE: self.learning_rate, "searched": self.searched,
                "best_score": self.score, "interrupted": self.interrupted, "trials": self.trials}


def make_space(model_type: str, target_length: int, num_classes: int) -> Any:
    """The model type's search space (a Capfinder preset of :mod:`specdsl.search`)."""
    from specdsl.language.spaces.space import Space

    return Space.of(model_type, params={"target_length": target_length, "num_classes": num_classes})


def body_for(space: Any, values: dict[str, Any], label: str, target_length: int, num_classes: int) -> BodyIR:
    """The body of the final training at ``values``: the bound preset without its output (the
    ``multiclass`` head adds the softmax), with the parameters it declares."""
    bound = space.bind({k: v for k, v in values.items() if k != LEARNING_RATE})
    declared = bound.param_defaults()
    params = {k: v for k, v in {"target_length": target_length, "num_classes": num_classes}.items() if k in declared}
    return BodyIR(replace(bound, heads=(), outputs=()), settings(params), label)


def _input_name(space: Any) -> str:
    return space.bind(space.default_point()).inputs[0].name


def search_settings(cfg: CapfinderConfig) -> Any:
    """Capfinder's tuner settings (``initialize_tuner``) as :class:`specdsl.search.SearchSettings`."""
    from specdsl.search import SearchSettings

    t = cfg.tune
    values: dict[str, Any] = dict(
        tuner=t["tuning_strategy"], max_trials=int(t["max_trials"]), max_epochs=int(t["max_epochs_hpt"]),
        objective="val_accuracy", direction="max", directory=str(cfg.output_dir / "tuner_models"),
        project_name=f"{t['comet_project_name']}_{cfg.model_type}", overwrite=bool(t["overwrite"]), seed=cfg.seed,
        executions_per_trial=1)
    if "factor" in inspect.signature(SearchSettings).parameters:  # hyperband's reduction factor, where offered
        values["factor"] = int(t["factor"])
    return SearchSettings(**values)


def budget(cfg: CapfinderConfig) -> str:
    """How long the search runs, in words: hyperband sizes itself from max_epochs_hpt and factor and
    ignores max_trials (as KerasTuner's, and so Capfinder's, does); the others stop after max_trials."""
    t = cfg.tune
    if t["tuning_strategy"] == "hyperband":
        return (f"brackets of up to {t['max_epochs_hpt']} epochs a trial, reduction factor {t['factor']} "
                "(max_trials does not limit hyperband)")
    trials, epochs = int(t["max_trials"]), int(t["max_epochs_hpt"])
    return f"at most {trials} trial{'s' * (trials != 1)} of {epochs} epoch{'s' * (epochs != 1)}"


def _datasets(ir: TrainingIR, plan: Any, seed: int) -> tuple[Any, Any]:
    """(train, validation) batches of (signal, label) from the run's reader, as ``fit`` takes them."""
    from specdsl.training.keras_batches import keras_batches

    def pairs(role: str, shuffle: bool) -> Any:
        stream = plan.reader.batches(plan, role, [SIGNAL, TARGET], shuffle=shuffle, seed=seed)
        return keras_batches(stream, lambda fields: (fields[SIGNAL], fields[TARGET]))

    return pairs("train", True), pairs("val", False)


def _fit_trial(cfg: CapfinderConfig, train: Any, val: Any) -> Any:
    from specdsl.backend.quiet import import_keras

    keras = import_keras()
    patience = int(cfg.tune["patience"])

    def fit_trial(model: Any, values: dict[str, Any], epochs: int, hp_extra: dict[str, Any]) -> dict[str, Any]:
        rate = float((hp_extra or {}).get(LEARNING_RATE, values.get(LEARNING_RATE, DEFAULT_LEARNING_RATE)))
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(),
                      metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
        callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True),
                     keras.callbacks.ReduceLROnPlateau(monitor="val_loss", **TUNING_PLATEAU)]
        history = model.fit(train, validation_data=val, epochs=epochs, callbacks=callbacks, verbose=0,
                            shuffle=False)  # the reader shuffles each epoch
        return dict(history.history)

    return fit_trial


def _trial_rows(result: Any) -> list[dict[str, Any]]:
    rows = []
    for trial in getattr(result, "trials", None) or []:
        get = (lambda k, t=trial: t.get(k)) if isinstance(trial, dict) else (lambda k, t=trial: getattr(t, k, None))
        rows.append({k: get(k) for k in ("values", "score", "status", "error")})
    return rows


def choose_point(cfg: CapfinderConfig, ir: TrainingIR, space: Any, log: Any) -> Choice:
    """The default point (``max_trials`` 0) or the search's best; ``ir`` is the final training's IR
    at the default point (its reader feeds the trials)."""
    if int(cfg.tune["max_trials"]) == 0:
        point = dict(space.default_point())
        rate = float(point.pop(LEARNING_RATE, DEFAULT_LEARNING_RATE))
        log(f"search: skipped (max_trials 0): training {cfg.model_type}'s default point with learning rate {rate:g}")
        return Choice(point, rate, searched=False)
    from specdsl.backend.quiet import import_keras
    from specdsl.search import run_search
    from specdsl.training.plan import make_plan

    plan = make_plan(ir)
    import_keras().utils.set_random_seed(cfg.seed)
    train, val = _datasets(ir, plan, cfg.seed)
    settings_ = search_settings(cfg)
    log(f"search: {cfg.tune['tuning_strategy']} over {cfg.model_type} ({space.size:,} points), {budget(cfg)}; "
        f"Ctrl+C keeps the best finished trial")
    result = run_search(space, settings_, fit_trial=_fit_trial(cfg, train, val),
                        input_shapes={_input_name(space): (cfg.target_length, 1)})
    rows = _trial_rows(result)
    if result.best_values is None:
        if result.interrupted:
            raise SearchInterrupted()
        errors = [r["error"] for r in rows if r.get("error")]
        raise SpecError(f"no trial of the search finished ({len(rows)} tried)", path="tune_params",
                        hint=f"the first failure: {errors[0]}" if errors else "try more trials or epochs")
    best = dict(result.best_values)
    trained_with = {**best, **(getattr(result, "best_extra", None) or {})}
    best.pop(LEARNING_RATE, None)
    rate = float(trained_with.get(LEARNING_RATE, DEFAULT_LEARNING_RATE))
    done = sum(1 for r in rows if r.get("status") == "ok")
    log(f"search: {'interrupted; ' if result.interrupted else ''}best of {done} finished trial(s): validation "
        f"accuracy {result.best_score:.4f}, learning rate {rate:g}, {best}")
    return Choice(best, rate, searched=True, score=result.best_score, interrupted=bool(result.interrupted),
                  trials=rows)


__all__ = ["Choice", "SearchInterrupted", "body_for", "budget", "choose_point", "make_space",
           "search_settings"]
