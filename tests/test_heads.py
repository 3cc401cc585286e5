"""Head kinds: each loss against a direct NumPy formula (missing labels included), metrics on observed labels."""

from __future__ import annotations

import numpy as np
import pytest

from specdsl.errors import SpecError
from specdsl.training.heads import all_head_kinds, head_kind, layer_name
from specdsl.training.heads.selection import class_weights, select_targets

keras = pytest.importorskip("keras")

from specdsl.training.masked import (  # noqa: E402
    MaskedBinaryCrossentropy,
    MaskedMSE,
    MaskedSparseCrossentropy,
    ObservedAUC,
    ObservedBinaryAccuracy,
    ObservedMAE,
    ObservedSparseAccuracy,
)

EPS = 1e-7


def value(loss: object, y: np.ndarray, p: np.ndarray) -> float:
    return float(keras.ops.convert_to_numpy(loss(y.astype("float32"), p.astype("float32"))))


def test_registry_has_every_kind_and_refuses_unknown_ones() -> None:
    assert set(all_head_kinds()) >= {"profile", "binary", "multiclass", "regression"}
    with pytest.raises(SpecError) as info:
        head_kind("binray")
    assert info.value.hint == "did you mean 'binary'?"


def test_binary_loss_is_the_mean_over_observed_labels_only() -> None:
    y = np.array([[1], [0], [-1], [np.nan], [1], [0]])
    p = np.array([[0.9], [0.2], [0.5], [0.7], [0.6], [0.4]])
    m = np.array([1, 1, 0, 0, 1, 1], dtype=float)
    yy = np.nan_to_num(np.where(y[:, 0] >= 0, y[:, 0], 0))
    bce = -(yy * np.log(p[:, 0]) + (1 - yy) * np.log(1 - p[:, 0]))
    assert value(MaskedBinaryCrossentropy(), y, p) == pytest.approx((m * bce).sum() / m.sum(), rel=1e-5)
    # class weights c: Σ m·c·BCE / max(1, Σ m) — the denominator counts labels, not weights
    c = np.where(yy > 0.5, 0.7, 0.3)
    got = value(MaskedBinaryCrossentropy(class_weights=(0.3, 0.7)), y, p)
    assert got == pytest.approx((m * c * bce).sum() / m.sum(), rel=1e-5)


def test_a_batch_without_observed_labels_has_loss_zero_not_nan() -> None:
    y = np.full((4, 1), -1.0)
    assert value(MaskedBinaryCrossentropy(), y, np.full((4, 1), 0.3)) == 0.0


def test_keras_default_reduction_would_shrink_the_loss_this_one_does_not() -> None:
    y = np.array([[1], [-1], [-1], [-1]])
    p = np.array([[0.25], [0.5], [0.5], [0.5]])
    assert value(MaskedBinaryCrossentropy(), y, p) == pytest.approx(-np.log(0.25), rel=1e-5)


def test_multiclass_loss_masks_unknown_labels_and_weights_classes() -> None:
    y = np.array([2, 0, -1, 1])
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4], [0.2, 0.6, 0.2]])
    ce = -np.log(p[[0, 1, 3], [2, 0, 1]])
    assert value(MaskedSparseCrossentropy(), y, p) == pytest.approx(ce.mean(), rel=1e-5)
    w = (0.2, 0.3, 0.5)
    got = value(MaskedSparseCrossentropy(class_weights=w), y, p)
    assert got == pytest.approx((np.array([0.5, 0.2, 0.3]) * ce).sum() / 3, rel=1e-5)


def test_regression_loss_is_mse_over_non_nan_targets() -> None:
    y = np.array([[1.0, np.nan], [2.0, 3.0]])
    p = np.array([[1.5, 9.0], [1.0, 3.5]])
    assert value(MaskedMSE(), y, p) == pytest.approx((0.25 + 1.0 + 0.25) / 3, rel=1e-6)


def test_metrics_count_observed_labels_only() -> None:
    from sklearn.metrics import roc_auc_score

    y = np.array([1, 0, -1, 1, 0, np.nan, 1, 0], dtype=float)[:, None]
    p = np.array([0.8, 0.3, 0.99, 0.4, 0.6, 0.01, 0.7, 0.1])[:, None]
    seen = (y[:, 0] >= 0)
    acc = ObservedBinaryAccuracy()
    acc.update_state(y, p)
    expected = ((p[seen, 0] > 0.5) == (y[seen, 0] == 1)).mean()
    assert float(acc.result()) == pytest.approx(expected)
    auc = ObservedAUC(num_thresholds=2000)
    auc.update_state(y, p)
    assert float(auc.result()) == pytest.approx(roc_auc_score(y[seen, 0], p[seen, 0]), abs=1e-3)
    sparse = ObservedSparseAccuracy()
    sparse.update_state(np.array([[1], [-1], [0]]), np.array([[0.2, 0.8], [0.9, 0.1], [0.4, 0.6]]))
    assert float(sparse.result()) == pytest.approx(0.5)


