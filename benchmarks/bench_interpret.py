"""Interpretation speed: DeepLIFT-SHAP and ISM on BPNet, regions per second, against a plain gradient.

Why: contribution scores are computed for tens of thousands of peaks, so users need the rate, and the
ratio to the cheapest attribution (one gradient of the same metric over the same rows) says what the
DeepLIFT rules cost on top of the backward pass every attribution needs.

1. **DeepLIFT-SHAP** (:func:`specdsl.interpret.deeplift.deep_lift_shap`): the profile metric and the
   counts metric of BPNet F=64, 9 layers, 3142 → 1000 (the issue's geometry), 20 dinucleotide shuffles
   per region, pairs batched ``--batch`` at a time, on ``--regions`` random one-hot regions (random
   weights: speed does not depend on them).  One untimed region first (tracing), then the timed run.
2. **Gradient × input** of the same metric over the same 2 × 20 rows per region (what one
   DeepLIFT-SHAP batch computes without its rules), through :mod:`specdsl.backend.gradients`.
3. **Gradient × input** (:func:`specdsl.interpret.gradient_methods.gradient_x_input`, ``--method
   grad-x-input``) and **integrated gradients** (``--method ig``: ``--ig-shuffles`` references ×
   ``--steps`` midpoint points on ``--ig-regions`` regions; the cost grows with both) of the
   profile metric, with integrated gradients' largest delta.
4. **ISM** of the counts output over a ``--ism-window`` window (3 substitutions per position), plain
   batched forward passes (no partial recomputation: every mutant runs the whole network).

Run (2-core CPU: about 3 minutes)::

    .venv/bin/python benchmarks/bench_interpret.py [--backend jax] [--regions 8] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine_info import render_results, training_machine  # noqa: E402

from specdsl.backend.selection import BACKENDS, use_backend  # noqa: E402


def bpnet(args: argparse.Namespace) -> object:
    """The BPNet preset as ``specdsl compile`` builds it (default geometry: 3142 → 1000, 2 tasks)."""
    from specdsl.api import build_model

    return build_model("BPNet", {"filters": args.filters, "layers": args.layers},
                       {"sequence": (args.input_length, 4)})


def one_hot(n: int, length: int, seed: int) -> np.ndarray:
    bases = np.random.default_rng(seed).integers(0, 4, size=(n, length))
    return np.eye(4, dtype=np.float32)[bases]


def timed(fn: object, *args: object, **kwargs: object) -> tuple[object, float]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, default=None, help="Keras backend (default: the installed one)")
    parser.add_argument("--filters", type=int, default=64, help="BPNet filters (default 64)")
    parser.add_argument("--layers", type=int, default=9, help="dilated layers (default 9)")
    parser.add_argument("--input-length", type=int, default=3142, help="input length (default 3142 → 1000)")
    parser.add_argument("--regions", type=int, default=8, help="timed regions (default 8)")
    parser.add_argument("--shuffles", type=int, default=20, help="references per region (default 20)")
    parser.add_argument("--batch", type=int, default=40, help="(region, reference) pairs per batch (default 40)")
    parser.add_argument("--steps", type=int, default=50, help="integrated gradients' points (default 50)")
    parser.add_argument("--ig-shuffles", type=int, default=4, help="integrated gradients' references (default 4)")
    parser.add_argument("--ig-regions", type=int, default=2, help="integrated gradients' regions (default 2)")
    parser.add_argument("--ism-window", type=int, default=100, help="ISM positions per region (default 100)")
    parser.add_argument("--markdown", action="store_true", help="a block for docs/benchmarks.md")
    args = parser.parse_args()
    use_backend(args.backend or "auto")
    from specdsl.backend.quiet import import_keras

    keras = import_keras()
    from specdsl.backend.gradients import input_gradients
    from specdsl.interpret.deeplift import counts_target, deep_lift_shap, profile_target
    from specdsl.interpret.gradient_methods import gradient_x_input, integrated_gradients
    from specdsl.interpret.ism import ism

    keras.utils.set_random_seed(0)
    model = bpnet(args)
    X = one_hot(args.regions + 1, args.input_length, 1)
    rows = []
    for name, target in (("profile", profile_target(0)), ("counts", counts_target(1))):
        deep_lift_shap(model, X[:1], target, n_shuffles=args.shuffles, batch_size=args.batch)  # traces
        result, seconds = timed(deep_lift_shap, model, X[1:], target, n_shuffles=args.shuffles,
                                batch_size=args.batch)
        rows.append((f"DeepLIFT-SHAP, {name} metric", f"{args.regions / seconds:,.2f} regions/s",
                     f"{args.regions} regions × {args.shuffles} shuffles in {seconds:.1f} s; largest convergence "
                     f"delta {result.max_delta:.1e}"))
    counts = lambda x: model(x, training=False)[1][:, 0]  # noqa: E731
    pairs = np.repeat(X[1:], 2 * args.shuffles, axis=0)
    input_gradients(counts, pairs[: args.batch])  # traces
    _, grad_seconds = timed(lambda: [input_gradients(counts, pairs[i:i + args.batch])
                                     for i in range(0, len(pairs), args.batch)])
    rows.append(("gradient of the counts metric, same rows", f"{args.regions / grad_seconds:,.2f} regions/s",
                 f"{len(pairs)} rows (2 × {args.shuffles} per region) in batches of {args.batch}: what DeepLIFT-SHAP "
                 f"costs without its rules; DeepLIFT-SHAP counts rate ÷ this rate = "
                 f"{grad_seconds / seconds:.2f}"))
    gradient_x_input(model, X[:1], profile_target(0))  # traces
    _, gx_seconds = timed(gradient_x_input, model, X[1:], profile_target(0), batch_size=args.batch)
    rows.append(("gradient × input, profile metric", f"{args.regions / gx_seconds:,.2f} regions/s",
                 f"{args.regions} regions, one row each, in {gx_seconds:.1f} s"))
    ig_options = {"n_shuffles": args.ig_shuffles, "steps": args.steps, "batch_size": 2 * args.batch,
                  "warning_threshold": float("inf")}
    integrated_gradients(model, X[:1], profile_target(0), **{**ig_options, "n_shuffles": 1})  # traces
    ig, ig_seconds = timed(integrated_gradients, model, X[1:1 + args.ig_regions], profile_target(0), **ig_options)
    rows.append((f"integrated gradients, profile metric, {args.steps} steps",
                 f"{args.ig_regions / ig_seconds:,.3f} regions/s",
                 f"{args.ig_regions} regions × {args.ig_shuffles} shuffles × ({args.steps} + 2) rows in "
                 f"{ig_seconds:.1f} s; largest convergence delta {ig.max_delta:.1e} (f(x) − f(r) up to "
                 f"{np.abs(ig.predictions[:, None] - ig.reference_predictions).max():.2g})"))
    start = (args.input_length - args.ism_window) // 2

    def predict(batch: np.ndarray) -> np.ndarray:
        return keras.ops.convert_to_numpy(model(batch, training=False)[1])[:, 0]

    ism(predict, X[:1], start=start, end=start + 8, batch_size=128)  # traces
    _, ism_seconds = timed(ism, predict, X[1:3], start=start, end=start + args.ism_window, batch_size=128)
    rows.append(("ISM, counts output", f"{2 * args.ism_window * 3 / ism_seconds:,.1f} mutants/s",
                 f"2 regions × {args.ism_window} positions × 3 substitutions in {ism_seconds:.1f} s, full forward "
                 "pass per mutant (no partial recomputation)"))
    command = " ".join([".venv/bin/python", "benchmarks/bench_interpret.py", *sys.argv[1:]])
    print(render_results(rows, training_machine(None), command, args.markdown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
