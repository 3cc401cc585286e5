"""Losses, the counts-weight variable and the adaptive counts-loss weight."""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest

from specdsl.errors import SpecError
from specdsl.formats.bpreveal_h5 import solo_output_names, summarize_counts
from specdsl.formats.synthetic_profiles import write_synthetic
from specdsl.training.adaptive import AdaptiveCountsLossWeight, AdaptiveHead, next_weight
from specdsl.training.losses import (
    MultinomialNLL,
    ReweightableMSE,
    counts_losses_of,
    log_counts_mse,
    log_gamma,
    multinomial_nll,
    refresh_compiled_steps,
    solo_losses,
)
from specdsl.training.profile_stream import make_dataset


def _np(x) -> np.ndarray:
    return np.asarray(x)


# -- log Γ and the multinomial NLL ---------------------------------------------------------------


def test_log_gamma_matches_math_lgamma() -> None:
    z = np.concatenate([np.linspace(0.05, 12, 200), [1, 2, 3, 6.999, 7, 7.001, 50.5, 1e3, 1e5, 3e6, 1e8]])
    exact = np.array([math.lgamma(v) for v in z])
    wide = _np(log_gamma(z.astype(np.float64)))
    if wide.dtype == np.float64:  # JAX without x64 computes in float32
        assert np.allclose(wide, exact, rtol=1e-10, atol=1e-10)
    assert np.allclose(_np(log_gamma(z.astype(np.float32))), exact, rtol=1e-5, atol=2e-5)
    assert _np(log_gamma(np.ones(3, np.float32))).tolist() == pytest.approx([0, 0, 0], abs=2e-6)


