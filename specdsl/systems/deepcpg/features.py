"""Per-site arrays of a DeepCpG chunk: outputs, neighbouring CpG states and distances, per-CpG statistics.

All vectorised over sites (``np.searchsorted`` over one cell's sorted observed positions); the
only Python loops are over cells and statistics.

Neighbours follow DeepCpG's ``KnnCpgFeatureExtractor`` (``deepcpg/data/feature_extractor.py``):
for K = cpg_wlen / 2, columns ``0…K-1`` are the K nearest observed sites *before* the target,
farthest first (column K-1 is the nearest), columns ``K…2K-1`` the K nearest *after* it, nearest
first; the target's own observation is never its own neighbour; where a side has fewer than K
observations the missing columns hold −1 in both ``state`` and ``dist``.  Distances are
absolute base pairs as float32.  DeepCpG builds the states in a float16 buffer before casting
to the profile's dtype, so continuous states carry float16 precision; that rounding is kept
(it is invisible for binary profiles).

Statistics follow ``deepcpg/data/stats.py`` over the observed cells of each site; sites seen
in fewer than ``--cpg_stats_cov`` cells get −1.  ``cov`` (the number of observed cells) is
listed by DeepCpG's ``--cpg_stats`` but has no function there, so DeepCpG stops on it; here it
is the count, stored as float32 like DeepCpG's other non-categorical statistics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CPG_NAN = -1  # DeepCpG's mark for a missing value (deepcpg.data.CPG_NAN)
EPS = 10e-8  # deepcpg.utils.EPS
STATS = ("mean", "mode", "var", "cat_var", "cat2_var", "entropy", "diff", "cov")
_INT8_STATS = frozenset({"mode", "cat_var", "cat2_var", "diff"})


def in_range(pos: np.ndarray, first: int, last: int) -> slice:
    """The slice of sorted ``pos`` with ``first <= pos <= last``."""
    return slice(int(np.searchsorted(pos, first, side="left")), int(np.searchsorted(pos, last, side="right")))


def map_to_sites(sites: np.ndarray, pos: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` observed at sorted ``pos``, placed on sorted ``sites``; −1 where a site was not observed."""
    out = np.full(len(sites), CPG_NAN, dtype=values.dtype)
    if not len(sites) or not len(pos):
        return out
    part = in_range(pos, int(sites[0]), int(sites[-1]))
    pos, values = pos[part], values[part]
    idx = np.searchsorted(sites, pos)
    hit = sites[np.minimum(idx, len(sites) - 1)] == pos
    out[idx[hit]] = values[hit]
    return out


def coverage(sites: np.ndarray, observed: Sequence[np.ndarray]) -> np.ndarray:
    """Number of cells observed at each of the sorted ``sites`` (``observed``: each cell's sorted positions)."""
    count = np.zeros(len(sites), dtype=np.int32)
    for pos in observed:
        idx = np.searchsorted(sites, pos)
        ok = idx < len(sites)
        idx = idx[ok]
        count[idx[sites[idx] == pos[ok]]] += 1
    return count


def state_source(values: np.ndarray) -> np.ndarray:
    """A cell's values as DeepCpG's neighbour buffer holds them (float16 precision for continuous states)."""
    if values.dtype == np.int8:
        return values
    return values.astype(np.float16).astype(np.float32)


def knn_features(sites: np.ndarray, pos: np.ndarray, values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(state, dist), each (len(sites), 2k): K neighbours left (farthest first) then K right (nearest first).

    ``pos`` (sorted) and ``values`` are one cell's observations on the chromosome of ``sites``
    (sorted); ``values`` should come from :func:`state_source`.
    """
    n, m = len(sites), len(pos)
    if not n or not m:
        return (np.full((n, 2 * k), CPG_NAN, dtype=values.dtype), np.full((n, 2 * k), CPG_NAN, dtype=np.float32))
    first = np.searchsorted(pos, sites, side="left")  # first observation at or after the site
    itself = (first < m) & (pos[np.minimum(first, m - 1)] == sites)
    idx = np.concatenate([first[:, None] + np.arange(-k, 0),  # before: yc-k … yc-1
                          (first + itself)[:, None] + np.arange(k)], axis=1)  # after, skipping the site itself
    missing = (idx < 0) | (idx >= m)
    np.clip(idx, 0, m - 1, out=idx)
    state = values[idx]
    state[missing] = CPG_NAN
    # positions lie in 1…2**31-1, so the difference of two int32 positions fits int32; float32 as DeepCpG stores it
    dist = np.abs(pos[idx] - sites[:, None]).astype(np.float32)
    dist[missing] = CPG_NAN
    return state, dist


def cpg_stats(matrix: np.ndarray, names: Sequence[str], min_cov: int) -> dict[str, np.ndarray]:
    """DeepCpG's per-CpG statistics of a (sites, cells) matrix with −1 for unobserved cells.

    Sites observed in fewer than ``min_cov`` cells (and sites observed in none) get −1.
    """
    values = matrix.astype(np.float64)
    seen = values != CPG_NAN
    cov = seen.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(seen, values, 0.0).sum(axis=1) / cov
        var = np.where(seen, (values - mean[:, None]) ** 2, 0.0).sum(axis=1) / cov
        cat_var = np.digitize(var, np.linspace(-EPS, 0.25, 4), right=True) - 1
        p1 = np.clip(mean, EPS, 1 - EPS)
        entropy = -(p1 * np.log(p1) + (1 - p1) * np.log(1 - p1))
        low = np.where(seen, values, np.inf).min(axis=1)
        high = np.where(seen, values, -np.inf).max(axis=1)
    results = {
        "mean": mean,
        "mode": np.round(np.nan_to_num(mean)),  # half to even, like DeepCpG's .round()
        "var": var,
        "cat_var": cat_var,
        "cat2_var": (cat_var > 0).astype(np.int8),
        "entropy": entropy,
        # DeepCpG: x.min(axis=1) != x.max(axis=1).astype(np.int8): the cast binds to max only
        "diff": low != np.trunc(np.nan_to_num(high, neginf=0.0)),
        "cov": cov,
    }
    missing = (cov < min_cov) | (cov == 0)
    out = {}
    for name in names:
        dtype = np.int8 if name in _INT8_STATS else np.float32
        stat = np.nan_to_num(results[name]).astype(dtype)
        stat[missing] = CPG_NAN
        out[name] = stat
    return out


__all__ = ["CPG_NAN", "STATS", "coverage", "cpg_stats", "in_range", "knn_features", "map_to_sites", "state_source"]
