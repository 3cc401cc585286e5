"""The analysis as users ask for it: any preset, string or spec file → its layer graph; command-line values.

Above the search spaces of :mod:`specdsl.language.spaces` (a preset that holds a search space is
analysed at its default point) and below everything that reports shapes and counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from specdsl.errors import ImpossibleShape, Source, Span, SpecError
from specdsl.language.hyper import preset_has_search
from specdsl.language.ir import Preset
from specdsl.language.limits import MAX_SIZE
from specdsl.language.literals import is_number, number_value, reject_foreign_digits
from specdsl.language.lowering import LayerGraph
from specdsl.language.model import build_plain_graph, resolve_target
from specdsl.language.primitives import Shape


def build_graph(preset: Preset, params: Mapping[str, Any] | None = None,
                inputs: Mapping[str, Shape] | None = None) -> LayerGraph:
    """Bind parameters and input shapes, lower every block, and check every shape.

    A search space (``{…}`` in a string, a searched parameter) is analysed at its default point,
    and the graph's ``note`` says so: ``specdsl params``, ``presets`` and ``check`` keep working on
    Capfinder's spaces, and ``specdsl space`` lists the other points.

    A given input written channels first (``4x1000`` for a one-hot sequence of 1,000 bases) is
    never refused for it: an analysis it makes fail says that inputs are length × channels in its
    hint, and one that works but reads a clearly swapped shape says so in the graph's note.
    """
    try:
        graph = _build_graph(preset, params, inputs)
    except ImpossibleShape as err:
        swapped = _swapped_input(preset, params, inputs, None)
        if swapped:
            err.hint = swapped + (f"; otherwise, {err.hint}" if err.hint else "")
        raise
    swapped = _swapped_input(preset, params, inputs, graph)
    if swapped:
        graph.note = "; ".join(n for n in (graph.note, swapped) if n)
    return graph


def _swapped_input(preset: Preset, params: Mapping[str, Any] | None, inputs: Mapping[str, Shape] | None,
                   graph: LayerGraph | None) -> str:
    """Why a given input (L, C) with L < C looks written channels first.

    Clearly swapped: a few positions of a hundred or more channels (a one-hot sequence turned
    round), or, in a working analysis ``graph``, a convolution reading four times more channels
    than positions.  After a failed analysis (``graph`` None) any L < C counts when (C, L) analyses.
    """
    for name, shape in (inputs or {}).items():
        if len(shape) != 2 or None in shape or shape[0] >= shape[1]:
            continue
        length, channels = shape
        clear = length <= 5 and channels >= 100
        if graph is not None:
            clear = clear or channels >= 4 * length and _read_by_conv(graph, name)
        if not clear and (graph is not None or not _analyses(preset, params, {**inputs, name: (channels, length)})):
            continue
        which = f"input '{name}' " if name else ""
        return (f"inputs are length × channels: {which}{length}x{channels} is {length} positions of {channels} "
                f"channels each; for {channels} positions of {length} channels write {channels}x{length}")
    return ""


def _analyses(preset: Preset, params: Mapping[str, Any] | None, inputs: Mapping[str, Shape]) -> bool:
    try:
        _build_graph(preset, params, inputs)
    except SpecError:
        return False
    return True


def _read_by_conv(graph: LayerGraph, name: str) -> bool:
    """Whether the first layer reading the input ``name`` (the only one, when unnamed) is a convolution."""
    node = graph.inputs[0] if not name else next((n for n in graph.inputs if n.name == name), None)
    first = next((layer for layer in graph.layers if node is not None and node.name in layer.inputs), None)
    return first is not None and first.prim == "conv1d"


def _build_graph(preset: Preset, params: Mapping[str, Any] | None = None,
                 inputs: Mapping[str, Shape] | None = None) -> LayerGraph:
    if preset_has_search(preset):
        from specdsl.language.spaces.space import Space  # imported by the presets that hold a search

        space = Space.from_preset(preset, params, inputs)
        graph = space.graph(space.default_point())
        graph.note = (f"a search space of {space.size_text()} points; this is its default point "
                      "(specdsl space lists the others)")
        return graph
    return build_plain_graph(preset, params, inputs)


def analyse(target: str, params: Mapping[str, Any] | None = None,
            inputs: Mapping[str, Shape] | None = None) -> LayerGraph:
    """Shapes, exact parameter counts and MACs of a preset, spec file or architecture string."""
    return build_graph(resolve_target(target), params, inputs)


def parse_override(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` from the command line; a value written as a number is one (ASCII digits only)."""
    source = Source("--set", text)
    if "=" not in text:
        raise SpecError(f"'{text}' is not KEY=VALUE", span=Span(source, 1, 1, 1, len(text) + 1),
                        expected="e.g. --set dna_wlen=501")
    key, value = text.split("=", 1)
    start = len(key) + 1 + (len(value) - len(value.lstrip()))
    reject_foreign_digits(source, len(key) + 1)
    value = value.strip()
    if is_number(value):
        return key.strip(), number_value(value, Span(source, 1, start + 1, 1, start + len(value) + 1))
    return key.strip(), value


def parse_shape(text: str, name: str = "--input") -> tuple:
    """``1001x4`` → (1001, 4); ``?`` is a length known only at run time.  Errors point at the bad dimension."""
    source = Source(name, text)
    dims: list[int | None] = []
    offset = 0
    for raw in re.split("[xX]", text):
        part, col = raw.strip(), offset + len(raw) - len(raw.lstrip()) + 1
        span = Span(source, 1, col, 1, col + max(1, len(part)))
        offset += len(raw) + 1
        if part.lower() in ("?", "none"):
            dims.append(None)
        elif part.isascii() and part.isdigit() and 0 < len(part) <= 10 and 0 < int(part) < MAX_SIZE:
            dims.append(int(part))
        else:
            raise SpecError(f"'{text}' is not a shape", span=span,
                            expected=f"dimensions from 1 to {MAX_SIZE - 1:,} (ASCII digits, or ? for any length) "
                                     "joined by x, e.g. 1001x4 or 50x100")
    return tuple(dims)


__all__ = ["analyse", "build_graph", "parse_override", "parse_shape"]
