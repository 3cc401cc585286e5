"""Primitive layers: the Keras layer types every kind lowers to.

Each primitive knows, in pure Python, its output shape, its exact parameter count
(trainable, non-trainable) as Keras 3 counts it, its multiply-accumulates, and how
to make the Keras layer.  Keras is imported only inside ``make``; nothing here may
import it at module level (``params`` and ``check`` must stay fast).

Shapes exclude the batch axis; ``None`` is a length not known until run time.
MAC convention: one multiply-accumulate per weight use (a fused multiply-add is one
MAC, FLOPs ≈ 2 × MACs); activations, pooling, normalisation and additions count 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Shape = tuple[int | None, ...]


class ShapeProblem(Exception):
    """Raised by a shape rule; the caller turns it into a positioned SpecError.

    ``too_short`` marks an input with too few positions (so the hint can say how to fix it).
    """

    def __init__(self, message: str, *, too_short: bool = False) -> None:
        super().__init__(message)
        self.too_short = too_short


def _prod(dims: Shape) -> int | None:
    out = 1
    for d in dims:
        if d is None:
            return None
        out *= d
    return out


def _times(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a * b


@dataclass(frozen=True)
class Primitive:
    name: str
    keras_class: str
    shape: Callable[[list[Shape], dict], Shape]
    params: Callable[[list[Shape], dict], tuple[int, int]] = lambda s, c: (0, 0)
    macs: Callable[[list[Shape], Shape, dict], int | None] = lambda s, o, c: 0
    # The shortest input length that gives an output of length n (for the length axis, axis 0);
    # the identity for layers that keep the length.  specdsl.lengths walks the graph backwards with it.
    min_length: Callable[[int, dict], int] = lambda n, c: n
    make: Callable[[Any, dict, str], Any] | None = None  # (keras, cfg, name) -> layer
    call: Callable[[Any, list], Any] | None = None  # (layer, inputs) -> tensor


PRIMITIVES: dict[str, Primitive] = {}


def primitive(p: Primitive) -> Primitive:
    PRIMITIVES[p.name] = p
    return p


def _need_rank(shape: Shape, ranks: tuple[int, ...], what: str) -> None:
    if len(shape) not in ranks:
        want = " or ".join(
            {1: "a vector (features)", 2: "a sequence (length × channels)"}.get(r, f"rank {r}") for r in ranks
        )
        raise ShapeProblem(f"{what} needs {want}, but its input is {format_shape(shape)}")


def _need_features(shape: Shape, what: str) -> None:
    """A layer with weights must know its input's feature count (a flattened ? length is unknown)."""
    if shape and shape[-1] is None:
        raise ShapeProblem(f"{what} needs a known number of input features, but its input is {format_shape(shape)}; "
                           "give the input a fixed length")


def format_shape(shape: Shape) -> str:
    if not shape:
        return "a scalar"
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


_KERAS_ACTIVATIONS = {"exp": "exponential"}


def _keras_act(name: str | None) -> str | None:
    if name in (None, "linear"):
        return None
    return _KERAS_ACTIVATIONS.get(name, name.replace("-", "_"))


def _regularizer(keras: Any, cfg: dict) -> Any:
    l1, l2 = cfg.get("l1", 0.0) or 0.0, cfg.get("l2", 0.0) or 0.0
    return keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None


def conv_length(length: int | None, kernel: int, stride: int, dilation: int, padding: str) -> int | None:
    if length is None:
        return None
    if padding in ("same", "causal"):
        return math.ceil(length / stride)
    span = dilation * (kernel - 1) + 1
    if length < span:
        raise ShapeProblem(
            f"needs at least {span} positions (kernel {kernel}"
            + (f", dilation {dilation}" if dilation > 1 else "")
            + f") but its input has {length}", too_short=True
        )
    return (length - span) // stride + 1


def pool_length(length: int | None, pool: int, stride: int, padding: str) -> int | None:
    if length is None:
        return None
    if padding == "same":
        return math.ceil(length / stride)
    if length < pool:
        raise ShapeProblem(f"pools {pool} positions but its input has only {length}", too_short=True)
    return (length - pool) // stride + 1


# ---------------------------------------------------------------- convolution & dense


