"""Lowering: IR (blocks, chains, preset graphs) → a graph of primitive layers.

The layer graph is what analysis reports and what the Keras backend builds, node
for node, so counts and models come from one walk.  Shape problems are found here,
before any Keras code runs, and are reported against the block that caused them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from specdsl.errors import ImpossibleShape, LimitExceeded, Span, SpecError
from specdsl.language.ir import Block, Chain, Repeat
from specdsl.language.kinds import all_kinds
from specdsl.language.limits import MAX_LAYERS, MAX_SIZE
from specdsl.language.primitives import PRIMITIVES, Shape, ShapeProblem, format_shape
from specdsl.language.registry import Kind, check_value


@dataclass(frozen=True)
class Tensor:
    node: str
    shape: Shape
    dtype: str = "float32"


@dataclass
class LayerNode:
    """One Keras layer (or model input) with its analysed numbers."""

    name: str
    prim: str  # primitive name, or "input"
    config: dict
    inputs: list[str]
    shape: Shape
    dtype: str = "float32"
    trainable: int = 0
    non_trainable: int = 0
    macs: int | None = 0
    kind: str = ""  # the spec kind this layer came from
    spec: str = ""  # the spec text of that block
    span: Span | None = None

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable


@dataclass
class LayerGraph:
    name: str
    inputs: list[LayerNode] = field(default_factory=list)
    layers: list[LayerNode] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    note: str = ""  # said with the report, e.g. that a search space is shown at its default point
    _names: set = field(default_factory=set, repr=False)
    _counters: dict = field(default_factory=dict, repr=False)

    def unique(self, name: str) -> str:
        base, n = name, 1
        while name in self._names:
            n += 1
            name = f"{base}_{n}"
        self._names.add(name)
        return name

    def next_index(self, scope: str, kind: str) -> int:
        key = (scope, kind)
        self._counters[key] = self._counters.get(key, 0) + 1
        return self._counters[key]

    def add_input(self, name: str, shape: Shape, dtype: str, span: Span | None = None) -> Tensor:
        _check_size(shape, 0, f"input '{name}'", span)
        node = LayerNode(self.unique(name), "input", {}, [], tuple(shape), dtype=dtype, kind="input", span=span)
        self.inputs.append(node)
        return Tensor(node.name, node.shape, dtype)

    def add(self, prim: str, inputs: list[Tensor], name: str, config: dict, *, kind: str = "",
            spec: str = "", span: Span | None = None) -> Tensor:
        p = PRIMITIVES[prim]
        shapes = [t.shape for t in inputs]
        try:
            out = tuple(p.shape(shapes, config))
        except ShapeProblem as problem:
            where = f"{spec} " if spec else ""
            error = ImpossibleShape(
                f"impossible shape: {where}{problem} (input {', '.join(format_shape(s) for s in shapes)})",
                span=span,
                hint=("shorten the kernels or pools, or give a longer input with --input"
                      if problem.too_short else None),
            )
            error.too_short = problem.too_short
            raise error from None
        trainable, non_trainable = p.params(shapes, config)
        _check_size(out, trainable + non_trainable, spec or name, span)
        if len(self.layers) >= MAX_LAYERS:
            raise LimitExceeded(f"the model has more than {MAX_LAYERS:,} layers", span=span,
                                expected=f"at most {MAX_LAYERS:,} Keras layers")
        node = LayerNode(
            self.unique(name), prim, dict(config), [t.node for t in inputs], out,
            trainable=trainable, non_trainable=non_trainable, macs=p.macs(shapes, out, config),
            kind=kind, spec=spec, span=span,
        )
        self.layers.append(node)
        return Tensor(node.name, out)

    def rename(self, tensor: Tensor, name: str) -> Tensor:
        """Give the layer that made ``tensor`` a chosen name (output heads are named by the spec)."""
        node = next(n for n in self.layers if n.name == tensor.node)
        self._names.discard(node.name)
        node.name = self.unique(name)
        return Tensor(node.name, tensor.shape, tensor.dtype)

    # totals -----------------------------------------------------------------
    @property
    def trainable(self) -> int:
        return sum(n.trainable for n in self.layers)

    @property
    def non_trainable(self) -> int:
        return sum(n.non_trainable for n in self.layers)

    @property
    def total(self) -> int:
        return self.trainable + self.non_trainable

    @property
    def macs(self) -> int | None:
        values = [n.macs for n in self.layers]
        return None if any(v is None for v in values) else sum(values)

    def output_shapes(self) -> dict[str, Shape]:
        by_name = {n.name: n for n in self.inputs + self.layers}
        return {o: by_name[o].shape for o in self.outputs}


def _check_size(shape: Shape, params: int, what: str, span: Span | None) -> None:
    """Refuse, before Keras sees it, a tensor dimension or a layer that no machine could build."""
    big = next((d for d in shape if d is not None and d >= MAX_SIZE), None)
    if big is not None:
        raise LimitExceeded(f"{what}: a dimension of {big:,} is too large to build", span=span,
                            expected=f"every dimension below {MAX_SIZE:,} (2^31)")
    if params >= MAX_SIZE:
        raise LimitExceeded(f"{what}: {params:,} parameters in one layer are too many to build", span=span,
                            expected=f"fewer than {MAX_SIZE:,} (2^31) parameters per layer",
                            hint="make the layer narrower, or pool the sequence before a dense layer")


class BlockContext:
    """What a kind's ``lower`` function sees: its resolved arguments and the graph."""

    def input_tensor(self, node: LayerNode) -> Tensor:
        """A model input as a tensor a layer can read (the CRF reads its padding from the token input)."""
        return Tensor(node.name, node.shape, node.dtype)

    def __init__(self, graph: LayerGraph, block: Block, kind: Kind, scope: str, settings: dict,
                 following: Kind | None, per_position: bool):
        self.graph = graph
        self.block = block
        self.kind = kind
        self.settings = settings
        self.following = following
        self.per_position = per_position
        index = graph.next_index(scope, kind.name)
        self.name = f"{scope}_{kind.name}{index}" if scope else f"{kind.name}{index}"
        self.scope = scope
        self._args = resolve_args(block, kind, settings)

    def __getitem__(self, name: str) -> Any:
        return self._args[name]

    def add(self, prim: str, x: Tensor | list[Tensor], suffix: str = "", **config: Any) -> Tensor:
        """Add one primitive layer named after this block (plus a suffix for sub-layers)."""
        inputs = x if isinstance(x, list) else [x]
        name = f"{self.name}_{suffix}" if suffix else self.name
        return self.graph.add(prim, inputs, name, config, kind=self.kind.name,
                              spec=self.block.written or "", span=self.block.span)

    def lower_chain(self, chain: Chain, x: Tensor, *, per_position: bool | None = None) -> Tensor:
        scope = self.name
        return lower_chain(self.graph, chain, x, scope, self.settings,
                           per_position=self.per_position if per_position is None else per_position)

    def fail(self, message: str, hint: str | None = None) -> SpecError:
        return SpecError(f"{self.block.written or self.kind.name}: {message}", span=self.block.span, hint=hint)


