"""IR with ``{…}`` → a space template: the axes, how they nest, and a plan to bind a point.

One walk over a preset's strings, in text order, does three things:

* names every hyperparameter: ``{$name: …}`` by its name, any other ``{…}`` by its position,
  ``<kind><n>.<argument>`` (``conv2.filters``: the filters of the second ``conv`` written;
  ``resb1.stage2.width`` for a stage; ``repeat1`` for the first ``Nx(…)`` written);
* builds the scope tree: the copies of a repeat whose body holds choices each get their own
  choices, so a repeat *opens a scope*, and the names inside it take the copy's number
  (``conv2.filters_3`` in the third copy; ``_3_1`` in copy 1 of a repeat inside it; a repeat
  that can have one copy at most, ``{0,1}x(…)``, adds no number).  A ``$name`` refers to the
  nearest scope that declares it, so a choice named inside a repeat is shared within each
  copy, and one named outside is shared by all copies;
* keeps a bind plan: the strings with every choice replaced by a :class:`Slot`, so binding a
  point (:mod:`.bind`) is a substitution, not a second walk with its own naming.

A named choice used as a repeat count (``$blocks x(…)``) is *structural*: the sizes of its
scope depend on it, so sizes sum over its values (:mod:`.structure`).  Bounds may be preset
parameters (``{1..$layers}``), bound before anything else; a bound cannot be another choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

from specdsl.errors import SpecError, did_you_mean
from specdsl.language.hyper import has_vars, values
from specdsl.language.hyper import index as domain_index
from specdsl.language.ir import Block, Chain, Choice, Domain, Hyper, Interval, Preset, Range, Repeat, Var
from specdsl.language.kinds import all_kinds
from specdsl.language.parsing import REPEAT_COUNT
from specdsl.language.printer import format_hyper
from specdsl.language.registry import STAGE_NUMBER, Arg, Kind, check_hyper
from specdsl.language.spaces.template import Axis, Loop, PBlock, PChain, PRepeat, PValue, Scope, Slot, Template


class _Compiler:
    def __init__(self, params: Mapping[str, Any], fixed: Mapping[str, Any]):
        self.params = params
        self.fixed = dict(fixed)
        self.counters: dict[str, int] = {}
        self.repeats = 0
        self.bases: dict[str, Axis] = {}

    # ------------------------------------------------------------ axes

    def axis(self, hyper: Hyper, base: str, where: str, scope: Scope, kind: Kind | None, arg: Arg,
             role: str = "value") -> Axis:
        domain = self.resolve(hyper, kind, arg, scope)
        if hyper.name in self.fixed:  # fixed from the command line: --set name=value
            domain = self.fix(hyper, domain, self.fixed.pop(hyper.name))
        made = Axis(base, domain, where, scope.level, role, bool(hyper.name), hyper.span)
        if base in self.bases:
            other = self.bases[base]
            raise SpecError(f"the name '{base}' is given to two choices", span=hyper.span,
                            hint=f"the other one is {other.where}" if other.where else None)
        self.bases[base] = made
        return made

    def resolve(self, hyper: Hyper, kind: Kind | None, arg: Arg, scope: Scope) -> Domain:
        """Bind ``$parameter`` bounds and check the values against the argument again."""
        if not has_vars(hyper.domain):
            return hyper.domain

        def bound(x: Any) -> Any:
            if not isinstance(x, Var):
                return x
            if scope.lookup(x.name) is not None:
                raise SpecError(f"${x.name} is a searched choice, so it cannot bound another one", span=hyper.span,
                                hint="bounds are numbers or fixed preset parameters")
            if x.name not in self.params:
                raise SpecError(f"unknown parameter ${x.name} in {format_hyper(hyper)}", span=hyper.span,
                                hint=did_you_mean(x.name, self.params))
            value = self.params[x.name]
            if isinstance(value, Hyper):
                raise SpecError(f"${x.name} is a searched parameter, so it cannot bound another choice",
                                span=hyper.span)
            return value

        d = hyper.domain
        if isinstance(d, Choice):
            made: Domain = Choice(tuple(bound(o) for o in d.options))
        elif isinstance(d, Range):
            made = Range(bound(d.low), bound(d.high), bound(d.step))
        else:
            made = Interval(bound(d.low), bound(d.high), d.log)
        return check_hyper(kind, arg, Hyper(made, hyper.name, hyper.span), hyper.span).domain

    def fix(self, hyper: Hyper, domain: Domain, value: Any) -> Domain:
        if domain_index(domain, value) is None:
            raise SpecError(f"--set {hyper.name}={value}: {value} is not one of {format_hyper(hyper)}",
                            span=hyper.span)
        return Choice((value,))

    # ------------------------------------------------------------ declarations

    def declare(self, chain: Chain, scope: Scope) -> None:
        """Record the ``{$name: …}`` of this scope (not inside repeats that open scopes of their own)."""
        for item in chain.items:
            if isinstance(item, Repeat):
                if isinstance(item.times, Hyper) and item.times.name:
                    self._declare(item.times, scope, None, REPEAT_COUNT, "count", f"the count of {_shown(item)}")
                if not _opens_scope(item):
                    self.declare(item.body, scope)
                continue
            kind = all_kinds()[item.kind]
            for key, value in item.args:
                if isinstance(value, Chain):
                    self.declare(value, scope)
                elif isinstance(value, Hyper) and value.name:
                    self._declare(value, scope, kind, kind.arg(key), "value", _written(item))
                elif isinstance(value, tuple):
                    for pair in value:
                        for x in pair:
                            if isinstance(x, Hyper) and x.name:
                                self._declare(x, scope, None, STAGE_NUMBER, "value", _written(item))

    def _declare(self, hyper: Hyper, scope: Scope, kind: Kind | None, arg: Arg, role: str, where: str) -> None:
        name = hyper.name
        earlier = scope.lookup(name)
        if earlier is not None:
            inner = name in scope.decls
            raise SpecError(f"${name} is declared twice" + ("" if inner else " (once outside this repeat)"),
                            span=hyper.span, hint=f"write {{${name}: …}} once and ${name} everywhere else")
        scope.decls[name] = self.axis(hyper, name, where, scope, kind, arg, role)

    # ------------------------------------------------------------ the walk

    def chain(self, chain: Chain, scope: Scope) -> PChain:
        items: list[Block | PBlock | PRepeat] = []
        for item in chain.items:
            items.append(self.repeat(item, scope) if isinstance(item, Repeat) else self.block(item, scope))
        return PChain(chain, items)

    def repeat(self, item: Repeat, scope: Scope) -> PRepeat:
        self.repeats += 1
        own = f"repeat{self.repeats}"
        times = item.times
        count: int | Slot
        loop_count: int | Axis
        if isinstance(times, Hyper):
            axis = scope.decls[times.name] if times.name else self.axis(
                times, own, f"the count of {_shown(item)}", scope, None, REPEAT_COUNT, "count")
            if times.name:
                axis.sets_count = True
            count, loop_count = Slot(axis), axis
        elif isinstance(times, Var):
            axis = scope.lookup(times.name)
            if axis is None:  # a plain preset parameter: its value is the count
                count = loop_count = self.param_count(times, item)
            else:
                self.counts(axis, item)
                count, loop_count = Slot(axis), axis
        else:
            count = loop_count = times
        opens = _opens_scope(item)
        most = loop_count if isinstance(loop_count, int) else max(values(loop_count.domain), default=0)
        numbered = most > 1  # one copy at most: its names need no number
        if opens:
            inner = Scope(scope.level + numbered, parent=scope)
            self.declare(item.body, inner)
            body = self.chain(item.body, inner)
            scope.items.append(Loop(loop_count, inner, item.span, numbered))
        else:
            body = self.chain(item.body, scope)
            if isinstance(loop_count, Axis) and not loop_count.sets_count:
                scope.items.append(Loop(loop_count, Scope(scope.level, parent=scope), item.span, False))
        if isinstance(times, Hyper) and times.name:
            self.place(scope, scope.decls[times.name])
        return PRepeat(item, count, body, opens, numbered)

    def param_count(self, var: Var, item: Repeat) -> int:
        if var.name not in self.params:
            raise SpecError(f"unknown parameter ${var.name}", span=item.span, hint=did_you_mean(var.name, self.params))
        value = self.params[var.name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SpecError(f"${var.name} = {value} cannot be a repeat count", span=item.span,
                            expected="a whole number ≥ 0")
        return value

    def counts(self, axis: Axis, item: Repeat) -> None:
        """``$name x(…)``: the choice ``name`` sets this count, so it must give whole numbers ≥ 0."""
        bad = [v for v in values(axis.domain) if isinstance(v, bool) or not isinstance(v, int) or v < 0]
        if axis.continuous or bad:
            raise SpecError(f"${axis.base} sets a repeat count, so its values must be whole numbers ≥ 0",
                            span=item.span, hint=f"${axis.base} is written as {axis.where}")
        axis.sets_count = True

    def place(self, scope: Scope, axis: Axis) -> None:
        """Put a named axis at its written position in its scope's order (once)."""
        owner: Scope | None = scope
        while owner is not None and axis.base not in owner.decls:
            owner = owner.parent
        if owner is not None and axis not in owner.items:
            owner.items.append(axis)

    def block(self, block: Block, scope: Scope) -> Block | PBlock:
        kind = all_kinds()[block.kind]
        n = self.counters[kind.name] = self.counters.get(kind.name, 0) + 1
        me = f"{kind.name}{n}"
        if not _block_needs_plan(block, scope):
            return block
        args: list[tuple[str, PValue]] = []
        for key, value in block.args:
            arg = kind.arg(key)
            if isinstance(value, Chain):
                args.append((key, self.chain(value, scope)))
            elif isinstance(value, tuple):
                stages = []
                for i, pair in enumerate(value, start=1):
                    stages.append(tuple(self.value(x, f"{me}.stage{i}.{part}", block, scope, None, STAGE_NUMBER)
                                        for x, part in zip(pair, ("units", "width"))))
                args.append((key, tuple(stages)))
            else:
                args.append((key, self.value(value, f"{me}.{key}", block, scope, kind, arg)))
        return PBlock(block, tuple(args))

    def value(self, x: Any, base: str, block: Block, scope: Scope, kind: Kind | None, arg: Arg) -> PValue:
        if isinstance(x, Hyper):
            if x.name:
                axis = scope.lookup(x.name)
                assert axis is not None
                self.place(scope, axis)
                return Slot(axis)
            axis = self.axis(x, base, _written(block), scope, kind, arg)
            scope.items.append(axis)
            return Slot(axis)
        if isinstance(x, Var):
            axis = scope.lookup(x.name)
            return x if axis is None else Slot(axis)
        return x


