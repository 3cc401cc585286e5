"""Config kinds: one registry entry per kind (its schema, detection rule and conversion to the IR).

The schemas live in :mod:`.schemas` (they share key factories), detection in
:func:`.validate.detect_kind`; this registry ties each kind's name to its conversion, so a
new kind is one :func:`register` call and one conversion function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .training_ir import TrainingIR


@dataclass(frozen=True)
class ConfigKind:
    name: str
    doc: str
    to_ir: Callable[[dict[str, Any], str], TrainingIR]


_KINDS: dict[str, ConfigKind] = {}


def register(kind: ConfigKind) -> ConfigKind:
    _KINDS[kind.name] = kind
    return kind


def config_kind(name: str) -> ConfigKind:
    from . import from_bpreveal, from_specdsl  # noqa: F401  (each registers its kind once, on first import)

    return _KINDS[name]


def to_training_ir(kind: str, config: dict[str, Any], source: str = "<config>") -> TrainingIR:
    """The IR of a validated, defaults-applied config of ``kind`` (see :func:`.validate.validate`)."""
    return config_kind(kind).to_ir(config, source)


__all__ = ["ConfigKind", "register", "config_kind", "to_training_ir"]
