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
    missing: tuple[tuple[str, str], ...] = ()  # (verb, why): the tool's verbs specdsl does not implement

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
TRANQUILLYZER_LATER = ("is one of tranquillyzer's downstream steps, which specdsl does not implement (yet): "
                       "specdsl covers simulate-data, train-model and labelling reads ('specdsl annotate MODEL "
                       "READS.fastq -o annotations.tsv'); barcode correction, demultiplexing, alignment and "
                       "deduplication stay with tranquillyzer")
register(System("tranquillyzer", "tranquillyzer's model training (simulate-data, train-model)", (
    ("simulate-data", "specdsl.compat.tranquillyzer.simulate_data",
     "simulate labelled reads of a library (training_seq_orders.tsv) into simulated_data/reads.h5"),
    ("train-model", "specdsl.compat.tranquillyzer.train_model",
     "train every variant of a model's training_params.tsv grid on them, with a validation picture"),
), tuple((verb, TRANQUILLYZER_LATER) for verb in (
    "preprocess", "readlengthdist", "visualize", "annotate-reads", "align", "dedup", "split-bam", "featurecounts",
    "qc-metrics", "assess-model")) + (
    ("availablemodels", "tranquillyzer's pretrained models (tf2crf weights and a pickled LabelBinarizer) cannot be "
                        "imported; train one with 'specdsl tranquillyzer train-model'"),
    ("available-gpus", "not implemented; TensorFlow lists the GPUs a run will use: python -c \"import "
                       "tensorflow as tf; print(tf.config.list_physical_devices('GPU'))\""))))


register(System("capfinder", "Capfinder's training commands (capfinder create-train-config, train-model)", (
    ("create-train-config", "specdsl.compat.capfinder.create_train_config",
     "write Capfinder's training config template (--file_path)"),
    ("train-model", "specdsl.compat.capfinder.train_model", "ETL, search, final training and evaluation from a "
                                                            "Capfinder config (--config_file)"),
)))


def run(system: str, verb: str, argv: list[str]) -> int:
    """Run ``specdsl <system> <verb> argv``."""
    entry = SYSTEMS[system]
    if not verb:
        raise SpecError(f"'specdsl {system}' needs a verb: specdsl {system} VERB ARGS…",
                        expected="one of " + "; ".join(f"{v} ({h})" for v, _, h in entry.verbs),
                        hint=f"specdsl {system} VERB --help shows a verb's own options")
    why = dict(entry.missing).get(verb)
    if why is not None:
        raise SpecError(f"'{system} {verb}' {why}" if why.startswith("is ") else f"'{system} {verb}': {why}")
    for name, module, _ in entry.verbs:
        if name == verb:
            return int(importlib.import_module(module).main(list(argv)) or 0)
    raise SpecError(f"'specdsl {system}' has no verb '{verb}'", expected="one of " + ", ".join(entry.verb_names()),
                    hint=did_you_mean(verb, entry.verb_names()))


__all__ = ["System", "SYSTEMS", "register", "run"]
