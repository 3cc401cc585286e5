"""Loss curves from a history file: one panel per loss term, train against validation."""

from __future__ import annotations

import json
import math
from pathlib import Path

from specdsl.errors import SpecError

_SKIP = {"config", "counts-loss-weight", "learning_rate", "outputs", "validation-scores"}


def _title(key: str, names: dict) -> str:
    """``cpg_cell1_auc`` → ``cpg/cell1 auc``: outputs by the names users know (history ``outputs``)."""
    for layer, display in sorted(names.items(), key=lambda kv: -len(kv[0])):
        if key.startswith(layer + "_") and layer != display:
            return f"{display} {key[len(layer) + 1:]}"
    return key


def _series(history: dict) -> list[str]:
    keys = [k for k, v in history.items() if k not in _SKIP and not k.startswith("val_") and isinstance(v, list)]
    # totals first, then per-output terms; Keras' duplicate <output>_loss trackers are dropped
    # when the named metric (…_multinomial_nll, …_reweightable_mse) carries the same curve.
    named = {k.rsplit("_", 2)[0] for k in keys if k.endswith(("_multinomial_nll", "_reweightable_mse"))}
    keys = [k for k in keys if not (k.endswith("_loss") and k[: -len("_loss")] in named)]
    return sorted(keys, key=lambda k: (k != "loss", k))


def plot_history(history_path: str | Path, out: str | Path, dpi: int = 150) -> Path:
    path = Path(history_path)
    try:
        history = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError("no such file", file=str(path)) from None
    except ValueError as err:
        raise SpecError(f"not a JSON history file: {err}", file=str(path)) from None
    if not isinstance(history, dict) or not any(isinstance(v, list) for v in history.values()):
        raise SpecError("not a training history", file=str(path),
                        expected="an object with per-epoch lists such as \"loss\" (PREFIX.history.json, history.json)")
    out = Path(out)
    if out.suffix.lower() not in (".png", ".pdf", ".svg", ".jpg", ".jpeg"):
        raise SpecError(f"cannot write a plot as '{out.suffix or out.name}'", file=str(out),
                        expected="a file name ending in .png, .pdf, .svg or .jpg")
    keys = _series(history)
    if not keys:
        raise SpecError("the history has no loss values to plot", file=str(path))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = math.ceil(math.sqrt(len(keys) + 1))
    rows = math.ceil((len(keys) + 1) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    flat = axes.ravel()
    for ax, key in zip(flat, keys):
        values = history[key]
        epochs = range(1, len(values) + 1)
        ax.plot(epochs, [math.nan if v is None else v for v in values], marker="o", ms=3, label="train")
        if f"val_{key}" in history:
            ax.plot(epochs, [math.nan if v is None else v for v in history[f"val_{key}"]], marker="o", ms=3,
                    label="validation")
        ax.set_title(_title(key, history.get("outputs") or {}), fontsize=9)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    lr_ax = flat[len(keys)]
    if "learning_rate" in history:
        lr_ax.plot(range(1, len(history["learning_rate"]) + 1), history["learning_rate"], marker="o", ms=3)
        lr_ax.set_yscale("log")
        lr_ax.set_title("learning rate", fontsize=9)
        lr_ax.set_xlabel("epoch")
    for ax in flat[len(keys) + 1:]:
        ax.axis("off")
    fig.suptitle(path.name, fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out
