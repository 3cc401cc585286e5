"""A linear-chain conditional random field for Keras 3, written with ``keras.ops`` only.

It runs unchanged on the TensorFlow and the JAX backends.  Conventions, for a batch of B
reads of (padded) length T over L labels:

* ``potentials`` (B, T, L): the per-position label scores u_t (the logits of a Dense layer);
* ``mask`` (B, T): True at a read's positions, False at its right padding.  A position after
  the first padded one counts as padding too (the mask is made a prefix), so a read is always
  positions 0 … n−1;
* ``transitions`` A (L, L) (from, to), ``start`` s (L,) and ``end`` e (L,).

The score of a label path y of a read of n ≥ 1 positions is

    S(y) = s[y_0] + Σ_{t<n} u_t[y_t] + Σ_{1≤t<n} A[y_{t−1}, y_t] + e[y_{n−1}],

log Z = log Σ_y exp S(y) is computed by the forward algorithm in log space (one
``keras.ops.scan`` over the positions), and the negative log-likelihood of the true path is
log Z − S(y).  An empty read (n = 0) has log Z = S = 0.  The Viterbi path maximises S; it is
found by a max-product scan with back-pointers and a reverse scan that follows them, and is
−1 at padding.  Everything is computed in float32, whatever the inputs' dtype (mixed
precision).

:class:`CRF` is the Keras layer: it owns A, s and e (L² + 2L weights), reads the label scores
and, as a second input, the integer tokens whose 0s mark padding (convolutions drop Keras
masks, so the mask comes from the tokens themselves).  Its output is (B, T, L + 1): the L
label scores as float32, then the Viterbi label of each position (−1 at padding).  The
training loss (:class:`specdsl.training.crf.CRFNegLogLikelihood`) reads the scores from the
output and the transitions from the layer; metrics and :func:`decode` read the Viterbi
channel, so decoding needs nothing but the model's output.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

FLOAT = "float32"


def prefix_mask(mask: Any, like: Any) -> Any:
    """(B, T) bool: True up to (not including) the first False of ``mask``; all True for None."""
    if mask is None:
        return ops.ones(ops.shape(like)[:2], dtype="bool")
    ones = ops.cast(ops.cast(mask, "bool"), "int32")
    return ops.cast(ops.cumprod(ones, axis=1), "bool")


def _time_major(potentials: Any, mask: Any) -> Any:
    """What a scan over the positions reads, (T, B, L + 2): the scores, the mask, 'first position'.

    One tensor, not three: Keras' TensorFlow ``scan`` fails on several inputs whose length is
    only known at run time."""
    u = ops.transpose(potentials, (1, 0, 2))
    m = ops.expand_dims(ops.transpose(ops.cast(mask, FLOAT), (1, 0)), -1)
    first = ops.cast(ops.equal(ops.arange(ops.shape(u)[0]), 0), FLOAT)
    first = ops.zeros_like(m) + ops.reshape(first, (-1, 1, 1))
    return ops.concatenate([u, m, first], axis=-1)


def _unpack(x: Any) -> tuple[Any, Any, Any]:
    """One position of :func:`_time_major`: scores (B, L), mask (B, 1), first (B, 1)."""
    return x[:, :-2], ops.greater(x[:, -2:-1], 0.5), ops.greater(x[:, -1:], 0.5)


def _weights(transitions: Any, start: Any, end: Any) -> tuple[Any, Any, Any]:
    return (ops.cast(ops.convert_to_tensor(transitions), FLOAT), ops.cast(ops.convert_to_tensor(start), FLOAT),
            ops.cast(ops.convert_to_tensor(end), FLOAT))


def log_partition(potentials: Any, mask: Any, transitions: Any, start: Any, end: Any) -> Any:
    """log Z per read, (B,): the forward algorithm in log space, one scan over the positions."""
    u = ops.cast(potentials, FLOAT)
    m = prefix_mask(mask, u)
    a, s, e = _weights(transitions, start, end)
    xs = _time_major(u, m)
    pairs = ops.expand_dims(a, 0)  # (1, from, to)

    def step(alpha: Any, x: Any) -> tuple[Any, Any]:
        u_i, m_i, first_i = _unpack(x)
        moved = ops.logsumexp(ops.expand_dims(alpha, -1) + pairs, axis=1) + u_i
        alpha = ops.where(m_i, ops.where(first_i, s + u_i, moved), alpha)
        return alpha, alpha

    alpha, _ = ops.scan(step, ops.zeros_like(u[:, 0]), xs)
    return ops.where(m[:, 0], ops.logsumexp(alpha + e, axis=-1), ops.zeros_like(alpha[:, 0]))


def sequence_score(potentials: Any, labels: Any, mask: Any, transitions: Any, start: Any, end: Any) -> Any:
    """S(y) per read, (B,), for integer labels (B, T); labels at padding are ignored."""
    u = ops.cast(potentials, FLOAT)
    m = prefix_mask(mask, u)
    a, s, e = _weights(transitions, start, end)
    n_labels = ops.shape(u)[-1]
    y = ops.where(m, ops.cast(labels, "int32"), ops.zeros_like(ops.cast(labels, "int32")))
    mf = ops.cast(m, FLOAT)
    unary = ops.sum(ops.sum(u * ops.one_hot(y, n_labels, dtype=FLOAT), axis=-1) * mf, axis=1)
    flat = ops.reshape(a, (-1,))
    pair_index = y[:, :-1] * n_labels + y[:, 1:]
    pairwise = ops.sum(ops.take(flat, pair_index) * mf[:, 1:], axis=1)
    length = ops.sum(ops.cast(m, "int32"), axis=1)
    last = ops.take_along_axis(y, ops.expand_dims(ops.maximum(length - 1, 0), -1), axis=1)[:, 0]
    ends = (ops.take(s, y[:, 0]) + ops.take(e, last)) * mf[:, 0]
    return unary + pairwise + ends


def negative_log_likelihood(potentials: Any, labels: Any, mask: Any, transitions: Any, start: Any,
                            end: Any) -> Any:
    """log Z − S(y) per read, (B,); 0 for an empty read."""
    return (log_partition(potentials, mask, transitions, start, end)
            - sequence_score(potentials, labels, mask, transitions, start, end))


def viterbi(potentials: Any, mask: Any, transitions: Any, start: Any, end: Any) -> Any:
    """The best label path per read, (B, T) int32, −1 at padding.

    A max-product scan keeps, per position and label, the best score of a path ending there
    and its back-pointer (the previous label); a reverse scan follows the back-pointers from
    the best last label.  At padding the scores are carried and the back-pointers are the
    identity, so the reverse scan walks through the padding unchanged.
    """
    u = ops.cast(potentials, FLOAT)
    m = prefix_mask(mask, u)
    a, s, e = _weights(transitions, start, end)
    xs = _time_major(u, m)
    pairs = ops.expand_dims(a, 0)
    identity = ops.zeros_like(u[:, 0], dtype="int32") + ops.arange(ops.shape(u)[-1], dtype="int32")

    def forward(carry: Any, x: Any) -> tuple[Any, Any]:
        delta, _ = carry
        u_i, m_i, first_i = _unpack(x)
        scores = ops.expand_dims(delta, -1) + pairs  # (B, from, to)
        moved = ops.max(scores, axis=1) + u_i
        pointer = ops.cast(ops.argmax(scores, axis=1), "int32")
        delta = ops.where(m_i, ops.where(first_i, s + u_i, moved), delta)
        pointer = ops.where(ops.logical_and(m_i, ops.logical_not(first_i)), pointer, identity)
        return (delta, pointer), (delta, pointer)

    (delta, _), (_, pointers) = ops.scan(forward, (ops.zeros_like(u[:, 0]), identity), xs)
    best_last = ops.cast(ops.argmax(delta + e, axis=-1), "int32")

    def backward(carry: Any, pointer: Any) -> tuple[Any, Any]:
        label_next, pointer_next = carry  # the label at t+1 and its back-pointers
        label = ops.take_along_axis(pointer_next, ops.expand_dims(label_next, -1), axis=1)[:, 0]
        return (label, pointer), (label, pointer)

    _, (path, _) = ops.scan(backward, (best_last, identity), pointers, reverse=True)
    path = ops.transpose(path, (1, 0))
    return ops.where(m, path, ops.full_like(path, -1))


@keras.saving.register_keras_serializable(package="specdsl")
class CRF(keras.layers.Layer):
    """Linear-chain CRF over the label scores of every position (see the module docstring).

    Called on ``scores`` (B, T, L), or on ``[scores, tokens]`` where ``tokens`` (B, T) are the
    model's integer inputs and 0 is padding.  Returns (B, T, L + 1): the scores in float32 and
    the Viterbi label of each position (−1 at padding) as the last channel.  Weights:
    ``transitions`` (L, L), ``start`` (L,), ``end`` (L,); always float32.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["dtype"] = FLOAT  # computed in float32 under mixed precision, weights included
        super().__init__(**kwargs)
        self.num_labels: int | None = None

    def build(self, input_shape: Any) -> None:
        scores = input_shape[0] if isinstance(input_shape[0], (list, tuple)) else input_shape
        labels = int(scores[-1])
        self.num_labels = labels
        self.transitions = self.add_weight(name="transitions", shape=(labels, labels),
                                           initializer="orthogonal" if labels > 1 else "zeros")
        self.start = self.add_weight(name="start", shape=(labels,), initializer="zeros")
        self.end = self.add_weight(name="end", shape=(labels,), initializer="zeros")

    @staticmethod
    def _split(inputs: Any) -> tuple[Any, Any]:
        if isinstance(inputs, (list, tuple)):
            scores, tokens = inputs
            return scores, ops.not_equal(tokens, 0)
        return inputs, None

    def call(self, inputs: Any) -> Any:
        scores, mask = self._split(inputs)
        scores = ops.cast(scores, FLOAT)
        path = ops.stop_gradient(self.decode(scores, mask))
        return ops.concatenate([scores, ops.expand_dims(ops.cast(path, FLOAT), -1)], axis=-1)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        scores = input_shape[0] if isinstance(input_shape[0], (list, tuple)) else input_shape
        return (*scores[:-1], None if scores[-1] is None else scores[-1] + 1)

    # The CRF's computations with this layer's weights, for the loss, tests and users.
    def decode(self, scores: Any, mask: Any = None) -> Any:
        return viterbi(scores, mask, self.transitions, self.start, self.end)

    def log_partition(self, scores: Any, mask: Any = None) -> Any:
        return log_partition(scores, mask, self.transitions, self.start, self.end)

    def negative_log_likelihood(self, scores: Any, labels: Any, mask: Any = None) -> Any:
        return negative_log_likelihood(scores, labels, mask, self.transitions, self.start, self.end)


