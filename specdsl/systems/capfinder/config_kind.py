"""``capfinder`` → training IR: Capfinder's training config (``capfinder train-model``), read verbatim.

A config with Capfinder's sections (``etl_params``, ``tune_params``, ``train_params``,
``shared_params``, ``lr_scheduler_params``) is recognised without a ``kind`` key, so
``specdsl train capfinder_config.json`` works on the file users already have.  Every key of
Capfinder 0.4.3's template is accepted with its meaning and default; unknown keys are errors.

Such a config describes a pipeline, not one run: ETL from the per-class CSVs, a search
over the model type's space, the final training and an evaluation
(:mod:`specdsl.systems.capfinder.pipeline`, the kind's ``pipeline``).  The IR made here is the
final training as far as the config fixes it — the ``signal-csv`` reader over the local
processed dataset, a ``multiclass`` head over ``cap_class``, the schedule, early stopping,
the seed, the output place — while the two things only the run knows are filled in by the
pipeline: the architecture (the search's best point; until then the IR's body is the
identity over the signal, named after ``model_type``) and the class names (read from the
``data__<name>.csv`` file names; until then ``cap_0``, ``cap_1`` …).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from specdsl.config.kind import ConfigKind, register
from specdsl.config.reader import Node as DocNode
from specdsl.config.reader import ObjectNode, ScalarNode, format_path, locate
from specdsl.errors import SpecError
from specdsl.language.ir import Chain, InputDecl, Node, Preset, Ref
from specdsl.schema import Schema, boolean, choice, constant, document, file_name, integer, obj, open_fraction, string
from specdsl.training.ir import (
    BodyIR,
    DataIR,
    HeadIR,
    InputIR,
    OptimizerIR,
    OutputIR,
    RuntimeIR,
    ScheduleIR,
    TrainingIR,
    settings,
)
from specdsl.training.schedules import get_schedule, snake_case_keys

CAPFINDER = "capfinder"  # the kind's name

# Capfinder's lr_scheduler_params sections → the schedule registry's entries (the same keys in snake case)
CAPFINDER_SCHEDULES = {"reduce_lr_on_plateau": "plateau", "cyclic_lr": "cyclic", "sgdr": "sgdr"}
SECTIONS = ("etl_params", "tune_params", "train_params", "shared_params", "lr_scheduler_params")
SIGNAL = "signal"  # the reader field and model input
TARGET = "cap_class"
HEAD = "cap"
DEFAULT_LEARNING_RATE = 1e-3  # Adam's default: the final training's rate when no search chose one
WARP = 0.2  # Capfinder's use_augmentation: warps of up to 20 %


def _comet(default: str) -> Schema:
    return string("Comet ML project name; accepted and unused: specdsl logs and writes metrics locally, no "
                  "Comet account or key is needed.", default=default)


_ETL = obj("etl_params", "How the processed dataset is made from the per-class CSVs.", {
    "use_remote_dataset_version": string(
        "\"\" or \"latest\": the local processed dataset in output_dir/dataset (reused when it was built from the "
        "same files and settings, built otherwise; --reprocess forces it). Any other version names a Comet ML "
        "artifact, which specdsl does not download.", allow_empty=True, default="latest"),
    "caps_data_dir": file_name("The folder of cap signal CSVs: one data__<cap name>.csv per class, each with the "
                               "columns read_id,cap_class,timeseries.", example="data/caps/"),
    "examples_per_class": {"type": ["integer", "null"], "minimum": 1, "default": 100000,
                           "description": "At most this many reads of every class (the smallest class caps it, so "
                                          "the classes are balanced); null: as many as the smallest class has."},
    "comet_project_name": _comet("dataset"),
})

_TUNE = obj("tune_params", "The hyperparameter search (KerasTuner).", {
    "comet_project_name": _comet("capfinder_tune"),
    "patience": integer("Epochs without a better validation loss before a trial stops.", minimum=0, default=0),
    "max_epochs_hpt": integer("The most epochs of one trial.", minimum=1, default=3),
    "max_trials": integer("The most trials (random_search, bayesian_optimization); 0 skips the search and trains "
                          "the model type's default point.", minimum=0, default=5),
    "factor": integer("Hyperband's reduction factor.", minimum=2, default=2),
    "seed": integer("Seed of the search, the data split and the training.", minimum=0, default=42),
    "tuning_strategy": choice("How points are chosen.", ["hyperband", "random_search", "bayesian_optimization"],
                              default="hyperband"),
    "overwrite": boolean("Start the search afresh instead of continuing the one in output_dir/tuner_models.",
                         default=False),
})

_TRAIN = obj("train_params", "The final training with the best point.", {
    "comet_project_name": _comet("capfinder_train"),
    "patience": integer("Epochs without a better validation loss before training stops (the best epoch's weights "
                        "are kept).", minimum=0, default=120),
    "max_epochs_final_model": integer("The most epochs of the final training.", minimum=1, default=300),
})

_SHARED = obj("shared_params", "Settings of every stage.", {
    "num_classes": integer("How many cap classes (data__<name>.csv files) there are.", minimum=2, default=4),
    "model_type": choice("The model family searched.", ["cnn_lstm", "attention_cnn_lstm", "encoder", "resnet"],
                         default="cnn_lstm"),
    "batch_size": integer("Reads per training step.", minimum=1, default=32),
    "target_length": integer("Signal points per read: longer signals are cut and shorter ones padded with zeros, "
                             "equally at both ends.", minimum=1, default=500),
    "dtype": choice("The precision the processed signals are stored in.", ["float16", "float32", "float64"],
                    default="float16"),
    "train_test_fraction": open_fraction("The share of each class used for training and validation; the rest is "
                                         "the held-out test set.", default=0.95),
    "train_val_fraction": open_fraction("The share of the training reads trained on; the rest validates.",
                                        default=0.8),
    "use_augmentation": boolean("Also train on a squished and an expanded copy of every training read (time warps "
                                "of up to 20 %, new ones every epoch).", default=False),
    "output_dir": file_name("Where everything is written: dataset/, tuner_models/, best_model/, logs/.",
                            example="out/capfinder/"),
})


def _scheduler() -> Schema:
    return obj("lr_scheduler_params", "The learning-rate schedule of the final training (not of the search).", {
        "type": choice("Which of the three sections below is used.", list(CAPFINDER_SCHEDULES),
                       default="reduce_lr_on_plateau"),
        **{section: obj(section, f"{get_schedule(kind).doc[0].upper()}{get_schedule(kind).doc[1:]}.",
                        snake_case_keys(kind), default={})
           for section, kind in CAPFINDER_SCHEDULES.items()},
    }, default={})


@cache
def schema() -> Schema:
    """Capfinder 0.4.3's ``train-model`` config, verbatim; unknown keys are errors."""
    return document(CAPFINDER, obj(CAPFINDER, "Capfinder's training config (capfinder train-model), accepted verbatim: "
                                              "ETL, hyperparameter search, final training and evaluation.", {
        "etl_params": _ETL,
        "tune_params": _TUNE,
        "train_params": _TRAIN,
        "shared_params": _SHARED,
        "lr_scheduler_params": _scheduler(),
        "debug_code": boolean("Log in more detail (the log file under output_dir/logs).", default=False),
        "kind": constant("Names this kind explicitly; Capfinder ignores it.", CAPFINDER, optional=True),
    }))


