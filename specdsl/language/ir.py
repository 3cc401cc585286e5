"""The intermediate representation: the contract between parsers and everything else.

Immutable dataclasses.  Source spans ride along for error messages but take no part
in equality, so ``parse(print(ir)) == ir`` is a meaningful round trip.  Blocks keep
only the arguments the user wrote (defaults are resolved by analysis), which is what
lets the canonical printer (:mod:`specdsl.language.printer`) reproduce short strings such as
``do``.  The printer lives in its own module because it needs the layer registry,
and the registry's kinds import this module: the IR itself imports nothing of the
language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from specdsl.errors import Span

SPEC_VERSION = 1


@dataclass(frozen=True)
class Var:
    """A ``$name`` reference to a preset parameter, bound at instantiation."""

    name: str
    span: Span | None = field(default=None, compare=False, repr=False)  # where it is written, for errors

    def __str__(self) -> str:
        return f"${self.name}"


# ---------------------------------------------------------------- search spaces


Bound = Union[int, float, Var]  # a range's bound or step: a number, or a preset parameter


@dataclass(frozen=True)
class Choice:
    """``{32,64,128}`` or ``{relu,gelu}``: one of the values written, in the order written."""

    options: tuple[int | float | str | bool | Var, ...]


@dataclass(frozen=True)
class Range:
    """``{1..7}``, ``{32..128:32}``, ``{0.1..0.5:0.1}``: low, low + step, … up to high (inclusive when on the grid)."""

    low: Bound
    high: Bound
    step: Bound = 1


@dataclass(frozen=True)
class Interval:
    """``{1e-4~1e-2}``, ``{1e-4~1e-2:log}``: any number between low and high (for tuners, never a grid)."""

    low: Bound
    high: Bound
    log: bool = False


Domain = Union[Choice, Range, Interval]


@dataclass(frozen=True)
class Hyper:
    """A searched value ``{…}`` written where a value (or a repeat count) goes.

    ``name`` is the explicit name of ``{$name: …}`` ("" when it is named by its position);
    a named one is one choice shared by every ``$name`` in its scope (see
    :mod:`specdsl.language.spaces.compile`).
    """

    domain: Domain
    name: str = ""
    span: Span | None = field(default=None, compare=False, repr=False)


Scalar = Union[int, float, str, bool, Var, Hyper]
Stages = tuple[tuple[Scalar, Scalar], ...]  # ((units, width), ...)


@dataclass(frozen=True)
class Block:
    """One layer kind with its written arguments, e.g. ``conv[128@11, dil=2]``."""

    kind: str  # canonical kind name from the registry
    args: tuple[tuple[str, ArgValue], ...] = ()
    span: Span | None = field(default=None, compare=False, repr=False)
    written: str = field(default="", compare=False, repr=False)  # the text as the user wrote it

    def get(self, name: str, default: object = None) -> object:
        for key, value in self.args:
            if key == name:
                return value
        return default


@dataclass(frozen=True)
class Repeat:
    """``Nx(chain)``: the group of blocks repeated N times (``$n x(…)``: a parameter; ``{1..4}x(…)``: searched)."""

    times: int | Var | Hyper
    body: Chain
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Chain:
    """Blocks applied one after another (the ``_``-joined string)."""

    items: tuple[Block | Repeat, ...] = ()
    span: Span | None = field(default=None, compare=False, repr=False)


ArgValue = Union[Scalar, Stages, Chain]


# ---------------------------------------------------------------- model graphs


@dataclass(frozen=True)
class InputDecl:
    name: str
    shape: tuple[int | str | None, ...]  # str = parameter name, None = any length
    dtype: str = "float32"
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Ref:
    name: str
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Concat:
    names: tuple[str, ...]
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Use:
    """Inline another preset's graph, binding its inputs to these sources."""

    preset: str | Var
    args: tuple[Source_, ...]
    span: Span | None = field(default=None, compare=False, repr=False)


Source_ = Union[Ref, Concat, Use]


@dataclass(frozen=True)
class Node:
    """``name = source | chain``: a tensor of the graph."""

    name: str
    source: Source_
    chain: Chain = Chain()
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Heads:
    """``output name x count = source | chain``: ``count`` identical output heads."""

    name: str
    count: int | str
    source: Source_
    chain: Chain = Chain()
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ParamDecl:
    name: str
    default: int | float | str | Hyper  # a Hyper: a searched parameter (``param lr = {1e-4~1e-2:log}``)
    doc: str = ""
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Preset:
    """A named, parameterised model graph from a spec file (or an ad-hoc string)."""

    name: str
    family: str
    doc: str
    params: tuple[ParamDecl, ...]
    inputs: tuple[InputDecl, ...]
    nodes: tuple[Node, ...]
    outputs: tuple[str, ...] = ()
    heads: tuple[Heads, ...] = ()
    span: Span | None = field(default=None, compare=False, repr=False)
    # A preset whose layers depend on its parameters (layer counts, switches) names the builder
    # that writes it for bound values (:mod:`specdsl.language.builders`); its nodes are the defaults'.
    builder: str = ""

    def param_defaults(self) -> dict[str, object]:
        return {p.name: p.default for p in self.params}

    def main_chain(self) -> Chain | None:
        """The architecture string users know this preset by (its last node's chain)."""
        for node in reversed(self.nodes):
            if node.chain.items:
                return node.chain
        return None


def most_copies(times: int | Var | Hyper) -> int:
    """The largest count a repeat can have: its number, the largest of a searched count, 1 for a ``$name``."""
    if isinstance(times, int):
        return times
    if isinstance(times, Hyper):
        domain = times.domain
        if isinstance(domain, Choice):
            return max((o for o in domain.options if isinstance(o, int)), default=1)
        if isinstance(domain, Range) and isinstance(domain.high, int):
            return domain.high
    return 1


def block_count(chain: Chain) -> int:
    """Blocks of ``chain`` once every repeat is expanded, nested strings (``each[...]``) included.

    Linear in the size of the IR (a repeat is counted, never expanded), so a
    ``1000000000x(fc[1])`` is refused before anything is built.  A searched count counts
    as its largest value.
    """
    total = 0
    for item in chain.items:
        if isinstance(item, Repeat):
            total += most_copies(item.times) * block_count(item.body)
        else:
            total += 1 + sum(block_count(v) for _, v in item.args if isinstance(v, Chain))
    return total
