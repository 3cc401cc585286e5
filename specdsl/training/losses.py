"""BPReveal's losses in ``keras.ops``: joint multinomial NLL for profiles, reweightable MSE for log counts.

Reference ``bpreveal.md`` §3.  Both run on every Keras backend (no TensorFlow Probability, no
``tf.math``), are registered as ``specdsl>…`` serializables, and keep BPReveal's names so the
Keras logs read ``<output>_multinomial_nll`` and ``<output>_reweightable_mse`` as in BPReveal 5.

The counts weight λ
-------------------
BPReveal's adaptive algorithm changes λ between epochs, so λ cannot be a Keras ``loss_weights``
entry (those are Python floats baked into the compiled step).  As in BPReveal, λ lives *inside*
:class:`ReweightableMSE` as a non-trainable ``keras.Variable`` and the counts outputs get
``loss_weights`` 1.0; :class:`~specdsl.training.adaptive.AdaptiveCountsLossWeight` assigns new
values.  On the TensorFlow backend the compiled step reads the variable, so an assignment takes
effect at the next step.  On JAX the jitted step holds the value it saw when traced (the variable
is not part of the trainer's state), so whoever assigns λ must call :func:`refresh_compiled_steps`
(the adaptive callback does, once per epoch at most).  The variable is not a
model weight (it does not change ``count_params`` or the weights file); the current λ is stored in
the loss's config, so a saved ``.keras`` model compiles back with the λ it had when saved.

Several devices
---------------
Both losses mean over the whole batch on every number of devices
(:func:`~specdsl.training.masked.whole_batch_mean`), and are logged as metrics through
:class:`LossMean`, not as bare loss objects: Keras' wrapper for a loss used as a metric averages
each replica's reduced value, which ``tf.distribute`` has already divided by the number of
replicas, so two GPUs would log half the loss (and the adaptive weight would read it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
from keras import ops

from specdsl.formats.bpreveal_h5 import solo_output_names
from specdsl.training.masked import whole_batch_mean

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def log_gamma(z: Any) -> Any:
    """ln Γ(z) for z > 0 in ``keras.ops`` (Keras has no ``lgamma`` op).

    Stirling's series to the z⁻⁷ term, after shifting z < 7 up by 6 with
    ln Γ(z) = ln Γ(z + 6) − ln(z (z+1) … (z+5)); the truncation error is below 1e-10, so float32
    rounding dominates.  Used only on targets (no gradient flows through it).
    """
    z = ops.convert_to_tensor(z)
    small = ops.less(z, 7.0)
    zc = ops.minimum(z, 7.0)  # keeps the (unused) product finite where z is large
    product = zc * (zc + 1.0) * (zc + 2.0) * (zc + 3.0) * (zc + 4.0) * (zc + 5.0)
    shifted = ops.where(small, z + 6.0, z)
    inv = 1.0 / shifted
    inv2 = inv * inv
    series = inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 / 1680.0)))
    stirling = (shifted - 0.5) * ops.log(shifted) - shifted + _HALF_LOG_2PI + series
    return stirling - ops.where(small, ops.log(product), ops.zeros_like(z))


def _flatten_batch(x: Any) -> Any:
    """(B, …) → (B, prod(…)); (B,) → (B, 1)."""
    static = tuple(x.shape)
    if len(static) == 1:
        return ops.expand_dims(x, -1)
    if all(d is not None for d in static[1:]):
        return ops.reshape(x, (-1, math.prod(static[1:])))
    return ops.reshape(x, (ops.shape(x)[0], -1))


def _same_static_shape(y_true: Any, y_pred: Any, what: str) -> None:
    """Fail at trace time with a readable message instead of a reshape error deep in the step."""
    t, p = tuple(y_true.shape), tuple(y_pred.shape)
    if len(t) == len(p) and all(a is None or b is None or a == b for a, b in zip(t[1:], p[1:])):
        return
    raise ValueError(f"{what}: target shape {t} does not match model output shape {p}")


def multinomial_nll(y_true: Any, logits: Any) -> Any:
    """Per-region multinomial negative log-likelihood, shape (B,), BPReveal's ``multinomialNll``.

    One multinomial over all positions × tasks of a head: with x the flattened counts, N = Σx and
    log p = log_softmax(flattened logits),
    ``−[ln Γ(N+1) − Σ ln Γ(x+1) + Σ x·log p]``.  The coefficient terms do not change gradients but
    set the loss magnitude, which the adaptive counts weight compares against the counts loss.
    """
    logits = ops.cast(logits, "float32")
    y_true = ops.cast(y_true, "float32")
    _same_static_shape(y_true, logits, "multinomial NLL")
    counts = _flatten_batch(y_true)
    log_p = ops.log_softmax(_flatten_batch(logits), axis=-1)
    total = ops.sum(counts, axis=-1)
    log_coefficient = log_gamma(total + 1.0) - ops.sum(log_gamma(counts + 1.0), axis=-1)
    return -(log_coefficient + ops.sum(counts * log_p, axis=-1))


def log_counts_mse(y_true: Any, y_pred: Any) -> Any:
    """Per-region squared error of log counts, shape (B,).

    Both sides are brought to (B, k) first, so a (B,) target against a (B, 1) prediction can never
    broadcast to (B, B) — the BPReveal metric bug (reference §3, "shape pitfall").
    """
    y_true = _flatten_batch(ops.cast(y_true, "float32"))
    y_pred = _flatten_batch(ops.cast(y_pred, "float32"))
    _same_static_shape(y_true, y_pred, "log-counts MSE")
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def _replica_scaled(loss: keras.losses.Loss, values: Any) -> Any:
    """Values whose Keras mean reduction is the whole batch's mean on any number of devices."""
    return whole_batch_mean(values) if loss.reduction in ("sum_over_batch_size", "mean") else values


