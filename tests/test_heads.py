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
