"""Primitives of recurrent, attention, CRF and attention-pooling layers."""

from __future__ import annotations

from typing import Any

from specdsl.language.primitives.base import (
    Primitive,
    Shape,
    ShapeProblem,
    _need_features,
    _need_rank,
    _regularizer,
    _times,
    format_shape,
    primitive,
)

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


primitive(Primitive(
    "crf", "CRF", _crf_shape,
    # L×L transitions, start and end scores per label
    params=lambda s, c: (s[0][1] * s[0][1] + 2 * s[0][1], 0),
    # the Viterbi recursion uses every transition once per position (the training-time forward
    # algorithm costs as much again)
    macs=lambda s, o, c: _times(s[0][0], s[0][1] * s[0][1]),
    # made by the backend: a specdsl layer (specdsl.backend.keras_model.CUSTOM_LAYERS)
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


primitive(Primitive(
    "attpool", "AttentionPooling", _attpool_shape,
    params=lambda s, c: (s[0][1] + s[0][0], 0),  # w (D×1) and one bias per step (T×1)
    macs=lambda s, o, c: 2 * s[0][0] * s[0][1],  # the scores x·w, then the weighted sum
    # made by the backend: a specdsl layer (specdsl.backend.keras_model.CUSTOM_LAYERS)
))