@keras.saving.register_keras_serializable(package="specdsl")
class MultinomialNLL(keras.losses.Loss):
    """Profile loss: :func:`multinomial_nll` on logits (B, L, T), averaged over the batch."""

    def __init__(self, name: str = "multinomial_nll", reduction: str = "sum_over_batch_size",
                 dtype: str | None = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def per_example(self, y_true: Any, y_pred: Any) -> Any:
        """The (B,) values the batch mean is taken of (what :class:`LossMean` logs)."""
        return multinomial_nll(y_true, y_pred)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return _replica_scaled(self, self.per_example(y_true, y_pred))

    def get_config(self) -> dict[str, Any]:
        return super().get_config()


@keras.saving.register_keras_serializable(package="specdsl")
class ReweightableMSE(keras.losses.Loss):
    """Counts loss: λ · MSE of log counts, with λ a variable the adaptive callback can change.

    BPReveal's ``weightedMse(λ)`` (``reweightableMse``).  The logged value is the *scaled* loss
    λ·MSE, as in BPReveal; divide by :attr:`weight` for the raw MSE.
    """

    def __init__(self, weight: float = 1.0, name: str = "reweightable_mse",
                 reduction: str = "sum_over_batch_size", dtype: str | None = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.weight_variable = keras.Variable(float(weight), dtype="float32", trainable=False,
                                              name="counts_loss_weight")

    @property
    def weight(self) -> float:
        """The current λ."""
        return float(self.weight_variable.numpy())  # also a MirroredVariable's (made in a MirroredStrategy scope)

    def set_weight(self, value: float) -> None:
        """Assign a new λ; compiled TensorFlow steps see it at their next call."""
        self.weight_variable.assign(float(value))

    def per_example(self, y_true: Any, y_pred: Any) -> Any:
        """The (B,) values λ·(log-counts error)² the batch mean is taken of."""
        return log_counts_mse(y_true, y_pred) * ops.cast(self.weight_variable, "float32")

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return _replica_scaled(self, self.per_example(y_true, y_pred))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "weight": self.weight}


@keras.saving.register_keras_serializable(package="specdsl")
class LossMean(keras.metrics.Mean):
    """A loss logged as a metric: the mean of its per-example values, named as the loss.

    Holds the loss object itself, so a λ the adaptive callback assigns shows in the log at once.
    It counts examples, as Keras' total ``loss`` does, so one device and several log the same
    value.  (Keras' wrapper for a bare loss object would log each replica's reduced value,
    already divided by the number of replicas under ``tf.distribute``: half the loss on two GPUs.)
    """

    def __init__(self, loss: Any, name: str | None = None, dtype: Any = None) -> None:
        if isinstance(loss, dict):
            loss = keras.saving.deserialize_keras_object(loss)
        super().__init__(name=name or loss.name, dtype=dtype)
        self.wrapped = loss

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        return super().update_state(self.wrapped.per_example(y_true, y_pred), sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "loss": keras.saving.serialize_keras_object(self.wrapped)}


@dataclass
class SoloLosses:
    """Everything ``model.compile`` needs for a BPReveal-style solo model, keyed by output name.

    ``counts_losses`` maps head name → its :class:`ReweightableMSE` (the λ holder the adaptive
    callback updates).  ``metrics`` repeats the losses per output as :class:`LossMean`, as BPReveal
    repeats them, so the logs carry ``<output>_multinomial_nll`` / ``<output>_reweightable_mse`` on
    every Keras 3 version (newer Keras also logs ``<output>_loss`` with the same values).
    """

    loss: dict[str, keras.losses.Loss]
    loss_weights: dict[str, float]
    metrics: dict[str, list[keras.metrics.Metric]]
    counts_losses: dict[str, ReweightableMSE]
    output_names: list[str]

    def compile_kwargs(self) -> dict[str, Any]:
        return {"loss": self.loss, "loss_weights": self.loss_weights, "metrics": self.metrics}


def solo_losses(
    head_names: Sequence[str],
    profile_weights: Sequence[float],
    counts_weights: Sequence[float],
    *,
    output_names: Sequence[str] | None = None,
) -> SoloLosses:
    """Losses, loss weights and metrics for heads in BPReveal's output order.

    ``loss_weights`` are ``profile-loss-weight`` for profiles and 1.0 for counts (λ is inside the
    counts loss, initialised from ``counts_weights``).  ``output_names`` defaults to
    :func:`~specdsl.formats.bpreveal_h5.solo_output_names`.
    """
    heads = list(head_names)
    names = list(output_names) if output_names is not None else solo_output_names(heads)
    if not (len(profile_weights) == len(counts_weights) == len(heads)) or len(names) != 2 * len(heads):
        raise ValueError("need one profile weight, one counts weight and two output names per head")
    losses: dict[str, keras.losses.Loss] = {}
    weights: dict[str, float] = {}
    counts: dict[str, ReweightableMSE] = {}
    for i, head in enumerate(heads):
        profile_out, counts_out = names[i], names[len(heads) + i]
        losses[profile_out] = MultinomialNLL()
        weights[profile_out] = float(profile_weights[i])
        counts[head] = losses[counts_out] = ReweightableMSE(counts_weights[i])
        weights[counts_out] = 1.0
    metrics = {out: [LossMean(loss)] for out, loss in losses.items()}
    return SoloLosses(losses, weights, metrics, counts, names)


def refresh_compiled_steps(model: keras.Model | None) -> None:
    """Make a compiled model pick up new λ values: re-trace its train/test steps on JAX, no-op elsewhere."""
    if model is None or keras.backend.backend() != "jax":
        return
    for make in ("make_train_function", "make_test_function"):
        if hasattr(model, make):
            getattr(model, make)(force=True)


def counts_losses_of(model: keras.Model) -> dict[str, ReweightableMSE]:
    """The :class:`ReweightableMSE` objects of a compiled (or loaded) model, by output name.

    Lets a resumed run find the λ holders of a model loaded from ``.keras``.
    """
    loss = getattr(model, "loss", None)
    if isinstance(loss, dict):
        return {k: v for k, v in loss.items() if isinstance(v, ReweightableMSE)}
    if isinstance(loss, (list, tuple)):
        return {n: v for n, v in zip(model.output_names, loss) if isinstance(v, ReweightableMSE)}
    return {}


__all__ = [
    "LossMean",
    "MultinomialNLL",
    "ReweightableMSE",
    "SoloLosses",
    "counts_losses_of",
    "log_counts_mse",
    "log_gamma",
    "multinomial_nll",
    "refresh_compiled_steps",
    "solo_losses",
]
