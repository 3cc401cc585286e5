"""``specdsl evaluate MODEL DATA``: how well a classifier does on labelled samples, per output.

DATA is what training reads — FASTA files or one-hot CSVs — with its labels CSV (by default
beside it: ``test.fa`` → ``test.labels.csv``; or ``--labels``), matched strictly both ways.
Binary outputs get accuracy, AUROC, AUPRC, MCC and F1 (and TPR, TNR, the count of observed
labels) from :mod:`specdsl.training.metrics` — the module DeepCpG's evaluation and the end-of-run
validation report use, so the numbers agree everywhere; unknown labels are left out.
Multi-class outputs get accuracy, MCC, macro F1 and the confusion matrix.

The report is a table on the terminal, and with ``-o PREFIX``: ``PREFIX.json`` (every number),
``PREFIX.png`` (a heatmap of the binary outputs' metrics) and ``PREFIX.<output>.confusion.png``
per multi-class output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError, did_you_mean
from specdsl.formats.samples import labels_for, match_labels, open_samples
from specdsl.training.predictions import OutputInfo, check_lengths, load_classifier, predict_set

SHOWN = (("acc", "accuracy"), ("auc", "AUROC"), ("auprc", "AUPRC"), ("mcc", "MCC"), ("f1", "F1"))


@dataclass
class Evaluation:
    model: str
    outputs: list[OutputInfo]
    metrics: dict[str, dict[str, Any]]  # by output name
    samples: int
    threshold: float = 0.5
    labels: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "samples": self.samples, "threshold": self.threshold, "labels": self.labels,
                "outputs": {o.name: {"kind": o.kind, **self.metrics[o.name]} for o in self.outputs}}


def evaluate(model_path: str | Path, data: Sequence[str | Path], labels: Sequence[str | Path] | None = None, *,
             threshold: float = 0.5, batch_size: int = 64) -> Evaluation:
    """Predict every sample of ``data`` and score each output against its labels column."""
    from specdsl.training.metrics import binary_metrics, multiclass_metrics

    if not 0.0 <= threshold <= 1.0:
        raise SpecError(f"must lie in [0, 1], got {threshold}", path="--threshold")
    samples = open_samples(data)
    label_files = labels_for(data, labels)
    labelled = match_labels({"data": samples}, label_files, key="--labels")  # all checked before TensorFlow
    model, outputs, length = load_classifier(model_path)
    check_lengths(samples, length, model_path)
    columns = labelled.columns
    for out in outputs:
        if out.column not in columns:
            raise SpecError(f"the labels have no column '{out.column}' for the model's output '{out.name}'",
                            file=f"{labelled.tables[0].path}:1", expected="one of " + ", ".join(columns),
                            hint=did_you_mean(out.column, columns) or "evaluate with the labels the model was "
                                                                      "trained on")
    truth = {o.name: labelled.targets("data", o.column, o.classes if o.kind == "multiclass" else None)
             for o in outputs}
    probabilities = predict_set(model, samples, batch_size)
    metrics: dict[str, dict[str, Any]] = {}
    for out in outputs:
        p = probabilities[out.layer]
        if out.kind == "binary":
            metrics[out.name] = binary_metrics(truth[out.name], p[:, out.unit], threshold)
        else:
            metrics[out.name] = multiclass_metrics(truth[out.name], p, list(out.classes))
    return Evaluation(str(model_path), outputs, metrics, len(samples.samples), threshold, label_files)


def _cell(value: Any) -> str:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return "—" if math.isnan(value) else f"{value:.3f}"
    return "—"


def evaluation_tables(ev: Evaluation) -> list[Any]:
    """The metrics per output, then a confusion matrix per multi-class output (names shown verbatim)."""
    from specdsl.console import Column, Table

    title = f"{ev.model} on {ev.samples:,} samples (binary calls above {ev.threshold:g})"
    table = Table(["output", Column("labelled", "right"), *(Column(head, "right") for _, head in SHOWN)],
                  title=title)
    for out in ev.outputs:
        m = ev.metrics[out.name]
        values = [m.get(key) for key, _ in SHOWN]
        if out.kind == "multiclass":
            values[-1] = m.get("macro_f1")  # F1 of a multi-class output: macro-averaged
        table.add_row(out.name, _cell(m.get("n")), *(_cell(v) for v in values))
    tables = [table]
    for out in ev.outputs:
        if out.kind != "multiclass":
            continue
        cm = ev.metrics[out.name]["confusion"]
        title = f"{out.name}: confusion matrix (rows true, columns predicted)"
        matrix = Table(["true \\ predicted", *(Column(name, "right") for name in out.classes)], title=title)
        for name, row in zip(out.classes, cm):
            matrix.add_row(name, *(f"{int(v):,}" for v in row))
        tables.append(matrix)
    return tables


def write_evaluation(ev: Evaluation, prefix: str | Path) -> list[Path]:
    """``PREFIX.json``, ``PREFIX.png`` (binary outputs) and a confusion PNG per multi-class output."""
    from specdsl.atomic import atomic_write_text
    from specdsl.training.metrics import plot_confusion, report_json

    prefix = str(prefix)
    written = [atomic_write_text(f"{prefix}.json", report_json(ev.as_dict()))]
    binary = [o for o in ev.outputs if o.kind == "binary"]
    if binary:
        written.append(plot_metrics(ev, binary, Path(f"{prefix}.png")))
    for out in ev.outputs:
        if out.kind == "multiclass":
            written.append(plot_confusion(ev.metrics[out.name]["confusion"], out.classes,
                                          f"{prefix}.{out.name}.confusion.png", title=f"{out.name} ({ev.model})"))
    return written


def plot_metrics(ev: Evaluation, outputs: list[OutputInfo], path: Path) -> Path:
    """A heatmap: one row per binary output, one column per metric, each cell annotated."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from specdsl.atomic import atomic_path

    values = np.array([[ev.metrics[o.name].get(key, math.nan) for key, _ in SHOWN] for o in outputs], dtype=float)
    fig = Figure(figsize=(1.3 * len(SHOWN) + 2.5, 0.38 * len(outputs) + 1.6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    image = ax.imshow(np.nan_to_num(values, nan=0.0), cmap="RdYlGn", vmin=0.0, vmax=1.0, aspect="auto")
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.03)
    ax.set_xticks(range(len(SHOWN)), labels=[title for _, title in SHOWN])
    ax.set_yticks(range(len(outputs)), labels=[o.name for o in outputs])
    for i in range(len(outputs)):
        for j in range(len(SHOWN)):
            ax.text(j, i, "—" if math.isnan(values[i, j]) else f"{values[i, j]:.3f}", ha="center", va="center",
                    fontsize=8)
    ax.set_title(f"{Path(ev.model).name}: {ev.samples:,} samples", fontsize=10)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    return path


__all__ = ["Evaluation", "evaluate", "evaluation_tables", "plot_metrics", "write_evaluation"]
