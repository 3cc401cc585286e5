"""The primitives the lowering emits: each knows its output shape, its exact parameter count and MACs,
and how to make its Keras layer (custom layers are made by the backend).

:mod:`.base` holds :class:`Primitive` and the shape helpers; :mod:`.core` and :mod:`.sequence` register
the primitives; importing this package registers them all.
"""

from specdsl.language.primitives import core, sequence  # noqa: F401  (registers the primitives)
from specdsl.language.primitives.base import (
    PRIMITIVES,
    Primitive,
    Shape,
    ShapeProblem,
    conv_length,
    format_shape,
    pool_length,
    primitive,
)

__all__ = ["PRIMITIVES", "Primitive", "Shape", "ShapeProblem", "conv_length", "format_shape", "pool_length",
           "primitive"]
