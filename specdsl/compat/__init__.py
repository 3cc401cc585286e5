"""Command-line adapters: ``specdsl <system> <verb> ARGS…`` runs a tool's own command line.

One entry per system: the verbs it has and the module that implements each.  A verb
module exposes ``main(argv: list[str]) -> int`` and raises :class:`SpecError` for user
mistakes (the top-level CLI prints them and exits 2).  Modules are imported only when
their verb runs, so listing the systems costs nothing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ..errors import SpecError, did_you_mean


@dataclass(frozen=True)
class System:
    name: str
    doc: str
    verbs: tuple[tuple[str, str, str], ...]  # (verb, module, one-line help)

    def verb_names(self) -> list[str]:
        return [v for v, _, _ in self.verbs]


SYSTEMS: dict[str, System] = {}


def register(system: System) -> System:
    SYSTEMS[system.name] = system
    return system


register(System("deepcpg", "DeepCpG's scripts (dcpg_data.py, dcpg_train.py, dcpg_eval.py, dcpg_eval_export.py)", (
    ("data", "specdsl.compat.deepcpg.data", "dcpg_data.py: CpG profiles + genome → DeepCpG HDF5 chunks"),
    ("train", "specdsl.compat.deepcpg.train", "dcpg_train.py: train a DNA, CpG or joint model"),
    ("eval", "specdsl.compat.deepcpg.evaluate", "dcpg_eval.py: predict every site, report per-cell metrics"),
    ("eval-export", "specdsl.compat.deepcpg.eval_export", "dcpg_eval_export.py: imputed profiles per cell"),
)))


register(System("workshop", "the genomics workshop's scripts (inh_model.py, full_model.py, bam2oh.py)", (
    ("inh-model", "specdsl.compat.workshop.inh_model", "inh_model.py: train the katG → isoniazid model (-lr, -dr)"),
    ("full-model", "specdsl.compat.workshop.full_model", "full_model.py: train the 13-drug model (-lr, -dr), or "
                                                         "predict with it (-i X_oh.csv -v -o predictions.csv)"),
    ("bam2oh", "specdsl.compat.workshop.bam2oh", "bam2oh.py: BAM + --regions → one-hot CSV"),
)))


register(System("capfinder", "Capfinder's training commands (capfinder create-train-config, train-model)", (
    ("create-train-config", "specdsl.compat.capfinder.create_train_config",
     "write Capfinder's training config template (--file_path)"),
    ("train-model", "specdsl.compat.capfinder.train_model", "ETL, search, final training and evaluation from a "
                                                            "Capfinder config (--config_file)"),
)))


def run(system: str, verb: str, argv: list[str]) -> int:
    """Run ``specdsl <system> <verb> argv``."""
    entry = SYSTEMS[system]
    for name, module, _ in entry.verbs:
        if name == verb:
            return int(importlib.import_module(module).main(list(argv)) or 0)
    raise SpecError(f"'specdsl {system}' has no verb '{verb}'", expected="one of " + ", ".join(entry.verb_names()),
                    hint=did_you_mean(verb, entry.verb_names()))


__all__ = ["System", "SYSTEMS", "register", "run"]
