"""Contribution scores for every BED region or FASTA record of an input, into interpretFlat's HDF5.

This is the engine behind ``specdsl bpreveal interpret-flat`` and ``specdsl interpret``: the inputs
are read and checked by the prediction engine (:func:`specdsl.training.profile_predict.read_inputs`,
:func:`~specdsl.training.profile_predict.prepare_windows`, the same rules as ``specdsl predict``),
scored a batch of sequences at a time by DeepLIFT-SHAP (:func:`.deeplift.deep_lift_shap`), ISM
(:func:`.ism.ism`, hypothetical scores), integrated gradients or gradient × input
(:mod:`.gradient_methods`) on one target, and written with
:func:`specdsl.formats.scores_h5.create_scores`, so memory is one batch, never the data set.

References
    ``kmer_size`` 1 is a mononucleotide shuffle, 2 a dinucleotide shuffle (the default of tangermeme
    and bpnet-lite), k a k-mer shuffle (:mod:`.references`).  Each sequence's references are drawn
    from ``default_rng([seed, row])``, ``row`` its position in the input: they do not depend on the
    batch it lands in or on the other sequences.  BPReveal instead recreates one fixed generator
    (seed 355687) for every sequence, so with ``kmer-size`` 1 all sequences are shuffled by the same
    permutations; that correlates the references of neighbouring and overlapping windows and is
    not followed here.

Coordinates
    For BED input they are those of the *input* windows (region start − pad … + input length), as
    interpretFlat writes them; for FASTA input with a BED file they are the BED regions as given.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.prediction_h5 import Coordinates
from specdsl.formats.scores_h5 import CHUNK_ROWS, create_scores
from specdsl.interpret.deeplift_targets import Target
from specdsl.interpret.gradient_methods import DEFAULT_STEPS, RELATIVE_THRESHOLD, relative_delta
from specdsl.interpret.references import references
from specdsl.training.profile_predict import Inputs, prepare_windows

#: ``--method`` choices: DeepLIFT-SHAP, ISM, integrated gradients, gradient × input.
METHODS = ("deepshap", "ism", "ig", "grad-x-input")
#: The methods whose scores are checked for completeness against f(x) − mean f(references).
CHECKED = ("deepshap", "ig")


@dataclass(frozen=True)
class Summary:
    """What a run did: how many sequences, how long, and how well the scores add up (``max_delta``:
    None for ISM, which is exact, and gradient × input, which has no reference), with the layers
    that had no DeepLIFT rule."""

    sequences: int
    seconds: float
    target: str
    max_delta: float | None = None
    treated_as_linear: dict[str, str] = field(default_factory=dict)
    method: str = "deepshap"
    mean_change: float = 0.0  # mean |f(x) − f(r)| over the pairs

    def report(self, output: str | Path, threshold: float = 1e-3,
               relative_threshold: float = RELATIVE_THRESHOLD) -> list[str]:
        """What to tell the user: the file written and the largest convergence delta, with a ``warning:``
        line when DeepLIFT-SHAP's is above ``threshold`` (naming the layers treated as linear) or
        integrated gradients' above ``relative_threshold`` of the mean change in output, as
        :func:`.gradient_methods.integrated_gradients` judges them."""
        lines = [f"wrote {output}: {self.sequences:,} sequences, {self.target}; {self.seconds:.1f} s"]
        if self.max_delta is None:
            return lines
        relative = relative_delta(self.max_delta, np.array([self.mean_change]))
        lines.append(f"largest convergence delta {self.max_delta:.3g} (|Σ contributions − (f(x) − f(reference))|"
                     + (f"; {relative:.2%} of the mean |f(x) − f(reference)|, {self.mean_change:.3g})"
                        if self.method == "ig" else ")"))
        if self.method == "ig":
            if relative > relative_threshold:
                lines.append(f"warning: the largest convergence delta is above {relative_threshold:.0%} of the change "
                             "in output: the path integral's quadrature is too coarse; give more --steps")
        elif self.max_delta > threshold:
            named = ", ".join(f"{name} ({kind})" for name, kind in self.treated_as_linear.items())
            lines.append(f"warning: convergence deltas above {threshold:g}: the scores do not add up to the change "
                         "in output; " + (f"layers treated as linear (their gradient stands in for a DeepLIFT rule): "
                                          f"{named}" if named else "every layer has an exact rule, so this is "
                                                                   "float32 rounding"))
        return lines


def reference_method(kmer_size: int) -> tuple[str, int | None]:
    """``(method, k)`` of :func:`.references.references` for BPReveal's ``kmer-size``."""
    if isinstance(kmer_size, bool) or not isinstance(kmer_size, (int, np.integer)) or kmer_size < 1:
        raise SpecError(f"the k-mer size kept by the shuffle must be a whole number ≥ 1, not {kmer_size!r}")
    return {1: ("mononucleotide", None), 2: ("dinucleotide", None)}.get(int(kmer_size), ("kmer", int(kmer_size)))


def row_references(x: np.ndarray, rows: np.ndarray, n: int, kmer_size: int, seed: int) -> np.ndarray:
    """(B, n, L, 4) references of the sequences ``x`` at input positions ``rows``, each seeded by its row."""
    method, k = reference_method(kmer_size)
    out = np.empty((len(x), n, *x.shape[1:]), np.float32)
    runs = np.split(np.arange(len(rows)), np.flatnonzero(np.diff(rows) != 1) + 1)  # contiguous rows: one call
    for run in runs:
        out[run] = references(x[run], n, method, k, seed=seed, first_index=int(rows[run[0]]))
    return out