def claims(root: DocNode) -> bool:
    """A config with any of Capfinder's sections is a Capfinder config (files work unchanged)."""
    return isinstance(root, ObjectNode) and any(key in root.value for key in SECTIONS)


# --------------------------------------------------------------------------- checks no schema can say


def remote_dataset_errors(root: DocNode) -> list[SpecError]:
    """A remote dataset version needs Comet ML: refused at its key, with the local way forward."""
    path = ["etl_params", "use_remote_dataset_version"]
    node = locate(root, path)
    if not isinstance(node, ScalarNode) or not isinstance(node.value, str) or node.value.strip() in ("", "latest"):
        return []
    return [SpecError(f"dataset version '{node.value}' is a Comet ML artifact; specdsl does not use Comet, so it "
                      "cannot download it", span=node.span, path=format_path(path),
                      expected="\"\" or \"latest\": the local processed dataset, built from caps_data_dir",
                      hint="download the artifact's CSVs yourself and point caps_data_dir at the per-class "
                           "data__<cap>.csv files, or set \"\"")]


def bound_errors(root: DocNode) -> list[SpecError]:
    """A cycle's upper rate must lie above its lower one."""
    out = []
    for section, low in (("cyclic_lr", "base_lr"), ("sgdr", "min_lr")):
        base = ["lr_scheduler_params", section]
        lo, hi = locate(root, base + [low]), locate(root, base + ["max_lr"])
        if not (isinstance(lo, ScalarNode) and isinstance(hi, ScalarNode)):
            continue
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo.value, hi.value)) \
                and hi.value < lo.value:
            out.append(SpecError(f"max_lr {hi.value} is below {low} {lo.value}", span=hi.span,
                                 path=format_path(base + ["max_lr"]), hint=f"max_lr is the top of the cycle, {low} "
                                                                           "its bottom"))
    return out


