"""Token embedding, self-attention and BPNet's dilated residual stack."""

from __future__ import annotations

from specdsl.errors import ImpossibleShape
from specdsl.language.kinds._args import L1, L2, regularised
from specdsl.language.registry import Arg, Kind, register


def lower_emb(ctx, x):
    try:
        return ctx.add("embedding", x, vocab=ctx["vocab"], dim=ctx["dim"], mask=ctx["mask"])
    except ImpossibleShape as err:  # the one shape an embedding refuses: anything but a row of tokens
        err.hint = _token_input_hint(ctx, x)
        raise


def _token_input_hint(ctx, x) -> str:
    """What an embedding reads, said for the input it was given (most often a one-hot sequence)."""
    if not any(node.name == x.node for node in ctx.graph.inputs):
        return "an embedding reads the model's token input, so it comes first (emb[V,D]_…)"
    length = "1000" if not x.shape or x.shape[0] is None else str(x.shape[0])
    given = "x".join("?" if d is None else str(d) for d in x.shape)
    return (f"an embedding reads integer tokens, one per position: give a token input of a length only "
            f"(--input {length}, shape ({length},)), not {given}; or drop emb[...] to read a one-hot sequence "
            "directly")


register(Kind(
    "emb", "embedding of integer tokens (vocabulary V including padding 0) into D dimensions",
    lower_emb,
    args=(Arg("vocab", "int", doc="vocabulary size V, padding token 0 included"),
          Arg("dim", "int", doc="embedding dimension D"),
          Arg("mask", "bool", False, "treat token 0 as padding and mask it downstream")),
    positional=("vocab", "dim"), aliases=("embedding",), input_dtype="int32", example="emb[6,64]",
))

register(Kind(
    "mha", "multi-head self-attention with H heads of key width K; keeps the input shape",
    lambda ctx, x: ctx.add("mha", x, heads=ctx["heads"], key_dim=ctx["keydim"], rate=ctx["rate"]),
    args=(Arg("heads", "int", doc="number of heads H"), Arg("keydim", "int", doc="key width K per head"),
          Arg("rate", "float", 0.0, "attention dropout", minimum=0.0, maximum=1.0, exclusive_max=True)),
    positional=("heads", "keydim"), aliases=("att", "attention"), example="mha[4,32]",
))


def lower_dilres(ctx, x):
    """BPNet's residual layers: x ← crop(x) + relu(conv_d(x)), d = 2^(i+1), valid padding."""
    if len(x.shape) != 2:
        raise ctx.fail("needs a sequence (length × channels) input")
    for i in range(ctx["layers"]):
        d = 2 ** (i + 1)
        y = ctx.add("conv1d", x, f"conv{i}", filters=x.shape[-1], kernel=3, stride=1, dilation=d,
                    padding="valid", activation="relu", **regularised(ctx))
        x = ctx.add("crop1d", x, f"crop{i}", left=d, right=d)
        x = ctx.add("add", [y, x], f"add{i}")
    return x


register(Kind(
    "dilres", "BPNet dilated residual stack: N valid kernel-3 convs with dilation 2, 4, …, 2^N, each cropped and added",
    lower_dilres,
    args=(Arg("layers", "int", doc="number of dilated layers N"), L1, L2),
    positional=("layers",), example="dilres[9]",
    example_input=(2114, 64),  # nine dilated layers eat 2·(2+4+…+512) = 2,044 positions
))


def lower_crop(ctx, x):
    right = ctx["right"] if ctx["right"] is not None else ctx["left"]
    return ctx.add("crop1d", x, left=ctx["left"], right=right)


register(Kind(
    "crop", "remove positions from both ends of a sequence (left, right; right defaults to left)",
    lower_crop,
    args=(Arg("left", "int", doc="positions cut at the start", minimum=0),
          Arg("right", "int", None, "positions cut at the end", minimum=0)),
    positional=("left", "right"), example="crop[10]",
))


register(Kind(
    "attpool", "additive attention pooling over time (Capfinder's AttentionLayer): softmax(tanh(x·w + b)) "
               "weights the steps of a sequence, summed to one vector",
    lambda ctx, x: ctx.add("attpool", x),
    example="attpool",
))