def _conv_shape(s: list[Shape], c: dict) -> Shape:
    _need_rank(s[0], (2,), "a 1-D convolution")
    _need_features(s[0], "a 1-D convolution")
    if c["stride"] > 1 and c["dilation"] > 1:
        raise ShapeProblem("cannot combine a stride above 1 with a dilation above 1 (Keras does not support it)")
    return (conv_length(s[0][0], c["kernel"], c["stride"], c["dilation"], c["padding"]), c["filters"])


def _conv_make(keras: Any, c: dict, name: str) -> Any:
    return keras.layers.Conv1D(
        c["filters"], c["kernel"], strides=c["stride"], dilation_rate=c["dilation"], padding=c["padding"],
        activation=_keras_act(c.get("activation")), use_bias=c.get("bias", True),
        kernel_regularizer=_regularizer(keras, c), name=name,
    )


def _conv_min_length(n: int, c: dict) -> int:
    if c["padding"] in ("same", "causal"):
        return (n - 1) * c["stride"] + 1
    return (n - 1) * c["stride"] + c["dilation"] * (c["kernel"] - 1) + 1


def _pool_min_length(n: int, c: dict) -> int:
    return (n - 1) * c["stride"] + (1 if c["padding"] == "same" else c["pool"])


primitive(Primitive(
    "conv1d", "Conv1D", _conv_shape, min_length=_conv_min_length,
    params=lambda s, c: (c["kernel"] * s[0][1] * c["filters"] + (c["filters"] if c.get("bias", True) else 0), 0),
    macs=lambda s, o, c: _times(o[0], c["kernel"] * s[0][1] * c["filters"]),
    make=_conv_make,
))


def _dense_shape(s: list[Shape], c: dict) -> Shape:
    if not s[0]:
        raise ShapeProblem("a dense layer needs at least a vector input")
    _need_features(s[0], "a dense layer")
    return (*s[0][:-1], c["units"])


primitive(Primitive(
    "dense", "Dense", _dense_shape,
    params=lambda s, c: (s[0][-1] * c["units"] + (c["units"] if c.get("bias", True) else 0), 0),
    macs=lambda s, o, c: _times(_prod(s[0][:-1]), s[0][-1] * c["units"]),
    make=lambda keras, c, name: keras.layers.Dense(
        c["units"], activation=_keras_act(c.get("activation")), use_bias=c.get("bias", True),
        kernel_regularizer=_regularizer(keras, c), name=name,
    ),
))

primitive(Primitive(
    "embedding", "Embedding",
    lambda s, c: (_need_rank(s[0], (1,), "an embedding") or (*s[0], c["dim"])),
    params=lambda s, c: (c["vocab"] * c["dim"], 0),
    make=lambda keras, c, name: keras.layers.Embedding(c["vocab"], c["dim"], mask_zero=c.get("mask", False), name=name),
))

# ---------------------------------------------------------------- shape-only layers

primitive(Primitive(
    "activation", "Activation", lambda s, c: s[0],
    make=lambda keras, c, name: keras.layers.Activation(_keras_act(c["fn"]) or "linear", name=name),
))
primitive(Primitive(
    "dropout", "Dropout", lambda s, c: s[0],
    make=lambda keras, c, name: keras.layers.Dropout(c["rate"], name=name),
))
primitive(Primitive(
    "flatten", "Flatten",
    lambda s, c: (_prod(s[0]),) if len(s[0]) != 1 else s[0],
    make=lambda keras, c, name: keras.layers.Flatten(name=name),
))


def _pool_shape(s: list[Shape], c: dict) -> Shape:
    _need_rank(s[0], (2,), "pooling")
    return (pool_length(s[0][0], c["pool"], c["stride"], c["padding"]), s[0][1])


primitive(Primitive(
    "maxpool1d", "MaxPooling1D", _pool_shape, min_length=_pool_min_length,
    make=lambda keras, c, name: keras.layers.MaxPooling1D(
        c["pool"], strides=c["stride"], padding=c["padding"], name=name),
))
primitive(Primitive(
    "avgpool1d", "AveragePooling1D", _pool_shape, min_length=_pool_min_length,
    make=lambda keras, c, name: keras.layers.AveragePooling1D(
        c["pool"], strides=c["stride"], padding=c["padding"], name=name),
))


def _global_shape(s: list[Shape], c: dict) -> Shape:
    _need_rank(s[0], (2,), "global pooling")
    return (s[0][1],)


