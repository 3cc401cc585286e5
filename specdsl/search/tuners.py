"""KerasTuner over a :class:`~specdsl.language.spaces.space.Space`: one hypermodel, four oracles, one tuner.

* :class:`SpaceHyperModel` maps KerasTuner's ``hp`` onto the space's axes: ``hp.Choice`` /
  ``hp.Int`` / ``hp.Float`` with the axes' names (so a resumed search finds its trials), each
  copy's axes in a conditional scope of its repeat count, so KerasTuner knows which are active.
* The oracles are KerasTuner's random search, bayesian optimisation and hyperband, plus a grid
  that walks the space's points in the documented order.  All four *prune* before a trial
  exists: a point whose shapes are impossible, or that exceeds the parameter budget, is
  recorded and replaced (analysis is pure Python, so this costs a millisecond, not a trial).
* :class:`SpaceTuner` overrides ``run_trial``: it binds the point, builds the model with the
  normal backend and hands it, uncompiled, to the caller's ``fit_trial``, which compiles and
  fits with its own data, optimizer and callbacks and returns the history.

KerasTuner's own ``max_consecutive_failed_trials`` raises from inside ``end_trial`` *before*
the failed trial and the oracle are saved, so a resumed search would run the failed trial
again; the limit is enforced here instead, after the save (:class:`TooManyFailures`).  Writes
of the oracle's state are shielded from Ctrl+C, which is acted on right after them, so an
interrupted search always reloads.
"""

from __future__ import annotations

import contextlib
import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import keras_tuner as kt

from specdsl.errors import SpecError
from specdsl.language import hyper as dom
from specdsl.language.ir import Choice, Interval, Range
from specdsl.language.spaces.space import Conditions, Space
from specdsl.language.spaces.template import Axis
from specdsl.search.settings import SearchSettings

#: KerasTuner is told to allow this many failures in a row: the real limit is SpaceTuner's.
_NO_LIMIT = 10**9
#: Random points drawn for one trial before a space whose points are (nearly) all pruned is declared exhausted.
MAX_DRAWS = 1_000
CHECKPOINT = "specdsl.weights.h5"


class TooManyFailures(Exception):
    """``max_consecutive_failed_trials`` trials in a row failed: the search stops (and can be resumed)."""


_SHIELD = {"depth": 0, "pending": False}


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Ctrl+C inside the block is held until the outermost such block ends (oracle files are never half
    written); then it is raised as the KeyboardInterrupt it would have been."""
    if threading.current_thread() is not threading.main_thread() or _SHIELD["depth"]:
        _SHIELD["depth"] += 1
        try:
            yield
        finally:
            _SHIELD["depth"] -= 1
        return

    def hold(signum: int, frame: Any) -> None:
        _SHIELD["pending"] = True

    previous = signal.signal(signal.SIGINT, hold)
    _SHIELD["depth"], _SHIELD["pending"] = 1, False
    try:
        yield
    finally:
        _SHIELD["depth"] = 0
        signal.signal(signal.SIGINT, previous)
    if _SHIELD["pending"]:
        _SHIELD["pending"] = False
        raise KeyboardInterrupt


def register(hp: Any, name: str, axis: Axis, conditions: Conditions) -> Any:
    """Register (or read) one axis on ``hp``; None when its conditions make it inactive."""
    with contextlib.ExitStack() as stack:
        for parent, allowed in conditions:
            stack.enter_context(hp.conditional_scope(parent, list(allowed)))
        d = axis.domain
        if isinstance(d, Interval):
            return hp.Float(name, d.low, d.high, sampling="log" if d.log else "linear")
        if isinstance(d, Range) and all(isinstance(x, int) for x in (d.low, d.high, d.step)):
            return hp.Int(name, d.low, d.high, step=d.step)
        values = list(axis.values or dom.values(d))
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        if numeric and any(isinstance(v, float) for v in values):
            values = [float(v) for v in values]
        # KerasTuner's float steps lose the last value (0.1 … 0.5 by 0.1 stops at 0.4): a discrete
        # float range is an ordered choice of exactly its values.
        return hp.Choice(name, values, ordered=numeric and isinstance(d, (Choice, Range)) and len(values) > 1)


class SpaceHyperModel(kt.HyperModel):
    """The space as a KerasTuner hypermodel (see the module docstring)."""

    def __init__(self, space: Space, input_shapes: Mapping[str, tuple] | None = None):
        super().__init__(name=space.template.preset.name)
        self.space = space
        self.input_shapes = dict(input_shapes or {})

    def declare_hyperparameters(self, hp: Any) -> None:
        for name, axis, conditions in self.space.axis_entries():
            register(hp, name, axis, conditions)

    def read(self, hp: Any) -> dict[str, Any]:
        """The trial's values of the active axes, by name."""
        values = {}
        for name, axis, conditions in self.space.axis_entries():
            value = register(hp, name, axis, conditions)
            if value is not None:
                values[name] = value
        return values

    def build(self, hp: Any) -> Any:
        from specdsl.backend.keras_model import build_keras_model

        arch, _extra = self.space.split(self.read(hp))
        return build_keras_model(self.space.graph(arch, self.input_shapes or None))


