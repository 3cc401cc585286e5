"""The training IR: what a run needs, whichever config kind or command line it came from.

Every config kind (``bpreveal-solo``, ``specdsl-train``) and every command-line adapter
(``specdsl deepcpg train``) produces this one frozen value, so the training code has a
single input and never looks at config keys or option names (principle: the IR is the
contract).  The architecture is carried as parsed IR (a :class:`~specdsl.language.ir.Preset` and
its parameter bindings), never as text to be formatted and parsed again.

Some facts are only known once the data files are opened (how many cells a DeepCpG file
holds, which outputs match ``cpg/.*``).  The IR keeps those as the user wrote them (an
input dimension of ``None``, a target pattern); :mod:`specdsl.training.plan` resolves
them against the reader before anything is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from specdsl.errors import SpecError
from specdsl.language.ir import Preset

Settings = tuple[tuple[str, Any], ...]


def settings(values: Mapping[str, Any] | None = None, **more: Any) -> Settings:
    """A hashable, ordered settings tuple from a mapping (``None`` values dropped)."""
    merged = {**dict(values or {}), **more}
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in merged.items() if v is not None)


class _WithSettings:
    settings: Settings

    def get(self, key: str, default: Any = None) -> Any:
        for k, v in self.settings:
            if k == key:
                return v
        return default

    def settings_dict(self) -> dict[str, Any]:
        return dict(self.settings)


@dataclass(frozen=True)
class InputIR:
    """One model input: its name in the model, its shape (``None`` = taken from the data) and the
    reader field that feeds it."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str
    field: str


@dataclass(frozen=True)
class BodyIR:
    """The network up to the heads: a preset (its own outputs removed) and its parameter bindings.

    ``label`` names it in messages and is the model's name (an architecture string's is its text, and
    its model is named by :func:`specdsl.language.adhoc.model_name`).  ``start_from`` is a trained
    model whose stem initialises the body (DeepCpG's staged training), by part name.
    """

    preset: Preset
    params: Settings = ()
    label: str = ""
    start_from: tuple[tuple[str, str], ...] = ()  # (part name, model path)

    def params_dict(self) -> dict[str, Any]:
        return dict(self.params)


@dataclass(frozen=True)
class HeadIR(_WithSettings):
    """One head: its kind (a :mod:`specdsl.training.heads` entry), its name and its kind's settings."""

    kind: str
    name: str
    settings: Settings = ()
    path: str = ""  # where it was written (``heads[0]``, ``--output_names``) for messages


@dataclass(frozen=True)
class DataIR(_WithSettings):
    """Which reader (a :mod:`specdsl.training.readers` entry) reads which files, with its settings."""

    reader: str
    train: tuple[str, ...]
    val: tuple[str, ...]
    settings: Settings = ()
    path: str = "data"
    train_key: str = "data.train"  # how messages name where the files were given
    val_key: str = "data.val"

    option_names: Settings = ()  # setting → how the user wrote it (--dna_wlen); default data.dna-wlen

    def key(self, role: str) -> str:
        return self.train_key if role == "train" else self.val_key

    def name_of(self, setting: str) -> str:
        named = dict(self.option_names).get(setting)
        return named or f"{self.path}.{setting.replace('_', '-')}"


@dataclass(frozen=True)
class OptimizerIR:
    name: str = "adam"
    learning_rate: float = 1e-3


@dataclass(frozen=True)
class ScheduleIR:
    """How long and how fast.  A patience of ``None`` turns that callback off; ``lr_decay`` is
    DeepCpG's exponential schedule lr·decay^epoch; ``lr_schedule`` an entry of
    :mod:`specdsl.training.schedules` (``kind`` and its settings; empty: none);
    ``max_time_s``/``stop_file`` end a run early."""

    epochs: int
    batch_size: int
    early_stopping_patience: int | None = None
    lr_plateau_patience: int | None = None
    lr_decay: float | None = None
    train_examples: int | None = None  # at most this many examples per epoch
    val_examples: int | None = None
    max_time_s: float | None = None
    stop_file: str | None = None
    lr_schedule: Settings = ()


@dataclass(frozen=True)
class RuntimeIR:
    """How the run executes.  ``device``: "auto" (every GPU, else the CPU), "gpu" (every GPU; the
    run fails without one rather than falling back to the CPU) or "cpu"
    (:mod:`specdsl.training.devices`).  ``backend``: "auto", "tensorflow", "jax" or "torch"
    (:mod:`specdsl.backend.selection`)."""

    verbosity: str = "INFO"
    seed: int | None = None
    mixed_precision: bool = False
    xla: bool = False
    device: str = "auto"
    backend: str = "auto"


@dataclass(frozen=True)
class OutputIR:
    """Where artifacts go.  ``style`` "prefix": ``PREFIX.keras``, ``PREFIX.history.json`` …
    (BPReveal); "folder": ``DIR/model.keras``, ``DIR/history.json``, ``DIR/lc_train.tsv`` …
    (DeepCpG's out dir)."""

    place: str
    style: str = "prefix"
    path: str = "output-prefix"


@dataclass(frozen=True)
class TrainabilityIR:
    """Which layers train: regexes over layer names, applied in DeepCpG's order (not-trainable
    first, then trainable re-enables); output layers always train.  ``path`` names the options."""

    trainable: tuple[str, ...] = ()
    not_trainable: tuple[str, ...] = ()
    path: str = "trainability"


@dataclass(frozen=True)
class TrainingIR:
    """A validated training description with every default applied.

    File names are kept as written (relative to the working directory).  ``config`` is the
    resolved config or option set, stored with the run so it records what it trained with.
    """

    kind: str
    source: str
    inputs: tuple[InputIR, ...]
    body: BodyIR
    heads: tuple[HeadIR, ...]
    data: DataIR
    optimizer: OptimizerIR
    schedule: ScheduleIR
    runtime: RuntimeIR
    output: OutputIR
    trainability: TrainabilityIR = TrainabilityIR()
    model_name: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    document: Any = field(default=None, compare=False, hash=False, repr=False)  # the positioned config, if any




def place(err: SpecError, document: Any) -> SpecError:
    """``err`` placed at its config key when the IR came from a positioned config.

    The document is the config language's (:class:`specdsl.config.reader.Node`); the engine only
    asks it to ``place`` an error, so training needs nothing of the config language."""
    return document.place(err) if document is not None else err

__all__ = ["place", "InputIR", "BodyIR", "HeadIR", "DataIR", "OptimizerIR", "ScheduleIR", "RuntimeIR", "OutputIR",
           "TrainabilityIR", "TrainingIR", "Settings", "settings"]
