"""The validation picture: simulated reads as coloured segments, the model's labels against the truth.

tranquillyzer's train-model annotates a freshly simulated validation set after training and
writes ``<model>_<idx>_val_viz.pdf`` (bases as coloured letters, 150 a line).  Here each read
is two bars on one base axis — *true* above, *predicted* below — coloured by label, with a red
tick under every base whose predicted label is wrong, and the per-base accuracy in the title;
written as PNG (to look at) and PDF (to print), each atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

# tranquillyzer's colours for cDNA, polyA/T and flanks; its palette, in order, for the other labels
FIXED = {"cDNA": "gray", "polyT": "orange", "polyA": "orange"}
PALETTE = ["red", "blue", "green", "purple", "pink", "cyan", "magenta", "orange", "brown"]


def label_colours(classes: list[str], order: list[str]) -> dict[str, str]:
    """A colour per label: fixed ones first, then the palette in seq-order order (as tranquillyzer)."""
    colours, i = {}, 0
    for name in list(order) + [c for c in classes if c not in order]:
        if name in colours:
            continue
        if name in FIXED:
            colours[name] = FIXED[name]
        else:
            colours[name] = PALETTE[i % len(PALETTE)]
            i += 1
    return colours


def _runs(path: np.ndarray) -> list[tuple[int, int, int]]:
    from specdsl.systems.tranquillyzer.annotate import segments

    return segments(np.asarray(path))


def draw(truth: list[np.ndarray], predicted: list[np.ndarray], classes: list[str], order: list[str],
         title: str) -> Any:
    """A matplotlib figure of the reads (see the module docstring)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    colours = label_colours(classes, order)
    n = len(truth)
    longest = max((len(t) for t in truth), default=1)
    fig, ax = plt.subplots(figsize=(12, 1.3 + 0.42 * n))
    for i, (t, p) in enumerate(zip(truth, predicted)):
        y = n - 1 - i
        for row, path in ((0.18, t), (-0.18, p)):
            bars = [(s, e - s) for _, s, e in _runs(path)]
            cols = [colours[classes[lab]] for lab, _, _ in _runs(path)]
            ax.broken_barh(bars, (y + row - 0.15, 0.3), facecolors=cols, linewidth=0)
        wrong = np.flatnonzero(np.asarray(t) != np.asarray(p))
        if wrong.size:
            ax.vlines(wrong + 0.5, y - 0.42, y - 0.34, colors="red", linewidth=0.6)
    ax.set_yticks([n - 1 - i for i in range(n)], [f"read {i}  true/pred" for i in range(n)], fontsize=7)
    ax.set_xlim(0, longest)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("base")
    ax.set_title(title, fontsize=9)
    height = fig.get_size_inches()[1]
    fig.legend(handles=[Patch(color=colours[c], label=c) for c in classes], loc="lower center",
               ncol=len(classes), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.4 / height, 1, 1))  # room for the legend under the axis
    return fig


def write_picture(prefix: str | Path, truth: list[np.ndarray], predicted: list[np.ndarray], classes: list[str],
                  order: list[str], title: str) -> list[Path]:
    """``<prefix>_val_viz.png`` and ``.pdf``."""
    import matplotlib.pyplot as plt

    from specdsl.atomic import atomic_path

    fig = draw(truth, predicted, classes, order, title)
    out = []
    for ext in ("png", "pdf"):
        path = Path(f"{prefix}_val_viz.{ext}")
        with atomic_path(path, suffix=f".{ext}") as tmp:
            fig.savefig(tmp, format=ext, dpi=120)
        out.append(path)
    plt.close(fig)
    return out


__all__ = ["draw", "label_colours", "write_picture"]
