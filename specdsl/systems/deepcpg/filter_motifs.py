"""Filter motifs as ``dcpg_filter_motifs.py`` computes them (after Basset's ``basset_motifs.py``).

A filter's motif is the alignment of the k-mers that activate it most: every position whose
activation reaches ``max(mean + act_thr_per·(max − mean), the value leaving act_thr_max
positions)`` gives the k-mer under the filter there; their per-column base frequencies are
the PWM.  Outputs keep DeepCpG's names and formats so its users' downstream steps still work:
``meme.txt`` (MEME version 4, ACGT columns, 4 decimals), ``fa/NNN.fa``, ``stats.tsv``.

Two deliberate differences, both where DeepCpG cuts the wrong bases:

* k-mers are cut at the window the filter actually saw (``act_offset``/``act_stride`` written
  by ``specdsl deepcpg filter-act``), so 'same' padding, strides, even kernels and
  ``--act_wlen`` are right; DeepCpG's own files (no such attributes) get DeepCpG's centring.
  DeepCpG also drops positions up to ``k`` from the right end; here every full window counts.
* ``--trim_thr`` keeps the last informative column (DeepCpG's ``pwm[start:end]`` drops it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError

EPS = 10e-8  # deepcpg.utils.EPS
DEEPCPG_ORDER = "ATGC"
MEME_ORDER = "ACGT"
_TO_MEME = [DEEPCPG_ORDER.index(c) for c in MEME_ORDER]
STATS_COLUMNS = ("idx", "motif", "act_mean", "act_std", "ic", "nb_site", "consensus")
MIN_SITES = 10  # DeepCpG skips filters with fewer activating k-mers


@dataclass
class FilterResult:
    """One filter's row of ``stats.tsv`` and, when it has enough sites, its PWM (ATGC columns)."""

    idx: int
    motif: str
    act_mean: float
    act_std: float
    ic: float = 0.0
    nb_site: int = 0
    pwm: np.ndarray | None = None
    kmers: np.ndarray | None = None

    @property
    def consensus(self) -> str:
        return "" if self.pwm is None else "".join(DEEPCPG_ORDER[i] for i in self.pwm.argmax(axis=1))


def ranges_to_list(values: Sequence[str], start: int, stop: int) -> list[int]:
    """``--filters -10 50-60`` → [0…10, 50…60] (inclusive ranges, open ends as in DeepCpG)."""
    chosen: set[int] = set()
    for value in values:
        text = str(value)
        try:
            if "-" in text:
                lo, hi = text.split("-")
                chosen |= set(range(int(lo) if lo else start, (int(hi) if hi else stop) + 1))
            else:
                chosen.add(int(text))
        except ValueError:
            raise SpecError(f"'{text}' is not a filter index or range such as 3, -10 or 50-60",
                            path="--filters") from None
    bad = sorted(i for i in chosen if i < start or i > stop)
    if bad:
        raise SpecError(f"filter {bad[0]} does not exist; the filters are {start}–{stop}", path="--filters")
    return sorted(chosen)


def threshold(act: np.ndarray, thr_per: float | None, thr_max: int | None) -> float:
    """DeepCpG's rule: the larger of the fraction-of-max threshold and the top-``thr_max`` one."""
    per = 0.0
    if thr_per:
        mean = float(act.mean())
        per = thr_per * float((act - mean).max()) + mean
    top = 0.0
    if thr_max:
        n = min(thr_max, act.size)
        top = float(np.percentile(act, (1 - n / act.size) * 100))
    return max(per, top)


def window_offset(attrs: Any, seq_len: int, act_len: int, kernel: int) -> tuple[int, int]:
    """Where the window of ``act[:, j]`` starts: ``offset + j·stride``."""
    if "act_offset" in attrs and int(attrs.get("act_stride", 1)) > 0:
        return int(attrs["act_offset"]), int(attrs.get("act_stride", 1))
    return (seq_len - act_len) // 2 - kernel // 2, 1  # DeepCpG's centring of the sequences


def act_kmers(act: np.ndarray, seqs: np.ndarray, kernel: int, offset: int, stride: int, thr: float) -> np.ndarray:
    """The k-mers (DeepCpG codes) under every position at or above ``thr`` that lies wholly in the sequence."""
    rows, cols = np.nonzero(act >= thr)
    starts = offset + cols * stride
    ok = (starts >= 0) & (starts + kernel <= seqs.shape[1])
    rows, starts = rows[ok], starts[ok]
    if not len(rows):
        return np.zeros((0, kernel), dtype=seqs.dtype)
    return seqs[rows[:, None], starts[:, None] + np.arange(kernel)]


