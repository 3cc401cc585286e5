"""Config kinds: one registry entry per kind — its schema, how it is recognised, its conversion to the IR.

Each kind is one module of this package named ``from_<kind>.py`` that calls :func:`register`;
the registry finds them, so a new kind is one module: the schema (built from the shared
key factories of :mod:`.schemas`), a ``claims`` rule for configs that do not name their
kind, and the conversion to :class:`~specdsl.config.training_ir.TrainingIR`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from .training_ir import TrainingIR


@dataclass(frozen=True)
class ConfigKind:
    name: str
    doc: str
    schema: Callable[[], dict[str, Any]]
    to_ir: Callable[[dict[str, Any], str], TrainingIR]
    claims: Callable[[Any], bool] | None = None  # recognises a config without a "kind" key
    order: int = 99  # where docs list it
    # A kind whose configs describe a whole pipeline rather than one training run (Capfinder's
    # ETL → search → training → evaluation) gives it here: ``specdsl train`` and ``specdsl check``
    # call ``pipeline.run(ir, resume=…)`` / ``pipeline.check(ir)`` instead of planning the IR.
    pipeline: Any = None


_KINDS: dict[str, ConfigKind] = {}


def register(kind: ConfigKind) -> ConfigKind:
    _KINDS[kind.name] = kind
    return kind


@cache
def _load() -> None:
    from . import __path__ as here

    for module in pkgutil.iter_modules(here):
        if module.name.startswith("from_"):
            importlib.import_module(f"{__package__}.{module.name}")


def all_config_kinds() -> dict[str, ConfigKind]:
    _load()
    return dict(sorted(_KINDS.items(), key=lambda kv: (kv[1].order, kv[0])))


def config_kind(name: str) -> ConfigKind:
    return all_config_kinds()[name]


def to_training_ir(kind: str, config: dict[str, Any], source: str = "<config>") -> TrainingIR:
    """The IR of a validated, defaults-applied config of ``kind`` (see :func:`.validate.validate`)."""
    return config_kind(kind).to_ir(config, source)


__all__ = ["ConfigKind", "register", "all_config_kinds", "config_kind", "to_training_ir"]
