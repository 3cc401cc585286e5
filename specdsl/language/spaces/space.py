"""A search space: an architecture string or preset with ``{…}``, bound to its parameters.

``Space.of("cnn_lstm", params={"target_length": 500})`` parses and binds once; then every
question is cheap and needs no TensorFlow: the axes and the exact size
(:mod:`.structure`), point *i* in the documented order, a random point, the default point,
and the search-free preset or analysed layer graph of any point (:mod:`.bind`).  The tuners
(:mod:`.tuners`) and ``specdsl space`` (:mod:`.points`) are built on these calls.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from typing import Any

from specdsl.errors import SpecError
from specdsl.language import hyper as dom
from specdsl.language.adhoc import is_architecture_string, model_name
from specdsl.language.ir import Hyper, ParamDecl, Preset
from specdsl.language.lowering import LayerGraph
from specdsl.language.primitives import Shape
from specdsl.language.printer import format_chain, format_hyper
from specdsl.language.spaces.bind import Binder
from specdsl.language.spaces.compile import compile_preset
from specdsl.language.spaces.structure import Numbering, concrete_axes
from specdsl.language.spaces.template import Axis, Template

Conditions = tuple[tuple[str, tuple[int, ...]], ...]


class Space:
    """The points of one preset or string; see the module docstring."""

    def __init__(self, template: Template, input_shapes: Mapping[str, Shape] | None = None,
                 extras: Mapping[str, Hyper] | None = None):
        self.template = template
        self.input_shapes = dict(input_shapes or {})
        self._numbering = Numbering(template.top)
        self._axes = concrete_axes(template.top)
        self._names = {name for name, _, _ in self._axes}
        if len(self._names) < len(self._axes):
            seen: dict[str, Axis] = {}
            for name, axis, _ in self._axes:
                if name in seen and seen[name] is not axis:
                    raise SpecError(f"two choices are both named '{name}' once copies are numbered",
                                    span=axis.span, hint=f"the other one is {seen[name].where}; rename one")
                seen[name] = axis
        self.extra_specs = dict(extras or {})

    # ------------------------------------------------------------ construction

    @classmethod
    def of(cls, target: str, params: Mapping[str, Any] | None = None,
           input_shapes: Mapping[str, Shape] | None = None) -> Space:
        """A preset name, a spec file (``file.spec[:Preset]``) or an architecture string with ``{…}``."""
        from specdsl.language.model import resolve_target

        return cls.from_preset(resolve_target(target), params, input_shapes)

    @classmethod
    def from_preset(cls, preset: Preset, params: Mapping[str, Any] | None = None,
                    input_shapes: Mapping[str, Shape] | None = None) -> Space:
        from specdsl.language.adhoc import _vars_in
        from specdsl.language.builders import materialize
        from specdsl.language.model import LayerGraph, _Instantiator

        params = dict(params or {})
        named: set[str] = set()
        for chain in [n.chain for n in preset.nodes] + [h.chain for h in preset.heads]:
            _vars_in(chain, declared=named)
        fixed = {k: params.pop(k) for k in list(params) if k in named and k not in preset.param_defaults()}
        values = _Instantiator(LayerGraph(preset.name)).bind_params(preset, params, strict=True)
        written = materialize(preset, values)
        if written is not preset:  # a builder wrote it: its own searched parameters join the builder's
            values = {**{p.name: p.default for p in written.params}, **values}
        return cls(compile_preset(written, values, fixed), input_shapes)

    def with_extras(self, extras: Mapping[str, Hyper]) -> Space:
        """This space plus training hyperparameters (a learning rate …), searched alongside it; an extra
        with the name of a searched preset parameter replaces it."""
        from dataclasses import replace

        t = self.template
        taken = {p.name for p in t.preset.params}
        new = [ParamDecl(k, v, "training hyperparameter") for k, v in extras.items() if k not in taken]
        params = tuple(ParamDecl(p.name, extras.get(p.name, p.default), p.doc, p.span) for p in t.preset.params)
        preset = replace(t.preset, params=tuple(new) + params)
        values = {**{p.name: p.default for p in new}, **t.params,
                  **{k: v for k, v in extras.items() if k in taken}}
        return Space(compile_preset(preset, values, t.fixed), self.input_shapes, {**self.extra_specs, **extras})

    # ------------------------------------------------------------ questions

    @property
    def size(self) -> int:
        """The exact number of points (continuous axes, which have infinitely many values, not counted)."""
        return self._numbering.size

    def size_text(self) -> str:
        text = f"{self.size:,}"
        if self.continuous:
            text += f" (× {len(self.continuous)} continuous ax{'is' if len(self.continuous) == 1 else 'es'})"
        return text

    @property
    def continuous(self) -> list[str]:
        return [name for name, axis, _ in self._axes if axis.continuous]

    @property
    def axes(self) -> list[tuple[str, str]]:
        """Every hyperparameter (copies numbered), with what it chooses and when it is active."""
        return [(name, _describe(axis, conds)) for name, axis, conds in self._axes]

    def axis_entries(self) -> list[tuple[str, Axis, Conditions]]:
        """The axes with their domains and activation conditions, in the order of points (for tuners)."""
        return list(self._axes)

    @property
    def extras(self) -> dict[str, Axis]:
        """Searched parameters no layer uses (training hyperparameters), by name: given to ``fit_trial``."""
        return {k: a for k, a in self.template.searched_params.items() if a.role == "extra"}

    def default_point(self) -> dict[str, Any]:
        return self._numbering.point(0)

    def point(self, i: int) -> dict[str, Any]:
        """Point ``i`` of the documented order (``0 ≤ i < size``)."""
        return self._numbering.point(i)

    def sample(self, rng: random.Random) -> dict[str, Any]:
        return self._numbering.sample(rng)

    def split(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(architecture values, training hyperparameters) of a point."""
        extras = self.extras
        return ({k: v for k, v in values.items() if k not in extras and not k.startswith("tuner/")},
                {k: v for k, v in values.items() if k in extras})

    def bind(self, values: Mapping[str, Any]) -> Preset:
        """The search-free preset of this point; axes the point leaves out take their default."""
        return Binder(self.template, values, self._names).preset()

    def graph(self, values: Mapping[str, Any], input_shapes: Mapping[str, Shape] | None = None) -> LayerGraph:
        """The analysed layer graph of this point (what ``build_keras_model`` builds)."""
        return self.analyse(self.bind(values), input_shapes)

    def analyse(self, bound: Preset, input_shapes: Mapping[str, Shape] | None = None) -> LayerGraph:
        """The layer graph of a bound point (:meth:`bind`), on these input shapes or the space's."""
        from specdsl.language.model import build_plain_graph

        graph = build_plain_graph(bound, None, input_shapes or self.input_shapes or None)
        graph.name = model_name(self.template.preset)
        return graph

    def text(self) -> str:
        """The space as canonical text: the main string, or every string of a preset, one per line."""
        t = self.template.preset
        chains = [(n.name, n.chain) for n in t.nodes if n.chain.items] + [(h.name, h.chain) for h in t.heads]
        if len(chains) == 1 and is_architecture_string(t):
            return format_chain(chains[0][1])
        lines = [f"{p.name} = {format_hyper(p.default) if isinstance(p.default, Hyper) else p.default}"
                 for p in t.params if isinstance(self.template.params.get(p.name), Hyper)]
        return "\n".join(lines + [f"{name} | {format_chain(c)}" for name, c in chains])

    def fingerprint(self) -> str:
        """Changes whenever the axes or their domains do: a resumed search checks it."""
        parts = [f"{name}={format_hyper(Hyper(a.domain))}|{conds}" for name, a, conds in self._axes]
        parts += [f"{k}={v}" for k, v in sorted(self.template.params.items()) if not isinstance(v, Hyper)]
        return hashlib.sha256("\n".join([self.text(), *parts]).encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Space({self.template.preset.name}: {len(self._axes)} axes, {self.size_text()} points)"


def _describe(axis: Axis, conds: Conditions) -> str:
    n = dom.size(axis.domain)
    values = format_hyper(Hyper(axis.domain))
    what = f"{values}: {'continuous' if n is None else f'{n:,} value' + ('s' if n != 1 else '')}"
    role = {"count": "repeat count", "extra": "training hyperparameter", "param": "searched parameter"}.get(axis.role)
    where = axis.where if axis.role != "extra" else ""
    when = " and ".join(f"{p} ≥ {min(vs)}" if vs else f"{p} never" for p, vs in conds)
    parts = [what] + [x for x in (role, where) if x] + ([f"when {when}"] if when else [])
    return "; ".join(parts)


def spaces_error(space: Space) -> SpecError:
    return SpecError(f"{space.template.preset.name} has no choices: it is one model, not a search space",
                     hint="write choices as {a,b}, {low..high} or {low~high}")


__all__ = ["Space", "Conditions"]
