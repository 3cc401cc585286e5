"""Primitives of convolution, dense, pooling, shape, normalisation and merging layers."""

from __future__ import annotations

from typing import Any

from specdsl.language.primitives.base import (
    Primitive,
    Shape,
    ShapeProblem,
    _keras_act,
    _need_features,
    _need_rank,
    _prod,
    _regularizer,
    _times,
    conv_length,
    format_shape,
    pool_length,
    primitive,
)

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

