"""Scoring the delivered classifier on the processed dataset: metrics JSON and confusion matrices.

Capfinder evaluates its best model on the held-out test set and logs the test loss and
accuracy, a test confusion matrix (to Comet) and a train confusion matrix (as text); none of
them reach ``output_dir``.  Here the classifier is loaded back from its file exactly as a
user would (``safe_mode=True``) and scored on the train, validation and test splits:

* ``best_model/metrics.json``: per split the reads, loss (mean cross-entropy), accuracy,
  per-class precision/recall/F1, macro F1, MCC and the confusion matrix
  (:func:`specdsl.training.metrics.multiclass_metrics`), with the classifier's path and class map;
* ``best_model/confusion_matrix_{train,test}.csv``: counts, rows = true class, columns =
  predicted; ``.png``: the same as a picture (:func:`specdsl.training.metrics.plot_confusion`).

Signals are read a chunk at a time, so memory does not grow with the dataset.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.atomic import atomic_write_text
from specdsl.formats.signal_csv import fit_length, index_signals, to_precision
from specdsl.training.metrics import multiclass_metrics, plot_confusion, report_json

CHUNK = 4096  # reads per prediction call
CONFUSION_SPLITS = ("train", "test")


def predict_file(model: Any, path: str | Path, length: int, dtype: str, batch_size: int = 256,
                 need_class: bool = True) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(read ids, labels, (n, K) probabilities) of every read of a signal CSV, a chunk at a time."""
    index = index_signals(path, need_class=need_class)
    ids: list[str] = []
    parts = []
    for start in range(0, len(index), CHUNK):
        chunk_ids, signals = index.fetch(np.arange(start, min(len(index), start + CHUNK)))
        x = np.stack([to_precision(fit_length(s, length), dtype) for s in signals])[:, :, None]
        ids += chunk_ids
        parts.append(np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64))
    return ids, index.labels.copy(), np.concatenate(parts)


def cross_entropy(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean −log p(true class), what Keras's sparse categorical cross-entropy reports."""
    picked = probabilities[np.arange(len(labels)), labels.astype(np.int64)]
    return float(np.mean(-np.log(np.clip(picked, 1e-7, 1.0)))) if len(labels) else math.nan


def confusion_csv(confusion: list[list[int]], names: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["true\\predicted", *names])
    for name, row in zip(names, confusion):
        writer.writerow([name, *row])
    return buffer.getvalue()


def evaluate_splits(model: Any, files: dict[str, Path], names: list[str], length: int, dtype: str,
                    batch_size: int = 256) -> dict[str, dict[str, Any]]:
    """Metrics of every split (train, val, test) by name."""
    out = {}
    for split, path in files.items():
        _, labels, probabilities = predict_file(model, path, length, dtype, batch_size)
        scores = multiclass_metrics(labels, probabilities, names)
        out[split] = {"loss": cross_entropy(labels, probabilities), **scores}
    return out


def write_reports(folder: Path, scores: dict[str, dict[str, Any]], extra: dict[str, Any]) -> list[Path]:
    """metrics.json and the train and test confusion matrices (CSV and PNG) in ``folder``."""
    written = [atomic_write_text(folder / "metrics.json", report_json({**extra, "splits": scores}))]
    for split in CONFUSION_SPLITS:
        if split not in scores:
            continue
        names, confusion = scores[split]["class_names"], scores[split]["confusion"]
        stem = folder / f"confusion_matrix_{split}"
        written.append(atomic_write_text(stem.with_suffix(".csv"), confusion_csv(confusion, names)))
        title = f"{split} set: accuracy {scores[split]['acc']:.3f} ({scores[split]['n']:,} reads)"
        written.append(plot_confusion(confusion, names, stem.with_suffix(".png"), title=title))
    return written


__all__ = ["confusion_csv", "cross_entropy", "evaluate_splits", "predict_file", "write_reports"]
