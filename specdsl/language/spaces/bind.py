"""A point of a space → the search-free preset it names.

Binding substitutes the point's values into the plan :mod:`.compile` kept: every slot gets
its axis's value (named for the copy it is in), a repeat whose copies hold choices is written
out copy by copy, and a searched count becomes a plain one.  The result is ordinary IR, so
the analysis, the printer and the Keras backend take it like any other preset; its blocks
keep their source spans, so an impossible shape is still reported at the ``{…}`` the user
wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from specdsl.errors import SpecError, did_you_mean
from specdsl.language import hyper as dom
from specdsl.language.ir import Block, Chain, Hyper, ParamDecl, Preset, Repeat
from specdsl.language.printer import format_block, format_hyper, format_scalar
from specdsl.language.spaces.template import Axis, PBlock, PChain, PRepeat, Slot, Template


class Binder:
    """Binds one point; ``values`` are checked against the axes' domains (a tuner's 0.30000000000000004
    is taken as the domain's 0.3), and an axis the point leaves out takes its default."""

    def __init__(self, template: Template, values: Mapping[str, Any], known: set[str]):
        unknown = [k for k in values if k not in known and not k.startswith("tuner/")]
        if unknown:
            raise SpecError(f"the space has no axis '{unknown[0]}'", hint=did_you_mean(unknown[0], known),
                            expected="a name that `specdsl space` lists")
        self.template = template
        self.values = values
        self.used: dict[str, Any] = {}

    def value(self, axis: Axis, path: tuple[int, ...]) -> Any:
        name = axis.name(path)
        if name in self.used:
            return self.used[name]
        if name in self.values:
            got = axis.snap(self.values[name])
            if got is None:
                raise SpecError(f"{name} = {format_scalar(self.values[name])} is not one of "
                                f"{format_hyper(Hyper(axis.domain))}", span=axis.span)
        else:
            got = dom.default(axis.domain)
        self.used[name] = got
        return got

    def chain(self, plan: PChain, path: tuple[int, ...]) -> Chain:
        items: list[Block | Repeat] = []
        for item in plan.items:
            if isinstance(item, PRepeat):
                items.extend(self.repeat(item, path))
            elif isinstance(item, PBlock):
                items.append(self.block(item, path))
            else:
                items.append(item)
        return Chain(tuple(items), plan.chain.span)

    def repeat(self, plan: PRepeat, path: tuple[int, ...]) -> list[Block | Repeat]:
        n = plan.count if isinstance(plan.count, int) else self.value(plan.count.axis, path)
        if n == 0:
            return []
        if not plan.copies_bound:
            return [replace(plan.repeat, times=n, body=self.chain(plan.body, path))]
        out: list[Block | Repeat] = []
        for k in range(1, n + 1):
            out.extend(self.chain(plan.body, (*path, k) if plan.numbered else path).items)
        return out

    def block(self, plan: PBlock, path: tuple[int, ...]) -> Block:
        args = tuple((key, self.arg(v, path)) for key, v in plan.args)
        made = plan.bound.get(args)  # the same values again: the same block (points share most of them)
        if made is None:
            made = replace(plan.block, args=args)
            made = replace(made, written=format_block(made))
            if len(plan.bound) < 10_000:
                plan.bound[args] = made
        return made

    def arg(self, v: Any, path: tuple[int, ...]) -> Any:
        if isinstance(v, Slot):
            return self.value(v.axis, path)
        if isinstance(v, PChain):
            return self.chain(v, path)
        if isinstance(v, tuple):
            return tuple(tuple(self.arg(x, path) for x in pair) for pair in v)
        return v

    def preset(self) -> Preset:
        t = self.template
        nodes = tuple(replace(node, chain=self.chain(plan, ())) for node, plan in t.nodes)
        heads = tuple(replace(head, chain=self.chain(plan, ())) for head, plan in t.heads)
        params = []
        for decl in t.preset.params:
            axis = t.searched_params.get(decl.name)
            value = self.value(axis, ()) if axis is not None else t.params.get(decl.name, decl.default)
            params.append(ParamDecl(decl.name, value, decl.doc, decl.span))
        return replace(t.preset, nodes=nodes, heads=heads, params=tuple(params), builder="")


__all__ = ["Binder"]