primitive(Primitive(
    "gap1d", "GlobalAveragePooling1D", _global_shape,
    make=lambda keras, c, name: keras.layers.GlobalAveragePooling1D(name=name),
))
primitive(Primitive(
    "gmp1d", "GlobalMaxPooling1D", _global_shape,
    make=lambda keras, c, name: keras.layers.GlobalMaxPooling1D(name=name),
))


def _crop_shape(s: list[Shape], c: dict) -> Shape:
    _need_rank(s[0], (2,), "cropping")
    n = s[0][0]
    if n is not None and n - c["left"] - c["right"] < 1:
        raise ShapeProblem(f"crops {c['left'] + c['right']} positions from an input of {n}", too_short=True)
    return (None if n is None else n - c["left"] - c["right"], s[0][1])


primitive(Primitive(
    "crop1d", "Cropping1D", _crop_shape, min_length=lambda n, c: n + c["left"] + c["right"],
    make=lambda keras, c, name: keras.layers.Cropping1D((c["left"], c["right"]), name=name),
))

# ---------------------------------------------------------------- normalisation

primitive(Primitive(
    "batchnorm", "BatchNormalization", lambda s, c: (_need_features(s[0], "batch normalisation") or s[0]),
    params=lambda s, c: (2 * s[0][-1], 2 * s[0][-1]),
    make=lambda keras, c, name: keras.layers.BatchNormalization(
        momentum=c.get("momentum", 0.99), epsilon=c.get("epsilon", 1e-3), name=name),
))
primitive(Primitive(
    "layernorm", "LayerNormalization", lambda s, c: (_need_features(s[0], "layer normalisation") or s[0]),
    params=lambda s, c: (2 * s[0][-1], 0),
    make=lambda keras, c, name: keras.layers.LayerNormalization(epsilon=c.get("epsilon", 1e-3), name=name),
))

# ---------------------------------------------------------------- merging


def _same_shapes(s: list[Shape], c: dict) -> Shape:
    first = s[0]
    for other in s[1:]:
        if tuple(other) != tuple(first):
            raise ShapeProblem(f"adds tensors of different shapes {format_shape(first)} and {format_shape(other)}")
    return first


primitive(Primitive(
    "add", "Add", _same_shapes,
    make=lambda keras, c, name: keras.layers.Add(name=name),
    call=lambda layer, xs: layer(xs),
))


def _concat_shape(s: list[Shape], c: dict) -> Shape:
    ranks = {len(x) for x in s}
    if len(ranks) != 1:
        raise ShapeProblem("concatenates tensors of different ranks: " + ", ".join(format_shape(x) for x in s))
    for x in s[1:]:
        if tuple(x[:-1]) != tuple(s[0][:-1]):
            raise ShapeProblem(
                "concatenates tensors whose leading dimensions differ: " + ", ".join(format_shape(x) for x in s)
            )
    last = [x[-1] for x in s]
    return (*s[0][:-1], None if None in last else sum(last))


primitive(Primitive(
    "concatenate", "Concatenate", _concat_shape,
    make=lambda keras, c, name: keras.layers.Concatenate(axis=-1, name=name),
    call=lambda layer, xs: layer(xs),
))

# ---------------------------------------------------------------- recurrent & attention

_GATES = {"gru": 3, "lstm": 4}


def _rnn_shape(s: list[Shape], c: dict) -> Shape:
    _need_rank(s[0], (2,), f"a recurrent layer ({c['cell'].upper()})")
    _need_features(s[0], f"a recurrent layer ({c['cell'].upper()})")
    width = c["units"] * (2 if c["bidirectional"] else 1)
    return (s[0][0], width) if c["sequences"] else (width,)


def _rnn_params(s: list[Shape], c: dict) -> tuple[int, int]:
    u, n_in, gates = c["units"], s[0][1], _GATES[c["cell"]]
    # Keras 3 GRU with reset_after keeps two bias vectors (input and recurrent).
    bias = 2 if (c["cell"] == "gru" and c.get("reset_after", True)) else 1
    per_direction = gates * u * (n_in + u + bias)
    return (per_direction * (2 if c["bidirectional"] else 1), 0)


def _rnn_macs(s: list[Shape], o: Shape, c: dict) -> int | None:
    u, n_in, gates = c["units"], s[0][1], _GATES[c["cell"]]
    return _times(s[0][0], gates * u * (n_in + u) * (2 if c["bidirectional"] else 1))