def _mnll_reference(counts: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """−log Multinomial(counts | N, softmax(logits)) per region, flattened over positions × tasks."""
    out = []
    for x, z in zip(counts.reshape(len(counts), -1), logits.reshape(len(logits), -1)):
        log_p = z - max(z) - math.log(sum(math.exp(v - max(z)) for v in z))
        log_coef = math.lgamma(x.sum() + 1) - sum(math.lgamma(v + 1) for v in x)
        out.append(-(log_coef + float((x * log_p).sum())))
    return np.array(out)


def test_multinomial_nll_matches_direct_formula() -> None:
    rng = np.random.default_rng(0)
    counts = rng.poisson(3.0, size=(4, 9, 2)).astype(np.float32)
    counts[1] *= 0.5  # bigWig values need not be integers
    logits = rng.normal(size=(4, 9, 2)).astype(np.float32)
    expected = _mnll_reference(counts.astype(np.float64), logits.astype(np.float64))
    assert np.allclose(_np(multinomial_nll(counts, logits)), expected, rtol=1e-5)
    assert float(MultinomialNLL()(counts, logits)) == pytest.approx(expected.mean(), rel=1e-5)  # mean over batch


def test_multinomial_is_joint_over_positions_and_tasks() -> None:
    counts = np.array([[[5.0, 1.0], [2.0, 0.0]]], dtype=np.float32)
    logits = np.zeros((1, 2, 2), dtype=np.float32)
    shifted = logits + np.array([0.0, 3.0], dtype=np.float32)  # raise task 1 everywhere
    # A per-task softmax would not see a per-task shift; the joint one must.
    assert float(multinomial_nll(counts, shifted)[0]) != pytest.approx(float(multinomial_nll(counts, logits)[0]))
    assert float(multinomial_nll(counts, logits)[0]) == pytest.approx(_mnll_reference(counts, logits)[0], rel=1e-6)


def test_profile_shape_mismatch_is_reported() -> None:
    with pytest.raises(ValueError, match=r"multinomial NLL: target shape \(2, 10, 2\) does not match .*\(2, 8, 2\)"):
        multinomial_nll(np.ones((2, 10, 2), np.float32), np.ones((2, 8, 2), np.float32))


# -- counts loss ----------------------------------------------------------------------------------


def test_counts_mse_compares_each_region_with_its_own_prediction() -> None:
    target = np.array([[1.0], [2.0], [4.0]], dtype=np.float32)
    pred = np.array([[1.5], [2.0], [3.0]], dtype=np.float32)
    per_region = _np(log_counts_mse(target, pred))
    assert per_region.shape == (3,) and np.allclose(per_region, [0.25, 0.0, 1.0])
    # A (B,) target is reshaped, not broadcast: the same value, where BPReveal's metric got a (B, B) mean.
    assert np.allclose(_np(log_counts_mse(target[:, 0], pred)), per_region)
    broadcast = np.mean((target[:, 0][None, :] - pred) ** 2)
    metric = keras.metrics.MeanMetricWrapper(ReweightableMSE(3.0))
    metric.update_state(target[:, 0], pred)
    assert float(metric.result()) == pytest.approx(3.0 * per_region.mean())
    assert float(metric.result()) != pytest.approx(3.0 * broadcast)


def test_reweightable_weight_is_live_and_serialised() -> None:
    loss = ReweightableMSE(2.0)
    t, p = np.zeros((4, 1), np.float32), np.ones((4, 1), np.float32)
    assert float(loss(t, p)) == pytest.approx(2.0)
    loss.set_weight(5.0)
    assert loss.weight == 5.0 and float(loss(t, p)) == pytest.approx(5.0)
    config = loss.get_config()
    assert config["weight"] == 5.0 and config["name"] == "reweightable_mse"
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert isinstance(again, ReweightableMSE) and again.weight == 5.0
    assert keras.saving.get_registered_name(ReweightableMSE) == "specdsl>ReweightableMSE"
    assert keras.saving.get_registered_name(MultinomialNLL) == "specdsl>MultinomialNLL"


# -- adaptive counts weight: arithmetic ---------------------------------------------------------------


def test_next_weight_jumps_early_then_damps_and_clamps() -> None:
    # f = 0.2. E0: p 400, c 50 at λ 10 → raw 5 → λ' = 0.2·400 / (0.8·5) = 20 (jump).
    assert next_weight(0, 10.0, 400.0, 50.0, 0.2) == (pytest.approx(20.0), pytest.approx(20.0), False)
    # E1: p 300, c 40 at λ 20 → raw 2 → λ' = 60 / 1.6 = 37.5 (jump).
    assert next_weight(1, 20.0, 300.0, 40.0, 0.2)[0] == pytest.approx(37.5)
    # E2: p 250, c 37.5 → raw 1 → λ' = 62.5; damped 0.7·37.5 + 0.3·62.5 = 45.
    assert next_weight(2, 37.5, 250.0, 37.5, 0.2) == (pytest.approx(45.0), pytest.approx(62.5), False)
    # E3: λ' = 625 → damped 219 is > 2 × 45, so clamp to 90.
    assert next_weight(3, 45.0, 250.0, 4.5, 0.2) == (pytest.approx(90.0), pytest.approx(625.0), True)
    # Early clamps at a factor 10, both ways.
    assert next_weight(0, 1.0, 400.0, 0.1, 0.5)[0] == pytest.approx(10.0)
    assert next_weight(1, 100.0, 1.0, 100.0, 0.5)[0] == pytest.approx(10.0)


class _Monitor:
    monitor = "val_loss"
    best = 0.0


def _logs(p: float, c: float, vp: float, vc: float, head: str = "h") -> dict[str, float]:
    return {f"solo_profile_{head}_multinomial_nll": p, f"solo_logcounts_{head}_reweightable_mse": c,
            f"val_solo_profile_{head}_multinomial_nll": vp, f"val_solo_logcounts_{head}_reweightable_mse": vc}


def test_callback_follows_bpreveal_for_four_epochs() -> None:
    loss = ReweightableMSE(1.0)
    head = AdaptiveHead("h", loss, "solo_profile_h", "solo_logcounts_h", frac_target=0.2, initial_weight=10.0,
                        profile_weight=2.0)
    fixed = AdaptiveHead("g", ReweightableMSE(7.0), "solo_profile_g", "solo_logcounts_g")  # no target: recorded only
    early, monitor = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10), _Monitor()
    cb = AdaptiveCountsLossWeight([head, fixed], monitors=[monitor], early_stopping=early)
    early.set_model(SimpleNamespace(stop_training=False))
    for c in (early, cb):
        c.on_train_begin()
    assert loss.weight == 10.0
    epochs = [  # head h: (train p, train c, val p, val c); c is scaled by the λ of that epoch
        (900.0, 500.0, 400.0, 50.0),  # E0 uses val: raw 5 → λ' = 0.2·400/(0.8·5) = 20, jump
        (300.0, 40.0, 310.0, 50.0),  # E1 uses train: raw 2 → λ' = 37.5, jump
        (250.0, 37.5, 260.0, 40.0),  # E2: raw 1 → λ' = 62.5, damped 0.7·37.5 + 0.3·62.5 = 45
        (250.0, 4.5, 380.0, 90.0),  # E3: raw 0.1 → λ' = 625, damped 219 > 2·45, clamped to 90
    ]
    corrected = []
    for e, values in enumerate(epochs):
        logs = _logs(*values) | _logs(100.0, 70.0, 100.0, 70.0, head="g")
        logs["val_loss"] = 2 * values[2] + values[3] + 100.0 + 70.0  # Keras' total: Σ w·p + λ·mse
        early.on_epoch_end(e, logs)
        cb.on_epoch_end(e, logs)
        corrected.append((early.best_epoch, monitor.best))
    assert cb.weights["h"] == [10.0, 20.0, 37.5, 45.0] and loss.weight == pytest.approx(90.0)
    assert cb.history_entry() == {"counts-loss-weight": {"h": [10.0, 20.0, 37.5, 45.0], "g": [7.0] * 4},
                                  "counts-loss-weight-next": {"h": pytest.approx(90.0), "g": 7.0}}
    json.dumps(cb.history_entry())
    # After each update, `best` is the record epoch's val loss at the new λ: Σ w·p_val + c_val·λ_now/λ_then.
    # val_loss 1020 (E0), 840 (E1, better than 1070), 730 (E2, better than 883.75), 1020 (E3, worse than 738).
    assert corrected == [(0, pytest.approx(800 + 50 * 20 / 10 + 170)), (1, pytest.approx(620 + 50 * 37.5 / 20 + 170)),
                         (2, pytest.approx(520 + 40 * 45 / 37.5 + 170)), (2, pytest.approx(520 + 40 * 90 / 37.5 + 170))]
    assert early.best == monitor.best == pytest.approx(786.0)


