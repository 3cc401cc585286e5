"""Gradient × input and integrated gradients: the cheap and the path-exact gradient attributions.

Both differentiate the function DeepLIFT-SHAP explains (the same targets, logit layers stopped
before their final activation, a profile metric's softmax weights taken from the explained
sequence), through the unmodified graph: no layer needs a rule, so LSTMs, attention and CRFs are
handled as exactly as the gradient allows.

- :func:`gradient_x_input`: one backward pass per sequence.  ``hypothetical[l, b] = g[l, b] −
  mean_c g[l, c]`` with ``g = ∂f/∂x``: what base b at l contributes to the first-order change from
  the uniform background (0.25 per base), and ``contributions = hypothetical × X``.  The raw
  gradient carries, at every position, a component that no one-hot change can follow (the four
  bases always sum to 1); subtracting its mean removes it (Majdandzic et al. 2023, "Correcting
  gradient-based interpretations of deep neural networks for genomics"), as the mean-centred ISM
  scores do, and it is what TF-MoDISco's hypothetical CWMs expect.  There is no reference, so no
  completeness to check.
- :func:`integrated_gradients` (Sundararajan et al. 2017) from each of R references ``r`` (by
  default dinucleotide shuffles, as for DeepLIFT-SHAP): ``mult = ∫₀¹ ∇f(r + α(x − r)) dα`` by a
  ``steps``-point rule, averaged over the references like DeepLIFT-SHAP's multipliers, so
  ``hypothetical`` and ``contributions`` follow the same formula
  (:func:`.deeplift.hypothetical_contributions`).  Completeness, ``Σ (x − r)·mult = f(x) − f(r)``,
  holds up to the quadrature error; it is checked per pair and reported as the convergence delta,
  which tells whether ``steps`` is enough.

  The rule is the **midpoint** Riemann sum by default.  A ReLU network's gradient is piecewise
  constant along the path, and there equal weights do better than Gauss–Legendre (captum's
  default, exact for a path polynomial of degree 2·steps − 1): on a small BPNet the profile
  metric's largest delta at 32 steps is 1.4e-3 by midpoints and 3.7e-3 by Gauss–Legendre.  For
  smooth activations (tanh, softplus, gelu, an LSTM's gates) ``rule="gauss-legendre"`` reaches
  1e-7 in 24 steps.

Cost per sequence, in model rows (forward and backward): gradient × input 1; integrated gradients
R·(steps + 2); DeepLIFT-SHAP 2·R; ISM 3·L.  ``batch_size`` caps the rows of one pass for every
method: integrated gradients split a path's steps over several passes when they do not fit.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.interpret.deeplift import (
    AttributionResult,
    ConvergenceWarning,
    Progress,
    given_references,
    over_pairs,
    positive,
    sequences,
)
from specdsl.interpret.deeplift_targets import Target, as_target

#: Quadrature points of integrated gradients unless told otherwise (captum's default).
DEFAULT_STEPS = 50
#: Integrated gradients warn above this share of the mean |f(x) − f(r)| (the quadrature's error is
#: relative to the size of the integral: the demo BPNet's profile metric, a mean change of 2.3, has
#: 3.3 % at 50 steps and 0.6 % at 300).
RELATIVE_THRESHOLD = 0.05
RULES = ("midpoint", "gauss-legendre")


def _runner(model: Any, target: Target | int | Callable[[Any], Any], dtype: str, sequence_input: int | str,
            args: Sequence[Any], n: int) -> Any:
    if dtype not in ("float32", "float64"):
        raise SpecError(f"dtype must be 'float32' or 'float64', not {dtype!r}")
    from specdsl.interpret import deeplift_run  # imports Keras: only once the arguments are known good

    return deeplift_run.Runner(model, as_target(target), dtype, sequence_input, [np.asarray(a) for a in args], n)


def quadrature(steps: int, rule: str = "midpoint") -> tuple[np.ndarray, np.ndarray]:
    """Points α in (0, 1) and weights summing to 1 for ``∫₀¹ g(α) dα``: ``rule`` "midpoint" or
    "gauss-legendre"."""
    steps = positive("steps", steps)
    if rule == "midpoint":
        return (np.arange(steps) + 0.5) / steps, np.full(steps, 1 / steps)
    if rule == "gauss-legendre":
        nodes, weights = np.polynomial.legendre.leggauss(steps)
        return (nodes + 1) / 2, weights / 2
    raise SpecError(f"unknown quadrature rule {rule!r}", expected=" | ".join(RULES))


def gradient_x_input(model: Any, X: Any, target: Target | int | Callable[[Any], Any], *, batch_size: int = 64,
                     dtype: str = "float32", args: Sequence[Any] = (), sequence_input: int | str = 0,
                     progress: Progress | None = None) -> AttributionResult:
    """Gradient × input of ``target`` for the one-hot sequences ``X`` (N, L, A), the gradient
    mean-centred over the bases (see the module), ``batch_size`` sequences per backward pass;
    ``args``/``sequence_input`` as for DeepLIFT-SHAP."""
    X = sequences(X)
    batch_size = positive("batch_size", batch_size)
    runner = _runner(model, target, dtype, sequence_input, args, len(X))
    out_dtype = np.float64 if dtype == "float64" else np.float32
    grads = np.zeros(X.shape, out_dtype)
    values = np.zeros(len(X), out_dtype)
    for lo in range(0, len(X), batch_size):
        rows = np.arange(lo, min(len(X), lo + batch_size))
        grads[rows], values[rows] = runner.gradients(X[rows], rows)
        if progress is not None:
            progress(int(rows[-1]) + 1, len(X))
    hyp = (grads - grads.mean(axis=-1, keepdims=True)).astype(out_dtype)
    return AttributionResult(hypothetical=hyp, contributions=(hyp * X).astype(out_dtype), predictions=values,
                             reference_predictions=np.zeros((len(X), 0), out_dtype), deltas=np.zeros((len(X), 0)),
                             target=runner.target.description, notes=runner.notes)


def integrated_gradients(model: Any, X: Any, target: Target | int | Callable[[Any], Any], *,
                         references: Any = None, n_shuffles: int = 20, steps: int = DEFAULT_STEPS,
                         rule: str = "midpoint", seed: int = 0,
                         batch_size: int = 64, hypothetical: bool = True, dtype: str = "float32",
                         warning_threshold: float = RELATIVE_THRESHOLD, args: Sequence[Any] = (),
                         sequence_input: int | str = 0,
                         progress: Progress | None = None) -> AttributionResult:
    """Integrated gradients of ``target`` for ``X`` (N, L, A) from each reference, averaged.

    ``references`` and ``n_shuffles``/``seed`` as for DeepLIFT-SHAP; ``steps`` points of ``rule``
    (:func:`quadrature`) (an all-zero or uniform
    baseline is ``references=np.zeros((1, L, 4))`` or ``np.full((1, L, 4), 0.25)``).
    ``batch_size`` counts model rows: a pair takes ``steps + 2``, in several passes of at most
    ``batch_size`` rows when that is more.  Warns :class:`ConvergenceWarning` when the largest
    delta exceeds ``warning_threshold`` × the mean |f(x) − f(r)| (:func:`relative_delta`): more steps.
    """
    X = sequences(X)
    batch_size = positive("batch_size", batch_size)
    alphas, weights = quadrature(steps, rule)
    refs = None if references is None else given_references(references, X)
    n_refs = positive("n_shuffles", n_shuffles) if refs is None else refs.shape[1]
    runner = _runner(model, target, dtype, sequence_input, args, len(X))

    per_pass = max(1, min(len(alphas), batch_size - 2))  # path points in one pass, with x and r

    def multipliers(x: np.ndarray, r: np.ndarray, examples: np.ndarray) -> tuple[np.ndarray, ...]:
        parts = [runner.path_gradients(x, r, examples, alphas[i:i + per_pass], weights[i:i + per_pass])
                 for i in range(0, len(alphas), per_pass)]
        return sum(part[0] for part in parts), parts[0][1], parts[0][2]

    hyp, deltas, values, ref_values = over_pairs(X, refs, n_refs, seed, batch_size, multipliers, progress,
                                                 rows_per_pair=per_pass + 2)
    out_dtype = np.float64 if dtype == "float64" else np.float32
    result = AttributionResult(
        hypothetical=hyp.astype(out_dtype) if hypothetical else None, contributions=(hyp * X).astype(out_dtype),
        predictions=values[:, 0].astype(out_dtype), reference_predictions=ref_values.astype(out_dtype),
        deltas=deltas, target=runner.target.description, notes=runner.notes)
    share = relative_delta(result.max_delta, result.predictions[:, None] - result.reference_predictions)
    if share > warning_threshold:
        warnings.warn(ConvergenceWarning(
            f"integrated gradients convergence deltas too high: the largest is {result.max_delta:.3g}, {share:.2%} "
            f"of the mean |f(x) − f(r)|, above warning_threshold {warning_threshold:.0%}: the {len(alphas)}-point "
            "quadrature does not reach the change in output; use more steps"), stacklevel=2)
    return result


def relative_delta(max_delta: float, changes: np.ndarray) -> float:
    """The largest convergence delta as a share of the mean |f(x) − f(r)| over the pairs (0 when
    nothing changes)."""
    mean = float(np.mean(np.abs(changes))) if np.size(changes) else 0.0
    return max_delta / mean if mean > 0 else 0.0


__all__ = ["DEFAULT_STEPS", "RELATIVE_THRESHOLD", "RULES", "gradient_x_input", "integrated_gradients", "quadrature",
           "relative_delta"]
