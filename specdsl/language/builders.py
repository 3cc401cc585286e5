"""Preset builders: presets whose layers depend on their parameters.

A spec file's preset has a fixed structure; its parameters fill in sizes.  A few systems'
models change shape with their parameters: tranquillyzer's ``conv_layers`` and
``lstm_layers`` count blocks, ``lstm_units // 2`` sizes the later LSTMs, ``attention_heads
> 0`` and ``crf_layer`` switch layers on and off.  The spec language has no arithmetic and
no conditionals (on purpose: presets are data), so such a preset is *written* by a builder:
a small function from the bound parameter values to the preset's spec text, which the
ordinary spec parser reads.  Everything downstream (analysis, counts, the Keras backend,
``use`` in spec files, training plans) sees a normal :class:`~specdsl.language.ir.Preset`.

One :class:`Builder` per preset, registered by the modules systems list under ``preset_builders``
(:mod:`specdsl.plugins`).  The catalogue
holds each builder's preset written with its defaults (``Preset.builder`` names the builder);
:func:`materialize` writes it again for other values.  Nothing here imports TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from specdsl.errors import SpecError
from specdsl.language.ir import ParamDecl, Preset


@dataclass(frozen=True)
class Builder:
    """A preset written by code: its name, aliases, documented parameters and writer.

    ``write`` takes every parameter's bound value and returns the preset's body in the spec
    language (the lines between ``{`` and ``}``), with the values written in; it raises
    :class:`SpecError` naming the parameter for a value it cannot build.
    """

    name: str
    family: str
    doc: str
    params: tuple[ParamDecl, ...]
    write: Callable[[Mapping[str, Any]], str]
    aliases: tuple[str, ...] = ()
    module: str = ""  # where the writer lives, for the docs

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def text(self, values: Mapping[str, Any] | None = None) -> str:
        """The preset as spec-file text, for these values (the defaults where not given)."""
        bound = {**self.defaults(), **(values or {})}
        body = self.write(bound).strip("\n")
        return f'family {self.family}\npreset {self.name} "{self.doc}" {{\n{body}\n}}\n'

    def preset(self, values: Mapping[str, Any] | None = None) -> Preset:
        from specdsl.language.spec_files import parse_spec_file

        (written,) = parse_spec_file(self.text(values), f"<{self.name}>")
        # the builder's parameters, then any the text declares itself (a searched learning rate)
        own = {p.name for p in self.params}
        params = self.params + tuple(p for p in written.params if p.name not in own)
        return replace(written, params=params, builder=self.name)


_BUILDERS: dict[str, Builder] = {}


def register(builder: Builder) -> Builder:
    for key in (builder.name, *builder.aliases):
        assert key.lower() not in _BUILDERS, f"preset name {key!r} registered twice"
        _BUILDERS[key.lower()] = builder
    return builder


def all_builders() -> list[Builder]:
    from specdsl.plugins import modules

    modules("preset_builders")  # the systems' builder modules register themselves on import
    unique: dict[str, Builder] = {}
    for builder in _BUILDERS.values():
        unique.setdefault(builder.name, builder)
    return sorted(unique.values(), key=lambda b: (b.family, b.name))


def find_builder(name: str) -> Builder | None:
    """A builder by its preset's name or an alias, case-insensitively."""
    all_builders()
    return _BUILDERS.get(name.lower())


@cache
def default_preset(name: str) -> Preset:
    """The builder's preset written with its defaults (what the catalogue lists)."""
    builder = find_builder(name)
    assert builder is not None, name
    return builder.preset()


def materialize(preset: Preset, values: Mapping[str, Any]) -> Preset:
    """A built preset written for these bound values; any other preset unchanged."""
    if not preset.builder:
        return preset
    builder = find_builder(preset.builder)
    if builder is None:
        raise SpecError(f"preset {preset.name} names an unknown builder '{preset.builder}'")
    return replace(builder.preset(values), builder="")


# ---------------------------------------------------------------- helpers for writers

TRUE_WORDS = {"yes": True, "true": True, "on": True, "1": True, "no": False, "false": False, "off": False, "0": False}


def flag(preset: str, name: str, value: Any) -> bool:
    """A yes/no parameter: yes/no, true/false (any case, tranquillyzer writes TRUE), on/off, 1/0."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if isinstance(value, float) and value.is_integer():
        word = str(int(value))
    if word in TRUE_WORDS:
        return TRUE_WORDS[word]
    raise SpecError(f"parameter '{name}' of {preset} must be yes or no, not '{value}'",
                    expected="yes/no, true/false (TRUE/FALSE) or 1/0", hint=f"e.g. --set {name}=no")


def whole(preset: str, name: str, value: Any, minimum: int, why: str = "") -> int:
    """A whole-number parameter of at least ``minimum`` (``why`` says where the minimum comes from)."""
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or float(value) != int(value)):
        raise SpecError(f"parameter '{name}' of {preset} must be a whole number, not '{value}'")
    if int(value) < minimum:
        raise SpecError(f"parameter '{name}' of {preset} must be ≥ {minimum}, not {int(value)}", hint=why or None)
    return int(value)


def rate(preset: str, name: str, value: Any, *, below_one: bool = False) -> float:
    """A number ≥ 0 (and < 1 for a dropout rate)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"parameter '{name}' of {preset} must be a number, not '{value}'")
    value = float(value)
    if value < 0 or (below_one and value >= 1):
        raise SpecError(f"parameter '{name}' of {preset} must be ≥ 0{' and < 1' if below_one else ''}, not {value:g}")
    return value


__all__ = ["Builder", "register", "all_builders", "find_builder", "default_preset", "materialize", "flag", "whole",
           "rate"]