def test_resumed_callback_continues_lambda_and_damping() -> None:
    def callback(loss: ReweightableMSE) -> AdaptiveCountsLossWeight:
        head = AdaptiveHead("h", loss, "solo_profile_h", "solo_logcounts_h", frac_target=0.2, initial_weight=10.0)
        return AdaptiveCountsLossWeight([head])

    first = callback(ReweightableMSE())
    first.on_train_begin()
    first.on_epoch_end(0, _logs(900.0, 500.0, 400.0, 50.0))  # → 20
    first.on_epoch_end(1, _logs(300.0, 40.0, 310.0, 50.0))  # → 37.5
    saved = json.loads(json.dumps(first.history_entry()))
    assert saved == {"counts-loss-weight": {"h": [10.0, 20.0]}, "counts-loss-weight-next": {"h": 37.5}}

    loss = ReweightableMSE()
    resumed = callback(loss)
    resumed.restore(saved)
    resumed.on_train_begin()
    assert loss.weight == 37.5  # not the initial 10 again
    resumed.on_epoch_end(2, _logs(250.0, 37.5, 260.0, 40.0))  # E = 2: damped to 45, no jump to 62.5
    assert loss.weight == pytest.approx(45.0)
    assert resumed.history_entry()["counts-loss-weight"] == {"h": [10.0, 20.0, 37.5]}


def test_a_resumed_callback_rewrites_best_from_the_record_epoch_before_the_interruption() -> None:
    """The record epoch can be one of the interrupted run's: its losses come from the history."""
    def callback(loss: ReweightableMSE, early: keras.callbacks.EarlyStopping) -> AdaptiveCountsLossWeight:
        head = AdaptiveHead("h", loss, "solo_profile_h", "solo_logcounts_h", frac_target=0.2, initial_weight=10.0)
        return AdaptiveCountsLossWeight([head], early_stopping=early)

    epochs = [_logs(900.0, 500.0, 400.0, 50.0), _logs(300.0, 40.0, 310.0, 50.0)]
    first = callback(ReweightableMSE(), keras.callbacks.EarlyStopping(monitor="val_loss", patience=10))
    first.on_train_begin()
    for epoch, logs in enumerate(epochs):
        first.on_epoch_end(epoch, logs)
    history = {key: [logs[key] for logs in epochs] for key in epochs[0]}  # as HistoryWriter keeps them
    history["loss"] = [1.0, 1.0]
    history.update(json.loads(json.dumps(first.history_entry())))

    early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10)
    early.best_epoch, early.best = 1, 1e9  # the counters a resume restores: epoch 1 is the record
    loss = ReweightableMSE()
    resumed = callback(loss, early)
    resumed.restore(history)
    resumed.on_train_begin()
    resumed.on_epoch_end(2, _logs(250.0, 37.5, 400.0, 60.0))  # worse than epoch 1; λ moves on
    used_at_record = history["counts-loss-weight"]["h"][1]
    assert early.best == pytest.approx(310.0 + 50.0 * loss.weight / used_at_record)


