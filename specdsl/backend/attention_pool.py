"""Additive attention pooling over time, as Capfinder's ``attention_cnn_lstm`` pools its LSTM output.

For a sequence x of T steps and D features: e_t = tanh(x_t·w + b_t), a = softmax(e) over the
T steps, output Σ_t a_t x_t (D features).  w is (D, 1), initialised "normal" like Capfinder's
``AttentionLayer``; b holds one bias per time step, (T, 1), zeros, so the length must be known
(D + T weights).  Written with ``keras.ops`` only (TensorFlow and JAX), registered serializable
so a model with it loads with ``safe_mode=True`` after ``import specdsl``.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="specdsl")
class AttentionPooling(keras.layers.Layer):
    """(batch, T, D) → (batch, D): a softmax over time of tanh(x·w + b) weights the steps."""

    def build(self, input_shape: Any) -> None:
        steps, features = input_shape[-2], input_shape[-1]
        self.w = self.add_weight(name="att_weight", shape=(features, 1), initializer="random_normal")
        self.b = self.add_weight(name="att_bias", shape=(steps, 1), initializer="zeros")

    def call(self, x: Any) -> Any:
        scores = ops.squeeze(ops.tanh(ops.matmul(x, ops.cast(self.w, x.dtype)) + ops.cast(self.b, x.dtype)), -1)
        weights = ops.expand_dims(ops.softmax(scores, axis=-1), -1)
        return ops.sum(x * weights, axis=1)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], input_shape[-1])
