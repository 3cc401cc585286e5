"""The figures of ``dcpg_filter_motifs.py``: logos, weight heatmaps, activation densities, PCA.

DeepCpG draws logos with the WebLogo 3 program; here they are drawn with logomaker (the
``motifs`` extra), in bits as WebLogo draws them, in the same colours.  matplotlib does the
rest (DeepCpG's seaborn and scikit-learn are not needed: the PCA is an SVD).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from specdsl.errors import SpecError

COLORS = {"A": "#CB2026", "C": "#34459C", "G": "#FBB116", "T": "#0C8040"}  # DeepCpG's WEBLOGO_OPTS
INSTALL = "pip install 'specdsl[motifs]' (or: pip install logomaker)"


def _pyplot():  # noqa: ANN202 - the matplotlib.pyplot module
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def require_logomaker() -> None:
    """Fail before any work when logos are asked for and logomaker is missing."""
    try:
        import logomaker  # noqa: F401
    except ImportError:
        raise SpecError("sequence logos need logomaker, which is not installed", hint=INSTALL) from None


def plot_logo(pwm_atgc: np.ndarray, path: Path, title: str = "") -> None:
    """An information-content logo of a (k, 4) PWM in ATGC columns."""
    import logomaker
    import pandas as pd

    plt = _pyplot()
    probs = pd.DataFrame(pwm_atgc[:, [0, 3, 2, 1]], columns=list("ACGT"))
    bits = logomaker.transform_matrix(probs, from_type="probability", to_type="information")
    fig, ax = plt.subplots(figsize=(max(3.0, 0.45 * len(probs)), 2.0))
    logomaker.Logo(bits, ax=ax, color_scheme=COLORS)
    ax.set_ylim(0, 2)
    ax.set_ylabel("bits")
    ax.set_xticks(range(len(probs)), [str(i + 1) for i in range(len(probs))])
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_heatmap(weights: np.ndarray, path: Path) -> None:
    """A filter's (4, k) weights, rows A, T, G, C, in a symmetric red-blue scale."""
    plt = _pyplot()
    span = float(abs(weights).max()) or 1.0
    fig, ax = plt.subplots(figsize=(max(3.0, 0.5 * weights.shape[1]), 2.5))
    image = ax.imshow(weights, cmap="RdYlBu_r", vmin=-span, vmax=span, aspect="auto")
    ax.set_yticks(range(4), list("ATGC"))
    ax.set_xticks(range(weights.shape[1]), [str(i + 1) for i in range(weights.shape[1])])
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_density(values: np.ndarray, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots()
    ax.hist(np.ravel(values), bins=50)
    ax.set_xlabel("Activation")
    fig.savefig(path)
    plt.close(fig)


def plot_pca(act: np.ndarray, labels: list[int], path: Path) -> None:
    """Filters as points on the first two principal components of their (samples,) activity vectors."""
    plt = _pyplot()
    points = act.T - act.T.mean(axis=0)
    u, s, _ = np.linalg.svd(points, full_matrices=False)
    pcs = u[:, :2] * s[:2] if s.size >= 2 else np.zeros((len(points), 2))
    fig, ax = plt.subplots(figsize=(10, 8))
    scatter = ax.scatter(pcs[:, 0], pcs[:, 1], c=act.T.mean(axis=1), cmap="RdBu_r")
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2")
    fig.colorbar(scatter)
    for label, (x, y) in zip(labels, pcs):
        ax.annotate(str(label), xy=(x, y), fontsize=10)
    fig.savefig(path)
    plt.close(fig)


__all__ = ["INSTALL", "plot_density", "plot_heatmap", "plot_logo", "plot_pca", "require_logomaker"]
