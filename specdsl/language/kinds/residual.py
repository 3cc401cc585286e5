"""DeepCpG's residual stacks: ``resb`` (bottleneck), ``resc`` (two convs), ``resa`` (atrous).

Built exactly as DeepCpG builds them (reference: deepcpg/models/dna.py): pre-activation
units (BN → ReLU → conv), the first unit of every stage strided by 2, a projection
shortcut on the *raw* unit input whenever the width or the length changes, and the
branches joined by a sum.  ``NxF|NxF|...`` gives N units of output width F per stage.
"""

from __future__ import annotations

from collections.abc import Callable

from specdsl.language.kinds._args import L1, L2, regularised
from specdsl.language.registry import Arg, Kind, register

STAGES = Arg("stages", "stages", doc="stages NxF separated by |: N units of output width F")


def _pre_activated_conv(ctx, x, tag: str, filters: int, kernel: int, *, stride: int = 1,
                        dilation: int = 1, padding: str = "valid"):
    h = ctx.add("batchnorm", x, f"{tag}_bn")
    h = ctx.add("activation", h, f"{tag}_relu", fn="relu")
    return ctx.add("conv1d", h, f"{tag}_conv", filters=filters, kernel=kernel, stride=stride,
                   dilation=dilation, padding=padding, **regularised(ctx))


def _bottleneck(atrous: bool) -> Callable:
    def unit(ctx, x, tag: str, width: int, stride: int, index: int):
        if width % 4:
            raise ctx.fail(f"a bottleneck unit's width must be a multiple of 4 (its inner width is F/4), not {width}")
        inner = width // 4
        h = _pre_activated_conv(ctx, x, f"{tag}_a", inner, 1, stride=stride)
        h = _pre_activated_conv(ctx, h, f"{tag}_b", inner, 3, padding="same",
                                dilation=2 ** index if atrous else 1)
        h = _pre_activated_conv(ctx, h, f"{tag}_c", width, 1)
        shortcut = x
        if width != x.shape[-1] or stride > 1:
            shortcut = ctx.add("conv1d", x, f"{tag}_shortcut", filters=width, kernel=1, stride=stride,
                               dilation=1, padding="valid", **regularised(ctx))
        return ctx.add("add", [shortcut, h], f"{tag}_add")

    return unit


def _two_conv_unit(ctx, x, tag: str, width: int, stride: int, index: int):
    h = _pre_activated_conv(ctx, x, f"{tag}_a", width, 3, stride=stride, padding="same")
    h = _pre_activated_conv(ctx, h, f"{tag}_b", width, 3, padding="same")
    shortcut = x
    if width != x.shape[-1] or stride > 1:
        # DeepCpG's ResConv01 projects with a kernel-3 convolution, not 1×1.
        shortcut = ctx.add("conv1d", x, f"{tag}_shortcut", filters=width, kernel=3, stride=stride,
                           dilation=1, padding="same", **regularised(ctx))
    return ctx.add("add", [shortcut, h], f"{tag}_add")


def _residual_kind(name: str, doc: str, unit: Callable) -> Kind:
    def lower(ctx, x):
        if len(x.shape) != 2:
            raise ctx.fail("needs a sequence (length × channels) input")
        for s, (units, width) in enumerate(ctx["stages"], start=1):
            for u in range(units):
                x = unit(ctx, x, f"s{s}u{u + 1}", width, 2 if u == 0 else 1, u)
        return x

    return register(Kind(name, doc, lower, args=(STAGES, L1, L2), positional=("stages",),
                         example=f"{name}[2x128|2x256]"))


_residual_kind("resb", "bottleneck residual stages (inner width F/4, stride 2 on each stage's first unit)",
               _bottleneck(atrous=False))
_residual_kind("resa", "atrous bottleneck residual stages: the middle conv of unit i has dilation 2^i (1, 2, 4)",
               _bottleneck(atrous=True))
_residual_kind("resc", "residual stages of two kernel-3 convolutions; kernel-3 projection shortcuts",
               _two_conv_unit)


def lower_resblock(ctx, x):
    """A ResNet basic block as Capfinder's ``resnet`` builds it: conv(K, stride) → BN → ReLU → conv(K) → BN,
    plus a 1×1 projection shortcut (stride, then BN) that is always there; added, then ReLU."""
    if len(x.shape) != 2:
        raise ctx.fail("needs a sequence (length × channels) input")
    filters, kernel, stride = ctx["filters"], ctx["kernel"], ctx["stride"]
    conv = dict(filters=filters, dilation=1, padding="same", **regularised(ctx))
    h = ctx.add("conv1d", x, "conv1", kernel=kernel, stride=stride, **conv)
    h = ctx.add("batchnorm", h, "bn1")
    h = ctx.add("activation", h, "relu1", fn="relu")
    h = ctx.add("conv1d", h, "conv2", kernel=kernel, stride=1, **conv)
    h = ctx.add("batchnorm", h, "bn2")
    shortcut = ctx.add("conv1d", x, "shortcut", kernel=1, stride=stride, **conv)
    shortcut = ctx.add("batchnorm", shortcut, "shortcut_bn")
    y = ctx.add("add", [h, shortcut], "add")
    return ctx.add("activation", y, "relu", fn="relu")


register(Kind(
    "resblock", "ResNet basic block: two same-padded convolutions of F filters of width K with batch normalisation "
                "and ReLU, a 1×1 projection shortcut with batch normalisation, added, then ReLU (Capfinder's resnet)",
    lower_resblock,
    args=(Arg("filters", "int", doc="filters F of both convolutions and the shortcut"),
          Arg("kernel", "int", doc="width K of both convolutions"),
          Arg("stride", "int", 1, "stride of the first convolution and of the shortcut (2 halves the length)"),
          L1, L2),
    positional=(("filters", "kernel"),), example="resblock[64@3,stride=2]",
))
