"""DeepLIFT-SHAP for any Keras 3 functional model specdsl builds, on every Keras backend.

DeepLIFT-SHAP (BPReveal's ``interpretFlat``, tangermeme's and bpnet-lite's ``deep_lift_shap``)
explains ``f(x) − mean_r f(r)`` over shuffled references r: for every (example, reference) pair
the DeepLIFT multipliers ``mult = ∂^DL f / ∂x`` (rescale rule) satisfy ``Σ (x − r)·mult = f(x) −
f(r)``, and the scores are averaged over the references.

How it is computed
    For P pairs at a time the model's graph runs once on ``concat([X_pairs, R_pairs])`` (2P rows),
    the reference half under ``stop_gradient``, every nonlinear layer replaced by its DeepLIFT
    rule written as a forward computation whose gradient is the multiplier
    (:mod:`.deeplift_graph`, :mod:`.deeplift_rules`); the backend's autodiff
    (:mod:`specdsl.backend.gradients`) then gives the multipliers of all pairs in one backward pass.

What is exact
    Linear layers; the rescale rule for every activation of the language (relu, gelu, sigmoid,
    tanh, elu, selu, swish, softplus, hard-sigmoid, leaky-relu, exp) and Keras' activation
    layers; softmax (exact decomposition); MaxPooling1D / GlobalMaxPooling1D (DeepLIFT's max
    rule); LayerNormalization (exact decomposition).  Layers with nonlinear insides that are not
    decomposed (LSTM, GRU, Bidirectional, MultiHeadAttention, AttentionPooling, CRF, …) use their
    gradient: they are *treated as linear*, listed in :attr:`DeepLiftShapResult.treated_as_linear`, and named by
    the :class:`ConvergenceWarning` raised when a pair's convergence delta exceeds
    ``warning_threshold``.  float32 deltas are ~1e-7; ``dtype="float64"`` rebuilds the model in
    float64 and brings them to ~1e-16 on TensorFlow (PyTorch and JAX: ~1e-7, see
    :mod:`.deeplift_run`).

Scores (length-first, like specdsl): ``hypothetical[n, l, b] = mean_r Σ_c (e_b − r)[l, c]·mult[l, c]``
(BPReveal's ``combineMultAndDiffref``, tangermeme's ``hypothetical_attributions``: what base b at
l would contribute), ``contributions = hypothetical × X``.  The convergence delta of a pair is
``|Σ (x − r)·mult − (f(x) − f(r))|`` (tangermeme's); :attr:`DeepLiftShapResult.mean_deltas` averages
an example's pairs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.interpret.deeplift_targets import (
    Target,
    as_target,
    callable_target,
    cell_target,
    class_target,
    counts_target,
    output_target,
    profile_target,
)
from specdsl.interpret.references import references as make_references

#: ``progress(pairs_done, pairs_total)`` after every batch.
Progress = Callable[[int, int], None]


class ConvergenceWarning(UserWarning):
    """DeepLIFT-SHAP's scores do not sum to the change in output: some layer has no exact rule."""


@dataclass(frozen=True)
class AttributionResult:
    """Scores of N sequences of length L over A letters, and how well they add up (DeepLIFT-SHAP,
    integrated gradients; gradient × input has no reference, so R = 0 and no deltas).

    ``hypothetical`` (N, L, A), or None when not asked for; ``contributions`` (N, L, A), hypothetical
    × X; ``predictions`` (N,), the target on X; ``reference_predictions`` (N, R), the target on
    each reference (for a profile metric, x's weights applied to r's logits); ``deltas`` (N, R), each
    pair's convergence delta; ``treated_as_linear`` the layers (name → class) whose gradient stood
    in for a DeepLIFT rule; ``rules`` the rule each nonlinear layer got; ``target`` what was
    explained; ``notes`` anything that limits the precision (float64 on PyTorch/JAX).
    """

    hypothetical: np.ndarray | None
    contributions: np.ndarray
    predictions: np.ndarray
    reference_predictions: np.ndarray
    deltas: np.ndarray
    treated_as_linear: dict[str, str] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)
    target: str = ""
    notes: tuple[str, ...] = ()

    @property
    def mean_deltas(self) -> np.ndarray:
        """Per example, its pairs' convergence deltas averaged."""
        return self.deltas.mean(axis=1)

    @property
    def max_delta(self) -> float:
        return float(self.deltas.max()) if self.deltas.size else 0.0