def test_losses_round_trip_through_keras_serialization() -> None:
    loss = MaskedBinaryCrossentropy(class_weights=(0.25, 0.75))
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(again, MaskedBinaryCrossentropy) and again.class_weights == [0.25, 0.75]


def test_class_weights_are_deepcpgs_normalised_inverse_frequencies() -> None:
    labels = np.array([0, 0, 0, 1, -1, np.nan])
    w0, w1 = class_weights(labels, 2)
    assert (w0 + w1) == pytest.approx(1.0) and w1 / w0 == pytest.approx(3.0, rel=1e-5)


def test_targets_are_chosen_by_regex_from_the_start_in_reader_order() -> None:
    available = ["cpg/a", "cpg/b", "bulk/x", "cpg/c"]
    assert select_targets(["cpg/.*"], available, limit=None, head="cpg", path="heads[0]") == ["cpg/a", "cpg/b",
                                                                                             "cpg/c"]
    assert select_targets(["cpg/.*"], available, limit=2, head="cpg", path="x") == ["cpg/a", "cpg/b"]
    with pytest.raises(SpecError) as info:
        select_targets(["cgp/.*"], available, limit=None, head="cpg", path="--output_names")
    assert info.value.path == "--output_names" and "cpg/a" in info.value.expected


def test_output_names_become_keras_safe_layer_names() -> None:
    assert layer_name("cpg/BS27_4_SER") == "cpg_BS27_4_SER"
    assert layer_name("a b(c)") == "a_b_c_"


def test_regression_shapes_wider_than_one_and_flat_targets() -> None:
    y = np.array([[1.0, np.nan], [2.0, 3.0]])
    p = np.array([[1.5, 9.0], [1.0, 3.5]])
    mae = ObservedMAE()
    mae.update_state(y, p)
    assert float(mae.result()) == pytest.approx((0.5 + 1.0 + 0.5) / 3)
    flat = value(MaskedMSE(), np.array([1.0, 2.0]), np.array([[1.0], [2.0]]))
    assert flat == pytest.approx(0.0)  # (B,) against (B, 1) is not broadcast to (B, B)


def test_compiled_losses_sum_with_loss_weights_as_the_formula_says() -> None:
    inp = keras.Input((3,))
    a = keras.layers.Dense(1, activation="sigmoid", name="a")(inp)
    b = keras.layers.Dense(1, activation="sigmoid", name="b")(inp)
    model = keras.Model(inp, [a, b])
    model.compile(loss={"a": MaskedBinaryCrossentropy(), "b": MaskedBinaryCrossentropy(class_weights=(0.4, 0.6))},
                  loss_weights={"a": 2.0, "b": 1.0})
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    ya = rng.integers(-1, 2, size=(16, 1)).astype("float32")
    yb = rng.integers(-1, 2, size=(16, 1)).astype("float32")
    pa, pb = (np.asarray(v, dtype=np.float64) for v in model.predict(x, verbose=0))

    def formula(y: np.ndarray, p: np.ndarray, c: tuple[float, float] = (1.0, 1.0)) -> float:
        m = (y >= 0).astype(float)
        yy = np.where(m > 0, y, 0)
        bce = -(yy * np.log(p) + (1 - yy) * np.log(1 - p))
        return float((m * np.where(yy > 0.5, c[1], c[0]) * bce).sum() / max(1.0, m.sum()))

    got = model.evaluate(x, {"a": ya, "b": yb}, batch_size=16, verbose=0)
    total = got[0] if isinstance(got, list) else got
    assert total == pytest.approx(2 * formula(ya, pa) + formula(yb, pb, (0.4, 0.6)), rel=1e-4)


_REPLICAS = """
import os, sys
import tensorflow as tf
tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                           [tf.config.LogicalDeviceConfiguration()] * 2)
import numpy as np, keras
from specdsl.training.masked import MaskedBinaryCrossentropy
x = np.linspace(-1, 1, 48 * 3).reshape(48, 3).astype("float32")
y = (np.arange(48) % 3 - 1).reshape(48, 1).astype("float32")  # -1 (unknown), 0, 1: as many observed per replica
def loss(strategy):
    with strategy.scope():
        keras.utils.set_random_seed(1)
        inp = keras.Input((3,)); out = keras.layers.Dense(1, activation="sigmoid", name="o")(inp)
        model = keras.Model(inp, out)
        model.compile(loss=MaskedBinaryCrossentropy(), optimizer="sgd")
    return model.evaluate(x, y, batch_size=48, verbose=0)
one = loss(tf.distribute.OneDeviceStrategy("/cpu:0"))
two = loss(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
print(one, two)
sys.exit(0 if abs(one - two) < 1e-4 * max(1.0, abs(one)) else 1)
"""


@pytest.mark.slow
def test_the_masked_loss_is_not_multiplied_by_the_number_of_replicas() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _REPLICAS], capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
