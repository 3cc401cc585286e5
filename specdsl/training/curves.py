"""The workshop's pictures: accuracy and loss curves, train against validation, named by their settings.

``inh_model.py -lr 0.001 -dr 0.2`` leaves ``INH-model_LR:0.001-DR:0.2-ACC.png`` and
``…-LOSS.png`` beside it, so runs with other settings never overwrite each other and the
pictures can be compared side by side (the workshop's second exercise).  Every classifier run
(``binary`` and ``multiclass`` heads) writes the same two pictures beside its model, named
``<prefix name>_LR:<learning rate>-DR:<dropout>-ACC.png``; ``DR`` is the dropout the model has
(:func:`model_dropout`) and is left out when it has none.

With several outputs (13 drugs) the accuracy picture shows the mean over outputs, train
against validation, with each output's validation accuracy as a thin line, so a drug that
lags behind stays visible.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CLASSIFIER_KINDS = ("binary", "multiclass")


def curve_names(name: str, settings: Mapping[str, Any]) -> tuple[str, str]:
    """(ACC file name, LOSS file name): ``INH-model_LR:0.001-DR:0.2-ACC.png`` …"""
    tag = "-".join(f"{key}:{_number(value)}" for key, value in settings.items())
    stem = f"{name}_{tag}" if tag else name
    return f"{stem}-ACC.png", f"{stem}-LOSS.png"


def _number(value: Any) -> str:
    return str(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _accuracy_keys(history: Mapping[str, Any]) -> list[str]:
    """``acc`` (one output) or ``<output>_acc`` (several), training side only."""
    return sorted(k for k, v in history.items() if isinstance(v, list) and not k.startswith("val_")
                  and (k == "acc" or k.endswith("_acc")))


def _series(values: list[Any]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def _mean(history: Mapping[str, Any], keys: list[str]) -> list[float]:
    columns = [_series(history[k]) for k in keys if k in history]
    if not columns:
        return []
    out = []
    for epoch in range(max(len(c) for c in columns)):
        values = [c[epoch] for c in columns if epoch < len(c) and not math.isnan(c[epoch])]
        out.append(sum(values) / len(values) if values else math.nan)
    return out


def _figure(title: str, ylabel: str):  # noqa: ANN202 - matplotlib objects
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    return fig, ax


def _save(fig: Any, path: Path) -> Path:
    from specdsl.atomic import atomic_path

    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    return path


def write_curves(history: Mapping[str, Any], place: str | Path, name: str,
                 settings: Mapping[str, Any]) -> list[Path]:
    """Write ``<name>_<settings>-ACC.png`` and ``-LOSS.png`` in the folder ``place``; return their paths.

    ``history`` is a run's history (Keras' per-epoch lists).  The accuracy picture is left out
    when the history has no accuracy (a classifier always has one).
    """
    folder = Path(place)
    acc_name, loss_name = curve_names(name, settings)
    tag = ", ".join(f"{k} {_number(v)}" for k, v in settings.items())
    written = []
    keys = _accuracy_keys(history)
    if keys:
        fig, ax = _figure(f"{name}: accuracy" + (f" ({tag})" if tag else ""), "accuracy")
        several = len(keys) > 1
        train, val = _mean(history, keys), _mean(history, [f"val_{k}" for k in keys])
        epochs = range(1, len(train) + 1)
        ax.plot(epochs, train, marker="o", ms=3, lw=2, label="train" + (f" (mean of {len(keys)})" if several else ""))
        if val:
            ax.plot(range(1, len(val) + 1), val, marker="o", ms=3, lw=2,
                    label="validation" + (f" (mean of {len(keys)})" if several else ""))
        if several:
            for k in keys:
                if f"val_{k}" in history:
                    values = _series(history[f"val_{k}"])
                    ax.plot(range(1, len(values) + 1), values, lw=0.8, alpha=0.35, color="tab:orange")
        ax.set_ylim(min([0.5, *(v for v in train + val if not math.isnan(v))]) - 0.02, 1.01)
        ax.legend(fontsize=8)
        written.append(_save(fig, folder / acc_name))
    if history.get("loss"):
        fig, ax = _figure(f"{name}: loss" + (f" ({tag})" if tag else ""), "loss")
        loss = _series(history["loss"])
        ax.plot(range(1, len(loss) + 1), loss, marker="o", ms=3, lw=2, label="train")
        if history.get("val_loss"):
            val_loss = _series(history["val_loss"])
            ax.plot(range(1, len(val_loss) + 1), val_loss, marker="o", ms=3, lw=2, label="validation")
        ax.legend(fontsize=8)
        written.append(_save(fig, folder / loss_name))
    return written


def run_settings(plan: Any) -> dict[str, Any]:
    """The settings a run's pictures are named by: ``LR`` and, if the model has dropout, ``DR``."""
    out: dict[str, Any] = {"LR": plan.ir.optimizer.learning_rate}
    dropout = model_dropout(plan)
    if dropout is not None:
        out["DR"] = dropout
    return out


def model_dropout(plan: Any) -> float | str | None:
    """The dropout the model really has: the preset's ``dropout`` parameter where its layers use it,
    else the rates of the architecture's dropout layers (several joined: ``0.1,0.3``); None when it
    has no dropout layer.  Read from the built graph, so an architecture string's model-wide
    default (0, used by no layer) never shows as ``DR:0.0``."""
    rates = list(dict.fromkeys(float(n.config["rate"]) for n in plan.graph.layers if n.prim == "dropout"))
    if not rates:
        return None
    declared = plan.params.get("dropout", plan.preset.param_defaults().get("dropout"))
    if isinstance(declared, (int, float)) and not isinstance(declared, bool) and float(declared) in rates:
        return float(declared)
    return rates[0] if len(rates) == 1 else ",".join(_number(r) for r in rates)


def classifier_curves(kind: str, plan: Any, paths: Any, history: Mapping[str, Any]) -> list[Path]:
    """The head-kind hook of classifier runs: the pictures, written once per run (by its first classifier kind)."""
    kinds = [k for k in plan.heads_by_kind() if k in CLASSIFIER_KINDS]
    if not kinds or kinds[0] != kind or not history.get("loss"):
        return []
    return write_curves(history, paths.folder, _curve_name(paths), run_settings(plan))


def _curve_name(paths: Any) -> str:
    return "model" if paths.style == "folder" else Path(paths.place).name


def planned_curves(plan: Any, paths: Any) -> list[Path]:
    """Where a run of ``plan`` will draw its pictures (none without a classifier head): ``--dry-run`` says so."""
    if not any(k in CLASSIFIER_KINDS for k in plan.heads_by_kind()):
        return []
    return [paths.folder / name for name in curve_names(_curve_name(paths), run_settings(plan))]


__all__ = ["classifier_curves", "curve_names", "model_dropout", "planned_curves", "run_settings", "write_curves"]