# --------------------------------------------------------------------------- the IR


def pending_body(model_type: str, target_length: int) -> BodyIR:
    """The identity over the signal, named after the model type: the search fills the architecture in."""
    preset = Preset(model_type, "capfinder", "chosen by the search at run time", (),
                    (InputDecl(SIGNAL, (target_length, 1)),), (Node("body", Ref(SIGNAL), Chain()),))
    return BodyIR(preset, (), model_type)


def dataset_dir(output_dir: str | Path) -> Path:
    return Path(output_dir) / "dataset"


def classifier_dir(output_dir: str | Path) -> Path:
    return Path(output_dir) / "best_model" / "classifier"


def capfinder_head(classes: list[str] | tuple[str, ...]) -> HeadIR:
    return HeadIR("multiclass", HEAD, settings(target=TARGET, classes=tuple(classes)), "shared_params.num_classes")


def _to_ir(cfg: dict[str, Any], source: str) -> TrainingIR:
    from specdsl.systems.capfinder.config import CapfinderConfig

    c = CapfinderConfig(cfg, source)
    data = dataset_dir(c.output_dir)
    reader = settings(target_length=c.target_length, dtype=c.shared["dtype"],
                      time_warp=WARP if c.shared["use_augmentation"] else None)
    return TrainingIR(
        kind=CAPFINDER, source=source,
        inputs=(InputIR(SIGNAL, (c.target_length, 1), "float32", SIGNAL),),
        body=pending_body(c.model_type, c.target_length),
        heads=(capfinder_head([f"cap_{i}" for i in range(c.num_classes)]),),
        data=DataIR("signal-csv", (str(data / "train.csv"),), (str(data / "val.csv"),), reader, "shared_params",
                    "etl_params.caps_data_dir", "etl_params.caps_data_dir",
                    settings(target_length="shared_params.target_length", dtype="shared_params.dtype",
                             time_warp="shared_params.use_augmentation")),
        optimizer=OptimizerIR("adam", DEFAULT_LEARNING_RATE),
        schedule=ScheduleIR(int(c.train["max_epochs_final_model"]), c.batch_size,
                            early_stopping_patience=int(c.train["patience"]), lr_plateau_patience=None,
                            lr_schedule=settings(c.schedule_settings())),
        runtime=RuntimeIR("DEBUG" if c.debug else "INFO", c.seed),
        output=OutputIR(str(classifier_dir(c.output_dir) / "classifier"), "prefix", "shared_params.output_dir"),
        model_name=f"{c.model_type}-classifier", config=cfg)


register(ConfigKind(CAPFINDER, "Capfinder's training config", schema, _to_ir, claims, order=2,
                    claims_doc="has any of Capfinder's sections " + ", ".join(f"`{k}`" for k in SECTIONS)
                               + " (the files `capfinder create-train-config` writes work unchanged)",
                    pipeline="specdsl.systems.capfinder.pipeline"))


__all__ = ["DEFAULT_LEARNING_RATE", "HEAD", "SECTIONS", "SIGNAL", "TARGET", "bound_errors", "capfinder_head",
           "classifier_dir", "claims", "dataset_dir", "pending_body", "remote_dataset_errors", "schema"]
