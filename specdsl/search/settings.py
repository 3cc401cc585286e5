"""What a search is asked to do, and what it reports: plain data, no TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from specdsl.errors import SpecError, did_you_mean

TUNERS = ("grid", "random_search", "bayesian_optimization", "hyperband")


@dataclass
class SearchSettings:
    """A search's settings; the names are Capfinder's (``tune_params``) and KerasTuner's.

    ``max_trials`` caps the trials of a grid, random search and bayesian optimisation (None:
    a grid runs every point); hyperband sizes itself from ``max_epochs`` and ``factor``, as
    KerasTuner's does.  ``overwrite=False`` continues a search found in
    ``directory/project_name``.  ``max_params`` prunes points above a parameter budget
    before they are built.  ``max_consecutive_failed_trials`` stops a search whose trials keep
    failing (KerasTuner's default, 3).
    """

    tuner: str = "hyperband"
    max_trials: int | None = 10
    max_epochs: int = 3
    objective: str = "val_loss"
    direction: str = "min"
    directory: str = "tuner"
    project_name: str = "search"
    overwrite: bool = False
    seed: int | None = None
    executions_per_trial: int = 1
    factor: int = 3
    hyperband_iterations: int = 1
    max_params: int | None = None
    max_consecutive_failed_trials: int = 3
    verbose: int = 1

    def check(self) -> None:
        if self.tuner not in TUNERS:
            raise SpecError(f"unknown tuner '{self.tuner}'", expected="one of " + ", ".join(TUNERS),
                            hint=did_you_mean(self.tuner, TUNERS), path="tuner")
        if self.direction not in ("min", "max"):
            raise SpecError(f"direction must be min or max, not '{self.direction}'", path="direction")
        for name in ("max_epochs", "executions_per_trial", "max_consecutive_failed_trials"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SpecError(f"must be a whole number ≥ 1, not {value!r}", path=name)
        if self.max_trials is not None and (isinstance(self.max_trials, bool) or not isinstance(self.max_trials, int)
                                            or self.max_trials < 1):
            raise SpecError(f"must be a whole number ≥ 1 (or None), not {self.max_trials!r}", path="max_trials")
        if self.tuner == "hyperband" and (not isinstance(self.factor, int) or self.factor < 2):
            raise SpecError(f"hyperband's factor must be a whole number ≥ 2, not {self.factor!r}", path="factor")


@dataclass
class TrialRecord:
    """One trial: ``status`` is ``ok`` (finished, scored), ``failed`` (an exception in building or
    fitting: ``error`` holds its last lines), ``pruned`` (an impossible shape or over the parameter
    budget: never built) or ``interrupted`` (Ctrl+C during it; a resumed search runs it again)."""

    trial_id: str
    status: str
    values: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    error: str = ""
    params: int | None = None
    seconds: float | None = None
    keras_seconds: float | None = None  # building the Keras model plus fit_trial (compile and fit)


@dataclass
class SearchResult:
    """What ``run_search`` found.  ``best_values`` are the best finished trial's architecture values
    (``space.bind(best_values)`` builds it) and ``best_extra`` its training hyperparameters; both
    are None when no trial finished."""

    best_values: dict[str, Any] | None
    best_score: float | None
    trials: list[TrialRecord]
    interrupted: bool = False
    best_extra: dict[str, Any] | None = None
    stop_reason: str = ""
    project_dir: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> list[TrialRecord]:
        return [t for t in self.trials if t.status == "failed"]

    def summary(self) -> str:
        """Plain words for a log: how many trials finished, failed or were pruned, and the best."""
        counts = {s: sum(t.status == s for t in self.trials) for s in ("ok", "failed", "pruned", "interrupted")}
        lines = [f"search: {counts['ok']} trial(s) finished, {counts['failed']} failed, {counts['pruned']} pruned"
                 + (f", {counts['interrupted']} interrupted" if counts["interrupted"] else "")]
        if self.interrupted:
            lines.append("interrupted (Ctrl+C): " + ("the best finished trial is kept" if self.best_values is not None
                                                     else "no trial had finished, so there are no best values"))
        if self.stop_reason:
            lines.append(f"stopped: {self.stop_reason}")
        for t in self.failed:
            last = t.error.strip().splitlines()[-1] if t.error.strip() else "?"
            lines.append(f"trial {t.trial_id} failed: {last}")
        if self.best_values is not None:
            lines.append(f"best score {self.best_score:.6g} with {self.best_values}"
                         + (f" and {self.best_extra}" if self.best_extra else ""))
        return "\n".join(lines)


__all__ = ["TUNERS", "SearchSettings", "TrialRecord", "SearchResult"]
