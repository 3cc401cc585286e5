"""TF-MoDISco on a contribution-score file, and its patterns matched against a motif database.

``specdsl motifs`` is ``modisco motifs -i`` and ``modisco report -l`` in one step, through
modisco-lite's Python API (``modiscolite.tfmodisco.TFMoDISco``, ``modiscolite.io.save_hdf5``), so the
results file is modisco's own and ``modisco report``/``modisco meme`` read it.  What is done as
modisco's CLI does it, and why:

* the scores are cut to the centred window ``[L//2 − w//2, L//2 − w//2 + w)`` (contributions far
  from the centre are mostly noise); a window longer than the sequences is clipped to them with a
  note, where modisco's CLI stops with a ``ValueError``;
* the options and their defaults are the CLI's (``-n``, ``-l 2``, ``-z 20``, ``-t 30``, ``-f 5``,
  ``-g 10``, ``-j 0``, FDR 0.05), not the API's (window 21, 50 Leiden runs, FDR 0.2);
* patterns are trimmed for logos and matching as ``modisco report`` trims them: positions whose
  Σ|CWM| reaches 0.3 × the maximum, plus 4 bp either side for logos (:func:`trim_bounds`);
* matches are memelite's tomtom (what ``modisco report -l`` runs): p-values per (pattern, motif)
  pair; q-values are Benjamini–Hochberg over every pair of the run, as MEME's tomtom computes them.

modisco-lite and memelite are imported inside the functions (the ``motifs`` extra): importing
this module costs nothing, and ``specdsl --help`` never loads numba.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.motif_db import MotifMatrix

GROUPS = ("pos_patterns", "neg_patterns")
TRIM_THRESHOLD, LOGO_PAD = 0.3, 4
INSTALL_HINT = "install the motifs extra: pip install 'specdsl[motifs]' (modisco-lite, logomaker, memelite)"


@dataclass(frozen=True)
class ModiscoOptions:
    """modisco motifs' options, with its CLI's defaults."""

    max_seqlets: int = 2000
    window: int = 400
    n_leiden: int = 2
    sliding_window_size: int = 20
    trim_size: int = 30
    seqlet_flank_size: int = 5
    initial_flank_to_add: int = 10
    final_flank_to_add: int = 0
    target_seqlet_fdr: float = 0.05


@dataclass(frozen=True)
class Pattern:
    """One pattern of a results file: ``pos_patterns.pattern_0``, its seqlet count and (W, 4) matrices."""

    group: str
    name: str
    seqlets: int
    ppm: np.ndarray
    cwm: np.ndarray

    @property
    def tag(self) -> str:
        return f"{self.group}.{self.name}"


@dataclass
class ModiscoRun:
    """What a run found and what the user should be told about it."""

    patterns: list[Pattern]
    window: int
    notes: list[str] = field(default_factory=list)


def require(module: str) -> None:
    """A SpecError naming the extra when one of its packages is missing (instead of an ImportError)."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise SpecError(f"specdsl motifs needs the Python package '{module}'", hint=INSTALL_HINT)


def centre_window(length: int, window: int) -> tuple[int, int, str | None]:
    """modisco's centred window ``[start, end)`` over sequences of ``length``; clipped, with a note, if longer."""
    note = None
    if window > length:
        note = f"--window {window} is longer than the sequences ({length} bp): using {length}"
        window = length
    start = length // 2 - window // 2
    return start, start + window, note


def check_window(length: int, options: ModiscoOptions, source: str = "") -> tuple[int, int, str | None]:
    """:func:`centre_window`, refused with a SpecError when it is too short to hold one seqlet."""
    start, end, note = centre_window(length, options.window)
    shortest = options.sliding_window_size + 2 * options.seqlet_flank_size + 1
    if end - start < shortest:
        raise SpecError(f"the sequences are {length} bp and the window {end - start} bp: seqlets of "
                        f"{options.sliding_window_size} + 2×{options.seqlet_flank_size} bp need at least {shortest}",
                        file=source, path="--window" if options.window < length else None)
    return start, end, note