def _rnn_make(keras: Any, c: dict, name: str) -> Any:
    extra = {"reset_after": c.get("reset_after", True)} if c["cell"] == "gru" else {}
    cls = keras.layers.GRU if c["cell"] == "gru" else keras.layers.LSTM
    inner_name = name if not c["bidirectional"] else f"{name}_{c['cell']}"
    recurrent = _regularizer(keras, {"l1": c.get("rl1", 0.0), "l2": c.get("rl2", 0.0)})
    layer = cls(c["units"], return_sequences=c["sequences"], kernel_regularizer=_regularizer(keras, c),
                recurrent_regularizer=recurrent, name=inner_name, **extra)
    return keras.layers.Bidirectional(layer, name=name) if c["bidirectional"] else layer


primitive(Primitive("rnn", "RNN", _rnn_shape, params=_rnn_params, macs=_rnn_macs, make=_rnn_make))


def _mha_params(s: list[Shape], c: dict) -> tuple[int, int]:
    d, h, k = s[0][-1], c["heads"], c["key_dim"]
    return (4 * d * h * k + 3 * h * k + d, 0)


def _mha_macs(s: list[Shape], o: Shape, c: dict) -> int | None:
    t, d, hk = s[0][0], s[0][1], c["heads"] * c["key_dim"]
    if t is None:
        return None
    return 4 * t * d * hk + 2 * t * t * hk


primitive(Primitive(
    "mha", "MultiHeadAttention",
    lambda s, c: (_need_rank(s[0], (2,), "self-attention") or _need_features(s[0], "self-attention") or s[0]),
    params=_mha_params, macs=_mha_macs,
    make=lambda keras, c, name: keras.layers.MultiHeadAttention(
        c["heads"], c["key_dim"], dropout=c.get("rate", 0.0), name=name),
    call=lambda layer, xs: layer(xs[0], xs[0]),
))

# ---------------------------------------------------------------- sequence labelling


def _crf_shape(s: list[Shape], c: dict) -> Shape:
    _need_rank(s[0], (2,), "a CRF")
    _need_features(s[0], "a CRF")
    if len(s) > 1:
        tokens = s[1]
        if len(tokens) != 1:
            raise ShapeProblem("a CRF reads its padding from integer tokens (length), but they are "
                               + format_shape(tokens))
        if None not in (tokens[0], s[0][0]) and tokens[0] != s[0][0]:
            raise ShapeProblem(f"a CRF needs one label-score vector per token, but gets {s[0][0]} for {tokens[0]} "
                               "tokens; keep the length (pad=same, no pooling) up to the CRF")
    return (s[0][0], s[0][1] + 1)


def _crf_make(keras: Any, c: dict, name: str) -> Any:
    from .backend.crf import CRF

    return CRF(name=name)


primitive(Primitive(
    "crf", "CRF", _crf_shape,
    # L×L transitions, start and end scores per label
    params=lambda s, c: (s[0][1] * s[0][1] + 2 * s[0][1], 0),
    # the Viterbi recursion uses every transition once per position (the training-time forward
    # algorithm costs as much again)
    macs=lambda s, o, c: _times(s[0][0], s[0][1] * s[0][1]),
    make=_crf_make,
    call=lambda layer, xs: layer(xs if len(xs) > 1 else xs[0]),
))


# ---------------------------------------------------------------- attention pooling


def _attpool_shape(s: list[Shape], c: dict) -> Shape:
    _need_rank(s[0], (2,), "attention pooling")
    _need_features(s[0], "attention pooling")
    if s[0][0] is None:
        raise ShapeProblem("attention pooling learns one bias per time step, so it needs a known length, but its "
                           f"input is {format_shape(s[0])}")
    return (s[0][1],)


def _attpool_make(keras: Any, c: dict, name: str) -> Any:
    from .backend.attention_pool import AttentionPooling

    return AttentionPooling(name=name)


primitive(Primitive(
    "attpool", "AttentionPooling", _attpool_shape,
    params=lambda s, c: (s[0][1] + s[0][0], 0),  # w (D×1) and one bias per step (T×1)
    macs=lambda s, o, c: 2 * s[0][0] * s[0][1],  # the scores x·w, then the weighted sum
    make=_attpool_make,
))
