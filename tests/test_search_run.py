"""One search machinery: a grid and KerasTuner's tuners over a space, on a tiny model and tiny data.

Ctrl+C is simulated by a KeyboardInterrupt raised from a trial (what Python raises on SIGINT).
"""

from __future__ import annotations

import numpy as np
import pytest

from specdsl.errors import SpecError
from specdsl.language.spaces.space import Space
from specdsl.search import SearchSettings, run_search

pytestmark = pytest.mark.slow

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 12, 1)).astype("float32")
Y = (X.mean(axis=(1, 2)) > 0).astype("int32")
SPACE_TEXT = "conv[{4,8}@{3,30}]_gap_dense[{2,4}]_dense[2,act=softmax]"  # kernel 30 > 12: pruned


def space() -> Space:
    return Space.of(SPACE_TEXT, input_shapes={"input": (12, 1)})


class Fit:
    """A fit_trial that records its calls; ``fail_when`` and ``interrupt_at`` make trials go wrong."""

    def __init__(self, fail_when=None, interrupt_at: int | None = None):
        self.calls: list[tuple[dict, int, dict]] = []
        self.fail_when = fail_when
        self.interrupt_at = interrupt_at

    def __call__(self, model, values, epochs, extra):
        import keras

        self.calls.append((dict(values), epochs, dict(extra)))
        if self.interrupt_at is not None and len(self.calls) == self.interrupt_at:
            raise KeyboardInterrupt
        if self.fail_when is not None and self.fail_when(values):
            raise ValueError("this trial cannot train")
        model.compile(optimizer=keras.optimizers.Adam(extra.get("lr", 1e-3)), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model.fit(X, Y, validation_split=0.25, epochs=epochs, batch_size=16, verbose=0).history


def settings(tmp_path, tuner="grid", **kw) -> SearchSettings:
    base = dict(tuner=tuner, max_trials=4, max_epochs=1, directory=str(tmp_path), project_name="p", overwrite=True,
                seed=1, verbose=0)
    return SearchSettings(**{**base, **kw})


def test_grid_runs_every_possible_point_in_order_and_prunes(tmp_path) -> None:
    sp, fit = space(), Fit()
    result = run_search(sp, settings(tmp_path, max_trials=None), fit)
    possible = [sp.point(i) for i in range(sp.size) if sp.point(i)["conv1.kernel"] == 3]
    assert [c[0] for c in fit.calls] == possible
    assert [t.status for t in result.trials] == ["ok"] * 4 + ["pruned"] * 4
    assert all("needs at least 30 positions" in t.error for t in result.trials if t.status == "pruned")
    best = min((t for t in result.trials if t.status == "ok"), key=lambda t: t.score)
    assert result.best_values == best.values and result.best_score == best.score and not result.interrupted
    assert sp.graph(result.best_values).total > 0


def test_random_search_with_a_training_hyperparameter(tmp_path) -> None:
    fit = Fit()
    result = run_search(space(), settings(tmp_path, "random_search", max_trials=3), fit,
                        hyperparameters_extra={"lr": "{1e-3~1e-2:log}"})
    assert len(fit.calls) == 3 and all(1e-3 <= extra["lr"] <= 1e-2 for _, _, extra in fit.calls)
    assert all(values["conv1.kernel"] == 3 for values, _, _ in fit.calls)  # impossible points never trained
    assert result.best_extra is not None and "lr" in result.best_extra and "lr" not in result.best_values


def test_hyperband_and_bayesian_optimisation_drive_the_same_space(tmp_path) -> None:
    fit = Fit()
    result = run_search(space(), settings(tmp_path, "hyperband", max_epochs=2, factor=2), fit)
    assert {epochs for _, epochs, _ in fit.calls} <= {1, 2} and result.best_values is not None
    fit = Fit()
    result = run_search(space(), settings(tmp_path, "bayesian_optimization", max_trials=3, project_name="b"), fit)
    assert len(fit.calls) == 3 and result.best_values is not None


def test_ctrl_c_keeps_the_best_finished_trial_and_a_restart_continues(tmp_path) -> None:
    interrupted = Fit(interrupt_at=3)
    first = run_search(space(), settings(tmp_path), interrupted)
    assert first.interrupted and first.best_values is not None
    assert [t.status for t in first.trials if t.status != "pruned"] == ["ok", "ok", "interrupted"]
    assert "the best finished trial is kept" in first.summary()
    lost = interrupted.calls[-1][0]
    again = Fit()
    second = run_search(space(), settings(tmp_path, overwrite=False), again)
    assert again.calls[0][0] == lost  # the interrupted trial runs again, then the search goes on
    assert not second.interrupted and [t.status for t in second.trials if t.status != "pruned"] == ["ok"] * 4
    assert len(again.calls) == 2


def test_ctrl_c_before_any_trial_finished_says_so(tmp_path) -> None:
    result = run_search(space(), settings(tmp_path), Fit(interrupt_at=1))
    assert result.interrupted and result.best_values is None and result.best_score is None
    assert "no trial had finished, so there are no best values" in result.summary()


def test_failed_trials_are_reported_not_swallowed(tmp_path) -> None:
    result = run_search(space(), settings(tmp_path), Fit(fail_when=lambda v: v["dense1.units"] == 4))
    failed = result.failed
    assert [t.values["dense1.units"] for t in failed] == [4, 4]
    assert all("ValueError: this trial cannot train" in t.error for t in failed)
    assert "trial 1 failed: ValueError: this trial cannot train" in result.summary()
    assert result.best_values is not None and result.best_values["dense1.units"] == 2


def test_a_search_whose_trials_keep_failing_stops_and_says_why(tmp_path) -> None:
    result = run_search(space(), settings(tmp_path, max_trials=None, max_consecutive_failed_trials=2),
                        Fit(fail_when=lambda v: True))
    assert len(result.failed) == 2 and "2 trials in a row failed" in result.stop_reason
    assert result.best_values is None


def test_a_history_without_the_objective_fails_the_trial_with_a_clear_error(tmp_path) -> None:
    def fit(model, values, epochs, extra):
        return {"loss": [1.0]}

    result = run_search(space(), settings(tmp_path, max_consecutive_failed_trials=1), fit)
    assert "fit_trial returned no 'val_loss'" in result.failed[0].error


def test_refusals_before_any_training(tmp_path) -> None:
    with pytest.raises(SpecError, match="continuous range"):
        run_search(Space.of("fc[{4,8}]_do[{0.1~0.5}]", input_shapes={"input": (10,)}), settings(tmp_path), Fit())
    with pytest.raises(SpecError, match="unknown tuner 'hyperbnd'"):
        run_search(space(), settings(tmp_path, tuner="hyperbnd"), Fit())
    with pytest.raises(SpecError, match="has no input 'signal'"):
        run_search(space(), settings(tmp_path), Fit(), input_shapes={"signal": (12, 1)})
    run_search(space(), settings(tmp_path, max_trials=1), Fit())
    other = Space.of("conv[{4,16}@3]_gap_dense[2,act=softmax]", input_shapes={"input": (12, 1)})
    with pytest.raises(SpecError, match="made for another search space"):
        run_search(other, settings(tmp_path, overwrite=False), Fit())


def test_capfinders_shipped_point_builds_with_keras_to_the_exact_count() -> None:
    from specdsl.backend.keras_model import build_keras_model
    from specdsl.systems.capfinder.presets import SHIPPED_CNN_LSTM

    space = Space.of("cnn_lstm", params={"target_length": 500, "num_classes": 4})
    model = build_keras_model(space.graph(SHIPPED_CNN_LSTM))
    assert model.count_params() == 349_380
    assert model.input_shape == (None, 500, 1) and model.output_shape == (None, 4)