def run_modisco(hypothetical: np.ndarray, sequences: np.ndarray, out: str | Path, options: ModiscoOptions,
                *, source: str = "", verbose: bool = False) -> ModiscoRun:
    """TF-MoDISco over scores (N, L, 4) and one-hot inputs (N, L, 4), its results saved at ``out``."""
    require("modiscolite")
    import modiscolite.io
    import modiscolite.tfmodisco

    n, length = hypothetical.shape[:2]
    start, end, note = check_window(length, options, source)
    window = end - start
    one_hot = np.ascontiguousarray(sequences[:, start:end], np.float32)
    hyp = np.ascontiguousarray(hypothetical[:, start:end], np.float32)
    pos, neg = modiscolite.tfmodisco.TFMoDISco(
        one_hot=one_hot, hypothetical_contribs=hyp, max_seqlets_per_metacluster=options.max_seqlets,
        sliding_window_size=options.sliding_window_size, flank_size=options.seqlet_flank_size,
        trim_to_window_size=options.trim_size, initial_flank_to_add=options.initial_flank_to_add,
        final_flank_to_add=options.final_flank_to_add, target_seqlet_fdr=options.target_seqlet_fdr,
        n_leiden_runs=options.n_leiden, verbose=verbose)
    from specdsl.atomic import atomic_path

    with atomic_path(out, suffix=".h5.tmp") as tmp:
        modiscolite.io.save_hdf5(tmp, pos, neg, window)
    run = ModiscoRun(read_patterns(out), window, [note] if note else [])
    if not run.patterns:
        run.notes.append(f"no patterns found in {n:,} sequences of {window} bp: too few seqlets passed "
                         f"(a metacluster needs more than 100); more regions or sharper scores help")
    return run


def read_patterns(path: str | Path) -> list[Pattern]:
    """The patterns of a modisco-lite results file, positive first, each group in pattern_0, 1, … order."""
    import h5py

    patterns = []
    with h5py.File(path, "r") as h5:
        for group in GROUPS:
            if group not in h5:
                continue
            names = sorted(h5[group], key=lambda k: int(k.rsplit("_", 1)[-1]))
            for name in names:
                g = h5[group][name]
                patterns.append(Pattern(group, name, int(g["seqlets"]["n_seqlets"][0]),
                                        np.asarray(g["sequence"][...], np.float64),
                                        np.asarray(g["contrib_scores"][...], np.float64)))
    return patterns


def trim_bounds(cwm: np.ndarray, threshold: float = TRIM_THRESHOLD, pad: int = 0) -> tuple[int, int]:
    """``[start, end)`` of the positions whose Σ|cwm| ≥ threshold × max, widened by ``pad`` (modisco report's)."""
    score = np.abs(np.asarray(cwm)).sum(axis=1)
    passing = np.flatnonzero(score >= threshold * score.max())
    return max(int(passing.min()) - pad, 0), min(int(passing.max()) + pad + 1, len(score))


@dataclass(frozen=True)
class Match:
    """A database motif matched to a pattern by tomtom."""

    name: str
    p: float
    q: float


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """q-values of p-values (any shape), monotone and at most 1."""
    flat = np.asarray(p, np.float64).ravel()
    order = np.argsort(flat)
    ranked = flat[order] * len(flat) / np.arange(1, len(flat) + 1)
    q = np.empty_like(flat)
    q[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return q.reshape(np.shape(p))


#: Below this many database motifs tomtom's p-values, whose background is the database's own columns,
#: change by orders of magnitude with the choice of motifs (memelite warns below 25, MEME's tomtom 50).
SMALL_DATABASE = 25


def match_patterns(patterns: Sequence[Pattern], db: Sequence[MotifMatrix], n_matches: int = 3
                   ) -> tuple[list[list[Match]], list[str]]:
    """The ``n_matches`` best database motifs of each pattern (its PPM trimmed by its CWM), and notes."""
    if not patterns:
        return [], []
    require("memelite")
    from memelite import tomtom

    queries = [p.ppm[slice(*trim_bounds(p.cwm))].T for p in patterns]
    targets = [m.matrix.T for m in db]
    notes = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the small-database warning becomes the note below
        pvalues = np.asarray(tomtom(queries, targets)[0], np.float64)
    if len(db) < SMALL_DATABASE:
        notes.append(f"the motif database holds {len(db)} motifs: tomtom's p-values use its columns as the "
                     "background and are unreliable below 25 motifs")
    qvalues = benjamini_hochberg(pvalues)
    best = []
    for i in range(len(patterns)):
        order = np.argsort(pvalues[i], kind="stable")[:n_matches]
        best.append([Match(db[j].name, float(pvalues[i, j]), float(qvalues[i, j])) for j in order])
    return best, notes


__all__ = ["GROUPS", "LOGO_PAD", "TRIM_THRESHOLD", "Match", "ModiscoOptions", "ModiscoRun", "Pattern",
           "benjamini_hochberg", "centre_window", "check_window", "match_patterns", "read_patterns", "require",
           "run_modisco", "trim_bounds"]
