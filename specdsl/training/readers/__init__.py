"""Data readers: one registry entry per file format, as the layer and head kinds are.

A reader turns a format's files into named *fields* — model inputs (``sequence``, ``dna``,
``cpg/state``) and targets (``profile/0``, ``cpg/BS27_4_SER``) — in three steps:

* :meth:`Reader.fields`: what the files offer, from their metadata (no framework), so
  heads can pick targets and inputs can take their shapes from the data;
* :meth:`Reader.check`: every file checked against the resolved plan before a framework
  starts (errors name the file and, through the config, the key); returns the examples
  per epoch;
* :meth:`Reader.batches`: a :class:`~specdsl.training.batching.BatchStream` of NumPy batches
  streaming the fields in bounded memory, shuffled across and within files, the same on
  every Keras backend.

:meth:`Reader.labels` gives heads the training labels of a target (for class weights).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from specdsl.errors import SpecError, did_you_mean
from specdsl.schema import Schema


@dataclass(frozen=True)
class Fields:
    """What a reader's files offer: input fields (shape, dtype) and target fields (shape)."""

    inputs: dict[str, tuple[tuple[int, ...], str]]
    targets: dict[str, tuple[int, ...]]
    facts: dict[str, Any] = field(default_factory=dict)  # e.g. the cells of a DeepCpG file


class Reader:
    name: str = ""
    doc: str = ""
    needs_val: bool = False  # whether a config must name validation files
    single_input: str | None = None  # the field an architecture string's one input reads, if fixed
    aliases: dict[str, str] = {}  # model input name → field, for inputs not named after their field
    whole_batches = True  # training batches are all full: the remainder is left out of each epoch (not the same one)

    def schema_properties(self) -> dict[str, Schema]:
        """The reader's own keys in a ``specdsl-train`` config's ``data`` section."""
        return {}

    def input_shape(self, field: str, model: dict[str, Any]) -> tuple[int | None, ...] | None:
        """A field's shape as the config fixes it (``None``: taken from the files)."""
        return None

    def bind_inputs(self, preset: Any, model: dict[str, Any], mapping: dict[str, str]) -> tuple[Any, ...]:
        """The model's inputs bound to fields: ``inputs`` map, else the reader's aliases, else the name."""
        from specdsl.training.ir import InputIR

        unknown = sorted(set(mapping) - {i.name for i in preset.inputs})
        if unknown:
            raise SpecError(f"inputs names '{unknown[0]}', which the model does not have",
                            path=f"inputs.{unknown[0]}", expected="one of " + ", ".join(i.name for i in preset.inputs))
        out = []
        for decl in preset.inputs:
            name = mapping.get(decl.name) or self.single_input or self.aliases.get(decl.name, decl.name)
            shape = self.input_shape(name, model) or tuple(None for _ in decl.shape)
            out.append(InputIR(decl.name, shape, decl.dtype, name))
        return tuple(out)

    def fields(self, ir: Any) -> Fields:
        raise NotImplementedError

    def holds_out(self, ir: Any) -> bool:
        """Whether the reader splits a file given as both training and validation data (no warning then)."""
        return False

    def check(self, plan: Any, role: str) -> int:
        """Validate every file of ``role`` ("train"/"val"); return the examples one epoch reads."""
        raise NotImplementedError

    def labels(self, ir: Any, target: str) -> np.ndarray:
        """The training labels of ``target`` (unknown = −1), as float64."""
        raise NotImplementedError

    def batches(self, plan: Any, role: str, names: list[str], *, shuffle: bool, seed: int) -> Any:
        """A :class:`~specdsl.training.batching.BatchStream` of dicts {field: batch} for ``names``."""
        raise NotImplementedError


_READERS: dict[str, Reader] = {}
_HELPERS = {"validate"}  # shared by the readers, not one itself
_MODULES = tuple(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _HELPERS)  # one reader a module


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
