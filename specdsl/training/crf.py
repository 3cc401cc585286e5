"""The CRF's training loss and its per-base metric (the layer is :class:`specdsl.backend.crf.CRF`).

The model's CRF output is (B, T, L + 1): the label scores, then the Viterbi label.  The loss
reads the scores from it and the transitions from the CRF layer, which it finds by name in
the model it is *bound* to (:meth:`CRFNegLogLikelihood.bind`; a training run binds it after
building the model, :func:`specdsl.backend.keras_model.load_model` after loading a checkpoint).
It is the negative log-likelihood of each read's true label path, averaged over the reads of
the batch with Keras's ``sum_over_batch_size`` reduction, which Keras itself scales by
1/replicas under ``tf.distribute``: every read counts once, whatever its length and however
the batch is split.  Targets are (B, T) integer labels, −1 at padding; a position counts
when its label is ≥ 0 and its token is not padding.

Both objects use ``keras.ops`` only and are registered serializable (the loss keeps the
layer's name, never the layer), so checkpoints load with ``safe_mode=True``.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from specdsl.backend.crf import CRF, negative_log_likelihood


def _mask(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """(positions that count, labels as int32): a label ≥ 0 at a position the CRF did not call padding."""
    y = ops.cast(y_true, "float32")
    counted = ops.logical_and(ops.greater_equal(y, 0.0), ops.greater_equal(y_pred[..., -1], 0.0))
    return counted, ops.cast(ops.where(counted, y, ops.zeros_like(y)), "int32")


@keras.saving.register_keras_serializable(package="specdsl")
class CRFNegLogLikelihood(keras.losses.Loss):
    """−log p(y | x) of the CRF named ``layer``, averaged over reads (see the module docstring)."""

    def __init__(self, layer: str, name: str = "crf_nll", reduction: str = "sum_over_batch_size",
                 dtype: str | None = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.layer = layer
        self._crf: CRF | None = None

    def bind(self, model: Any) -> CRFNegLogLikelihood:
        """Read the transitions of ``model``'s CRF layer named ``self.layer`` from now on."""
        layer = model.get_layer(self.layer)
        if not isinstance(layer, CRF):
            raise ValueError(f"layer '{self.layer}' is a {type(layer).__name__}, not a CRF")
        self._crf = layer
        return self

    def call(self, y_true: Any, y_pred: Any) -> Any:
        if self._crf is None:
            raise ValueError(f"the CRF loss of layer '{self.layer}' is not bound to a model: call "
                             "loss.bind(model), or load the model with specdsl.api.load_model")
        crf = self._crf
        y_pred = ops.cast(y_pred, "float32")
        counted, labels = _mask(y_true, y_pred)
        return negative_log_likelihood(y_pred[..., :-1], labels, counted, crf.transitions, crf.start, crf.end)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "layer": self.layer}


@keras.saving.register_keras_serializable(package="specdsl")
class ViterbiAccuracy(keras.metrics.Mean):
    """Per-base accuracy of the Viterbi path (the CRF output's last channel) over unpadded positions."""

    def __init__(self, name: str = "acc", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        y_pred = ops.cast(y_pred, "float32")
        counted, labels = _mask(y_true, y_pred)
        right = ops.cast(ops.equal(ops.cast(ops.round(y_pred[..., -1]), "int32"), labels), "float32")
        weight = ops.cast(counted, "float32")
        if sample_weight is not None:
            weight = weight * ops.reshape(ops.cast(sample_weight, "float32"), (-1, 1))
        return super().update_state(ops.reshape(right, (-1,)), sample_weight=ops.reshape(weight, (-1,)))


__all__ = ["CRFNegLogLikelihood", "ViterbiAccuracy"]
