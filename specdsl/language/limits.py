"""The documented limits of both languages, in one place.

Why limits at all: every input a user can type must end in a result or a clear
error, never in a traceback, a hang or an exhausted machine.  Real models stay far
below each limit (the largest preset has a few hundred layers and sizes below
10⁵), so a text that reaches one is a mistake (or a fuzzer) and is told so with
the position of the offending token.  ``docs/language.md`` prints these values.
"""

from __future__ import annotations

#: Brackets and parentheses inside each other (``each[each[…]]``, ``2x(3x(…))``,
#: ``{"a": [[…]]}`` in a config).  Deeper texts are an error at the first opener too deep.
MAX_NESTING = 100

#: Blocks of an architecture string once every ``Nx(…)`` is expanded (nested strings included).
MAX_BLOCKS = 100_000

#: Keras layers of one model after lowering (a residual block is several layers).
MAX_LAYERS = 500_000

#: Every size (filters, units, kernel, pool, repeat count, a dimension, a length) is below this,
#: and so is the parameter count of one layer: Keras and TensorFlow index tensors with 32 bits
#: in places, and nothing larger fits in memory anyway.
MAX_SIZE = 2**31

#: Characters of one number literal (``1e-4``, ``128``): more is never a real value.
MAX_NUMBER_CHARS = 100

__all__ = ["MAX_NESTING", "MAX_BLOCKS", "MAX_LAYERS", "MAX_SIZE", "MAX_NUMBER_CHARS"]
