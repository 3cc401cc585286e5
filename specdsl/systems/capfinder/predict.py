"""``specdsl predict MODEL caps.csv -o predictions.csv``: cap classes of reads in Capfinder's CSV format.

Input: signal CSVs with ``read_id`` and ``timeseries`` columns (``cap_class`` may be there or
not: reads to classify usually have none, or Capfinder's -99), each signal cut or padded
to the model's input length as in training.  Output: one row per read, in input order —
``read_id``, ``prob_<class>`` for every class, ``predicted_cap`` (the most probable class's
name; Capfinder's ``predictions.csv`` column).

Class names come from the class map a Capfinder run writes beside its classifier
(``<classifier>.class_map.json``: cap_class → name), else from the run's history (a
``specdsl-train`` run's multiclass head), else they are ``class0``, ``class1`` ….  The
precision signals are rounded to is the run's ``dtype`` where the history records one: beside
the model for a ``specdsl-train`` run, in ``best_model/training/`` for a Capfinder run's
``best_model/classifier/classifier_<stamp>.keras``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.training.predictions import OutputInfo, Predictions, history_of, model_outputs


def class_map_path(model_path: str | Path) -> Path:
    path = Path(model_path)
    return path.with_name(path.name.removesuffix(".keras") + ".class_map.json")


def read_class_map(model_path: str | Path) -> dict[int, str] | None:
    try:
        raw = json.loads(class_map_path(model_path).read_text(encoding="utf-8"))
        return {int(k): str(v) for k, v in raw.items()}
    except (OSError, ValueError, AttributeError):
        return None


def run_history(model_path: str | Path) -> dict[str, Any]:
    """The history of the run that wrote the model: beside it, or, for a Capfinder run's classifier
    (``best_model/classifier/X.keras``), the one the pipeline leaves in ``best_model/training/``."""
    history = history_of(model_path)
    path = Path(model_path)
    if not history and path.parent.name == "classifier":
        history = history_of(path.parent.parent / "training" / path.name)
    return history


def _dtype(history: dict[str, Any]) -> str:
    config = history.get("config") if isinstance(history.get("config"), dict) else {}
    for section in ("shared_params", "data"):
        value = (config.get(section) or {}).get("dtype") if isinstance(config.get(section), dict) else None
        if value in ("float16", "float32", "float64"):
            return value
    return "float32"


class SignalPredictions(Predictions):
    """Predictions of reads, written in Capfinder's layout (read_id first, predicted_cap last)."""

    def columns(self) -> list[str]:
        out = self.outputs[0]
        return ["read_id", *[f"prob_{c}" for c in out.classes], "predicted_cap"]

    def rows(self) -> list[list[str]]:
        out = self.outputs[0]
        p = self.probability(out)
        return [[rid, *[f"{v:.4f}" for v in values], call]
                for rid, values, call in zip(self.samples, p, self.calls(out))]


def signal_model(model_path: str | Path) -> tuple[Any, OutputInfo, int]:
    """(model, its one multiclass output named by the class map, its input length); loaded with safe_mode=True."""
    from specdsl.backend.keras_model import load_model

    if Path(model_path).is_dir():
        model_path = Path(model_path) / "model.keras"
    model = load_model(model_path)
    shape = tuple(model.inputs[0].shape[1:]) if len(model.inputs) == 1 else ()
    if len(shape) != 2 or shape[1] != 1 or shape[0] is None:
        raise SpecError(f"the model's input is {shape or f'{len(model.inputs)} inputs'}, not one signal (length × 1)",
                        file=str(model_path), hint="signal CSVs are classified by models trained on signals")
    outputs = model_outputs(model, model_path)
    if len(outputs) != 1 or outputs[0].kind != "multiclass":
        raise SpecError("the model does not have one softmax output over classes", file=str(model_path))
    out = outputs[0]
    mapping = read_class_map(model_path)
    if mapping is not None and sorted(mapping) == list(range(len(out.classes))):
        out = OutputInfo(out.layer, out.name, out.kind, tuple(mapping[i] for i in range(len(mapping))), out.column)
    return model, out, int(shape[0])


def predict_signals(model_path: str | Path, inputs: Sequence[str | Path], *,
                    batch_size: int = 256) -> SignalPredictions:
    """Class probabilities of every read of ``inputs`` (signal CSVs), in file and row order."""
    from specdsl.formats.signal_csv import index_signals
    from specdsl.systems.capfinder.evaluation import predict_file

    for name in inputs:  # every file is checked before the model is loaded
        index_signals(name, need_class=False)
    model, out, length = signal_model(model_path)
    dtype = _dtype(run_history(model_path))
    ids: list[str] = []
    parts = []
    for name in inputs:
        file_ids, _, probabilities = predict_file(model, name, length, dtype, batch_size, need_class=False)
        ids += file_ids
        parts.append(probabilities)
    return SignalPredictions(ids, [out], {out.layer: np.concatenate(parts)})


# ``specdsl predict`` reads signal CSVs through these (the plugin lists this module under ``predict_inputs``).
NAME = "signal CSVs"
DESCRIPTION = "a signal CSV (read_id,cap_class,timeseries) for a Capfinder classifier"


def claims(path: str | Path) -> bool:
    from specdsl.formats.signal_csv import is_signal_csv

    return is_signal_csv(path)


predict = predict_signals

__all__ = ["DESCRIPTION", "NAME", "SignalPredictions", "claims", "predict", "class_map_path", "predict_signals",
           "read_class_map", "run_history", "signal_model"]
