"""A peer run, side by side: specdsl's DeepLIFT-SHAP and ISM against tangermeme on the same BPNet weights.

Why: specdsl's attribution code (``specdsl.interpret``) is its own implementation on Keras 3.  This
script checks it against the PyTorch tools the field uses, tangermeme and bpnet-lite, with the same
network, the same sequences and the same references.  It is kept out of CI: torch, tangermeme and
bpnet-lite are heavy and are not dependencies of specdsl.

What it does
    1. Builds specdsl's ``BPNet`` preset in a layout that bpnet-lite's ``BPNet`` can express: input
       filter width 21, output filter width 75, dilations 2…2^L, one head of 2 tasks, no control
       tracks.  It gives the model seeded random weights and copies them into
       ``bpnetlite.bpnet.BPNet(n_filters=F, n_layers=L, n_outputs=2, n_control_tracks=0)``.  Conv1D
       kernels ``(k, in, out)`` become ``permute(2, 1, 0)``, the Dense kernel becomes ``.T``, and
       biases are copied as they are.  specdsl's 'valid' network equals bpnet-lite's 'same' padding
       plus trimming (``47 + Σ 2^i``).  bpnet-lite's counts mean over ``±37`` around the output
       window equals specdsl's global average pooling because OFW = 75.  The outputs must agree
       (profile logits transposed, and the log-counts) before anything else runs.
    2. DeepLIFT-SHAP with the same references: ``specdsl.interpret.references`` dinucleotide
       shuffles, given to tangermeme as a tensor ``(N, R, 4, L)``.  tangermeme runs through
       ``bpnetlite.attribute.deep_lift_shap``, which is how ``bpnet attribute`` calls it: it
       registers ``_ProfileLogitScaling`` (and ``_Log``/``_Exp``) under tangermeme's rescale rule.
       Comparisons:

       - **counts**: ``counts_target(1)`` against ``CountWrapper``.  Both explain the same function,
         so the per-pair multipliers are compared first, then the hypothetical contributions.
       - **profile, BPReveal's metric**: ``profile_target(0)``, i.e. ``Σ softmax(sg(m))·m`` with the
         weights taken from the explained sequence and held constant.  The tangermeme side is a
         wrapper with the same constant weights ``w_x`` (``_FixedWeightsProfile``, one call per
         sequence).
       - **profile, bpnet-lite's metric**: ``ProfileWrapper`` computes ``Σ m·softmax(m)`` with no
         stop-gradient.  bpnet-lite registers ``_ProfileLogitScaling`` (``m ↦ m·softmax(m)``) as
         an *elementwise* nonlinearity, so the multiplier on ``m_i`` is the secant
         ``Δ(m_i·s_i)/Δm_i``, with each half's own softmax ``s``.  The specdsl side is the same rule
         written as a specdsl ``Target`` (``bpnetlite_profile_target`` below).
       - **the two profile metrics against each other** (specdsl's ``profile_target`` against
         bpnet-lite's ``ProfileWrapper``).  They are different functions, so this row measures how
         far apart the two conventions are, not whether either one is correct.
    3. ISM: ``specdsl.interpret.ism`` against ``tangermeme.saturation_mutagenesis`` (``fast=False``)
       on the counts output and on the profile metric: the raw outputs ``y0`` and ``y_hat``, and the
       attributions, both hypothetical and projected onto X.
    4. A Markdown block for docs/benchmarks.md.

Hypothetical contributions are compared length-first ``(N, L, 4)``: tangermeme's ``(N, 4, L)``
transposed.  Pearson correlation is taken over all N·L·4 values ("min per seq." is the lowest
correlation of a single sequence).  "max |diff|" is absolute, and "scale" is the largest |value|
on the tangermeme side.

Install (not in specdsl's extras)::

    .venv/bin/pip install tangermeme bpnet-lite      # torch==2.13.0 (CPU build) first, if missing

Run (2-core CPU: about 2 minutes at the default size with ``--no-float64``; float64 is far slower on
TensorFlow's CPU kernels: 16 × 20 in float64 did not finish in 17 minutes, ``--sequences 2 --references 4``
takes about 2.5 minutes)::

    .venv/bin/python benchmarks/peer_interpretation.py [--filters 32 --layers 4 --sequences 16 --references 20]
        [--no-float64] [--markdown]
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine_info import cpu_model, usable_cores, version  # noqa: E402

TASKS = 2
IFW, OFW = 21, 75


# ---------------------------------------------------------------------------------------------- models

def input_length(layers: int, output: int) -> int:
    """specs/bpnet.spec: input − output = IFW + OFW + 2^(layers+2) − 6."""
    return output + IFW + OFW + 2 ** (layers + 2) - 6


def specdsl_bpnet(filters: int, layers: int, length: int, seed: int):
    from specdsl.api import analyse
    from specdsl.backend.keras_model import build_keras_model

    graph = analyse("BPNet", params={"filters": filters, "layers": layers, "input_filter_width": IFW,
                                     "output_filter_width": OFW, "input_length": length, "tasks": TASKS})
    model = build_keras_model(graph)
    # Seeded weights: kernels N(0, gain²/fan_in), biases N(0, 0.1²).  The ReLUs then cross their
    # kinks, and the profile logits are spread enough that the softmax weights vary over the window.
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        kernel, bias = weights
        gain = 3.0 if layer.name == "profile" else 1.0
        fan_in = int(np.prod(kernel.shape[:-1]))
        layer.set_weights([rng.normal(0, gain / np.sqrt(fan_in), kernel.shape).astype(kernel.dtype),
                           rng.normal(0, 0.1, bias.shape).astype(bias.dtype)])
    return model


def copy_into_bpnetlite(model, filters: int, layers: int, length: int):
    """bpnet-lite's BPNet holding ``model``'s weights (Conv1D kernel permute(2, 1, 0), Dense kernel .T)."""
    import torch
    from bpnetlite.bpnet import BPNet

    net = BPNet(n_filters=filters, n_layers=layers, n_outputs=TASKS, n_control_tracks=0, verbose=False)
    out_length = model.output_shape[0][1]
    assert net.trimming == (length - out_length) // 2, (net.trimming, length, out_length)

    def conv(layer_name, module):
        kernel, bias = model.get_layer(layer_name).get_weights()
        assert tuple(module.weight.shape) == (kernel.shape[2], kernel.shape[1], kernel.shape[0]), layer_name
        module.weight.data = torch.tensor(kernel).permute(2, 1, 0).contiguous()
        module.bias.data = torch.tensor(bias)

    with torch.no_grad():
        conv("body_conv1", net.iconv)
        for i in range(layers):
            layer = model.get_layer(f"body_dilres1_conv{i}")
            assert layer.dilation_rate == (2 ** (i + 1),) and net.rconvs[i].dilation == (2 ** (i + 1),)
            conv(f"body_dilres1_conv{i}", net.rconvs[i])
        conv("profile", net.fconv)
        kernel, bias = model.get_layer("logcounts").get_weights()
        net.linear.weight.data = torch.tensor(kernel).T.contiguous()
        net.linear.bias.data = torch.tensor(bias)
    # Every weight of the Keras model has gone somewhere: one Conv1D per torch conv, the Dense.
    assert len(model.get_weights()) == 2 * (layers + 3)
    return net.eval()


def _torch_inputs(X: np.ndarray, dtype):
    import torch

    return torch.tensor(np.ascontiguousarray(X.transpose(0, 2, 1)), dtype=dtype)


def _torch_refs(refs: np.ndarray, dtype):
    import torch

    return torch.tensor(np.ascontiguousarray(refs.transpose(0, 1, 3, 2)), dtype=dtype)


def _fixed_weights_profile_class():
    import torch

    class _FixedWeightsProfile(torch.nn.Module):
        """BPReveal's profile metric for one explained sequence: ``Σ w_x·m(z)`` with ``w_x`` its
        own softmax weights held fixed (``m`` mean-normed flattened logits), so linear in the logits."""

        def __init__(self, model, weights):
            super().__init__()
            self.model = model
            self.flatten = torch.nn.Flatten()
            self.register_buffer("weights", weights)

        def forward(self, X):
            logits = self.flatten(self.model(X)[0])
            m = logits - torch.mean(logits, dim=-1, keepdim=True)
            return (m * self.weights).sum(dim=-1, keepdim=True)

    return _FixedWeightsProfile


def bpnetlite_profile_target():
    """bpnet-lite's ``ProfileWrapper`` as tangermeme explains it, written as a specdsl Target.

    ``g(z) = Σ m(z)·softmax(m(z))``.  ``_ProfileLogitScaling`` is registered with the elementwise
    rescale rule, so the multiplier on ``m_i`` is ``(m_i s_i |x − m_i s_i |r) / (m_i|x − m_i|r)``
    (``s`` = each half's own softmax).  Where ``|Δm_i| < 1e-6`` tangermeme falls back to the
    gradient; here the fallback is the diagonal derivative ``s_i + m_i s_i (1 − s_i)``.  Such
    elements are counted and reported.
    """
    from specdsl.interpret.deeplift_targets import BoundTarget, Target

    def bind(model):
        from keras import ops

        def normed(out):
            flat = ops.reshape(out, (ops.shape(out)[0], -1))
            return flat - ops.mean(flat, axis=-1, keepdims=True)

        def pair(xs, rs):
            mx, mr = normed(xs[0]), ops.stop_gradient(normed(rs[0]))
            sx, sr = ops.softmax(mx, axis=-1), ops.softmax(mr, axis=-1)
            ox, orr = mx * sx, mr * sr
            dm = mx - mr
            small = ops.abs(dm) < 1e-6
            secant = ops.where(small, sx + mx * sx * (1 - sx), (ox - orr) / ops.where(small, 1.0, dm))
            secant = ops.stop_gradient(secant)
            linear = ops.sum(secant * mx, axis=-1)
            return linear + ops.stop_gradient(ops.sum(ox, axis=-1) - linear), ops.sum(orr, axis=-1)

        return BoundTarget(pair, frozenset(), "bpnet-lite ProfileWrapper (secant of m·softmax(m))")

    return Target(bind, "bpnet-lite ProfileWrapper")


# ------------------------------------------------------------------------------------------- comparing

def compare(mine: np.ndarray, theirs: np.ndarray) -> dict[str, float]:
    """Pearson r over everything and the lowest per sequence; max |diff|; the scale of ``theirs``."""
    mine, theirs = np.asarray(mine, np.float64), np.asarray(theirs, np.float64)
    assert mine.shape == theirs.shape, (mine.shape, theirs.shape)
    flat_r = float(np.corrcoef(mine.ravel(), theirs.ravel())[0, 1])
    per_seq = [float(np.corrcoef(a.ravel(), b.ravel())[0, 1]) for a, b in zip(mine, theirs)]
    return {"r": flat_r, "r_min": min(per_seq), "max_diff": float(np.max(np.abs(mine - theirs))),
            "scale": float(np.max(np.abs(theirs)))}


def specdsl_multipliers(model, target, X: np.ndarray, refs: np.ndarray, dtype: str) -> np.ndarray:
    """Per-pair DeepLIFT multipliers (N, R, L, 4) from specdsl's runner (the internal step that
    ``deep_lift_shap`` averages into hypothetical contributions)."""
    from specdsl.interpret import deeplift_run
    from specdsl.interpret.deeplift_targets import as_target

    runner = deeplift_run.Runner(model, as_target(target), dtype, 0, [], len(X))
    n_refs = refs.shape[1]
    out = np.empty(refs.shape, np.float64)
    for i in range(len(X)):
        mult, _, _ = runner.pairs(np.repeat(X[i:i + 1], n_refs, axis=0), refs[i], np.full(n_refs, i))
        out[i] = mult
    return out


def tangermeme_dls(wrapper, X_t, refs_t, *, hypothetical=True, raw=False):
    import bpnetlite.attribute

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a convergence warning is a failure here
        out = bpnetlite.attribute.deep_lift_shap(wrapper, X_t, references=refs_t, hypothetical=hypothetical,
                                                 raw_outputs=raw, batch_size=64, device="cpu")
    return out.detach().numpy()


# --------------------------------------------------------------------------------------------- the run

def run(args) -> tuple[list[tuple[str, str, str, str]], dict[str, object]]:
    import keras
    import torch
    from bpnetlite.bpnet import CountWrapper, ProfileWrapper

    from specdsl.interpret.deeplift import ConvergenceWarning, counts_target, deep_lift_shap, profile_target
    from specdsl.interpret.ism import ism, ism_attributions
    from specdsl.interpret.references import references

    torch.set_num_threads(args.threads)
    length = input_length(args.layers, args.output_length)
    model = specdsl_bpnet(args.filters, args.layers, length, args.seed)
    net = copy_into_bpnetlite(model, args.filters, args.layers, length)
    rng = np.random.default_rng(args.seed + 1)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (args.sequences, length))]
    refs = references(X, args.references, "dinucleotide", seed=args.seed)
    rows: list[tuple[str, str, str, str]] = []
    facts: dict[str, object] = {"input_length": length, "output_length": args.output_length}
    timings: dict[str, float] = {}

    def row(what, dtype, stats, note=""):
        rows.append((what, dtype, f"{stats['r']:.7f} (min per seq. {stats['r_min']:.7f})",
                     f"{stats['max_diff']:.2e} (scale {stats['scale']:.3g}){'; ' + note if note else ''}"))

    # 1. the weight copy: the same outputs
    logits, counts = (keras.ops.convert_to_numpy(o) for o in model(X, training=False))
    with torch.no_grad():
        t_logits, t_counts = (o.numpy() for o in net(_torch_inputs(X, torch.float32)))
    d_logits = float(np.max(np.abs(logits - t_logits.transpose(0, 2, 1))))
    d_counts = float(np.max(np.abs(counts - t_counts)))
    facts.update(d_logits=d_logits, d_counts=d_counts, logits_scale=float(np.abs(logits).max()),
                 counts_scale=float(np.abs(counts).max()), logits_std=float(logits.std(axis=1).mean()))
    assert d_logits < 1e-5 * max(1.0, np.abs(logits).max()) and d_counts < 1e-5 * max(1.0, np.abs(counts).max()), (
        d_logits, d_counts)
    print(f"weights copied: max |Δ logits| {d_logits:.2e}, max |Δ log-counts| {d_counts:.2e}", flush=True)

    # how many logits hit the |Δm| < 1e-6 fallback of the rescale rule (where the two sides' fallbacks differ)
    m_r = np.stack([_normed(keras.ops.convert_to_numpy(model(refs[:, j], training=False)[0]))
                    for j in range(refs.shape[1])], axis=1)
    facts["fallback_elements"] = int(np.sum(np.abs(_normed(logits)[:, None] - m_r) < 1e-6))
    facts["logit_pairs"] = int(m_r.size)

    precisions = [("float32", torch.float32)] + ([("float64", torch.float64)] if args.float64 else [])
    FixedWeights = _fixed_weights_profile_class()
    for dtype, tdtype in precisions:
        tnet = copy.deepcopy(net).to(tdtype).eval()
        X_t, refs_t = _torch_inputs(X, tdtype), _torch_refs(refs, tdtype)
        refs_d = refs.astype(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)

            # counts: multipliers, then hypothetical contributions
            tic = time.perf_counter()
            mine_mult = specdsl_multipliers(model, counts_target(1), X, refs_d, dtype)
            mine = deep_lift_shap(model, X, counts_target(1), references=refs_d, dtype=dtype)
            timings[f"specdsl counts {dtype}"] = time.perf_counter() - tic
            tic = time.perf_counter()
            theirs_mult = tangermeme_dls(CountWrapper(tnet), X_t, refs_t, raw=True)
            theirs = tangermeme_dls(CountWrapper(tnet), X_t, refs_t)
            timings[f"tangermeme counts {dtype}"] = time.perf_counter() - tic
            row("counts: per-pair multipliers", dtype, compare(mine_mult, theirs_mult.transpose(0, 1, 3, 2)))
            row("counts: hypothetical contributions", dtype, compare(mine.hypothetical, theirs.transpose(0, 2, 1)),
                f"specdsl max delta {mine.max_delta:.1e}")
            row("counts: contributions (hyp × X)", dtype,
                compare(mine.contributions, theirs.transpose(0, 2, 1) * X))

            # profile, BPReveal's metric (fixed softmax weights of the explained sequence) on both sides
            tic = time.perf_counter()
            mine_mult = specdsl_multipliers(model, profile_target(0), X, refs_d, dtype)
            mine = deep_lift_shap(model, X, profile_target(0), references=refs_d, dtype=dtype)
            timings[f"specdsl profile {dtype}"] = time.perf_counter() - tic
            tic = time.perf_counter()
            theirs_mult, theirs = [], []
            for i in range(len(X)):
                with torch.no_grad():
                    lg = torch.flatten(tnet(X_t[i:i + 1])[0], 1)
                    w = torch.softmax(lg - lg.mean(dim=-1, keepdim=True), dim=-1)
                wrapper = FixedWeights(tnet, w)
                theirs_mult.append(tangermeme_dls(wrapper, X_t[i:i + 1], refs_t[i:i + 1], raw=True)[0])
                theirs.append(tangermeme_dls(wrapper, X_t[i:i + 1], refs_t[i:i + 1])[0])
            timings[f"tangermeme profile (fixed weights) {dtype}"] = time.perf_counter() - tic
            theirs_mult, theirs = np.stack(theirs_mult), np.stack(theirs)
            row("profile, BPReveal metric Σ softmax(sg(m))·m: multipliers", dtype,
                compare(mine_mult, theirs_mult.transpose(0, 1, 3, 2)))
            row("profile, BPReveal metric: hypothetical contributions", dtype,
                compare(mine.hypothetical, theirs.transpose(0, 2, 1)), f"specdsl max delta {mine.max_delta:.1e}")
            bpreveal_hyp = mine.hypothetical

            # profile, bpnet-lite's ProfileWrapper, as bpnet-lite's attribute step runs it
            tic = time.perf_counter()
            theirs = tangermeme_dls(ProfileWrapper(tnet), X_t, refs_t)
            timings[f"tangermeme profile (ProfileWrapper) {dtype}"] = time.perf_counter() - tic
            tic = time.perf_counter()
            mine = deep_lift_shap(model, X, bpnetlite_profile_target(), references=refs_d, dtype=dtype)
            timings[f"specdsl profile (bpnet-lite rule) {dtype}"] = time.perf_counter() - tic
            row("profile, bpnet-lite ProfileWrapper Σ softmax(m)·m: hypothetical, specdsl with the same rule",
                dtype, compare(mine.hypothetical, theirs.transpose(0, 2, 1)), f"specdsl max delta {mine.max_delta:.1e}")
            row("profile: specdsl profile_target (BPReveal) vs bpnet-lite ProfileWrapper", dtype,
                compare(bpreveal_hyp, theirs.transpose(0, 2, 1)), "different functions; see the notes")

    # 3. ISM: counts and the profile metric, raw outputs and attributions
    for name, wrapper in (("counts", CountWrapper), ("profile metric", ProfileWrapper)):
        for dtype, tdtype in precisions:
            predict = ism_predict(model, name, dtype)
            tic = time.perf_counter()
            y0, y_hat = ism(predict, X, batch_size=256)
            timings[f"specdsl ISM {name} {dtype}"] = time.perf_counter() - tic
            from tangermeme.saturation_mutagenesis import saturation_mutagenesis

            tnet = copy.deepcopy(net).to(tdtype).eval()
            X_t = _torch_inputs(X, tdtype)
            tic = time.perf_counter()
            raw = saturation_mutagenesis(wrapper(tnet), X_t, batch_size=256, raw_outputs=True, fast=False,
                                         device="cpu", dtype=tdtype)
            hyp_t = saturation_mutagenesis(wrapper(tnet), X_t, batch_size=256, hypothetical=True, fast=False,
                                           device="cpu", dtype=tdtype).numpy()
            timings[f"tangermeme ISM {name} {dtype}"] = time.perf_counter() - tic
            t_y0, t_yhat = raw.y0.numpy(), raw.y_hat.numpy().transpose(0, 2, 1, 3)
            hyp = ism_attributions(y0, y_hat, X, hypothetical=True)
            d_y0 = float(np.max(np.abs(y0 - t_y0)))
            d_yhat = float(np.max(np.abs(y_hat - t_yhat)))
            d_hyp = float(np.max(np.abs(hyp - hyp_t.transpose(0, 2, 1))))
            d_proj = float(np.max(np.abs(hyp * X - hyp_t.transpose(0, 2, 1) * X)))
            rows.append((f"ISM {name}: y0, y_hat, attributions (hyp, ×X)", dtype,
                         f"{compare(hyp, hyp_t.transpose(0, 2, 1))['r']:.7f}",
                         f"{d_y0:.1e}, {d_yhat:.1e}, {d_hyp:.1e}, {d_proj:.1e} (scale y {np.abs(t_yhat).max():.3g}, "
                         f"attr {np.abs(hyp_t).max():.3g})"))
            facts[f"ism_max_{name}_{dtype}"] = max(d_y0, d_yhat, d_hyp, d_proj)
    facts["timings"] = timings
    return rows, facts


def ism_predict(model, name: str, dtype: str):
    """``predict(batch) -> (B, 1)`` for specdsl's ISM: the log-counts, or the profile metric as
    DeepLIFT-SHAP explains it (``target_function``: each sequence's own softmax weights)."""
    import keras

    from specdsl.interpret.deeplift import profile_target, target_function
    from specdsl.interpret.deeplift_run import model_in

    if name == "counts":
        m = model_in(model, dtype)
        return lambda b: keras.ops.convert_to_numpy(m(b.astype(dtype), training=False)[1])
    fn = target_function(model, profile_target(0), dtype)
    return lambda b: fn(b)[:, None]


def _normed(logits: np.ndarray) -> np.ndarray:
    flat = logits.reshape(len(logits), -1).astype(np.float64)
    return flat - flat.mean(axis=-1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--output-length", type=int, default=100)
    parser.add_argument("--sequences", type=int, default=16)
    parser.add_argument("--references", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--no-float64", dest="float64", action="store_false")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    tic = time.perf_counter()
    rows, facts = run(args)
    total = time.perf_counter() - tic
    import keras

    from specdsl.version import __version__

    command = "benchmarks/peer_interpretation.py " + " ".join(sys.argv[1:])
    dists = ("tangermeme", "bpnet-lite", "torch", "keras", keras.backend.backend())
    info = {"CPU": f"{cpu_model()} ({usable_cores()} usable cores)", "Keras backend": keras.backend.backend(),
            "versions": ", ".join(f"{d} {version(d)}" for d in dists) + f", specdsl {__version__}"}
    size = (f"BPNet F={args.filters}, L={args.layers} (IFW {IFW}, OFW {OFW}, dilations 2…{2 ** args.layers}), "
            f"input {facts['input_length']} → output {facts['output_length']} × {TASKS} tasks, "
            f"{args.sequences} random sequences × {args.references} dinucleotide-shuffle references, seed {args.seed}")
    lines = ["| comparison | dtype | Pearson r | max \\|diff\\| |", "| --- | --- | ---: | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    lines += ["", f"Size: {size}.", "",
              f"Weight copy: max |Δ profile logits| {facts['d_logits']:.1e} (scale {facts['logits_scale']:.3g}), "
              f"max |Δ log-counts| {facts['d_counts']:.1e} (scale {facts['counts_scale']:.3g}).", "",
              f"Logits with |Δm| < 1e-6 between a sequence and a reference (the rescale fallback, float32): "
              f"{facts['fallback_elements']} of {facts['logit_pairs']}.", "",
              "| machine | |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in info.items()]
    lines += ["", f"Command: `.venv/bin/python {command}` ({total:.0f} s)"]
    if not args.markdown:
        lines += ["", "timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in facts["timings"].items())]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
