"""Head kinds: one registry entry per kind of output, as the layer kinds are for the language.

An entry says everything the run needs to know about one kind of head, so a new task is
one module here, not edits across the run, the data pipeline, the losses and the plot:

* its config-schema fragment (an item of ``heads`` in ``specdsl-train`` configs) and how a
  config item becomes a :class:`~specdsl.training.ir.HeadIR`;
* :meth:`HeadKind.resolve`: its outputs — the layers it adds after the body (as IR chains,
  so the parameter report and the built model agree), their names, and the reader field
  each output's target comes from — checked against what the reader found in the files;
* :meth:`HeadKind.prepare`: statistics it needs from the training data before TensorFlow
  starts (class weights, mean counts) and checks that need the built graph (lengths);
* :meth:`HeadKind.compile_parts`: its losses, loss weights and metrics, per output;
* :meth:`HeadKind.callbacks`: callbacks of its own (BPReveal's adaptive counts weight);
* :meth:`HeadKind.history_extra`: what it adds to the history (the plot shows every logged
  series, titled with the outputs' user-facing names);
* :meth:`HeadKind.after_run`: files it writes once the history is final (the classifiers'
  accuracy and loss pictures).

Everything but ``compile_parts`` and ``callbacks`` runs without TensorFlow.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any

from specdsl.errors import SpecError, did_you_mean
from specdsl.language.ir import Chain
from specdsl.schema import Schema
from specdsl.training.ir import HeadIR


@dataclass(frozen=True)
class OutputSpec:
    """One model output a head adds.

    ``layer`` is the Keras layer name (letters, digits, ``_ - .``); ``display`` the name users
    know (DeepCpG's ``cpg/<cell>``), used in reports and learning curves; ``field`` the reader
    field holding its target; ``group`` orders outputs across heads (BPReveal puts every
    profile before every counts output).
    """

    layer: str
    display: str
    field: str
    chain: Chain
    group: int = 0
    source: str | None = None  # body node the chain reads; None: the body's last node


@dataclass
class ResolvedHead:
    """A head with its outputs fixed against the data, plus what :meth:`HeadKind.prepare` found."""

    head: HeadIR
    outputs: list[OutputSpec]
    index: int  # position among heads of the same kind
    state: dict[str, Any] = field(default_factory=dict)


class HeadKind:
    """Base of every head kind; subclasses override what differs (see the module docstring)."""

    name: str = ""
    doc: str = ""

    def schema(self) -> Schema:
        raise NotImplementedError

    def from_config(self, item: dict[str, Any], path: str, model: dict[str, Any] | None = None) -> HeadIR:
        """A defaults-applied config item → the IR; the kind's own keys become its settings.

        ``model`` is the config's model section, for kinds whose outputs depend on it."""
        from specdsl.training.ir import settings

        values = {k.replace("-", "_"): tuple(v) if isinstance(v, list) else v for k, v in item.items()
                  if k not in ("kind", "head-name")}
        return HeadIR(self.name, item["head-name"], settings(values), path)

    def resolve(self, head: HeadIR, index: int, available: dict[str, tuple[int, ...]]) -> ResolvedHead:
        """Fix the outputs; ``available`` maps the reader's target fields to their shapes."""
        raise NotImplementedError

    def check_body(self, rh: ResolvedHead, shape: tuple) -> None:
        """Refuse a body whose last shape this head cannot read (default: it needs a feature vector)."""
        if len(shape) != 1:
            raise SpecError(f"head '{rh.head.name}' ({self.name}) needs the architecture to end in a feature "
                            f"vector, but it ends in shape {shape}", path=rh.head.path or "heads",
                            hint="end the architecture with gap, flat or fc[...]")

    def check_graph(self, heads: list[ResolvedHead], plan: Any) -> None:
        """Checks that need the built graph (lengths), before the files are read."""

    def prepare(self, heads: list[ResolvedHead], plan: Any) -> None:
        """Data statistics, without TensorFlow (results go in ``state``)."""

    def compile_parts(self, rh: ResolvedHead) -> tuple[dict[str, Any], dict[str, float], dict[str, list[Any]]]:
        """(losses, loss weights, metrics) keyed by output layer name."""
        raise NotImplementedError

    def callbacks(self, heads: list[ResolvedHead], ctx: Any) -> list[Any]:
        return []

    def history_extra(self, callbacks: list[Any]) -> dict[str, Any]:
        return {}

    def after_run(self, heads: list[ResolvedHead], plan: Any, paths: Any, history: dict[str, Any]) -> list[Any]:
        """Write files of this kind once the run's history is final; return their paths (default: none)."""
        return []

    scores = False  # whether :meth:`score` rates this kind's outputs after a run

    def score(self, rh: ResolvedHead, y_true: Any, y_pred: Any) -> dict[str, Any]:
        """Metrics of one output on the validation data (:mod:`specdsl.training.metrics`)."""
        raise NotImplementedError


_KINDS: dict[str, HeadKind] = {}
_MODULES = tuple(m.name for m in pkgutil.iter_modules(__path__) if m.name != "selection")  # one kind a module
_ORDER = ("profile", "binary", "multiclass", "regression", "labels")  # how docs and templates list them


def register(kind: HeadKind) -> HeadKind:
    _KINDS[kind.name] = kind
    return kind


def all_head_kinds() -> dict[str, HeadKind]:
    for module in _MODULES:  # each module registers itself once; already-imported ones cost nothing
        importlib.import_module(f"{__name__}.{module}")
    # in _MODULES order, whatever order they were first imported in (docs and schemas are stable)
    rank = {m: i for i, m in enumerate(_ORDER)}
    return dict(sorted(_KINDS.items(), key=lambda kv: rank.get(type(kv[1]).__module__.rsplit(".", 1)[-1], 99)))


def head_kind(name: str) -> HeadKind:
    kinds = all_head_kinds()
    if name not in kinds:
        raise SpecError(f"unknown head kind '{name}'", expected="one of " + ", ".join(kinds),
                        hint=did_you_mean(name, kinds))
    return kinds[name]


def layer_name(text: str) -> str:
    """A Keras-safe layer name for a user-facing output name (``cpg/BS27_4_SER`` → ``cpg_BS27_4_SER``)."""
    return "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in text) or "output"


__all__ = ["HeadKind", "OutputSpec", "ResolvedHead", "register", "all_head_kinds", "head_kind", "layer_name"]
