"""DeepLIFT's rules as forward computations whose ordinary gradient is the DeepLIFT multiplier.

Every rule gets a *stacked* tensor: rows ``[:P]`` are computed from the explained examples, rows
``[P:]`` from their references (pair i is rows i and P + i).  It returns the stacked output whose
reference half is ``stop_gradient``-ed and whose example half has the true value ``y(x)`` but, to
backprop, the derivative the rule wants (for an elementwise op, the multiplier
``m = Δy/Δx``).  Backpropagation through the whole model then composes the multipliers layer by
layer, which is exactly DeepLIFT's chain rule for multipliers, in ``keras.ops`` only: no gradient
hooks, so it is the same on TensorFlow, JAX and PyTorch.

The value is kept bit-exact with :func:`linearised`: ``sg(y) + (sg(m)·x − sg(m·x))`` adds a
term that is exactly zero (the two products are computed identically) but has gradient ``m``.

Rules
    - :func:`rescale`: any elementwise activation; ``m = (y(x) − y(r)) / (x − r)``, and where
      ``|x − r| ≤ 1e-6`` the derivative at the midpoint (analytic for Keras' activations, else a
      central difference): the secant's limit, off by O(Δ³) only.
    - :func:`softmax`: ``exp`` (rescale) then ``a / Σa``, whose two inputs get their Shapley
      shares, ``m_a = (1/S_x + 1/S_r)/2`` and ``m_S = −(a_x + a_r)/(2 S_x S_r)``; this is shap's
      ``DeepExplainer`` decomposition (BPReveal's copy) and sums to Δy exactly, unlike tangermeme
      1.4's "rescale, then subtract the mean gradient".
    - :func:`product`: ``y = a·b`` of two varying tensors, each input getting the other's mean
      over the pair, ``Δy = Δa·(b_x + b_r)/2 + Δb·(a_x + a_r)/2`` (the two-player Shapley split,
      exact for a product).
    - :func:`layer_norm`: ``(x − μ)·(mean((x − μ)²) + ε)^−½·γ + β`` as linear → square (rescale)
      → mean (linear) → ``1/√`` (rescale) → product → linear: exact, so a layer normalisation no
      longer has to be treated as linear.
    - :func:`max_pool`: DeepLIFT's max rule (captum's and tangermeme's): the output's change
      ``max(x) − max(r)`` is split as ``(M − max r)`` to x's argmax and ``(max x − M)`` to r's
      argmax, ``M = max(max x, max r)``, each divided by that input's own change; exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from keras import ops

#: Below this |x − r| a multiplier is the derivative, not the secant (BPReveal's and tangermeme's 1e-6).
EPSILON = 1e-6

Tensor = Any
Elementwise = Callable[[Tensor], Tensor]

sg = ops.stop_gradient


def linearised(value: Tensor, terms: list[tuple[Tensor, Tensor]]) -> Tensor:
    """``value`` exactly, with gradient ``Σ m`` through each ``(tensor, m)``: ``sg(value) + Σ (sg(m)·t − sg(m·t))``."""
    out = sg(value)
    for tensor, m in terms:
        out = out + (sg(m) * tensor - sg(m * tensor))
    return out


def halves(stacked: Tensor, pairs: int) -> tuple[Tensor, Tensor]:
    return stacked[:pairs], stacked[pairs:]


def _secant(dy: Tensor, dx: Tensor, fallback: Callable[[], Tensor]) -> Tensor:
    big = ops.abs(dx) > EPSILON
    return ops.where(big, dy / ops.where(big, dx, ops.ones_like(dx)), fallback())


def rescale(fn: Elementwise, derivative: Elementwise, pre: Tensor, pairs: int) -> Tensor:
    """DeepLIFT's rescale rule for the elementwise ``fn`` on the stacked pre-activation ``pre``."""
    px, pr = halves(pre, pairs)
    yx, yr = fn(sg(px)), fn(sg(pr))
    m = _secant(yx - yr, sg(px) - sg(pr), lambda: derivative((sg(px) + sg(pr)) / 2))
    return ops.concatenate([linearised(yx, [(px, m)]), sg(yr)], axis=0)