def crf_layers(model: Any) -> list[CRF]:
    """The CRF layers of a model, in order (a nested model's included)."""
    found: list[CRF] = []
    for layer in model.layers:
        if isinstance(layer, CRF):
            found.append(layer)
        elif hasattr(layer, "layers"):
            found += crf_layers(layer)
    return found


def decode(model: Any, inputs: Any, batch_size: int = 32) -> Any:
    """Viterbi label paths, (N, T) int32 with −1 at padding, of a model whose output is a CRF's.

    ``inputs`` is what ``model.predict`` takes (the token array, or a dict of inputs).  For a
    model with several outputs, the paths of every CRF output come back as a list.
    """
    import numpy as np

    out = model.predict(inputs, batch_size=batch_size, verbose=0)
    outs = out if isinstance(out, (list, tuple)) else [out]
    names = list(model.output_names)
    crf_names = {layer.name for layer in crf_layers(model)}
    paths = [np.rint(np.asarray(o)[..., -1]).astype("int32") for name, o in zip(names, outs) if name in crf_names]
    if not paths:
        raise ValueError("the model has no CRF output to decode")
    return paths[0] if len(paths) == 1 else paths


__all__ = ["CRF", "crf_layers", "decode", "log_partition", "negative_log_likelihood", "prefix_mask",
           "sequence_score", "viterbi"]