def test_callback_estimates_initial_weight_and_warns_on_early_clamp(caplog: pytest.LogCaptureFixture) -> None:
    loss = ReweightableMSE()
    head = AdaptiveHead("h", loss, "solo_profile_h", "solo_logcounts_h", frac_target=0.2, mean_counts=50.0)
    cb = AdaptiveCountsLossWeight([head])
    cb.on_train_begin()
    assert loss.weight == pytest.approx(37 * 0.2 * 50)  # 370
    with caplog.at_level(logging.WARNING, logger="specdsl.training.adaptive"):
        cb.on_epoch_end(0, _logs(10.0, 10.0, 1000.0, 0.37))  # λ' = 250000 → clamp ×10
    assert loss.weight == pytest.approx(3700.0)
    assert "Consider starting from counts-loss-weight" in caplog.text
    with pytest.raises(SpecError, match="cannot estimate the initial counts-loss-weight of head 'h'"):
        AdaptiveCountsLossWeight([AdaptiveHead("h", loss, "a", "b", frac_target=0.2, mean_counts=0.0)]).on_train_begin()
    with pytest.raises(SpecError, match="strictly between 0 and 1"):
        AdaptiveHead("h", loss, "a", "b", frac_target=1.5)


def test_callback_falls_back_to_keras_per_output_losses() -> None:
    loss = ReweightableMSE(4.0)
    cb = AdaptiveCountsLossWeight([AdaptiveHead("h", loss, "p_h", "c_h", frac_target=0.5, initial_weight=4.0)])
    cb.on_train_begin()
    cb.on_epoch_end(0, {"p_h_loss": 9.0, "c_h_loss": 4.0})  # no validation: train values; raw 1 → λ' = 9
    assert loss.weight == pytest.approx(9.0)
    with pytest.raises(KeyError, match="none of"):
        cb.on_epoch_end(1, {"loss": 1.0})


# -- with Keras: fit, falling loss, live λ, save/load ------------------------------------------------------

IN, OUT, J = 72, 40, 4


def _tiny_model(heads: dict[str, int]) -> keras.Model:
    """A BPNet-shaped toy: valid conv body, per head a profile conv and GAP → Dense(1) counts."""
    x = keras.Input((IN, 4), name="solo_input")
    body = keras.layers.Conv1D(16, IN - OUT + 1, activation="relu", name="solo_body")(x)
    profiles = [keras.layers.Conv1D(t, 1, name=f"solo_profile_{h}")(body) for h, t in heads.items()]
    pooled = keras.layers.GlobalAveragePooling1D(name="solo_gap")(body)
    counts = [keras.layers.Dense(1, name=f"solo_logcounts_{h}")(pooled) for h in heads]
    return keras.Model(x, profiles + counts, name="solo_model")


@pytest.fixture(scope="module")
def train_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(write_synthetic(tmp_path_factory.mktemp("fit") / "train.h5", 256, IN, OUT, J, [2, 1], seed=4))