def softmax(pre: Tensor, pairs: int, axis: int = -1) -> Tensor:
    """Softmax over ``axis`` as exp (rescale) → sum (linear) → ``a/S`` (Shapley over a and S): exact."""
    px, pr = halves(pre, pairs)
    shift = sg(ops.maximum(ops.max(px, axis=axis, keepdims=True), ops.max(pr, axis=axis, keepdims=True)))
    stacked = ops.concatenate([px - shift, pr - shift], axis=0)  # the same constant for x and r: Δ unchanged
    exp = rescale(ops.exp, ops.exp, stacked, pairs)
    ax_t, ar = halves(exp, pairs)
    ax = sg(ax_t)
    sx, sr = ops.sum(ax, axis=axis, keepdims=True), ops.sum(ar, axis=axis, keepdims=True)
    s_t = ops.sum(ax_t, axis=axis, keepdims=True)
    m_a = (1 / sx + 1 / sr) / 2
    m_s = -(ax + ar) / (2 * sx * sr)
    out_x = linearised(ax / sx, [(ax_t, m_a), (s_t, m_s)])
    return ops.concatenate([out_x, sg(ar / sr)], axis=0)


def product(a: Tensor, b: Tensor, pairs: int) -> Tensor:
    """``a·b`` (broadcasting) on stacked tensors, Δy split between Δa and Δb by Shapley: exact."""
    ax_t, ar = halves(a, pairs)
    bx_t, br = halves(b, pairs)
    ax, bx, ar, br = sg(ax_t), sg(bx_t), sg(ar), sg(br)
    out_x = linearised(ax * bx, [(ax_t, (bx + br) / 2), (bx_t, (ax + ar) / 2)])
    return ops.concatenate([out_x, ar * br], axis=0)


def layer_norm(pre: Tensor, pairs: int, axes: list[int], epsilon: float, gamma: Tensor | None,
               beta: Tensor | None) -> Tensor:
    """Keras' LayerNormalization (not its rms_scaling variant) over ``axes`` of the stacked input,
    by exact rules; ``gamma``/``beta`` are already shaped to broadcast."""
    centred = pre - ops.mean(pre, axis=axes, keepdims=True)  # linear: each row alone
    squared = rescale(ops.square, lambda v: 2 * v, centred, pairs)
    variance = ops.mean(squared, axis=axes, keepdims=True) + epsilon
    inverse = rescale(ops.rsqrt, lambda v: -0.5 * ops.rsqrt(v) / v, variance, pairs)
    out = product(centred, inverse, pairs)
    if gamma is not None:
        out = out * gamma
    return out if beta is None else out + beta


def _window_indices(length: int, pool: int, stride: int, padding: str) -> tuple[np.ndarray, int]:
    """``(out, pool)`` input positions of each window; ``length`` (a padding slot) outside the input."""
    if padding == "same":
        out = math.ceil(length / stride)
        left = max((out - 1) * stride + pool - length, 0) // 2
    else:
        out, left = (length - pool) // stride + 1, 0
    idx = np.arange(out)[:, None] * stride + np.arange(pool)[None, :] - left
    return np.where((idx >= 0) & (idx < length), idx, length).astype("int32"), out


def _lowest(dtype: str) -> float:
    """A finite filler below every value (−inf would make 0·filler a NaN in the linear term)."""
    try:
        return float(np.finfo(dtype).min)
    except TypeError:  # bfloat16: not a NumPy type
        return -3.0e38


