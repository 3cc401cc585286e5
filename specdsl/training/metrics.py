"""Evaluation metrics and reports, shared by training, ``specdsl deepcpg eval`` and ``specdsl evaluate``.

One module so that the end-of-run validation report, DeepCpG's ``--out_report`` and the
native evaluation verb can never disagree on what "AUC" or "MCC" means.  NumPy and
scikit-learn only (scikit-learn is imported on first use, never TensorFlow), so metrics can be
computed on prediction files without loading a model.

Missing labels: DeepCpG codes an unobserved methylation state as ``-1`` (``CPG_NAN``); other
readers use NaN.  Both are dropped before anything is computed, and ``n`` counts what remains.
A value a metric cannot have (a one-class label set for AUC, no positives for TPR, no
observed labels at all) is NaN — never an exception and never a warning — so a report over
hundreds of cells is always complete and a reader can tell "undefined" from "zero".

Definitions follow DeepCpG's ``deepcpg/evaluation.py`` (``auc``, ``acc``, ``tpr``, ``tnr``,
``f1``, ``mcc``): labels are rounded, predictions are rounded at 0.5 (``np.round`` sends 0.5 to
0, so a probability exactly at the threshold is a negative call).  Where DeepCpG, through
scikit-learn, reports 0.0 for an undefined ratio (TPR without positives, F1 without any
positive label or call), specdsl reports NaN.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError

MISSING_LABEL = -1
"""DeepCpG's ``CPG_NAN``: the label of an unobserved site."""

BINARY_KEYS = ("n", "auc", "acc", "tpr", "tnr", "f1", "mcc", "auprc")
REGRESSION_KEYS = ("n", "mse", "mae", "r2", "r", "rho")

DEEPCPG_METRICS = ("auc", "acc", "tpr", "tnr", "f1", "mcc", "mse", "mad", "cor", "n")
"""The metrics dcpg_eval reports, in the column order of its console table
(``CLA_METRICS`` then ``REG_METRICS`` then the rest, see ``unstack_report``)."""

_DEEPCPG_ALIASES = {"mad": "mae", "cor": "r"}  # DeepCpG's name -> specdsl's key
NAN = float("nan")


# --------------------------------------------------------------------------- helpers


def _vector(name: str, values: Any, dtype: Any = np.float64) -> np.ndarray:
    array = np.asarray(values, dtype=dtype)
    if array.ndim == 2 and array.shape[1] == 1:  # Keras heads give (N, 1)
        array = array[:, 0]
    if array.ndim != 1:
        raise SpecError(f"{name} must be one value per site, got shape {array.shape}")
    return array


def _same_length(a: np.ndarray, b: np.ndarray) -> None:
    if len(a) != len(b):
        raise SpecError(f"labels and predictions differ in length: {len(a)} vs {len(b)}")


def observed_mask(y_true: Any) -> np.ndarray:
    """True where a label is observed: neither ``-1`` (DeepCpG's missing) nor NaN."""
    y = np.asarray(y_true, dtype=np.float64)
    return np.isfinite(y) & (y != MISSING_LABEL)


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else NAN


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """k×k counts, rows = true class, columns = predicted class."""
    return np.bincount(k * y_true + y_pred, minlength=k * k).reshape(k, k)


def _mcc(confusion: np.ndarray) -> float:
    """Matthews' correlation (Gorodkin's K-class form, equal to the 2×2 formula for two classes).

    NaN when the labels hold one class only; 0.0 when every call is the same class while the
    labels hold several (scikit-learn's and DeepCpG's value for a constant predictor).
    """
    cm = confusion.astype(np.float64)
    n = cm.sum()
    true, pred = cm.sum(axis=1), cm.sum(axis=0)
    label_var = n * n - true @ true
    if n == 0 or label_var == 0:
        return NAN
    pred_var = n * n - pred @ pred
    if pred_var == 0:
        return 0.0
    return float((np.trace(cm) * n - true @ pred) / math.sqrt(label_var * pred_var))


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2:
        return NAN
    dx, dy = x - x.mean(), y - y.mean()
    den = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(np.clip((dx @ dy) / den, -1.0, 1.0)) if den > 0 else NAN