def test_fit_with_adaptive_weight_learns_and_saves(train_file: Path, tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    heads = {"gata": 2, "ap1": 1}
    names = solo_output_names(list(heads))
    model = _tiny_model(heads)
    solo = solo_losses(list(heads), [1.0, 1.0], [1.0, 5.0])
    model.compile(optimizer=keras.optimizers.Adam(0.03), **solo.compile_kwargs())
    params_before = model.count_params()
    train = make_dataset(train_file, IN, OUT, J, [2, 1], 16, shuffle=True, seed=0, jitter=True, output_names=names)
    val = make_dataset(train_file, IN, OUT, J, [2, 1], 64, shuffle=False, seed=0, jitter=False, output_names=names)
    mean = summarize_counts(train_file, OUT, J, 2).mean_counts
    adaptive = AdaptiveCountsLossWeight([
        AdaptiveHead("gata", solo.counts_losses["gata"], names[0], names[2], frac_target=0.3, mean_counts=mean[0]),
        AdaptiveHead("ap1", solo.counts_losses["ap1"], names[1], names[3], initial_weight=5.0),
    ])
    history = model.fit(train, validation_data=val, epochs=5, verbose=0, callbacks=[adaptive], shuffle=False).history

    assert model.count_params() == params_before  # λ is not a model weight
    for key in ("solo_profile_gata_multinomial_nll", "solo_logcounts_gata_reweightable_mse",
                "val_solo_profile_ap1_multinomial_nll", "val_solo_logcounts_ap1_reweightable_mse"):
        assert len(history[key]) == 5
    lam = adaptive.weights["gata"]
    assert lam[0] == pytest.approx(37 * 0.3 * mean[0]) and adaptive.weights["ap1"] == [5.0] * 5
    raw_counts = [c / w for c, w in zip(history["solo_logcounts_gata_reweightable_mse"], lam)]
    assert raw_counts[-1] < 0.8 * raw_counts[0]  # the counts head learns (here: the mean)
    profile = history["solo_profile_gata_multinomial_nll"]
    assert profile[-1] < profile[0]  # and so does the profile head
    # The compiled step really used each epoch's λ: logged (scaled) loss / λ gives a plausible raw MSE.
    assert all(0 < r < 100 for r in raw_counts)

    path = tmp_path / "solo.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    restored = counts_losses_of(loaded)
    assert set(restored) == {"solo_logcounts_gata", "solo_logcounts_ap1"}
    assert restored["solo_logcounts_gata"].weight == pytest.approx(solo.counts_losses["gata"].weight)
    assert isinstance(loaded.loss["solo_profile_gata"], MultinomialNLL)
    x, y = next(iter(val))
    assert np.allclose(loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-5)


def test_changing_lambda_changes_the_compiled_loss(train_file: Path) -> None:
    keras.utils.set_random_seed(1)
    names = solo_output_names(["h"])
    model = _tiny_model({"h": 2})
    solo = solo_losses(["h"], [1.0], [1.0])
    model.compile(optimizer="adam", **solo.compile_kwargs())
    x, y = next(iter(make_dataset(train_file, IN, OUT, J, [2], 32, False, 0, False, output_names=names)))
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    solo.counts_losses["h"].set_weight(10.0)
    refresh_compiled_steps(model)  # needed on JAX only
    after = model.evaluate(x, y, verbose=0, return_dict=True)
    assert after["solo_logcounts_h_reweightable_mse"] == pytest.approx(10 * before["solo_logcounts_h_reweightable_mse"],
                                                                      rel=1e-5)
    assert after["loss"] - before["loss"] == pytest.approx(9 * before["solo_logcounts_h_reweightable_mse"], rel=1e-4)


_JAX_SCRIPT = r"""
import os, sys
import numpy as np, keras
from specdsl.training.losses import log_gamma, multinomial_nll, solo_losses
from specdsl.training.losses import refresh_compiled_steps
assert keras.backend.backend() == "jax"
z = np.array([0.5, 1.0, 7.5, 1e4], np.float32)
print(np.asarray(log_gamma(z)).tolist())
x = keras.Input((8, 4)); p = keras.layers.Conv1D(2, 1, name="solo_profile_h")(x)
c = keras.layers.Dense(1, name="solo_logcounts_h")(keras.layers.GlobalAveragePooling1D()(x))
m = keras.Model(x, [p, c]); solo = solo_losses(["h"], [1.0], [1.0]); m.compile("adam", **solo.compile_kwargs())
xs = np.random.rand(16, 8, 4).astype("float32")
ys = {"solo_profile_h": np.ones((16, 8, 2), "float32"), "solo_logcounts_h": np.full((16, 1), 3.0, "float32")}
m.fit(xs, ys, epochs=1, verbose=0)
a = m.evaluate(xs, ys, verbose=0, return_dict=True)["solo_logcounts_h_reweightable_mse"]
solo.counts_losses["h"].set_weight(10.0); refresh_compiled_steps(m)
b = m.evaluate(xs, ys, verbose=0, return_dict=True)["solo_logcounts_h_reweightable_mse"]
print(a, b)
assert abs(b / a - 10) < 1e-3
"""


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_losses_and_weight_update_on_jax() -> None:
    env = dict(os.environ, KERAS_BACKEND="jax")
    out = subprocess.run([sys.executable, "-c", _JAX_SCRIPT], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
