"""``run_search``: one search machinery for grids and KerasTuner's tuners over a space.

Capfinder's behaviour, made dependable: Ctrl+C during a search keeps the best *finished* trial
and returns (``result.interrupted``; ``best_values`` is None, and the summary says so plainly,
when no trial had finished), so the caller goes on to final training; a search started again
with ``overwrite=False`` continues where it stopped (the interrupted trial runs again); a trial
that raises is recorded with its error and reported, and the search goes on until
``max_consecutive_failed_trials`` fail in a row.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from specdsl.errors import SpecError
from specdsl.language.ir import Choice, Hyper
from specdsl.language.spaces.space import Space
from specdsl.search.settings import SearchResult, SearchSettings, TrialRecord

FitTrial = Callable[[Any, dict, int, dict], Any]


def training_hyperparameters(specs: Mapping[str, Any] | None) -> dict[str, Hyper]:
    """``{"learning_rate": "{1e-4~1e-2:log}"}`` → searched parameters; a plain number is a fixed value."""
    from specdsl.errors import Source
    from specdsl.language.spec_files import parse_space

    out: dict[str, Hyper] = {}
    for name, spec in (specs or {}).items():
        if isinstance(spec, Hyper):
            out[name] = spec
        elif isinstance(spec, str):
            out[name] = parse_space(spec.strip(), Source(f"hyperparameters_extra[{name!r}]", spec.strip()))
        elif isinstance(spec, (int, float, str)) and not isinstance(spec, bool):
            out[name] = Hyper(Choice((spec,)))
        elif isinstance(spec, (list, tuple)) and spec:
            out[name] = Hyper(Choice(tuple(spec)))
        else:
            raise SpecError(f"hyperparameters_extra[{name!r}] must be a space such as '{{1e-4~1e-2:log}}', a "
                            f"list of values or one value, not {spec!r}")
    return out


def run_search(space: Space, settings: SearchSettings, fit_trial: FitTrial,
               input_shapes: Mapping[str, tuple] | None = None,
               hyperparameters_extra: Mapping[str, Any] | None = None) -> SearchResult:
    """Search ``space`` with ``settings.tuner``; every trial is ``fit_trial(model, values, epochs, hp_extra)``.

    ``model`` is the point's uncompiled ``keras.Model``, ``values`` its architecture values by axis
    name, ``epochs`` how many epochs to fit (a hyperband round's share, its weights carried over
    from the round before), ``hp_extra`` the trial's training hyperparameters (the space's own,
    such as the Capfinder presets' ``learning_rate``, and ``hyperparameters_extra``).  It compiles
    and fits with the caller's data, optimizer and callbacks and returns a History or its
    ``history`` dict, which must hold ``settings.objective``.
    """
    settings.check()
    extras = training_hyperparameters(hyperparameters_extra)
    if extras:
        space = space.with_extras(extras)
    shapes = dict(input_shapes or space.input_shapes)
    space.graph(space.default_point(), shapes or None)  # a wrong input name or shape: said before Keras starts

    from specdsl.search.tuners import SpaceHyperModel, SpaceTuner, TooManyFailures, make_oracle

    oracle = make_oracle(space, settings, shapes)
    tuner = SpaceTuner(oracle, SpaceHyperModel(space, shapes), fit_trial, settings)
    interrupted, stop_reason = False, ""
    start = time.perf_counter()
    try:
        tuner.search(verbose=settings.verbose)
    except KeyboardInterrupt:
        interrupted = True
    except TooManyFailures as err:
        stop_reason = str(err)
    result = _result(space, tuner, settings, interrupted, stop_reason, time.perf_counter() - start)
    if settings.verbose and (interrupted or stop_reason or result.failed):
        print(result.summary(), file=sys.stderr)
    return result


def _status(kt_status: str) -> str:
    return {"COMPLETED": "ok", "FAILED": "failed", "INVALID": "failed", "RUNNING": "interrupted"}.get(kt_status,
                                                                                                     "failed")


def _result(space: Space, tuner: Any, settings: SearchSettings, interrupted: bool, stop_reason: str,
            seconds: float) -> SearchResult:
    oracle = tuner.oracle
    trials: list[TrialRecord] = []
    for trial_id in oracle.start_order:
        trial = oracle.trials[trial_id]
        arch, extra = space.split(trial.hyperparameters.values)
        status = _status(str(trial.status))
        score = float(trial.score) if status == "ok" and trial.score is not None else None
        if status == "ok" and (score is None or (isinstance(score, float) and math.isnan(score))):
            status = "failed"
        timing = tuner.timings.get(trial_id, {})
        trials.append(TrialRecord(trial_id, status, arch, extra, score, _error(trial.message) if status == "failed"
                                  else "", timing.get("params"), timing.get("total"), timing.get("keras")))
    for i, pruned in enumerate(getattr(oracle, "specdsl_pruned", []), start=1):
        arch, extra = space.split(pruned["values"])
        trials.append(TrialRecord(f"pruned-{i}", "pruned", arch, extra, error=pruned["reason"]))
    finished = [t for t in trials if t.status == "ok"]
    best = None
    if finished:
        pick = min if settings.direction == "min" else max
        best = pick(finished, key=lambda t: t.score)
    return SearchResult(best.values if best else None, best.score if best else None, trials, interrupted,
                        best.extra if best else None, stop_reason, str(tuner.project_dir), seconds)


def _error(message: str | None) -> str:
    """The end of a trial's traceback: what went wrong, and where."""
    lines = (message or "").strip().splitlines()
    return "\n".join(lines[-12:])


__all__ = ["run_search", "training_hyperparameters"]
