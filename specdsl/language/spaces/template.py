"""The compiled form of a search space: its axes, scopes and the template a point fills in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from specdsl.errors import Span
from specdsl.language.hyper import size, values
from specdsl.language.ir import Block, Chain, Domain, Interval, Node, Preset, Repeat


@dataclass(eq=False)
class Axis:
    """One hyperparameter as written, before copies are numbered.

    ``level`` is how many copy numbers its names take (the repeats with choices around it);
    ``role`` is ``value`` (an argument), ``count`` (a repeat count), ``param`` (a searched preset
    parameter used by the strings) or ``extra`` (a searched preset parameter no string uses: a
    training hyperparameter such as the learning rate).
    """

    base: str
    domain: Domain
    where: str
    level: int
    role: str = "value"
    explicit: bool = False
    span: Span | None = None
    sets_count: bool = False  # some repeat's count is this choice ($name x(…)): a structural axis

    def __post_init__(self) -> None:
        # Listed once: binding and sampling a point look values up here, not in the domain.
        n = size(self.domain)
        self.values: tuple[Any, ...] = tuple(values(self.domain)) if n is not None and n <= 100_000 else ()
        self.positions: dict[Any, int] = {(type(v), v): i for i, v in enumerate(self.values)}
        self.names: dict[tuple[int, ...], str] = {}  # copy numbers → full name

    def name(self, path: tuple[int, ...]) -> str:
        if not self.level:
            return self.base
        key = path[:self.level]
        made = self.names.get(key)
        if made is None:
            made = self.names[key] = self.base + "".join(f"_{k}" for k in key)
        return made

    def snap(self, value: Any) -> Any:
        """The domain's own value for ``value`` (None when it is not one of them)."""
        i = self.positions.get((type(value), value))
        if i is not None:
            return self.values[i]
        from specdsl.language.hyper import snap

        return snap(self.domain, value)

    @property
    def continuous(self) -> bool:
        return isinstance(self.domain, Interval)


@dataclass(eq=False)
class Loop:
    """A repeat whose count is searched or whose body holds choices."""

    count: int | Axis  # a fixed count, or the axis giving it
    body: Scope
    span: Span | None = None
    numbered: bool = True  # it can have more than one copy, so the names inside take copy numbers

    @property
    def shared(self) -> bool:
        """The count is a named choice (structural) rather than this repeat's own depth."""
        return isinstance(self.count, Axis) and self.count.sets_count


@dataclass(eq=False)
class Scope:
    """The top level, or the body of one repeat (each copy of it, alike)."""

    level: int
    items: list[Axis | Loop] = field(default_factory=list)
    structural: list[Axis] = field(default_factory=list)
    decls: dict[str, Axis] = field(default_factory=dict)
    parent: Scope | None = None

    def lookup(self, name: str) -> Axis | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.decls:
                return scope.decls[name]
            scope = scope.parent
        return None


@dataclass(frozen=True, eq=False)
class Slot:
    """Where a point's value goes when a plan is bound."""

    axis: Axis


PValue = Any  # a plain value, a Var, a Slot, a PChain, or a stages tuple of them


@dataclass(eq=False)
class PBlock:
    block: Block
    args: tuple[tuple[str, PValue], ...]
    bound: dict = field(default_factory=dict)  # bound arguments → the bound block (a cache for binding)


@dataclass(eq=False)
class PRepeat:
    repeat: Repeat
    count: int | Slot
    body: PChain
    copies_bound: bool  # the body holds choices: each copy is bound on its own
    numbered: bool  # ... and the names in a copy take its number (more than one copy is possible)


@dataclass(eq=False)
class PChain:
    chain: Chain
    items: list[Block | PBlock | PRepeat]


@dataclass
class Template:
    """What :func:`compile_preset` makes: the preset (params bound), its top scope and bind plans."""

    preset: Preset
    params: dict[str, Any]
    top: Scope
    nodes: list[tuple[Node, PChain]]
    heads: list[tuple[Any, PChain]]
    searched_params: dict[str, Axis]
    fixed: dict[str, Any] = field(default_factory=dict)  # named choices fixed with --set name=value