def get_pwm(kmers: np.ndarray) -> np.ndarray:
    """Per-column frequencies of A, T, G, C among the k-mers (N ignored; an all-N column is uniform)."""
    counts = np.stack([(kmers == i).sum(axis=0) for i in range(4)], axis=1).astype(np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    return np.where(totals > 0, counts / np.maximum(totals, 1), 0.25)


def info_content(pwm: np.ndarray) -> float:
    """DeepCpG's (Basset's) information content in bits against a uniform background, summed over columns."""
    pwm = np.atleast_2d(pwm)
    return float(np.sum(pwm * np.log2(pwm + EPS) + 0.5))


def motif_from_weights(weights: np.ndarray) -> str:
    """The argmax base of each column of a (4, k) weight matrix in ATGC rows: DeepCpG's ``motif``."""
    return "".join(DEEPCPG_ORDER[i] for i in weights.argmax(axis=0))


def trim(pwm: np.ndarray, trim_thr: float | None) -> np.ndarray | None:
    """Columns under ``trim_thr`` bits dropped from both ends; None when none is left."""
    if not trim_thr:
        return pwm
    ics = [info_content(row) for row in pwm]
    keep = [i for i, ic in enumerate(ics) if ic >= trim_thr]
    return pwm[keep[0]:keep[-1] + 1] if keep else None


def background(seqs: np.ndarray) -> np.ndarray:
    """Base frequencies of the sequences with one pseudocount each, in MEME's ACGT order."""
    freq = np.array([np.sum(seqs == i) + 1 for i in range(4)], dtype=np.float64)
    return (freq / freq.sum())[_TO_MEME]


def meme_text(results: list[FilterResult], bg: np.ndarray, trim_thr: float | None = None) -> str:
    """``meme.txt`` as dcpg_filter_motifs.py writes it: one ``MOTIF filter<idx>`` per filter with a PWM."""
    out = ["MEME version 4", "", f"ALPHABET= {MEME_ORDER}", "", "Background letter frequencies:",
           " ".join(f"{c} {f:.4f}" for c, f in zip(MEME_ORDER, bg)), ""]
    for r in results:
        pwm = None if r.pwm is None else trim(r.pwm, trim_thr)
        if pwm is None:
            continue
        out.append(f"MOTIF filter{r.idx}")
        out.append(f"letter-probability matrix: alength= 4 w= {len(pwm)} nsites= {r.nb_site}")
        out.extend(" ".join(f"{v:.4f}" for v in row[_TO_MEME]) for row in pwm)
        out.append("")
    return "\n".join(out) + "\n"


def kmers_fasta(kmers: np.ndarray) -> str:
    """The aligned k-mers as DeepCpG writes ``fa/NNN.fa`` (``>0``, ``>1``, …)."""
    letters = np.array(list(DEEPCPG_ORDER + "N"))
    return "".join(f">{i}\n{''.join(letters[np.minimum(k, 4)])}\n" for i, k in enumerate(kmers))


def stats_tsv(results: list[FilterResult]) -> str:
    """``stats.tsv``: DeepCpG's columns (sorted by ``act_mean``, 4 decimals) plus the PWM's consensus."""
    rows = sorted(results, key=lambda r: -r.act_mean)
    lines = ["\t".join(STATS_COLUMNS)]
    lines += [f"{r.idx}\t{r.motif}\t{r.act_mean:.4f}\t{r.act_std:.4f}\t{r.ic:.4f}\t{r.nb_site}\t{r.consensus}"
              for r in rows]
    return "\n".join(lines) + "\n"


def analyse_filter(idx: int, act: np.ndarray, weights: np.ndarray, seqs: np.ndarray, offset: int, stride: int,
                   thr_per: float | None, thr_max: int | None) -> FilterResult:
    """One filter: its stats, and its k-mers and PWM unless it is dead or has under 10 sites."""
    result = FilterResult(idx, motif_from_weights(weights), float(act.mean()), float(act.std()))
    if result.act_mean == 0:
        return result
    kmers = act_kmers(act, seqs, weights.shape[1], offset, stride, threshold(act, thr_per, thr_max))
    result.nb_site = len(kmers)
    if len(kmers) >= MIN_SITES:
        result.kmers, result.pwm = kmers, get_pwm(kmers)
        result.ic = info_content(result.pwm)
    return result


def read_activations(path: str, nb_sample: int | None) -> tuple[Any, Any, np.ndarray, np.ndarray]:
    """The open file, its ``act`` dataset, the (k, 4, F) weights and the sequences, checked."""
    import h5py

    if not Path(path).is_file():
        raise SpecError("activation file not found", file=path, hint="make it with 'specdsl deepcpg filter-act'")
    try:
        h5 = h5py.File(path, "r")
    except OSError:
        raise SpecError("not an HDF5 file", file=path, expected="the output of filter-act") from None
    for name in ("act", "weights/weights"):
        if name not in h5:
            h5.close()
            raise SpecError(f"has no '{name}'", file=path, expected="the output of dcpg_filter_act.py / filter-act")
    if "inputs/dna" not in h5:
        h5.close()
        raise SpecError("has no 'inputs/dna'", file=path, hint="compute the activations with --store_inputs")
    act = h5["act"]
    if act.ndim != 3:
        h5.close()
        raise SpecError(f"'act' is {act.shape}, summarised over positions (--act_fun)", file=path,
                        hint="compute the activations without --act_fun: motifs need every position")
    weights = np.asarray(h5["weights/weights"])
    if weights.ndim == 4:  # DeepCpG's Keras 1 kernels (k, 1, 4, F)
        weights = weights[:, 0]
    if weights.ndim != 3 or weights.shape[1] != 4:
        h5.close()
        raise SpecError(f"'weights/weights' is {weights.shape}, not (k, 4, filters)", file=path)
    n = min(nb_sample or act.shape[0], act.shape[0])
    return h5, act, weights, np.asarray(h5["inputs/dna"][:n])


__all__ = ["FilterResult", "analyse_filter", "background", "info_content", "kmers_fasta", "meme_text",
           "motif_from_weights", "ranges_to_list", "read_activations", "stats_tsv", "threshold", "window_offset"]