def point_problem(space: Space, values: Mapping[str, Any], input_shapes: Mapping[str, tuple] | None,
                  max_params: int | None) -> str | None:
    """Why a point is pruned (an impossible shape, over the budget), or None: pure Python, no Keras."""
    arch, _ = space.split(values)
    try:
        graph = space.graph(arch, input_shapes or None)
    except SpecError as err:
        return err.message
    if max_params is not None and graph.total > max_params:
        return f"{graph.total:,} parameters, over the budget of {max_params:,}"
    return None


class _Pruning:
    """Oracle mixin: points that cannot be built are recorded and replaced before they become trials."""

    specdsl_problem: Callable[[Mapping[str, Any]], str | None]
    specdsl_fingerprint: str

    def _prune_setup(self, problem: Callable[[Mapping[str, Any]], str | None], fingerprint: str) -> None:
        self.specdsl_problem = problem
        self.specdsl_fingerprint = fingerprint
        self.specdsl_pruned: list[dict[str, Any]] = []

    def _fits(self, values: Mapping[str, Any]) -> bool:
        reason = self.specdsl_problem(values)
        if reason is None:
            return True
        self.specdsl_pruned.append({"values": dict(values), "reason": reason})
        self._tried_so_far.add(self._compute_values_hash(dict(values)))  # never drawn again
        return False

    def _random_values(self) -> dict[str, Any] | None:
        for _ in range(MAX_DRAWS):
            values = super()._random_values()  # type: ignore[misc]
            if values is None or self._fits(values):
                return values
        return None

    def create_trial(self, tuner_id: str) -> Any:
        with shielded():
            return super().create_trial(tuner_id)  # type: ignore[misc]

    def end_trial(self, trial: Any) -> None:
        with shielded():
            super().end_trial(trial)  # type: ignore[misc]

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()  # type: ignore[misc]
        state.update(specdsl_pruned=self.specdsl_pruned, specdsl_fingerprint=self.specdsl_fingerprint)
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        found = state.get("specdsl_fingerprint")
        if found != self.specdsl_fingerprint:
            raise SpecError("the search saved here was made for another search space (its axes or their values "
                            "differ)", file=str(getattr(self, "_project_dir", "")),
                            hint="pass overwrite=True to start again, or use another project_name")
        super().set_state(state)  # type: ignore[misc]
        self.specdsl_pruned = list(state.get("specdsl_pruned", []))


class RandomOracle(_Pruning, kt.oracles.RandomSearchOracle):
    pass


class HyperbandOracle(_Pruning, kt.oracles.HyperbandOracle):
    pass


class BayesianOracle(_Pruning, kt.oracles.BayesianOptimizationOracle):
    def populate_space(self, trial_id: str) -> dict[str, Any]:
        response = super().populate_space(trial_id)
        values = response.get("values")
        if response.get("status") == "RUNNING" and values is not None and not self._fits(values):
            values = self._random_values()  # the model's suggestion cannot be built: explore instead
            return {"status": "RUNNING" if values else "STOPPED", "values": values}
        return response


class GridOracle(_Pruning, kt.Oracle):
    """Every point of the space, in the documented order (point 0, 1, …), pruned ones skipped."""

    def __init__(self, space: Space, **kwargs: Any):
        super().__init__(**kwargs)
        self.space = space
        self.next_point = 0

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        while self.next_point < self.space.size:
            values = self.space.point(self.next_point)
            self.next_point += 1
            if self._fits(values):
                return {"status": "RUNNING", "values": values}
        return {"status": "STOPPED", "values": None}

    def get_state(self) -> dict[str, Any]:
        return {**super().get_state(), "specdsl_next_point": self.next_point}

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.next_point = int(state.get("specdsl_next_point", 0))


def make_oracle(space: Space, settings: SearchSettings, input_shapes: Mapping[str, tuple] | None) -> Any:
    objective = kt.Objective(settings.objective, direction=settings.direction)
    common = dict(objective=objective, seed=settings.seed, max_consecutive_failed_trials=_NO_LIMIT)
    if settings.tuner == "grid":
        if space.continuous:
            raise SpecError("a grid needs every axis to have a list of values, but "
                            + ", ".join(space.continuous) + " " + ("is" if len(space.continuous) == 1 else "are")
                            + " a continuous range {low~high}", path="tuner",
                            hint="write it as a choice such as {1e-4,1e-3,1e-2}, or use random_search, "
                                 "bayesian_optimization or hyperband")
        oracle: Any = GridOracle(space, max_trials=settings.max_trials, **common)
    elif settings.tuner == "random_search":
        oracle = RandomOracle(max_trials=settings.max_trials, **common)
    elif settings.tuner == "bayesian_optimization":
        oracle = BayesianOracle(max_trials=settings.max_trials, **common)
    else:
        oracle = HyperbandOracle(max_epochs=settings.max_epochs, factor=settings.factor,
                                 hyperband_iterations=settings.hyperband_iterations, **common)
    oracle._prune_setup(lambda values: point_problem(space, values, input_shapes, settings.max_params),
                        space.fingerprint())
    return oracle


