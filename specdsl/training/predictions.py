"""``specdsl predict MODEL INPUT… -o predictions.csv [-v]``: resistance calls for each sample.

The workshop's ``full_model.py -i ERR6634978_oh.csv -v -o drug_predictions.csv`` prints and
writes one 0/1 call per drug (1 = resistant).  Here any trained classifier with one
one-hot-sequence input works, on any mix of one-hot CSVs and FASTA files:

* one row per sample (a one-hot CSV, a FASTA record), in input order; column ``sample``;
* per binary output: ``<output>`` (1 when the probability is above the threshold, else 0 —
  the rule :func:`specdsl.training.metrics.binary_metrics` scores by) and ``<output>_prob``;
* per multi-class output: ``<output>`` (the most probable class's name) and
  ``<output>_prob_<class>`` for each class.

Output names and class names come from the run's history beside the model
(``PREFIX.history.json`` for ``PREFIX.keras``, ``history.json`` beside ``model.keras``); without
it, outputs are named by their layers and classes are numbered.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.samples import SampleSet, check_length, open_samples

PREDICT_ROWS = 256  # samples per predict call: bounded memory for any number of inputs


@dataclass(frozen=True)
class OutputInfo:
    """A classifier output: its layer, the name users know, binary or multiclass, and its classes."""

    layer: str
    name: str
    kind: str  # "binary" or "multiclass"
    classes: tuple[str, ...] = ()
    column: str = ""  # the labels column it is scored against
    unit: int = 0  # which unit of the layer (a Dense(k, sigmoid) layer is k binary outputs)


def history_of(model_path: str | Path) -> dict[str, Any]:
    """The history a run wrote beside its model, or {} (a model from elsewhere)."""
    path = Path(model_path)
    name = path.name
    candidates = [path.parent / "history.json"] if name in ("model.keras", "checkpoint.keras") else []
    for suffix in (".checkpoint.keras", ".keras"):
        if name.endswith(suffix):
            candidates.append(path.with_name(name[: -len(suffix)] + ".history.json"))
            break
    for candidate in candidates:
        try:
            history = json.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(history, dict):
            return history
    return {}


def _multiclass_heads(history: dict[str, Any]) -> dict[str, dict[str, Any]]:
    from specdsl.training.heads import layer_name

    config = history.get("config") if isinstance(history.get("config"), dict) else {}
    heads = config.get("heads") if isinstance(config.get("heads"), list) else []
    return {layer_name(str(h.get("head-name"))): h for h in heads
            if isinstance(h, dict) and h.get("kind") == "multiclass" and h.get("head-name")}


def model_outputs(model: Any, model_path: str | Path) -> list[OutputInfo]:
    """Every output of a classifier model, named as its run named them; other outputs are refused."""
    history = history_of(model_path)
    display = history.get("outputs") if isinstance(history.get("outputs"), dict) else {}
    multiclass = _multiclass_heads(history)
    out = []
    for layer_name in model.output_names:
        layer = model.get_layer(layer_name)
        activation = getattr(getattr(layer, "activation", None), "__name__", "")
        units = int(getattr(layer, "units", 0) or 0)
        name = str(display.get(layer_name, layer_name))
        if activation == "softmax" and units >= 2:
            head = multiclass.get(layer_name, {})
            classes = [str(c) for c in head.get("classes") or []]
            if len(classes) != units:
                classes = [f"class{i}" for i in range(units)]
            out.append(OutputInfo(layer_name, name, "multiclass", tuple(classes), str(head.get("target") or name)))
        elif activation == "sigmoid" and units >= 1:
            for unit in range(units):
                label = name if units == 1 else f"{name}_{unit + 1}"
                out.append(OutputInfo(layer_name, label, "binary", column=label, unit=unit))
        else:
            raise SpecError(f"output '{layer_name}' is not a classifier output (a dense layer with a sigmoid or a "
                            f"softmax), it is {type(layer).__name__}"
                            + (f" with activation {activation}" if activation else ""), file=str(model_path),
                            hint="predict and evaluate take models with binary or multiclass heads; a profile "
                                 "model predicts with --bed REGIONS.bed --genome GENOME.fa, or --fasta")
    return out


def sequence_length(model: Any, model_path: str | Path) -> int:
    """The input length of a model with one one-hot sequence input (length × 4)."""
    if len(model.inputs) != 1:
        raise SpecError(f"the model has {len(model.inputs)} inputs; predict feeds one sequence", file=str(model_path))
    shape = tuple(model.inputs[0].shape[1:])
    if len(shape) != 2 or shape[1] != 4 or shape[0] is None:
        raise SpecError(f"the model's input is {shape}, not a one-hot sequence (length × 4)", file=str(model_path))
    return int(shape[0])


def check_lengths(samples: SampleSet, length: int, model_path: str | Path) -> None:
    """Every sample must have the model's input length."""
    for sample in samples.samples:
        check_length(sample, length, f"the model ({model_path}) reads")


def load_classifier(model_path: str | Path) -> tuple[Any, list[OutputInfo], int]:
    """(model, its outputs, its input length), loaded with ``safe_mode=True``."""
    from specdsl.backend.keras_model import load_model

    if Path(model_path).is_dir():  # an out dir (DeepCpG-style runs): its model.keras
        model_path = Path(model_path) / "model.keras"
    model = load_model(model_path)
    return model, model_outputs(model, model_path), sequence_length(model, model_path)