def _shown(item: Repeat) -> str:
    from specdsl.language.printer import format_chain

    text = format_chain(Chain((item,)))
    return text if len(text) <= 60 else text[:57] + "…"


def _written(block: Block) -> str:
    from specdsl.language.printer import format_block

    return block.written or format_block(block)


def _opens_scope(item: Repeat) -> bool:
    from specdsl.language.hyper import chain_has_search

    return chain_has_search(item.body)


def _block_needs_plan(block: Block, scope: Scope) -> bool:
    """A block with a choice, or a ``$name`` that a choice binds, is planned; any other is kept as it is."""
    for _, v in block.args:
        if isinstance(v, (Hyper, Chain)):
            return True
        if isinstance(v, Var) and scope.lookup(v.name) is not None:
            return True
        if isinstance(v, tuple) and any(isinstance(x, (Hyper, Var)) for pair in v for x in pair):
            return True
    return False


def _structural(scope: Scope) -> None:
    """Move the axes that set repeat counts out of the item order: they are their scope's outer loops."""
    scope.structural = [a for a in scope.items if isinstance(a, Axis) and a.sets_count]
    scope.items = [i for i in scope.items if not (isinstance(i, Axis) and i.sets_count)]
    for item in scope.items:
        if isinstance(item, Loop):
            _structural(item.body)


