"""Starter configs, one per task: ``specdsl init KIND --template NAME`` (or ``specdsl init NAME``).

A starter is a task's values of a config kind: its reader and data paths, its heads, an
architecture that suits the task.  The writer (:mod:`.templates`) puts them in the commented
template of their kind, so a first classifier config does not begin as a BPNet profile model.
Each system contributes its task's starter as one module (``Plugin.starters``, a module with
``STARTER``), so this registry names none.  ``data`` is the command lines that make synthetic
data at exactly the paths the starter names (relative to the folder ``specdsl`` runs in): run
them, and the template passes ``specdsl check`` as written (a test does both for every starter).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from specdsl.errors import SpecError, did_you_mean


@dataclass(frozen=True)
class Starter:
    name: str  # --template NAME
    kind: str  # the config kind whose template it fills
    task: str  # one line: what it trains, on what data
    values: dict[str, Any] | None = field(hash=False)  # the task's values (None: all the template's own)
    data: tuple[str, ...] = ()  # specdsl command lines (without "specdsl") that make data at its paths
    default: bool = False  # the template of its kind when no --template is given

    def intro(self) -> str:
        made = "".join(f"\n    specdsl {command}" for command in self.data)
        task = "" if self.name == self.kind else f"Template '{self.name}': {self.task}.\n"
        return (task + (f"Make synthetic data at these paths with:{made}\n" if made else "")
                + "Data paths are relative to the folder you run specdsl in.")


@cache
def all_starters() -> dict[str, Starter]:
    from specdsl.plugins import modules

    return {m.STARTER.name: m.STARTER for m in modules("starters")}


def starter(name: str, kind: str | None = None) -> Starter:
    """The starter ``name`` (of config kind ``kind`` when given); a SpecError naming the choices."""
    starters = {n: s for n, s in all_starters().items() if kind is None or s.kind == kind}
    if name not in starters:
        where = f" for {kind} configs" if kind else ""
        raise SpecError(f"unknown template '{name}'{where}", path="--template",
                        expected="one of " + (", ".join(starters) or "none (this kind has only its own template)"),
                        hint=did_you_mean(name, list(starters)))
    return starters[name]


def default_starter(kind: str) -> Starter | None:
    return next((s for s in all_starters().values() if s.kind == kind and s.default), None)


def starter_template(name: str, kind: str | None = None) -> str:
    from specdsl.config.templates import init_template

    chosen = starter(name, kind)
    return init_template(chosen.kind, chosen.values, chosen.intro())


def kind_template(kind: str) -> str:
    """What ``specdsl init KIND`` writes: its default starter's template, else the kind's own."""
    from specdsl.config.templates import init_template

    chosen = default_starter(kind)
    return starter_template(chosen.name, kind) if chosen else init_template(kind)


__all__ = ["Starter", "all_starters", "default_starter", "kind_template", "starter", "starter_template"]
