"""Capfinder's learning-rate schedules against their published formulas, and the rates the optimizer really uses.

The references here are built differently from the code: the triangle wave by linear
interpolation between its corners, SGDR's restarts by listing the cycle ends by hand.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from specdsl.training.schedules import cyclic_lr, schedule_callback, sgdr_cycles, sgdr_lr


def _triangle(it: np.ndarray, base: float, top: float, step: float, heights: list[float]) -> np.ndarray:
    """Piecewise-linear reference: cycle c rises from base to base + (top − base)·heights[c] and falls back."""
    out = np.empty(len(it))
    for k, i in enumerate(it):
        c = int(i // (2 * step))
        corners_x = [2 * step * c, 2 * step * c + step, 2 * step * (c + 1)]
        peak = base + (top - base) * heights[c]
        out[k] = np.interp(i, corners_x, [base, peak, base])
    return out


@pytest.mark.parametrize("step", [3, 8, 2000])
def test_triangular_is_the_triangle_wave(step: int) -> None:
    it = np.arange(0, 8 * step)
    got = [cyclic_lr(int(i), base_lr=1e-3, max_lr=6e-3, step_size=step, mode="triangular") for i in it]
    np.testing.assert_allclose(got, _triangle(it, 1e-3, 6e-3, step, [1.0] * 4), rtol=1e-12, atol=1e-15)
    assert cyclic_lr(0, base_lr=1e-3, max_lr=6e-3, step_size=step) == pytest.approx(1e-3)  # starts at base_lr
    assert cyclic_lr(step, base_lr=1e-3, max_lr=6e-3, step_size=step) == pytest.approx(6e-3)


def test_triangular2_halves_the_height_every_cycle() -> None:
    step = 5
    it = np.arange(0, 8 * step)
    got = [cyclic_lr(int(i), base_lr=0.01, max_lr=0.05, step_size=step, mode="triangular2") for i in it]
    np.testing.assert_allclose(got, _triangle(it, 0.01, 0.05, step, [1, 0.5, 0.25, 0.125]), rtol=1e-12)
    assert max(got[2 * step:4 * step]) == pytest.approx(0.01 + 0.04 / 2)


def test_exp_range_keeps_the_base_and_scales_the_triangle_by_gamma_per_batch() -> None:
    step, gamma = 4, 0.97
    for i in range(0, 6 * step):
        tri = _triangle(np.array([i]), 0.1, 0.3, step, [1.0] * 3)[0]
        expected = 0.1 + (tri - 0.1) * gamma ** i  # base + amplitude·γ^it, not γ^it alone (Capfinder's slip)
        assert cyclic_lr(i, base_lr=0.1, max_lr=0.3, step_size=step, mode="exp_range", gamma=gamma) \
            == pytest.approx(expected, rel=1e-12)
    # gamma 1 (the default, and Capfinder has no key for it) is the plain triangle
    assert cyclic_lr(3, base_lr=0.1, max_lr=0.3, step_size=step, mode="exp_range") == \
        pytest.approx(cyclic_lr(3, base_lr=0.1, max_lr=0.3, step_size=step))


def test_sgdr_restarts_after_epochs_5_13_25_43_70_with_capfinders_defaults() -> None:
    ends = [start + length for start, length in sgdr_cycles(5, 1.5, 80)]
    assert ends[:5] == [5, 13, 25, 43, 70]
    steps, keys = 10, {"min_lr": 1e-3, "max_lr": 2e-3, "lr_decay": 0.9, "cycle_length": 5, "mult_factor": 1.5}
    for k, start in enumerate([0, 5, 13, 25, 43, 70]):
        assert sgdr_lr(start, 0, steps, **keys) == pytest.approx(1e-3 + (2e-3 * 0.9 ** k - 1e-3))  # peak k
        if start:  # the batch before the restart is near the floor
            assert sgdr_lr(start - 1, steps - 1, steps, **keys) < 1e-3 + 1e-5
    # within the first cycle: the cosine, batch by batch
    for epoch in range(5):
        for batch in range(steps):
            b = epoch * steps + batch
            assert sgdr_lr(epoch, batch, steps, **keys) == pytest.approx(
                1e-3 + 0.5 * (2e-3 - 1e-3) * (1 + math.cos(math.pi * b / (steps * 5))))


def test_unknown_mode_is_a_spec_error() -> None:
    from specdsl.errors import SpecError

    with pytest.raises(SpecError, match="unknown cyclic mode 'triangle'"):
        cyclic_lr(1, base_lr=0.1, max_lr=0.2, step_size=2, mode="triangle")


# The learning rate each step really used: SGD on loss = w·1 moves w by −lr per batch.
SCRIPT = r"""
import json, numpy as np, keras
from specdsl.training.schedules import schedule_callback
x = np.ones((12, 1), np.float32); y = np.zeros((12, 1), np.float32)
layer = keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")
inp = keras.Input((1,)); model = keras.Model(inp, layer(inp))
model.compile(optimizer=keras.optimizers.SGD(0.5), loss=lambda t, p: keras.ops.mean(p))
cb = schedule_callback(SETTINGS)
ends = []
class Watch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        ends.append(float(self.model.get_weights()[0][0, 0]))
model.fit(x, y, batch_size=3, epochs=3, shuffle=False, verbose=0, callbacks=[cb, Watch()])
print("RESULT" + json.dumps({"backend": keras.backend.backend(), "ends": ends}))
"""


def _expected(settings: dict, epochs: int = 3, steps: int = 4) -> list[float]:
    w, out = 0.0, []
    for epoch in range(epochs):
        for batch in range(steps):
            if settings["kind"] == "cyclic":
                w -= cyclic_lr(epoch * steps + batch, base_lr=settings["base-lr"], max_lr=settings["max-lr"],
                               step_size=steps * settings["step-size-factor"], mode=settings["mode"])
            else:
                w -= sgdr_lr(epoch, batch, steps, min_lr=settings["min-lr"], max_lr=settings["max-lr"],
                             lr_decay=settings["lr-decay"], cycle_length=settings["cycle-length"],
                             mult_factor=settings["mult-factor"])
        out.append(w)
    return out


CYCLIC = {"kind": "cyclic", "base-lr": 0.01, "max-lr": 0.05, "step-size-factor": 0.5, "mode": "triangular2"}
SGDR = {"kind": "sgdr", "min-lr": 0.001, "max-lr": 0.02, "lr-decay": 0.5, "cycle-length": 1, "mult-factor": 2}


@pytest.mark.slow
@pytest.mark.parametrize("settings", [CYCLIC, SGDR], ids=["cyclic", "sgdr"])
def test_every_batch_trains_with_the_scheduled_rate_on_tensorflow(settings: dict) -> None:
    scope: dict = {"SETTINGS": settings}
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(SCRIPT, scope)  # noqa: S102 - the test's own script
    result = json.loads(out.getvalue().split("RESULT", 1)[1])
    np.testing.assert_allclose(result["ends"], _expected(settings), rtol=1e-5)


@pytest.mark.slow
def test_every_batch_trains_with_the_scheduled_rate_on_jax() -> None:
    """The JAX trainer feeds steps a copy of the state: the callback must sync it for the new rate to count."""
    pytest.importorskip("jax")
    code = f"SETTINGS = {CYCLIC!r}\n" + SCRIPT
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.split("RESULT", 1)[1])
    assert result["backend"] == "jax"
    np.testing.assert_allclose(result["ends"], _expected(CYCLIC), rtol=1e-5)


def test_plateau_is_keras_reduce_lr_on_plateau_with_capfinders_values() -> None:
    import keras

    cb = schedule_callback({"kind": "plateau", "factor": 0.5, "patience": 5, "min_lr": 1e-6})
    assert isinstance(cb, keras.callbacks.ReduceLROnPlateau)
    assert (cb.factor, cb.patience, cb.min_lr, cb.monitor) == (0.5, 5, 1e-6, "val_loss")


def test_specdsl_train_configs_take_a_schedule_that_replaces_the_plateau_halving() -> None:
    from specdsl.config import load_config_text

    text = json.dumps({"kind": "specdsl-train", "output-prefix": "out/x", "model": {"architecture": "conv[8@3]_gap"},
                       "heads": [{"kind": "multiclass", "head-name": "cap", "target": "cap_class",
                                  "classes": ["a", "b"]}],
                       "data": {"reader": "signal-csv", "train": "t.csv", "val": "v.csv"},
                       "schedule": {"lr-schedule": {"kind": "sgdr", "cycle-length": 3}}})
    ir = load_config_text(text)
    assert ir.schedule.lr_plateau_patience is None and ir.schedule.lr_decay is None
    assert dict(ir.schedule.lr_schedule) == {"kind": "sgdr", "min-lr": 1e-3, "max-lr": 2e-3, "lr-decay": 0.9,
                                             "cycle-length": 3, "mult-factor": 1.5}
    from specdsl.errors import SpecErrors

    bad = text.replace('"sgdr"', '"cosine"')
    with pytest.raises(SpecErrors, match='unknown kind "cosine"'):
        load_config_text(bad)