def best_epoch(history: Mapping[str, Any], objective: str, direction: str) -> dict[str, float]:
    """The metrics of the history's best epoch by the objective (what KerasTuner records for a History)."""
    if not isinstance(history, Mapping):
        history = getattr(history, "history", history)
    if not isinstance(history, Mapping) or objective not in history:
        shown = ", ".join(map(str, history)) if isinstance(history, Mapping) else type(history).__name__
        raise kt.errors.FailedTrialError(f"fit_trial returned no '{objective}' (the objective); it returned: {shown}")
    series = history[objective]
    series = list(series) if isinstance(series, (list, tuple)) else [series]
    if not series:
        raise kt.errors.FailedTrialError(f"fit_trial's '{objective}' is empty: no epoch finished")
    scores = [float(v) if v is not None and math.isfinite(float(v)) else math.nan for v in series]
    order = [i for i in range(len(scores)) if not math.isnan(scores[i])]
    if not order:
        return {objective: math.nan}
    best = (min if direction == "min" else max)(order, key=lambda i: scores[i])
    out = {}
    for key, values in history.items():
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) == len(series):
            try:
                out[str(key)] = float(values[best])
            except (TypeError, ValueError):
                continue
    return out


class SpaceTuner(kt.Tuner):
    """Runs each trial through the caller's ``fit_trial`` (see the module docstring)."""

    def __init__(self, oracle: Any, hypermodel: SpaceHyperModel, fit_trial: Callable[..., Any],
                 settings: SearchSettings, **kwargs: Any):
        self.fit_trial = fit_trial
        self.settings = settings
        self.timings: dict[str, dict[str, float]] = {}
        super().__init__(oracle, hypermodel, directory=settings.directory, project_name=settings.project_name,
                         overwrite=settings.overwrite, executions_per_trial=settings.executions_per_trial, **kwargs)

    def _populate_initial_space(self) -> None:
        # KerasTuner builds the model again and again to discover conditional scopes; the space
        # declares all of them at once, so no model is built here.
        hp = self.oracle.get_space()
        self.hypermodel.declare_hyperparameters(hp)
        self.oracle.update_space(hp)

    def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
        import keras

        from specdsl.backend.keras_model import build_keras_model

        start = time.perf_counter()
        hp = trial.hyperparameters
        space = self.hypermodel.space
        arch, extra = space.split(self.hypermodel.read(hp))
        epochs, initial = self.settings.max_epochs, 0
        if "tuner/epochs" in hp.values:  # hyperband: this round's epochs, warm-started from the last round
            epochs, initial = int(hp.values["tuner/epochs"]), int(hp.values.get("tuner/initial_epoch", 0))
        parent = hp.values.get("tuner/trial_id")
        keras_seconds, results = 0.0, []
        for _ in range(self.executions_per_trial):
            keras.backend.clear_session()
            graph = space.graph(arch, self.hypermodel.input_shapes or None)
            began = time.perf_counter()
            model = build_keras_model(graph)
            if parent and initial and (Path(self.get_trial_dir(parent)) / CHECKPOINT).exists():
                model.load_weights(str(Path(self.get_trial_dir(parent)) / CHECKPOINT))
            history = self.fit_trial(model, dict(arch), epochs - initial, dict(extra))
            keras_seconds += time.perf_counter() - began
            results.append(best_epoch(history, self.settings.objective, self.settings.direction))
        if self.settings.tuner == "hyperband":
            model.save_weights(str(Path(self.get_trial_dir(trial.trial_id)) / CHECKPOINT))
        self.timings[trial.trial_id] = {"keras": keras_seconds, "start": start, "params": graph.total}
        keys = set.intersection(*(set(r) for r in results))
        return {k: sum(r[k] for r in results) / len(results) for k in keys}

    def on_trial_end(self, trial: Any) -> None:
        with shielded():
            super().on_trial_end(trial)
        timing = self.timings.setdefault(trial.trial_id, {})
        if "start" in timing:
            timing["total"] = time.perf_counter() - timing["start"]
        if self.settings.verbose and trial.status == "FAILED":
            last = (trial.message or "").strip().splitlines() or ["?"]
            print(f"trial {trial.trial_id} failed: {last[-1]}", file=sys.stderr)
        limit = self.settings.max_consecutive_failed_trials
        ended = [self.oracle.trials[t] for t in self.oracle.end_order]
        run = 0
        for t in reversed(ended):
            if t.status != "FAILED":
                break
            run += 1
        if run >= limit:
            raise TooManyFailures(f"{run} trials in a row failed (max_consecutive_failed_trials = {limit})")

    def save_model(self, trial_id: str, model: Any, step: int = 0) -> None:
        pass  # the models of a search are not kept; the caller trains the best one again


__all__ = ["SpaceHyperModel", "SpaceTuner", "GridOracle", "RandomOracle", "BayesianOracle", "HyperbandOracle",
           "make_oracle", "point_problem", "best_epoch", "shielded", "register", "TooManyFailures"]