def input_windows(coords: Coordinates, input_length: int, output_length: int) -> Coordinates:
    """The input windows around BED regions of the output length: interpretFlat's coordinates."""
    pad = (input_length - output_length) // 2
    start = np.asarray(coords.start, np.int64) - pad
    return replace(coords, start=start, stop=start + input_length)


def interpret_to_h5(model: Any, inputs: Inputs, output: str | Path, target: Target, *, input_length: int,
                    output_length: int, method: str = "deepshap", n_shuffles: int = 20, kmer_size: int = 2,
                    seed: int = 0, batch_size: int = 64, steps: int = DEFAULT_STEPS, rule: str = "midpoint",
                    config: str = "",
                    progress: Callable[[int], None] | None = None) -> Summary:
    """Score every input window of ``model`` for ``target`` and write interpretFlat's file at ``output``.

    ``batch_size`` counts (sequence, reference) pairs for DeepLIFT-SHAP; ISM runs 4× as many
    substitutions, the gradient methods 2× as many model rows (a pair's two; integrated gradients
    take ``steps`` + 2 rows per pair).  The results do not depend on it.  The file appears only
    once every row is written.
    """
    if method not in METHODS:
        raise SpecError(f"unknown method '{method}'", path="--method", expected=" | ".join(METHODS))
    reference_method(kmer_size)  # refused before any work
    batches, coords, descriptions = prepare_windows(inputs, input_length, output_length)
    if coords is not None and inputs.fasta is None:
        coords = input_windows(coords, input_length, output_length)
    score = _scorer_for(method, model, target, n_shuffles, kmer_size, seed, batch_size, steps, rule)
    began = time.perf_counter()
    worst, linear, described, change, pairs = 0.0, {}, "", 0.0, 0
    with create_scores(output, inputs.count, input_length, config=config, descriptions=descriptions,
                       coords=coords) as writer:
        for rows, x in batches(CHUNK_ROWS):
            scored = score(x, rows)
            worst, linear, described = max(worst, scored.max_delta), {**linear, **scored.treated_as_linear}, \
                scored.target
            change, pairs = change + float(scored.changes.sum()), pairs + scored.changes.size
            writer.write(rows, scored.hypothetical, x, scored.predictions)
            if progress is not None:
                progress(len(rows))
    return Summary(inputs.count, time.perf_counter() - began, described, worst if method in CHECKED else None,
                   linear, method, change / pairs if pairs else 0.0)


@dataclass(frozen=True)
class Scored:
    """One batch's scores: hypothetical (B, L, 4), the target on each sequence, the largest delta,
    the layers treated as linear, what was explained, and |f(x) − f(r)| of every pair."""

    hypothetical: np.ndarray
    predictions: np.ndarray
    max_delta: float
    treated_as_linear: dict[str, str]
    target: str
    changes: np.ndarray


Scorer = Callable[[np.ndarray, np.ndarray], Scored]


Attribute = Callable[..., Any]  # (model, x, target, references=…, …) -> AttributionResult


def _scorer(attribute: Attribute, model: Any, target: Target, n_shuffles: int | None, kmer_size: int, seed: int,
            **options: Any) -> Scorer:
    """A scorer running ``attribute`` on each batch, with its references made per row (``n_shuffles``
    None: a method without references); the run's one warning is the caller's (:class:`Summary`)."""
    def score(x: np.ndarray, rows: np.ndarray) -> Scored:
        if n_shuffles is not None:
            options["references"] = row_references(x, rows, n_shuffles, kmer_size, seed)
            options["warning_threshold"] = float("inf")
        result = attribute(model, x, target, **options)
        assert result.hypothetical is not None
        return Scored(result.hypothetical, result.predictions, result.max_delta, result.treated_as_linear,
                      result.target, np.abs(result.predictions[:, None] - result.reference_predictions))
    return score


def _scorer_for(method: str, model: Any, target: Target, n_shuffles: int, kmer_size: int, seed: int,
                batch_size: int, steps: int, rule: str) -> Scorer:
    if method == "ism":
        return _ism(model, target, batch_size * 4)
    from specdsl.interpret.deeplift import deep_lift_shap
    from specdsl.interpret.gradient_methods import gradient_x_input, integrated_gradients

    if method == "grad-x-input":
        return _scorer(gradient_x_input, model, target, None, kmer_size, seed, batch_size=batch_size * 2)
    if method == "ig":
        return _scorer(integrated_gradients, model, target, n_shuffles, kmer_size, seed, batch_size=batch_size * 2,
                       steps=steps, rule=rule)
    return _scorer(deep_lift_shap, model, target, n_shuffles, kmer_size, seed, batch_size=batch_size)


def _ism(model: Any, target: Target, batch_size: int) -> Scorer:
    from specdsl.interpret.deeplift import target_function
    from specdsl.interpret.ism import ism, ism_attributions

    predict, described = target_function(model, target), target.bind(model).description

    def score(x: np.ndarray, rows: np.ndarray) -> Scored:
        x = np.asarray(x, np.float32)
        y0, y_hat = ism(predict, x, batch_size=batch_size)
        return Scored(ism_attributions(y0, y_hat, x, hypothetical=True), y0, 0.0, {}, described, np.zeros(0))
    return score


__all__ = ["CHECKED", "METHODS", "Summary", "input_windows", "interpret_to_h5", "reference_method", "row_references"]
