"""Convolution, pooling, dense, dropout, normalisation and activation kinds."""

from __future__ import annotations

from specdsl.language.kinds._args import BIAS, L1, L2, PAD, act, regularised
from specdsl.language.registry import ACTIVATIONS, Arg, Kind, register


def _activate(ctx, y, fn: str):
    """DeepCpG puts each nonlinearity in its own Activation layer; so do we."""
    return y if fn == "linear" else ctx.add("activation", y, fn.replace("-", "_"), fn=fn)


def lower_conv(ctx, x):
    y = ctx.add("conv1d", x, filters=ctx["filters"], kernel=ctx["kernel"], stride=ctx["stride"],
                dilation=ctx["dil"], padding=ctx["pad"], bias=ctx["bias"], **regularised(ctx))
    if ctx["bn"]:
        y = ctx.add("batchnorm", y, "bn")
    return _activate(ctx, y, ctx["act"])


register(Kind(
    "conv", "1-D convolution of F filters of width K, then its activation (ReLU by default) as its own layer",
    lower_conv,
    args=(
        Arg("filters", "int", doc="number of filters F"),
        Arg("kernel", "int", doc="filter width K"),
        Arg("stride", "int", 1, "step between filter positions"),
        Arg("dil", "int", 1, "dilation rate (atrous convolution)"),
        PAD, act("relu"),
        Arg("bn", "bool", False, "batch normalisation between the convolution and its activation"),
        BIAS, L1, L2,
    ),
    positional=(("filters", "kernel"),),
    example="conv[128@11]",
))


def _pool_kind(name: str, prim: str, doc: str, aliases: tuple[str, ...]) -> Kind:
    def lower(ctx, x):
        return ctx.add(prim, x, pool=ctx["pool"], stride=ctx["stride"] or ctx["pool"], padding=ctx["pad"])

    return register(Kind(
        name, doc, lower,
        args=(
            Arg("pool", "int", doc="pool size P (the stride too, unless given)"),
            Arg("stride", "int", None, "step between pools (default: the pool size)"),
            Arg("pad", "choice", "valid", "valid drops the remainder, same keeps ceil(L/stride)",
                choices=("valid", "same")),
        ),
        positional=("pool",), aliases=aliases, example=f"{name}[4]",
    ))


_pool_kind("mp", "maxpool1d", "max pooling over P positions with stride P", ("pool", "maxpool"))
_pool_kind("ap", "avgpool1d", "average pooling over P positions with stride P", ("avgpool",))


def lower_fc(ctx, x):
    if len(x.shape) > 1 and not ctx.per_position:
        x = ctx.add("flatten", x, "flatten")
    y = ctx.add("dense", x, units=ctx["units"], bias=ctx["bias"], **regularised(ctx))
    return _activate(ctx, y, ctx["act"])


register(Kind(
    "fc", "fully connected layer of U units and its activation (ReLU); flattens a sequence first, as DeepCpG does",
    lower_fc,
    args=(Arg("units", "int", doc="number of units U"), act("relu"), BIAS, L1, L2),
    positional=("units",), pointwise=True, example="fc[128]",
))

register(Kind(
    "dense", "Keras Dense on the last axis (per position on a sequence), activation inside the layer",
    lambda ctx, x: ctx.add("dense", x, units=ctx["units"], activation=ctx["act"], bias=ctx["bias"],
                           **regularised(ctx)),
    args=(Arg("units", "int", doc="number of units"), act("linear"), BIAS, L1, L2),
    positional=("units",), pointwise=True, example="dense[1,act=sigmoid]",
))

register(Kind(
    "do", "dropout; without a rate it uses the model's dropout setting (DeepCpG's --dropout, default 0)",
    lambda ctx, x: ctx.add("dropout", x, rate=ctx["rate"]),
    args=(Arg("rate", "float", 0.0, "fraction of units dropped", minimum=0.0, maximum=1.0,
              exclusive_max=True, setting="dropout"),),
    positional=("rate",), aliases=("dropout",), pointwise=True, example="do[0.2]",
))

register(Kind(
    "bn", "batch normalisation over the last axis (4 values per channel, 2 of them not trainable)",
    lambda ctx, x: ctx.add("batchnorm", x, momentum=ctx["momentum"], epsilon=ctx["eps"]),
    args=(Arg("momentum", "float", 0.99, "moving-average momentum", minimum=0.0, maximum=1.0),
          Arg("eps", "float", 1e-3, "added to the variance", minimum=0.0)),
    aliases=("batchnorm",), pointwise=True, example="bn[momentum=0.9]",
))

register(Kind(
    "ln", "layer normalisation over the last axis",
    lambda ctx, x: ctx.add("layernorm", x, epsilon=ctx["eps"]),
    args=(Arg("eps", "float", 1e-3, "added to the variance", minimum=0.0),),
    aliases=("layernorm",), pointwise=True, example="ln[eps=1e-6]",
))

register(Kind(
    "act", "an activation function as its own layer; relu, gelu, sigmoid, … are shorthands",
    lambda ctx, x: ctx.add("activation", x, fn=ctx["fn"]),
    args=(Arg("fn", "choice", doc="activation function", choices=ACTIVATIONS),),
    positional=("fn",), pointwise=True, example="act[gelu]",
    shorthands={fn: {"fn": fn} for fn in ACTIVATIONS if fn != "linear"},
))

register(Kind(
    "flat", "flatten everything but the batch axis",
    lambda ctx, x: ctx.add("flatten", x),
    aliases=("flatten",), example="flat",
))

register(Kind(
    "gap", "global average pooling over the sequence axis",
    lambda ctx, x: ctx.add("gap1d", x), example="gap",
))

register(Kind(
    "gmp", "global max pooling over the sequence axis",
    lambda ctx, x: ctx.add("gmp1d", x), example="gmp",
))


def lower_each(ctx, x):
    if len(x.shape) < 2:
        raise ctx.fail(f"needs a sequence or a set (length × features), but its input has shape {x.shape}")
    return ctx.lower_chain(ctx["body"], x, per_position=True)


register(Kind(
    "each", "apply the inner layers to every position (every cell) with shared weights, like TimeDistributed",
    lower_each,
    args=(Arg("body", "chain", doc="layers to apply per position, e.g. fc[256]"),),
    positional=("body",), example="each[fc[256]]",
    example_input=(5, 100),  # five cells of 100 features, as in DeepCpG's CpG model
))


def lower_res(ctx, x):
    y = ctx.lower_chain(ctx["body"], x)
    if tuple(y.shape) != tuple(x.shape):
        from specdsl.language.primitives import format_shape

        raise ctx.fail(f"the inner layers must keep the shape {format_shape(x.shape)} to be added to their input, "
                       f"but give {format_shape(y.shape)}")
    return ctx.add("add", [x, y], "add")


register(Kind(
    "res", "residual connection: the inner layers' output added to their input (the inner layers keep its shape)",
    lower_res,
    args=(Arg("body", "chain", doc="layers whose output is added to their input, e.g. mha[4,32]"),),
    positional=("body",), aliases=("residual",), example="res[mha[4,32]]",
))
