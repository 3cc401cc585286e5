"""The body of a training IR from a named preset: what every config kind and adapter that names a preset uses."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from specdsl.config.user_presets import BUILT_IN, ConfigPresets
from specdsl.training.ir import BodyIR, settings


def body_preset(name: str, params: dict[str, Any], label: str | None = None, *,
                presets: ConfigPresets = BUILT_IN, at: str = "model.architecture.preset") -> BodyIR:
    """``name`` is found by ``presets`` (:mod:`.user_presets`: built in, a config's spec-files, or
    FILE.spec:NAME); a problem is said at config key ``at``."""
    preset = presets.find(name, at)
    return BodyIR(replace(preset, heads=(), outputs=()), settings(params), label or preset.name)


__all__ = ["body_preset"]