def resolve_args(block: Block, kind: Kind, settings: dict) -> dict[str, Any]:
    """Written arguments, then settings-backed defaults, then the kind's defaults."""
    written = dict(block.args)
    out: dict[str, Any] = {}
    for arg in kind.args:
        if arg.name in written:
            out[arg.name] = written[arg.name]
        elif arg.setting is not None and arg.setting in settings:
            out[arg.name] = check_value(kind, arg, settings[arg.setting], block.span)
        elif arg.required:
            raise SpecError(
                f"{kind.name} needs its argument '{arg.name}'",
                span=block.span,
                expected=f"{kind.name}[{kind.signature()}]" + (f", e.g. {kind.example}" if kind.example else ""),
            )
        else:
            out[arg.name] = arg.default
    return out


def _flatten(chain: Chain) -> list[Block]:
    out: list[Block] = []
    for item in chain.items:
        if isinstance(item, Repeat):
            for _ in range(item.times):
                out.extend(_flatten(item.body))
        else:
            out.append(item)
    return out


def lower_chain(graph: LayerGraph, chain: Chain, x: Tensor, scope: str, settings: dict,
                *, per_position: bool = False) -> Tensor:
    kinds = all_kinds()
    blocks = _flatten(chain)
    # The next block that changes the sequence structure (per-position layers do not), for each
    # block: one backward pass, so lowering stays linear in the number of blocks.
    following: list[Kind | None] = [None] * len(blocks)
    upcoming: Kind | None = None
    for i in range(len(blocks) - 1, -1, -1):
        following[i] = upcoming
        later = kinds[blocks[i].kind]
        if not later.pointwise or later.recurrent:
            upcoming = later
    for i, block in enumerate(blocks):
        kind = kinds[block.kind]
        if per_position and not kind.pointwise:
            raise SpecError(
                f"{block.written or kind.name} cannot be applied per position inside each[...]",
                span=block.span,
                expected="layers that act on the last axis only: dense, fc, act, do, bn, ln",
            )
        ctx = BlockContext(graph, block, kind, scope, settings, following[i], per_position)
        x = kind.lower(ctx, x)
    return x


__all__ = ["Tensor", "LayerNode", "LayerGraph", "BlockContext", "lower_chain", "resolve_args"]
