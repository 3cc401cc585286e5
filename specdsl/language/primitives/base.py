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
    # the identity for layers that keep the length.  specdsl.language.lengths walks the graph backwards with it.
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


