"""Capfinder's training config: its template, verbatim, and a typed view of a validated config.

``capfinder create-train-config`` writes a plain JSON template (Capfinder 0.4.3's values,
below) that users edit; ``specdsl capfinder create-train-config`` writes the same file.  The
schema that checks a config (every key, its type and range, unknown keys with "did you
mean") is the ``capfinder`` config kind (:mod:`specdsl.systems.capfinder.config_kind`); this module
only gives the pipeline attribute access to the checked, defaults-applied value, so no code
downstream spells a key.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specdsl.errors import SpecError

MODEL_TYPES = ("cnn_lstm", "attention_cnn_lstm", "encoder", "resnet")
STRATEGIES = ("hyperband", "random_search", "bayesian_optimization")
SCHEDULERS = ("reduce_lr_on_plateau", "cyclic_lr", "sgdr")
LOCAL_VERSIONS = ("", "latest")  # dataset versions that mean "the local processed dataset"

TEMPLATE: dict[str, Any] = {
    "etl_params": {
        "use_remote_dataset_version": "latest",
        "caps_data_dir": "/dir/",
        "examples_per_class": 100000,
        "comet_project_name": "dataset",
    },
    "tune_params": {
        "comet_project_name": "capfinder_tune",
        "patience": 0,
        "max_epochs_hpt": 3,
        "max_trials": 5,
        "factor": 2,
        "seed": 42,
        "tuning_strategy": "hyperband",
        "overwrite": False,
    },
    "train_params": {
        "comet_project_name": "capfinder_train",
        "patience": 120,
        "max_epochs_final_model": 300,
    },
    "shared_params": {
        "num_classes": 4,
        "model_type": "cnn_lstm",
        "batch_size": 32,
        "target_length": 500,
        "dtype": "float16",
        "train_test_fraction": 0.95,
        "train_val_fraction": 0.8,
        "use_augmentation": False,
        "output_dir": "/dir/",
    },
    "lr_scheduler_params": {
        "type": "reduce_lr_on_plateau",
        "reduce_lr_on_plateau": {"factor": 0.5, "patience": 5, "min_lr": 1e-6},
        "cyclic_lr": {"base_lr": 1e-3, "max_lr": 5e-2, "step_size_factor": 8, "mode": "triangular2"},
        "sgdr": {"min_lr": 1e-3, "max_lr": 2e-3, "lr_decay": 0.9, "cycle_length": 5, "mult_factor": 1.5},
    },
    "debug_code": False,
}
"""Capfinder 0.4.3's ``create-train-config`` output, key for key."""


def template() -> dict[str, Any]:
    return copy.deepcopy(TEMPLATE)


def write_template(path: str | Path, *, force: bool = True) -> Path:
    """Write the template as Capfinder does (JSON, indent 4), atomically; its folder is created."""
    from specdsl.atomic import atomic_write_text

    path = Path(path)
    if path.is_dir():
        raise SpecError("is a folder; give the config file's name", file=str(path), path="--file_path",
                        hint=f"e.g. {path / 'capfinder_train.json'}")
    if path.exists() and not force:
        raise SpecError("the file exists", file=str(path), path="--file_path")
    return atomic_write_text(path, json.dumps(TEMPLATE, indent=4) + "\n")


@dataclass(frozen=True)
class CapfinderConfig:
    """A validated Capfinder config with every default applied, by section."""

    raw: dict[str, Any]
    source: str = "<config>"

    @property
    def etl(self) -> dict[str, Any]:
        return self.raw["etl_params"]

    @property
    def tune(self) -> dict[str, Any]:
        return self.raw["tune_params"]

    @property
    def train(self) -> dict[str, Any]:
        return self.raw["train_params"]

    @property
    def shared(self) -> dict[str, Any]:
        return self.raw["shared_params"]

    @property
    def scheduler(self) -> dict[str, Any]:
        return self.raw["lr_scheduler_params"]

    @property
    def debug(self) -> bool:
        return bool(self.raw.get("debug_code", False))

    @property
    def output_dir(self) -> Path:
        return Path(self.shared["output_dir"])

    @property
    def target_length(self) -> int:
        return int(self.shared["target_length"])

    @property
    def num_classes(self) -> int:
        return int(self.shared["num_classes"])

    @property
    def model_type(self) -> str:
        return str(self.shared["model_type"])

    @property
    def batch_size(self) -> int:
        return int(self.shared["batch_size"])

    @property
    def seed(self) -> int:
        return int(self.tune["seed"])

    def schedule_settings(self) -> dict[str, Any]:
        """``lr_scheduler_params`` as an entry of :mod:`specdsl.training.schedules` (kind + settings)."""
        chosen = self.scheduler["type"]
        values = dict(self.scheduler.get(chosen, {}))
        if chosen == "reduce_lr_on_plateau":
            return {"kind": "plateau", "factor": values["factor"], "patience": values["patience"],
                    "min_lr": values["min_lr"]}
        if chosen == "cyclic_lr":
            return {"kind": "cyclic", "base_lr": values["base_lr"], "max_lr": values["max_lr"],
                    "step_size_factor": values["step_size_factor"], "mode": values["mode"],
                    "gamma": values.get("gamma", 1.0)}
        return {"kind": "sgdr", **{k: values[k] for k in ("min_lr", "max_lr", "lr_decay", "cycle_length",
                                                          "mult_factor")}}


__all__ = ["CapfinderConfig", "LOCAL_VERSIONS", "MODEL_TYPES", "SCHEDULERS", "STRATEGIES", "TEMPLATE", "template",
           "write_template"]