#: The name DeepLIFT-SHAP's callers know it by.
DeepLiftShapResult = AttributionResult


def sequences(X: Any) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 3 or 0 in X.shape:
        raise SpecError(f"DeepLIFT-SHAP takes a batch of one-hot sequences of shape (N, L, 4), not {X.shape}",
                        hint="for one sequence pass X[None]")
    if not np.issubdtype(X.dtype, np.floating):  # uint8 / bool one-hot as stored in BPReveal's files
        X = X.astype(np.float32)
    if not np.all(np.isfinite(X)):
        raise SpecError("the sequences for DeepLIFT-SHAP have NaN or infinite values")
    return X


def given_references(refs: Any, X: np.ndarray) -> np.ndarray:
    refs = np.asarray(refs)
    if refs.ndim == 3:  # the same references for every sequence
        refs = np.broadcast_to(refs[None], (len(X), *refs.shape))
    if refs.ndim != 4 or refs.shape[0] != len(X) or refs.shape[2:] != X.shape[1:] or refs.shape[1] == 0:
        raise SpecError(f"references of shape {refs.shape} do not fit sequences of shape {X.shape}",
                        expected=f"(N, R, L, A) = ({len(X)}, R, {X.shape[1]}, {X.shape[2]}), or (R, L, A) for all")
    if not np.all(np.isfinite(refs)):
        raise SpecError("the references have NaN or infinite values")
    return refs


def positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise SpecError(f"{name} must be a positive whole number, not {value!r}")
    return int(value)