def max_pool(pre: Tensor, pairs: int, pool: int, stride: int, padding: str, keep_axis: bool = True) -> Tensor:
    """DeepLIFT's max rule for 1-D max pooling of ``(2P, L, C)`` channels-last input (``pool = L``,
    ``keep_axis=False``: global max pooling)."""
    length, channels = pre.shape[1], pre.shape[2]
    idx, out = _window_indices(length, pool, stride, padding)
    lowest = _lowest(ops.dtype(pre))
    filler = ops.full((ops.shape(pre)[0], 1, channels), lowest, dtype=pre.dtype)
    padded = ops.concatenate([pre, filler], axis=1)
    windows = ops.reshape(ops.take(padded, idx.reshape(-1), axis=1), (-1, out, pool, channels))
    wx_t, wr = halves(windows, pairs)
    wx, wr = sg(wx_t), sg(wr)
    yx, yr = ops.max(wx, axis=2), ops.max(wr, axis=2)
    top = ops.maximum(yx, yr)
    at_x = ops.moveaxis(ops.one_hot(ops.argmax(wx, axis=2), pool, dtype=pre.dtype), -1, 2)
    at_r = ops.moveaxis(ops.one_hot(ops.argmax(wr, axis=2), pool, dtype=pre.dtype), -1, 2)
    share = ops.expand_dims(top - yr, 2) * at_x + ops.expand_dims(yx - top, 2) * at_r
    coef = _secant(share, wx - wr, lambda: at_x)
    lin_t = ops.sum(sg(coef) * wx_t, axis=2)
    out_x = sg(yx) + (lin_t - sg(ops.sum(coef * wx, axis=2)))
    result = ops.concatenate([out_x, yr], axis=0)
    return result if keep_axis else result[:, 0]


# ---------------------------------------------------------------- activations


def _gelu_derivative(x: Tensor) -> Tensor:
    return 0.5 * (1 + ops.erf(x / math.sqrt(2))) + x * ops.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def step(x: Tensor, below: float | Tensor, above: float = 1.0) -> Tensor:
    return ops.where(x > 0, above * ops.ones_like(x), below * ops.ones_like(x))


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805

#: Analytic derivatives of Keras' activation functions (by ``__name__``), defaults as Keras calls them.
DERIVATIVES: dict[str, Elementwise] = {
    "relu": lambda x: step(x, 0.0),
    "leaky_relu": lambda x: step(x, 0.2),
    "elu": lambda x: step(x, ops.exp(ops.minimum(x, 0))),
    "selu": lambda x: _SELU_SCALE * step(x, _SELU_ALPHA * ops.exp(ops.minimum(x, 0))),
    "sigmoid": lambda x: ops.sigmoid(x) * (1 - ops.sigmoid(x)),
    "tanh": lambda x: 1 - ops.tanh(x) ** 2,
    "softplus": ops.sigmoid,
    "silu": lambda x: ops.sigmoid(x) * (1 + x * (1 - ops.sigmoid(x))),
    "gelu": _gelu_derivative,
    "hard_sigmoid": lambda x: ops.where(ops.abs(x) < 3, ops.ones_like(x) / 6, ops.zeros_like(x)),
    "exponential": ops.exp,
}


def central_difference(fn: Elementwise) -> Elementwise:
    """The derivative of an activation Keras does not name, by a central difference (step ≈ ε^⅓)."""
    def derivative(x: Tensor) -> Tensor:
        h = 5e-3 if ops.dtype(x) in ("float16", "bfloat16", "float32") else 6e-6
        return (fn(x + h) - fn(x - h)) / (2 * h)
    return derivative


def derivative_of(fn: Elementwise) -> tuple[Elementwise, bool]:
    """``(derivative, analytic)`` for an activation function."""
    name = getattr(fn, "__name__", "")
    if name in DERIVATIVES:
        return DERIVATIVES[name], True
    return central_difference(fn), False


__all__ = ["DERIVATIVES", "EPSILON", "central_difference", "derivative_of", "halves", "layer_norm", "linearised",
           "max_pool", "product", "rescale", "softmax", "step"]
