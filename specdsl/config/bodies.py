"""The body of a training IR from a named preset: what every config kind and adapter that names a preset uses."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from specdsl.training.ir import BodyIR, settings


def body_preset(name: str, params: dict[str, Any], label: str | None = None) -> BodyIR:
    from specdsl.language.presets import get_preset

    preset = get_preset(name)
    return BodyIR(replace(preset, heads=(), outputs=()), settings(params), label or preset.name)


__all__ = ["body_preset"]
