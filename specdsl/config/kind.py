"""One config kind: its schema, how it is recognised, its conversion to the training IR.

The entries register themselves here; :mod:`.kinds` is the catalogue that loads them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from specdsl.training.ir import TrainingIR


@dataclass(frozen=True)
class ConfigKind:
    name: str
    doc: str
    schema: Callable[[], dict[str, Any]]
    to_ir: Callable[[dict[str, Any], str], TrainingIR]
    claims: Callable[[Any], bool] | None = None  # recognises a config without a "kind" key
    claims_doc: str = ""  # "has …": what ``claims`` looks for, for docs/config.md "Which kind a config is"
    order: int = 99  # where docs list it
    # A kind whose configs describe a whole pipeline rather than one training run (Capfinder's
    # ETL → search → training → evaluation) names the module that runs it: ``specdsl train`` and
    # ``specdsl check`` call its ``run_ir(ir, resume=…)`` / ``check_ir(ir)`` instead of planning the
    # IR.  A module path, imported only then (the pipeline imports TensorFlow and the kind itself).
    pipeline: str | None = None

    def load_pipeline(self) -> Any:
        """The pipeline module, or None for a kind whose config is one training run."""
        return importlib.import_module(self.pipeline) if self.pipeline else None


_KINDS: dict[str, ConfigKind] = {}


def register(kind: ConfigKind) -> ConfigKind:
    _KINDS[kind.name] = kind
    return kind


__all__ = ["ConfigKind", "register"]
