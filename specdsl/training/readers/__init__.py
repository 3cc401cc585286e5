"""Data readers: one registry entry per file format, as the layer and head kinds are.

A reader turns a format's files into named *fields* — model inputs (``sequence``, ``dna``,
``cpg/state``) and targets (``profile/0``, ``cpg/BS27_4_SER``) — in three steps:

* :meth:`Reader.fields`: what the files offer, from their metadata (no TensorFlow), so
  heads can pick targets and inputs can take their shapes from the data;
* :meth:`Reader.check`: every file checked against the resolved plan before TensorFlow
  starts (errors name the file and, through the config, the key); returns the examples
  per epoch;
* :meth:`Reader.dataset`: a ``tf.data`` pipeline streaming the fields in bounded memory,
  shuffled across and within files.

:meth:`Reader.labels` gives heads the training labels of a target (for class weights).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...config.schema import Schema
from ...errors import SpecError, did_you_mean


@dataclass(frozen=True)
class Fields:
    """What a reader's files offer: input fields (shape, dtype) and target fields (shape)."""

    inputs: dict[str, tuple[tuple[int, ...], str]]
    targets: dict[str, tuple[int, ...]]
    facts: dict[str, Any] = field(default_factory=dict)  # e.g. the cells of a DeepCpG file


class Reader:
    name: str = ""
    doc: str = ""

    def schema_properties(self) -> dict[str, Schema]:
        """The reader's own keys in a ``specdsl-train`` config's ``data`` section."""
        return {}

    def fields(self, ir: Any) -> Fields:
        raise NotImplementedError

    def check(self, plan: Any, role: str) -> int:
        """Validate every file of ``role`` ("train"/"val"); return the examples one epoch reads."""
        raise NotImplementedError

    def labels(self, ir: Any, target: str) -> np.ndarray:
        """The training labels of ``target`` (unknown = −1), as float64."""
        raise NotImplementedError

    def dataset(self, plan: Any, role: str, names: list[str], *, shuffle: bool, seed: int) -> Any:
        """A finite, re-iterable ``tf.data.Dataset`` of dicts {field: batch} for ``names``."""
        raise NotImplementedError


_READERS: dict[str, Reader] = {}
_MODULES = ("bpreveal_h5", "deepcpg_h5")


def register(reader: Reader) -> Reader:
    _READERS[reader.name] = reader
    return reader


def all_readers() -> dict[str, Reader]:
    for module in _MODULES:  # each module registers itself once; already-imported ones cost nothing
        importlib.import_module(f"{__name__}.{module}")
    # in _MODULES order, whatever order they were first imported in (docs and schemas are stable)
    rank = {m: i for i, m in enumerate(_MODULES)}
    return dict(sorted(_READERS.items(), key=lambda kv: rank.get(type(kv[1]).__module__.rsplit(".", 1)[-1], 99)))


def get_reader(name: str) -> Reader:
    readers = all_readers()
    if name not in readers:
        raise SpecError(f"unknown data reader '{name}'", expected="one of " + ", ".join(readers),
                        hint=did_you_mean(name, readers), path="data.reader")
    return readers[name]


def files_of(plan: Any, role: str) -> tuple[str, ...]:
    return plan.ir.data.train if role == "train" else plan.ir.data.val


__all__ = ["Fields", "Reader", "register", "all_readers", "get_reader", "files_of"]
