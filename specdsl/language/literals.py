"""Number literals: the one place where text becomes an ``int`` or a ``float``.

Architecture strings, spec files, configs and ``--set`` values all read numbers
here, so the rules are the same everywhere:

* only ASCII digits are digits (``١٢٨`` or ``²`` is an error, not 128 or 2);
* a literal has at most :data:`~specdsl.language.limits.MAX_NUMBER_CHARS` characters
  (Python refuses to convert integers of more than 4,300 digits with a ValueError);
* a value must be finite (``1e999`` would become infinity and train to NaN losses).

Every refusal is a :class:`~specdsl.errors.SpecError` at the literal's span.
"""

from __future__ import annotations

import math
import re

from specdsl.errors import LimitExceeded, Source, Span, SpecError
from specdsl.language.limits import MAX_NUMBER_CHARS

#: What every grammar's NUMBER terminal matches (a JSON number is a special case of it).
NUMBER_PATTERN = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
_EXAMPLES = "ASCII digits, e.g. 128, 0.25 or 1e-4"


def is_number(text: str) -> bool:
    """Whether ``text`` is written as a number (and so must convert, or be an error)."""
    return NUMBER_PATTERN.fullmatch(text) is not None


def number_value(text: str, span: Span | None = None) -> int | float:
    """The value of a number literal; a whole number unless it has a point or an exponent."""
    if len(text) > MAX_NUMBER_CHARS:
        raise LimitExceeded(f"a number of {len(text):,} characters is too long", span=span,
                        expected=f"at most {MAX_NUMBER_CHARS} characters")
    if not is_number(text):
        raise SpecError(f"'{text}' is not a number", span=span, expected=_EXAMPLES)
    if not any(ch in text for ch in ".eE"):
        return int(text)
    value = float(text)
    if not math.isfinite(value):
        raise SpecError(f"{text} is too large to be a number", span=span,
                        expected="a finite number (at most about 1.8e308)")
    return value


def foreign_digit(text: str) -> int | None:
    """Index of the first digit that is not ASCII (``١``, ``²``, ``𝟙``), or None."""
    for i, ch in enumerate(text):
        if not ch.isascii() and (ch.isdigit() or ch.isnumeric()):
            return i
    return None


def reject_foreign_digits(source: Source, offset: int = 0) -> None:
    """Raise at the first non-ASCII digit of a one-line source (a command-line value)."""
    i = foreign_digit(source.text[offset:])
    if i is not None:
        col = offset + i + 1
        ch = source.text[offset + i]
        raise SpecError(f"'{ch}' is not an ASCII digit", span=Span(source, 1, col, 1, col + 1),
                        expected=_EXAMPLES, hint="numbers are written with the digits 0-9 only")


__all__ = ["NUMBER_PATTERN", "is_number", "number_value", "foreign_digit", "reject_foreign_digits"]
