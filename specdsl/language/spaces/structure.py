"""Sizes, numbering and sampling of a space template: exact, without listing its points.

**The order of points** (a grid's order, ``specdsl space``'s order) is that of nested loops
over the axes in the order they are written, the last one varying fastest.  A repeat with
choices is one loop over its count (in the order its values are written), and for each count
over its copies, the first copy varying slowest.  Named choices that set repeat counts
(``$blocks x(…)``) are the outermost loops of their scope.  Point 0 takes the first value of
every axis: it is the default point (KerasTuner's defaults too).

**Sizes** follow the same shape: a scope is the product of its items; a repeat of count n
whose copies have s points each has sⁿ; a searched count sums sⁿ over its values; a scope with
structural choices sums over their values.  Python integers are exact, so Capfinder's
``cnn_lstm`` (about 10²⁴ points) is sized in microseconds.  A continuous axis ``{a~b}`` has no
finite number of values: it is left out of the size and listed apart (a grid refuses it).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from typing import Any

from specdsl.language import hyper as dom
from specdsl.language.spaces.template import Axis, Loop, Scope

Context = dict  # structural axis → its value in effect


class Sizer:
    """Sizes of scopes under a context, memoised (copies of a scope all have the same size)."""

    def __init__(self) -> None:
        self._cache: dict[tuple, int] = {}

    def scope(self, scope: Scope, ctx: Context) -> int:
        key = (id(scope), tuple(sorted((id(a), v) for a, v in ctx.items())))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if scope.structural:
            total = 0
            for combo in _combos(scope.structural):
                total += self.items(scope, {**ctx, **combo})
        else:
            total = self.items(scope, ctx)
        self._cache[key] = total
        return total

    def items(self, scope: Scope, ctx: Context) -> int:
        out = 1
        for item in scope.items:
            out *= self.item(item, ctx)
        return out

    def item(self, item: Axis | Loop, ctx: Context) -> int:
        if isinstance(item, Axis):
            return len(item.values) or dom.size(item.domain) or 1  # a continuous axis is not counted
        copy = self.scope(item.body, ctx)
        if isinstance(item.count, int):
            return copy ** item.count
        if item.shared:
            return copy ** ctx[item.count]
        return sum(copy ** n for n in dom.values(item.count.domain))


def _combos(axes: list[Axis]) -> Iterator[dict[Axis, Any]]:
    for values in itertools.product(*(dom.values(a.domain) for a in axes)):
        yield dict(zip(axes, values))


def _copies(loop: Loop, ctx: Context, n: int | None = None) -> int:
    if isinstance(loop.count, int):
        return loop.count
    return ctx[loop.count] if n is None else n


class Numbering:
    """Point i ↔ values (``unrank``), and random points, over one top scope."""

    def __init__(self, top: Scope):
        self.top = top
        self.sizes = Sizer()

    @property
    def size(self) -> int:
        return self.sizes.scope(self.top, {})

    def point(self, i: int) -> dict[str, Any]:
        if not 0 <= i < self.size:
            raise IndexError(f"point {i} is outside the space (0 … {self.size - 1})")
        out: dict[str, Any] = {}
        self._scope(self.top, i, {}, (), out)
        return out

    def _scope(self, scope: Scope, i: int, ctx: Context, path: tuple[int, ...], out: dict[str, Any]) -> None:
        if scope.structural:
            for combo in _combos(scope.structural):
                inner = {**ctx, **combo}
                n = self.sizes.items(scope, inner)
                if i < n:
                    for axis, v in combo.items():
                        out[axis.name(path)] = v
                    self._items(scope, i, inner, path, out)
                    return
                i -= n
            raise AssertionError("index beyond the scope")
        self._items(scope, i, ctx, path, out)

    def _items(self, scope: Scope, i: int, ctx: Context, path: tuple[int, ...], out: dict[str, Any]) -> None:
        sizes = [self.sizes.item(item, ctx) for item in scope.items]
        digits = [0] * len(sizes)
        for j in range(len(sizes) - 1, -1, -1):
            i, digits[j] = divmod(i, sizes[j])
        for item, d in zip(scope.items, digits):
            if isinstance(item, Axis):
                out[item.name(path)] = item.values[d] if item.values else dom.value(item.domain, d)
            else:
                self._loop(item, d, ctx, path, out)

    def _loop(self, loop: Loop, i: int, ctx: Context, path: tuple[int, ...], out: dict[str, Any]) -> None:
        copy = self.sizes.scope(loop.body, ctx)
        if isinstance(loop.count, Axis) and not loop.shared:
            for n in dom.values(loop.count.domain):
                block = copy ** n
                if i < block:
                    out[loop.count.name(path)] = n
                    break
                i -= block
        else:
            n = _copies(loop, ctx)
        if not (loop.body.items or loop.body.structural):
            return
        digits = [0] * n
        for k in range(n - 1, -1, -1):
            i, digits[k] = divmod(i, copy)
        for k, d in enumerate(digits, start=1):
            self._scope(loop.body, d, ctx, (*path, k) if loop.numbered else path, out)

    def sample(self, rng: random.Random) -> dict[str, Any]:
        """A random point: every axis uniform over its values (a log range uniform in its logarithm)."""
        out: dict[str, Any] = {}
        self._sample(self.top, rng, {}, (), out)
        return out

    def _sample(self, scope: Scope, rng: random.Random, ctx: Context, path: tuple[int, ...],
                out: dict[str, Any]) -> None:
        ctx = dict(ctx)
        for axis in scope.structural:
            ctx[axis] = out[axis.name(path)] = _draw(axis, rng)
        for item in scope.items:
            if isinstance(item, Axis):
                out[item.name(path)] = _draw(item, rng)
                continue
            if isinstance(item.count, Axis) and not item.shared:
                n = out[item.count.name(path)] = _draw(item.count, rng)
            else:
                n = _copies(item, ctx)
            if item.body.items or item.body.structural:
                for k in range(1, n + 1):
                    self._sample(item.body, rng, ctx, (*path, k) if item.numbered else path, out)


def _draw(axis: Axis, rng: random.Random) -> Any:
    return axis.values[int(rng.random() * len(axis.values))] if axis.values else dom.sample(axis.domain, rng)


def concrete_axes(top: Scope) -> list[tuple[str, Axis, tuple[tuple[str, tuple[int, ...]], ...]]]:
    """Every axis with its copy number, in the order of points, with the conditions under which it is
    active: ``(parent axis name, counts)`` pairs, all of which must hold (KerasTuner's conditional
    scopes).  A copy k of a repeat is active when its count is k or more."""
    out: list[tuple[str, Axis, tuple[tuple[str, tuple[int, ...]], ...]]] = []

    def walk(scope: Scope, path: tuple[int, ...], conds: tuple, counts: dict[int, str]) -> None:
        for axis in scope.structural:
            out.append((axis.name(path), axis, conds))
            counts = {**counts, id(axis): axis.name(path)}
        for item in scope.items:
            if isinstance(item, Axis):
                out.append((item.name(path), item, conds))
                continue
            if isinstance(item.count, int):
                parent, most = None, item.count
            else:
                parent = counts.get(id(item.count)) or item.count.name(path)
                most = max(dom.values(item.count.domain), default=0)
                if not item.shared:
                    out.append((parent, item.count, conds))
            if not (item.body.items or item.body.structural):
                continue
            every = tuple(dom.values(item.count.domain)) if parent is not None else ()
            for k in range(1, most + 1):
                inner = conds
                allowed = tuple(v for v in every if v >= k)
                if parent is not None and allowed != every:  # copy k exists only for counts ≥ k
                    inner = (*conds, (parent, allowed))
                walk(item.body, (*path, k) if item.numbered else path, inner, counts)

    walk(top, (), (), {})
    return out


__all__ = ["Sizer", "Numbering", "concrete_axes"]