def predict_set(model: Any, samples: SampleSet, batch_size: int = 64) -> dict[str, np.ndarray]:
    """{output layer: (n, units) probabilities}, read and predicted :data:`PREDICT_ROWS` samples at a time."""
    names = list(model.output_names)
    parts: dict[str, list[np.ndarray]] = {n: [] for n in names}
    total = len(samples.samples)
    for start in range(0, total, PREDICT_ROWS):
        x = samples.fetch(np.arange(start, min(total, start + PREDICT_ROWS)))
        pred = model.predict(x, batch_size=batch_size, verbose=0)
        pred = pred if isinstance(pred, (list, tuple)) else [pred]
        for name, p in zip(names, pred):
            parts[name].append(np.asarray(p, dtype=np.float64).reshape(len(x), -1))
    return {n: np.concatenate(v) for n, v in parts.items()}


@dataclass
class Predictions:
    samples: list[str]
    outputs: list[OutputInfo]
    probabilities: dict[str, np.ndarray]  # by layer: (n, units)
    threshold: float = 0.5

    def probability(self, out: OutputInfo) -> np.ndarray:
        """(n,) for a binary output, (n, K) for a multiclass one."""
        p = self.probabilities[out.layer]
        return p[:, out.unit] if out.kind == "binary" else p

    def columns(self) -> list[str]:
        cols = ["sample"]
        for out in self.outputs:
            cols.append(out.name)
            cols += [f"{out.name}_prob"] if out.kind == "binary" else [f"{out.name}_prob_{c}" for c in out.classes]
        return cols

    def calls(self, out: OutputInfo) -> list[str]:
        p = self.probability(out)
        if out.kind == "binary":
            return ["1" if v > self.threshold else "0" for v in p]
        return [out.classes[i] for i in p.argmax(axis=1)]

    def rows(self) -> list[list[str]]:
        table = [[s] for s in self.samples]
        for out in self.outputs:
            p = self.probability(out)
            for row, call, values in zip(table, self.calls(out), p):
                row.append(call)
                row += [f"{v:.4f}" for v in np.atleast_1d(values)]
        return table

    def csv_text(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns())
        writer.writerows(self.rows())
        return buffer.getvalue()


def predict(model_path: str | Path, inputs: Sequence[str | Path], *, threshold: float = 0.5,
            batch_size: int = 64) -> Predictions:
    """Predict every sample of ``inputs`` (one-hot CSVs, FASTA files, folders of one-hot CSVs)."""
    if not 0.0 <= threshold <= 1.0:
        raise SpecError(f"must lie in [0, 1], got {threshold}", path="--threshold")
    if batch_size < 1:
        raise SpecError(f"must be ≥ 1, got {batch_size}", path="--batch-size")
    from specdsl.plugins import modules

    readers = modules("predict_inputs")  # input files of systems' models (Capfinder's signal CSVs)
    missing = next((str(p) for p in inputs if not os.path.exists(p)), None)
    if missing is not None:
        raise SpecError("no such file or folder", file=missing,
                        expected="a FASTA file, a one-hot CSV, a folder of one-hot CSVs"
                                 + "".join(f", or {r.DESCRIPTION}" for r in readers))
    for reader in readers:
        claimed = [str(p) for p in inputs if Path(p).is_file() and reader.claims(p)]
        if not claimed:
            continue
        if len(claimed) != len(inputs):
            other = next(str(p) for p in inputs if str(p) not in claimed)
            raise SpecError(f"{reader.NAME} and other inputs cannot be predicted together", file=other,
                            hint=f"{claimed[0]} is {reader.DESCRIPTION}; predict each kind apart")
        return reader.predict(model_path, claimed, batch_size=batch_size)
    samples = open_samples(inputs)  # mistakes in the inputs are found before TensorFlow starts
    model, outputs, length = load_classifier(model_path)
    check_lengths(samples, length, model_path)
    return Predictions(samples.names, outputs, predict_set(model, samples, batch_size), threshold)


def write_predictions(path: str | Path, predictions: Predictions) -> Path:
    from specdsl.atomic import atomic_write_text

    return atomic_write_text(path, predictions.csv_text())


def prediction_table(predictions: Predictions) -> Any:
    """A table of the same calls and probabilities: one row per output when there are more outputs
    than samples (one isolate, 13 drugs), else one row per sample."""
    from specdsl.console import Column, Table

    cells: dict[str, list[str]] = {}
    for out in predictions.outputs:
        p = predictions.probability(out)
        calls = predictions.calls(out)
        if out.kind == "binary":
            cells[out.name] = [f"{c} ({v:.3f})" for c, v in zip(calls, p)]
        else:
            cells[out.name] = [f"{c} ({row.max():.3f})" for c, row in zip(calls, p)]
    title = "predictions: call (probability)"
    if any(out.kind == "binary" for out in predictions.outputs):
        title += f"; binary calls are 1 above {predictions.threshold:g}"
    if len(cells) > len(predictions.samples):
        table = Table(["output", *(Column(sample, "right") for sample in predictions.samples)], title=title)
        for name, values in cells.items():
            table.add_row(name, *values)
    else:
        table = Table(["sample", *(Column(name, "right") for name in cells)], title=title)
        for i, sample in enumerate(predictions.samples):
            table.add_row(sample, *(values[i] for values in cells.values()))
    return table


__all__ = ["OutputInfo", "Predictions", "check_lengths", "history_of", "load_classifier", "model_outputs", "predict",
           "predict_set", "prediction_table", "sequence_length", "write_predictions"]
