"""Search domains (``{…}`` in the language): their values, sizes and checks, in pure Python.

A domain is IR (:class:`~specdsl.language.ir.Choice`, :class:`~specdsl.language.ir.Range`,
:class:`~specdsl.language.ir.Interval`); this module answers what a domain *means*: how many
values it has, the i-th one, whether a value belongs to it, and whether it suits the
argument it is written for.  The parser checks every domain against its argument as
soon as it is read (``conv[{32,6.5}@3]`` is an error with a caret, not a failed trial
hours later), and again once ``$parameter`` bounds are bound.  The search machinery
(:mod:`specdsl.search`) builds on these functions; nothing here imports TensorFlow.

Discrete ranges are computed with decimals from the numbers as written, so
``{0.1..0.5:0.1}`` is exactly 0.1, 0.2, 0.3, 0.4, 0.5 (binary floating point would
give 0.30000000000000004, and KerasTuner's own float steps drop the 0.5).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only an annotation here; the search imports random when it samples
    import random

from specdsl.language.ir import Block, Chain, Choice, Domain, Hyper, Interval, Preset, Range, Repeat, Var

#: The argument a repeat count is checked as (``{0..6}x(…)``: zero copies are allowed when searched).
COUNT_WORDS = "a whole number ≥ 0"


def _dec(x: int | float) -> Any:
    from decimal import Decimal  # only searched ranges need exact steps

    return Decimal(repr(x)) if isinstance(x, float) else Decimal(x)


def has_vars(domain: Domain) -> bool:
    if isinstance(domain, Choice):
        return any(isinstance(o, Var) for o in domain.options)
    parts = (domain.low, domain.high, domain.step) if isinstance(domain, Range) else (domain.low, domain.high)
    return any(isinstance(p, Var) for p in parts)


def size(domain: Domain) -> int | None:
    """How many values: None for a continuous interval (infinitely many)."""
    if isinstance(domain, Choice):
        return len(domain.options)
    if isinstance(domain, Interval):
        return None
    low, high, step = domain.low, domain.high, domain.step
    if isinstance(low, int) and isinstance(high, int) and isinstance(step, int):
        return max(0, (high - low) // step + 1)
    return max(0, int((_dec(high) - _dec(low)) // _dec(step)) + 1)


def value(domain: Domain, i: int) -> Any:
    """The i-th value (0-based) of a discrete domain, in the order it is written."""
    if isinstance(domain, Choice):
        return domain.options[i]
    if isinstance(domain, Interval):
        return domain.low
    low, step = domain.low, domain.step
    if isinstance(low, int) and isinstance(domain.high, int) and isinstance(step, int):
        return low + i * step
    return float(_dec(low) + i * _dec(step))


def values(domain: Domain) -> list[Any]:
    n = size(domain)
    return [domain.low] if n is None else [value(domain, i) for i in range(n)]


def default(domain: Domain) -> Any:
    """The first value (KerasTuner's default too: a Choice's first entry, an Int's minimum)."""
    return value(domain, 0)


def index(domain: Domain, x: Any) -> int | None:
    """Where ``x`` sits in a discrete domain (floats within 1e-9 relative), or None if it does not belong.

    An interval answers 0 for any value inside it.
    """
    if isinstance(domain, Interval):
        ok = isinstance(x, (int, float)) and not isinstance(x, bool) and domain.low <= x <= domain.high
        return 0 if ok else None
    if isinstance(domain, Choice):
        for i, option in enumerate(domain.options):
            if option == x and type(option) is type(x) or _close(option, x):
                return i
        return None
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    pos = (_dec(x) - _dec(domain.low)) / _dec(domain.step)
    i = int(pos.to_integral_value())
    if 0 <= i < (size(domain) or 0) and _close(value(domain, i), x):
        return i
    return None


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return False
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def snap(domain: Domain, x: Any) -> Any:
    """The domain's own value for ``x`` (a tuner's 0.30000000000000004 becomes 0.3); None if outside."""
    i = index(domain, x)
    if i is None:
        return None
    return float(x) if isinstance(domain, Interval) else value(domain, i)


def sample(domain: Domain, rng: random.Random) -> Any:
    if isinstance(domain, Interval):
        if domain.log:
            return math.exp(rng.uniform(math.log(domain.low), math.log(domain.high)))
        return rng.uniform(domain.low, domain.high)
    return value(domain, rng.randrange(size(domain) or 1))


# ---------------------------------------------------------------- where search appears


def chain_has_search(chain: Chain) -> bool:
    """Whether a chain holds a ``{…}`` anywhere (nested strings and repeat counts included)."""
    for item in chain.items:
        if isinstance(item, Repeat):
            if isinstance(item.times, Hyper) or chain_has_search(item.body):
                return True
            continue
        if _block_has_search(item):
            return True
    return False


def _block_has_search(block: Block) -> bool:
    for _, v in block.args:
        if isinstance(v, Hyper):
            return True
        if isinstance(v, Chain) and chain_has_search(v):
            return True
        if isinstance(v, tuple) and any(isinstance(x, Hyper) for pair in v for x in pair):
            return True
    return False


def preset_has_search(preset: Preset) -> bool:
    """Whether a preset is a search space: a searched parameter, or ``{…}`` in one of its strings."""
    return (any(isinstance(p.default, Hyper) for p in preset.params)
            or any(chain_has_search(n.chain) for n in preset.nodes)
            or any(chain_has_search(h.chain) for h in preset.heads))


__all__ = ["size", "value", "values", "default", "index", "snap", "sample", "has_vars",
           "chain_has_search", "preset_has_search", "COUNT_WORDS"]