def hypothetical_contributions(multipliers: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Per pair, ``Σ_c (e_b − r)[l, c]·mult[l, c]`` for every base b: ``mult − Σ_c r·mult``."""
    return multipliers - np.sum(references * multipliers, axis=-1, keepdims=True)


def deep_lift_shap(model: Any, X: Any, target: Target | int | Callable[[Any], Any], *,
                   references: Any = None, n_shuffles: int = 20, seed: int = 0, batch_size: int = 64,
                   hypothetical: bool = True, dtype: str = "float32", warning_threshold: float = 1e-3,
                   args: Sequence[Any] = (), sequence_input: int | str = 0,
                   progress: Progress | None = None) -> DeepLiftShapResult:
    """DeepLIFT-SHAP scores of ``target`` for the one-hot sequences ``X`` (N, L, A).

    ``references``: None makes ``n_shuffles`` dinucleotide shuffles per sequence
    (:func:`specdsl.interpret.references.references` with ``seed``, made a chunk at a time), or an
    array (N, R, L, A) or (R, L, A).  ``batch_size`` counts (example, reference) pairs, as in
    tangermeme; results do not depend on it.  ``dtype`` "float64" rebuilds the model in float64.
    ``args`` are the model's other inputs, one array (N, …) each in input order, the same for an
    example and its references; ``sequence_input`` names the sequence input.  ``target``: see
    :mod:`.deeplift_targets`.  Warns :class:`ConvergenceWarning` when a delta exceeds
    ``warning_threshold``.
    """
    X = sequences(X)
    target = as_target(target)
    batch_size = positive("batch_size", batch_size)
    if dtype not in ("float32", "float64"):
        raise SpecError(f"dtype must be 'float32' or 'float64', not {dtype!r}")
    if references is None:
        n_refs = positive("n_shuffles", n_shuffles)
        refs = None
    else:
        refs = given_references(references, X)
        n_refs = refs.shape[1]
    from specdsl.interpret import deeplift_run  # imports Keras: only once the arguments are known good

    runner = deeplift_run.Runner(model, target, dtype, sequence_input, [np.asarray(a) for a in args], len(X))
    hyp, deltas, values, ref_values = over_pairs(X, refs, n_refs, seed, batch_size, runner.pairs, progress)
    out_dtype = np.float64 if dtype == "float64" else np.float32
    hyp = hyp.astype(out_dtype)
    result = DeepLiftShapResult(
        hypothetical=hyp if hypothetical else None, contributions=(hyp * X).astype(out_dtype),
        predictions=values[:, 0].astype(out_dtype), reference_predictions=ref_values.astype(out_dtype),
        deltas=deltas, treated_as_linear=dict(runner.walk.treated_as_linear), rules=dict(runner.walk.rules),
        target=runner.target.description, notes=runner.notes)
    if result.max_delta > warning_threshold:
        warnings.warn(ConvergenceWarning(_warning_text(result, warning_threshold, dtype)), stacklevel=2)
    return result


#: ``multipliers(x, r, examples) -> (mult, f(x), f(r))`` for P (example, reference) pairs.
PairMultipliers = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


def over_pairs(X: np.ndarray, refs: np.ndarray | None, n_refs: int, seed: int, batch_size: int,
               multipliers: PairMultipliers, progress: Progress | None = None,
               rows_per_pair: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (example, reference) pair through ``multipliers``, ``batch_size // rows_per_pair`` pairs
    at a time: the references' hypothetical scores averaged (N, L, A), and per pair (N, R) the
    convergence delta ``|Σ (x − r)·mult − (f(x) − f(r))|``, f(x) and f(r).  ``refs`` None makes
    ``n_refs`` dinucleotide shuffles a chunk of examples at a time, seeded per example."""
    n, total = len(X), len(X) * n_refs
    hyp = np.zeros(X.shape, np.float64)
    deltas, values, ref_values = (np.zeros((n, n_refs), np.float64) for _ in range(3))
    pairs_per_batch = max(1, batch_size // rows_per_pair)
    per_chunk = max(1, pairs_per_batch // n_refs)
    done = 0
    for start in range(0, n, per_chunk):
        stop = min(n, start + per_chunk)
        chunk_refs = (make_references(X[start:stop], n_refs, "dinucleotide", seed=seed, first_index=start)
                      if refs is None else refs[start:stop])
        pair_ex, pair_ref = np.divmod(np.arange((stop - start) * n_refs), n_refs)
        for lo in range(0, len(pair_ex), pairs_per_batch):
            ex, rj = pair_ex[lo:lo + pairs_per_batch], pair_ref[lo:lo + pairs_per_batch]
            x, r = X[start + ex], chunk_refs[ex, rj]
            mult, vx, vr = multipliers(x, r, start + ex)
            mult = mult.astype(np.float64)
            diff = np.sum((x - r) * mult, axis=(1, 2))
            deltas[start + ex, rj] = np.abs(diff - (vx - vr))
            values[start + ex, rj], ref_values[start + ex, rj] = vx, vr
            np.add.at(hyp, start + ex, hypothetical_contributions(mult, r))
            done += len(ex)
            if progress is not None:
                progress(done, total)
    return hyp / n_refs, deltas, values, ref_values


def target_function(model: Any, target: Target | int | Callable[[Any], Any],
                    dtype: str = "float32") -> Callable[[np.ndarray], np.ndarray]:
    """``predict(X) -> (B,)``: ``target`` on each sequence of a batch, as DeepLIFT-SHAP explains it
    (a classifier's logit, a profile metric with the sequence's own weights), for
    :func:`specdsl.interpret.ism.ism`: ISM and DeepLIFT-SHAP then score the same number."""
    from specdsl.interpret import deeplift_run

    runner = deeplift_run.Runner(model, as_target(target), dtype, 0, [], 0)
    return lambda batch: runner.values(np.asarray(batch, np.float32))


def _warning_text(result: DeepLiftShapResult, threshold: float, dtype: str) -> str:
    text = (f"DeepLIFT-SHAP convergence deltas too high: the largest is {result.max_delta:.3g} "
            f"(mean {result.deltas.mean():.3g}), above warning_threshold {threshold:g}")
    if result.treated_as_linear:
        named = ", ".join(f"{name} ({kind})" for name, kind in result.treated_as_linear.items())
        return text + f"; these layers have no DeepLIFT rule here and were treated as linear (gradient): {named}"
    return text + ("; every layer has an exact rule, so this is rounding: try dtype='float64'"
                   if dtype == "float32" else "; every layer has an exact rule")


__all__ = ["AttributionResult", "ConvergenceWarning", "DeepLiftShapResult", "PairMultipliers", "Progress", "Target",
           "callable_target", "cell_target", "class_target", "counts_target", "deep_lift_shap", "given_references",
           "hypothetical_contributions", "output_target", "over_pairs", "positive", "profile_target", "sequences",
           "target_function"]
