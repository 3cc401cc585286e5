"""Config kinds: one registry entry per kind — its schema, how it is recognised, its conversion to the IR.

Each kind is one module of this package named ``from_<kind>.py`` that calls :func:`register`;
the registry finds them, so a new kind is one module: the schema (built from the shared
key factories of :mod:`.schemas`), a ``claims`` rule for configs that do not name their
kind, and the conversion to :class:`~specdsl.training.ir.TrainingIR`.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from specdsl.config.kind import _KINDS, ConfigKind, register
from specdsl.errors import SpecError, did_you_mean
from specdsl.schema import Schema
from specdsl.training.ir import TrainingIR


@cache
def _load() -> None:
    from specdsl.config import from_specdsl  # noqa: F401  (registers specdsl-train)
    from specdsl.plugins import modules

    modules("config_kinds")


def all_config_kinds() -> dict[str, ConfigKind]:
    _load()
    return dict(sorted(_KINDS.items(), key=lambda kv: (kv[1].order, kv[0])))


def config_kind(name: str) -> ConfigKind:
    return all_config_kinds()[name]


def to_training_ir(kind: str, config: dict[str, Any], source: str = "<config>") -> TrainingIR:
    """The IR of a validated, defaults-applied config of ``kind`` (see :func:`.validate.validate`)."""
    return config_kind(kind).to_ir(config, source)


def config_kinds() -> tuple[str, ...]:
    """Every config kind's name, in the order docs list them (see :mod:`.kinds`)."""
    return tuple(all_config_kinds())


def check_kind(kind: str) -> str:
    """``kind`` if it names a config kind, else a SpecError with a suggestion."""
    kinds = config_kinds()
    if kind not in kinds:
        raise SpecError(f"unknown config kind '{kind}'", expected="one of " + ", ".join(kinds),
                        hint=did_you_mean(kind, kinds))
    return kind


def schema_of(kind: str) -> Schema:
    """The schema itself (shared, do not mutate); :func:`schema_json` hands out copies."""
    return _built(check_kind(kind))


@cache
def _built(kind: str) -> Schema:
    return config_kind(kind).schema()


@cache
def _public(kind: str) -> Schema:
    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if not k.startswith("x-")}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value
    return clean(schema_of(kind))


def schema_json(kind: str) -> dict[str, Any]:
    """The JSON Schema of a config kind (for ``specdsl schema NAME --json`` and editor completion)."""
    return copy.deepcopy(_public(kind))


__all__ = ["ConfigKind", "register", "all_config_kinds", "config_kind", "to_training_ir", "config_kinds", "check_kind",
           "schema_of", "schema_json"]
