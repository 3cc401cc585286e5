"""Losses and metrics that count observed labels only (a label −1 or NaN is unknown).

Each loss returns per-example terms already divided by the number of observed labels in
the batch and is reduced with ``sum``, so the value is Σ m·c·ℓ / max(1, Σ m): a batch with
few observed labels is not shrunk towards 0 (Keras 3's ``sum_over_batch_size`` divides by
every element), and a batch with none contributes 0.  Metrics pass m as the sample weight.

On several devices Σ m counts the whole batch, not one replica's share
(:func:`replica_sum`): each replica then holds its part of the one batch loss and the
summed gradients equal a single device's, even when replicas see different numbers of
observed labels or a partial last batch splits unevenly.
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


def _replica_context() -> Any:
    """The ``tf.distribute`` replica context of a step on several replicas, else None."""
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    context = tf.distribute.get_replica_context()  # None in cross-replica code (model building)
    return context if context is not None and context.num_replicas_in_sync > 1 else None


def replica_sum(value: Any) -> Any:
    """Σ of a per-replica value over the replicas of a ``tf.distribute`` step; the value elsewhere.

    A loss divided by a count of the whole batch (observed labels, examples) makes the replicas'
    gradients, which the optimizer sums, add up to one device's gradient; dividing by each
    replica's own count would not (and Keras scales only its mean reductions by 1/replicas).
    JAX's DataParallel computes each step on the whole, sharded batch, so there a plain sum
    already counts everything.  Counts come from labels only: no gradient flows through them.
    """
    context = _replica_context()
    if context is None:
        return value
    import tensorflow as tf

    return context.all_reduce(tf.distribute.ReduceOp.SUM, tf.stop_gradient(value))


def whole_batch_mean(values: Any) -> Any:
    """Per-example values rescaled so Keras' ``sum_over_batch_size`` means the whole batch.

    On each replica Keras divides by that replica's examples and by the number of replicas,
    which is the batch mean only when every replica gets as many examples; a partial last
    batch splits unevenly (3 examples on 2 replicas: 2 and 1).  Multiplying by
    rows·replicas / all rows makes the replicas' losses add up to Σ / all rows exactly.
    """
    context = _replica_context()
    if context is None:
        return values
    rows = ops.cast(ops.size(values), "float32")
    return values * (rows * float(context.num_replicas_in_sync) / ops.maximum(1.0, replica_sum(rows)))


def _observed_count(m: Any) -> Any:
    """max(1, Σ m) over the whole batch: the divisor that makes a loss the mean over observed labels."""
    return ops.maximum(1.0, replica_sum(ops.sum(m)))


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
        return m * _class_factor(y, self.class_weights) * bce / _observed_count(m)


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
        return m * _class_factor(y, self.class_weights) * ce / _observed_count(m)


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
        return ops.sum(m * ops.square(diff), axis=-1) / _observed_count(m)


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
           "ObservedAUC", "ObservedSparseAccuracy", "ObservedMAE", "observed", "replica_sum",
           "whole_batch_mean"]