def compile_preset(preset: Preset, params: Mapping[str, Any], fixed: Mapping[str, Any] | None = None) -> Template:
    """The space template of a preset whose parameters are bound (``params``, searched ones as Hyper)."""
    fixed = dict(fixed or {})
    comp = _Compiler(params, fixed)
    top = Scope(0)
    searched: dict[str, Axis] = {}
    for decl in preset.params:
        value = params.get(decl.name)
        if isinstance(value, Hyper):
            values = {k: v for k, v in params.items() if not isinstance(v, Hyper)}
            domain = _Compiler(values, {}).resolve(value, None, _param_arg(value), top)
            axis = Axis(decl.name, domain, f"param {decl.name}", 0, "extra", True, decl.span)
            top.decls[decl.name] = searched[decl.name] = comp.bases[decl.name] = axis
            top.items.append(axis)
    for inp in preset.inputs:
        for d in inp.shape:
            if isinstance(d, str) and d in searched:
                raise SpecError(f"input '{inp.name}' takes its shape from the searched parameter '{d}'",
                                span=inp.span, hint="input shapes are fixed; search the layers instead")
    chains = [n.chain for n in preset.nodes] + [h.chain for h in preset.heads]
    for chain in chains:
        comp.declare(chain, top)
    nodes = [(n, comp.chain(n.chain, top)) for n in preset.nodes]
    heads = [(h, comp.chain(h.chain, top)) for h in preset.heads]
    for name, axis in searched.items():
        if _uses(chains, name):
            axis.role = "param"
    if comp.fixed:
        name = next(iter(comp.fixed))
        raise SpecError(f"{preset.name} has no parameter or named choice '{name}'",
                        hint=did_you_mean(name, list(params) + list(comp.bases)))
    _structural(top)
    return Template(preset, dict(params), top, nodes, heads, searched, fixed)


def _param_arg(hyper: Hyper) -> Arg:
    d = hyper.domain
    whole = isinstance(d, Range) and all(isinstance(b, (int, Var)) for b in (d.low, d.high, d.step))
    return Arg("value", "int" if whole else "float", doc="searched parameter", minimum=float("-inf"))


def _uses(chains: list[Chain], name: str) -> bool:
    from specdsl.language.adhoc import _vars_in

    return any(name in _vars_in(c) for c in chains)


Item = Union[Axis, Loop]

__all__ = ["Axis", "Loop", "Scope", "Slot", "PBlock", "PRepeat", "PChain", "Template", "compile_preset", "Item"]
