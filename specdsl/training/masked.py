"""Losses and metrics that count observed labels only (a label −1 or NaN is unknown).

Each loss returns per-example terms already divided by the number of observed labels in
the batch and is reduced with ``sum``, so the value is Σ m·c·ℓ / max(1, Σ m): a batch with
few observed labels is not shrunk towards 0 (Keras 3's ``sum_over_batch_size`` divides by
every element), and a batch with none contributes 0.  Metrics pass m as the sample weight.
All use ``keras.ops`` only, so they run on TensorFlow and JAX, and are registered
serializable so a trained model loads with ``safe_mode=True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

EPSILON = 1e-7


def observed(y_true: Any) -> tuple[Any, Any]:
    """(mask m as float32, labels with unknown ones replaced by 0).  NaN ≥ 0 is false, so NaN is unknown."""
    y = ops.cast(y_true, "float32")
    known = ops.greater_equal(y, 0.0)
    return ops.cast(known, "float32"), ops.where(known, y, ops.zeros_like(y))


def per_replica(value: Any) -> Any:
    """Scale a summed loss for the replicas whose gradients are summed (Keras does this only for the
    mean reductions): under ``tf.distribute`` with N replicas each computes its share, 1/N."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            return value / float(replicas)
    return value


def _flat(x: Any) -> Any:
    """(B, …) → (B, k): one row per example, whatever the target's shape."""
    return ops.reshape(ops.cast(x, "float32"), (ops.shape(x)[0], -1))


def _class_factor(y: Any, weights: Sequence[float] | None) -> Any:
    if not weights:
        return ops.ones_like(y)
    table = ops.convert_to_tensor([float(w) for w in weights], dtype="float32")
    return ops.take(table, ops.cast(ops.clip(ops.round(y), 0, len(weights) - 1), "int32"))


class _MaskedLoss(keras.losses.Loss):
    def __init__(self, class_weights: Sequence[float] | None = None, name: str = "", reduction: str = "sum",
                 dtype: str | None = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.class_weights = None if class_weights is None else [float(w) for w in class_weights]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "class_weights": self.class_weights}


@keras.saving.register_keras_serializable(package="specdsl")
class MaskedBinaryCrossentropy(_MaskedLoss):
    """Σ m·c·BCE / max(1, Σ m) for sigmoid probabilities, labels 0/1 (soft labels allowed)."""

    def __init__(self, class_weights: Sequence[float] | None = None, name: str = "masked_bce", **kw: Any) -> None:
        super().__init__(class_weights, name=name, **kw)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        m, y = observed(ops.reshape(y_true, (-1,)))
        p = ops.clip(ops.cast(ops.reshape(y_pred, (-1,)), "float32"), EPSILON, 1.0 - EPSILON)
        bce = -(y * ops.log(p) + (1.0 - y) * ops.log(1.0 - p))
        return per_replica(m * _class_factor(y, self.class_weights) * bce / ops.maximum(1.0, ops.sum(m)))


@keras.saving.register_keras_serializable(package="specdsl")
class MaskedSparseCrossentropy(_MaskedLoss):
    """Σ m·c·CE / max(1, Σ m) for softmax probabilities (B, K) and integer labels (B,) or (B, 1)."""

    def __init__(self, class_weights: Sequence[float] | None = None, name: str = "masked_ce", **kw: Any) -> None:
        super().__init__(class_weights, name=name, **kw)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        m, y = observed(ops.reshape(y_true, (-1,)))
        k = ops.shape(y_pred)[-1]
        p = ops.clip(ops.cast(ops.reshape(y_pred, (-1, k)), "float32"), EPSILON, 1.0)
        ce = -ops.sum(ops.one_hot(ops.cast(y, "int32"), k) * ops.log(p), axis=-1)
        return per_replica(m * _class_factor(y, self.class_weights) * ce / ops.maximum(1.0, ops.sum(m)))


@keras.saving.register_keras_serializable(package="specdsl")
class MaskedMSE(_MaskedLoss):
    """Mean squared error over the observed (non-NaN) target values of the batch."""

    def __init__(self, name: str = "masked_mse", **kw: Any) -> None:
        kw.pop("class_weights", None)
        super().__init__(None, name=name, **kw)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y, p = _flat(y_true), _flat(y_pred)
        m = ops.cast(ops.logical_not(ops.isnan(y)), "float32")
        diff = ops.where(m > 0, y - p, ops.zeros_like(y))
        return per_replica(ops.sum(m * ops.square(diff), axis=-1) / ops.maximum(1.0, ops.sum(m)))


class _Observed:
    """Mixin: unknown labels get sample weight 0 (and a harmless placeholder value)."""

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        m, y = observed(y_true)
        if sample_weight is not None:
            m = m * ops.reshape(ops.cast(sample_weight, "float32"), ops.shape(m))
        return super().update_state(y, y_pred, sample_weight=m)  # type: ignore[misc]


@keras.saving.register_keras_serializable(package="specdsl")
class ObservedBinaryAccuracy(_Observed, keras.metrics.BinaryAccuracy):
    """Accuracy of 0/1 calls at 0.5 over observed labels (DeepCpG's ``acc``)."""


@keras.saving.register_keras_serializable(package="specdsl")
class ObservedAUC(_Observed, keras.metrics.AUC):
    """ROC AUC over observed labels."""


@keras.saving.register_keras_serializable(package="specdsl")
class ObservedSparseAccuracy(_Observed, keras.metrics.SparseCategoricalAccuracy):
    """Accuracy of the arg-max class over observed labels."""

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        y_true = ops.reshape(y_true, (-1,))
        return super().update_state(y_true, ops.reshape(y_pred, (ops.shape(y_true)[0], -1)), sample_weight)


@keras.saving.register_keras_serializable(package="specdsl")
class ObservedMAE(keras.metrics.Mean):
    """Mean absolute error over observed (non-NaN) target values, whatever the target's shape."""

    def __init__(self, name: str = "mae", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        y, p = _flat(y_true), _flat(y_pred)
        m = ops.cast(ops.logical_not(ops.isnan(y)), "float32")
        error = ops.abs(ops.where(m > 0, y - p, ops.zeros_like(y)))
        return super().update_state(ops.reshape(error, (-1,)), sample_weight=ops.reshape(m, (-1,)))


__all__ = ["MaskedBinaryCrossentropy", "MaskedSparseCrossentropy", "MaskedMSE", "ObservedBinaryAccuracy",
           "ObservedAUC", "ObservedSparseAccuracy", "ObservedMAE", "observed"]