def _ranks(a: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank (what Spearman's rho needs)."""
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(len(a), dtype=np.float64)
    ranks[order] = np.arange(1, len(a) + 1)
    _, inverse, counts = np.unique(a, return_inverse=True, return_counts=True)
    return (np.bincount(inverse, weights=ranks) / counts)[inverse]


# --------------------------------------------------------------------------- metrics


def binary_metrics(y_true: Any, y_prob: Any, threshold: float = 0.5) -> dict[str, float]:
    """``n``, ``auc``, ``acc``, ``tpr``, ``tnr``, ``f1``, ``mcc``, ``auprc`` over observed labels.

    Labels are rounded (continuous labels above 0.5 count as methylated, as in DeepCpG); a
    prediction is a positive call when it is *above* ``threshold``.  ``auc`` and ``auprc``
    (average precision) need both classes; any non-finite prediction makes every value NaN,
    since no threshold or ranking of such outputs means anything.
    """
    y = _vector("labels", y_true)
    p = _vector("predictions", y_prob)
    _same_length(y, p)
    keep = observed_mask(y)
    y, p = y[keep] > 0.5, p[keep]
    out = dict.fromkeys(BINARY_KEYS, NAN)
    out["n"] = int(len(y))
    if not len(y) or not np.all(np.isfinite(p)):
        return out
    cm = _confusion(y.astype(np.int64), (p > threshold).astype(np.int64), 2)
    (tn, fp), (fn, tp) = cm
    out.update(acc=_ratio(tp + tn, len(y)), tpr=_ratio(tp, tp + fn), tnr=_ratio(tn, tn + fp),
               f1=_ratio(2 * tp, 2 * tp + fp + fn), mcc=_mcc(cm))
    if 0 < y.sum() < len(y):
        from sklearn.metrics import average_precision_score, roc_auc_score

        out["auc"] = float(roc_auc_score(y, p))
        out["auprc"] = float(average_precision_score(y, p))
    return out


def multiclass_metrics(y_true_int: Any, y_prob: Any, class_names: Sequence[str]) -> dict[str, Any]:
    """Accuracy, per-class precision/recall/F1, macro F1, MCC and the confusion matrix.

    ``y_prob`` is ``(N, K)`` scores (the call is the arg-max) or ``(N,)`` predicted class
    indices.  Labels ``-1`` are missing and dropped.  A class never called has NaN precision,
    one never present NaN recall; macro F1 averages the classes that occur in the labels or the
    calls (scikit-learn's default), so an absent class neither helps nor hurts.
    """
    names = [str(c) for c in class_names]
    k = len(names)
    y = _vector("labels", y_true_int)
    scores = np.asarray(y_prob)
    if scores.ndim == 2:
        if scores.shape[1] != k:
            raise SpecError(f"predictions have {scores.shape[1]} columns for {k} classes ({', '.join(names)})")
        calls = scores.argmax(axis=1)
    else:
        calls = _vector("predicted classes", scores, np.int64)
    _same_length(y, calls)
    keep = observed_mask(y)
    y, calls = y[keep], calls[keep]
    if np.any((y != np.round(y)) | (y < 0) | (y >= k)):
        bad = y[(y != np.round(y)) | (y < 0) | (y >= k)][0]
        raise SpecError(f"label {bad:g} is not a class index", expected=f"-1 (missing) or 0..{k - 1}")
    if np.any((calls < 0) | (calls >= k)):
        raise SpecError(f"predicted class {calls[(calls < 0) | (calls >= k)][0]} is not a class index",
                        expected=f"0..{k - 1}")
    cm = _confusion(y.astype(np.int64), calls.astype(np.int64), k)
    tp = np.diag(cm).astype(np.float64)
    n_true, n_pred = cm.sum(axis=1), cm.sum(axis=0)
    precision = [_ratio(t, d) for t, d in zip(tp, n_pred)]
    recall = [_ratio(t, d) for t, d in zip(tp, n_true)]
    f1 = [_ratio(2 * t, a + b) for t, a, b in zip(tp, n_true, n_pred)]
    defined = [v for v in f1 if not math.isnan(v)]
    return {
        "n": int(len(y)),
        "acc": _ratio(tp.sum(), len(y)),
        "precision": dict(zip(names, precision)),
        "recall": dict(zip(names, recall)),
        "f1": dict(zip(names, f1)),
        "macro_f1": float(np.mean(defined)) if defined else NAN,
        "mcc": _mcc(cm),
        "confusion": cm.tolist(),
        "class_names": names,
    }


def regression_metrics(y_true: Any, y_pred: Any, missing: float | None = None) -> dict[str, float]:
    """``n``, ``mse``, ``mae``, ``r2``, Pearson ``r`` and Spearman ``rho`` over finite targets.

    NaN targets are dropped; ``missing`` drops a sentinel too (DeepCpG's statistics outputs
    use ``-1``).  ``r2`` is NaN for constant targets, ``r``/``rho`` for fewer than two sites or a
    constant side (scikit-learn would report 0 or 1 there, hiding the degenerate case).
    """
    y = _vector("targets", y_true)
    z = _vector("predictions", y_pred)
    _same_length(y, z)
    keep = np.isfinite(y) if missing is None else np.isfinite(y) & (y != missing)
    y, z = y[keep], z[keep]
    out = dict.fromkeys(REGRESSION_KEYS, NAN)
    out["n"] = int(len(y))
    if not len(y):
        return out
    err = z - y
    sst = float(((y - y.mean()) ** 2).sum())
    out.update(mse=float(np.mean(err**2)), mae=float(np.mean(np.abs(err))),
               r2=1.0 - float(err @ err) / sst if sst > 0 and len(y) > 1 else NAN,
               r=_pearson(y, z), rho=_pearson(_ranks(y), _ranks(z)))
    return out


# --------------------------------------------------------------------------- reports


def _scalar(value: Any) -> float | None:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    return float(value)


def deepcpg_view(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The subset of ``metrics`` dcpg_eval reports, under DeepCpG's names (``mae``→``mad``, ``r``→``cor``)."""
    view = {}
    for name in DEEPCPG_METRICS:
        value = _scalar(metrics.get(_DEEPCPG_ALIASES.get(name, name), metrics.get(name)))
        if value is not None:
            view[name] = value
    return view


def average_blocks(blocks: Sequence[Mapping[str, Mapping[str, Any]]]) -> dict[str, dict[str, float]]:
    """Mean of per-block reports, skipping NaN: what dcpg_eval does with ``--eval_size`` blocks.

    dcpg_eval scores each block of about ``--eval_size`` sites separately and writes
    ``groupby(['metric', 'output']).mean()``: every metric, ``n`` included, is a mean over
    blocks, not a whole-set value.  Use this to reproduce its numbers; score the whole set at
    once for the exact ones.
    """
    sums: dict[str, dict[str, list[float]]] = {}
    for block in blocks:
        for output, metrics in block.items():
            for name, value in metrics.items():
                v = _scalar(value)
                if v is not None:
                    sums.setdefault(output, {}).setdefault(name, []).append(v)
    return {output: {name: (float(np.nanmean(vs)) if not np.all(np.isnan(vs)) else NAN) for name, vs in by.items()}
            for output, by in sums.items()}


def report_rows(per_output: Mapping[str, Mapping[str, Any]],
                metrics: Sequence[str] | None = None) -> list[tuple[str, str, float]]:
    """``(metric, output, value)`` rows sorted by metric, then output (pandas' groupby order)."""
    rows = []
    for output, values in per_output.items():
        for name, value in values.items():
            v = _scalar(value)
            if v is not None and (metrics is None or name in metrics):
                rows.append((name, output, v))
    return sorted(rows, key=lambda r: (r[0], r[1]))


def _csv_float(value: float) -> str:
    # pandas' to_csv without float_format: numpy's shortest repr (== Python's), NaN as ''
    return "" if math.isnan(value) else repr(float(value))


def report_tsv(per_output: Mapping[str, Mapping[str, Any]], deepcpg: bool = True) -> str:
    """dcpg_eval's ``--out_report`` text: ``metric<TAB>output<TAB>value``, long format, one row
    per metric and output, sorted by metric then output; ``n`` is a float (``1234.0``) and an
    undefined value an empty field, as pandas writes them.  ``deepcpg=False`` keeps every
    scalar metric under specdsl's names (``auprc``, ``r2`` …).
    """
    view = {o: deepcpg_view(m) for o, m in per_output.items()} if deepcpg else per_output
    lines = ["metric\toutput\tvalue"]
    lines += [f"{m}\t{o}\t{_csv_float(v)}" for m, o, v in report_rows(view)]
    return "\n".join(lines) + "\n"


def report_table(per_output: Mapping[str, Mapping[str, Any]], deepcpg: bool = True) -> str:
    """The wide table dcpg_eval prints: one row per output, metrics as columns.

    Column order and row order follow DeepCpG's ``unstack_report`` (AUC descending, else MSE
    ascending, else accuracy descending; undefined values last); numbers are fixed to 6
    decimals and ``n`` as an integer, where pandas' ``to_string`` would choose per column.
    """
    view = {o: deepcpg_view(m) for o, m in per_output.items()} if deepcpg else {
        o: {k: v for k, v in m.items() if _scalar(v) is not None} for o, m in per_output.items()}
    present = {name for values in view.values() for name in values}
    order = [m for m in DEEPCPG_METRICS if m in present and m != "n"]
    columns = order + sorted(present - set(order) - {"n"}) + (["n"] if "n" in present else [])
    key, descending = next(((k, d) for k, d in (("auc", True), ("mse", False), ("acc", True)) if k in present),
                           (None, False))

    def sort_key(output: str) -> tuple[bool, float, str]:
        v = _scalar(view[output].get(key, NAN)) if key else NAN
        missing = v is None or math.isnan(v)
        return (missing, 0.0 if missing else (-v if descending else v), output)

    def cell(name: str, value: Any) -> str:
        v = _scalar(value)
        if v is None or math.isnan(v):
            return "NaN"
        return f"{int(v)}" if name == "n" and v.is_integer() else f"{v:.6f}"

    body = [[o] + [cell(c, view[o].get(c)) for c in columns] for o in sorted(view, key=sort_key)]
    header = ["output"] + columns
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    fmt = lambda row: "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths)))
    return "\n".join(fmt(r) for r in [header, *body]) + "\n"


def report_json(per_output: Mapping[str, Mapping[str, Any]]) -> str:
    """Every metric of every output as JSON; NaN and infinities become ``null``."""
    from specdsl.training.artifacts import json_safe

    return json.dumps(json_safe(dict(per_output)), indent=2) + "\n"


def plot_confusion(confusion: Sequence[Sequence[int]] | np.ndarray, class_names: Sequence[str],
                   path: str | Path, title: str | None = None, dpi: int = 150) -> Path:
    """A confusion-matrix PNG (rows = true, columns = predicted), written atomically.

    Cells show counts; the colour is the row fraction (recall), so a rare class is as readable
    as a common one.  Uses matplotlib's object API with the Agg canvas, never pyplot's global
    state, so it is safe inside a training process.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from specdsl.atomic import atomic_path

    cm = np.asarray(confusion, dtype=np.int64)
    k = len(class_names)
    if cm.shape != (k, k):
        raise SpecError(f"confusion matrix of shape {cm.shape} for {k} class names")
    rows = cm.sum(axis=1, keepdims=True)
    frac = np.divide(cm, rows, out=np.zeros(cm.shape, dtype=np.float64), where=rows > 0)
    side = max(3.0, 0.6 * k + 2.0)
    fig = Figure(figsize=(side + 1.0, side))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    image = ax.imshow(frac, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of true class")
    ax.set_xticks(range(k), labels=list(class_names), rotation=45, ha="right")
    ax.set_yticks(range(k), labels=list(class_names))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{cm[i, j]:,}", ha="center", va="center", fontsize=8,
                    color="white" if frac[i, j] > 0.5 else "black")
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    return Path(path)


__all__ = [
    "BINARY_KEYS", "DEEPCPG_METRICS", "MISSING_LABEL", "REGRESSION_KEYS", "average_blocks", "binary_metrics",
    "deepcpg_view", "multiclass_metrics", "observed_mask", "plot_confusion", "regression_metrics", "report_json",
    "report_rows", "report_table", "report_tsv",
]
