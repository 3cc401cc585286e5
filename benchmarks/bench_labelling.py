"""Sequence-labelling benchmark: the CRF's training cost, annotation throughput, memory against read length.

Why these numbers: tranquillyzer users choose between its CRF and softmax layouts and need to know
what the CRF costs in training; they annotate millions of nanopore reads, some of them 100 kb
and longer, so they need reads/s and bases/s and to know that memory does not grow with the read.

1. **The CRF's cost.**  ``CnnLstmCrf`` with tranquillyzer's 10x3p defaults (1.4 M parameters) with
   its CRF, against the same network with a per-position softmax (``crf_layer=no``), both through
   the ``labels`` head's losses and metrics, ``train_on_batch`` on one batch of simulated reads
   (``--batch`` reads, padded to the longest), both fed the same in-memory batch and compiled with
   the ``jit_compile`` a training run passes (:meth:`~specdsl.training.devices.Devices.jit_compile`
   of ``runtime.xla``; ``--xla`` sets it).  One warm-up step each, then ``--rounds`` rounds of
   ``--steps`` steps alternating between the models; medians compared.  Goal: the CRF step takes
   ≤ 1.3× the softmax one, on each backend.
2. **Annotation throughput.**  :func:`specdsl.systems.tranquillyzer.annotate.annotate_stream` (what
   ``specdsl annotate`` runs) over ``--reads`` simulated 10x3p reads with the default layout,
   both orientations (the default) and the read as given only; reads/s and bases/s.
3. **Peak memory against read length.**  A fresh ``specdsl annotate`` process per length (1 kb …
   100 kb, a few reads each, simulated random bases) on a saved default-layout model; its peak RSS
   from ``os.wait4``.  Goal: growth no faster than linear in the read length (windows of 4,096 bases
   keep it flat apart from the read itself).

Everything runs on one Keras backend, ``--backend`` (default ``tensorflow``), chosen before Keras is
imported (:func:`specdsl.backend.selection.use_backend`) and handed to the ``specdsl annotate``
processes of (3) through ``KERAS_BACKEND``; the table names it.  The script imports TensorFlow only
when it is the backend and runs without it installed (Keras itself still loads an installed
TensorFlow on every backend).  On JAX a training run's step is not ``jax.jit``-compiled unless
``runtime.xla`` is on (``--xla``), and (1) measures it so.

Run (on a 2-core CPU: TensorFlow about four minutes, JAX about four, PyTorch about nine, four of
them annotating the 100 kb reads; ``--quick`` one to two minutes)::

    .venv/bin/python benchmarks/bench_labelling.py
    .venv/bin/python benchmarks/bench_labelling.py --backend jax  # or torch
    .venv/bin/python benchmarks/bench_labelling.py --markdown     # a block for docs/benchmarks.md
    .venv/bin/python benchmarks/bench_labelling.py --quick        # fewer rounds, reads and lengths
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine_info import render_results, training_machine  # noqa: E402

from specdsl.backend.selection import BACKENDS, NAMES, use_backend  # noqa: E402

CHILD = ("import os, sys; os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3'); from specdsl.cli import main; "
         "sys.exit(main(['annotate', sys.argv[1], sys.argv[2], '-o', sys.argv[3]]))")
# Linux starts a forked child's ru_maxrss at its parent's peak, and this script holds Keras' backend: a
# small launcher process (no imports) starts each annotate process and reports that one's own peak.
LAUNCHER = ("import os, subprocess, sys; p = subprocess.Popen([sys.executable, '-c'] + sys.argv[1:], "
            "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); _, status, use = os.wait4(p.pid, 0); "
            "print(status, use.ru_maxrss)")


def simulated_batch(reads: int, seed: int = 0, typical: bool = False) -> tuple:
    import numpy as np

    from specdsl.systems.tranquillyzer.seq_orders import seq_order
    from specdsl.systems.tranquillyzer.simulator import SimulationOptions, Simulator, simulate
    from specdsl.training.readers.labelled_reads import pad_batch

    molecules = 16 * reads if typical else (reads + 1) // 2
    sim = Simulator(seq_order("10x3p_sc_ont"), SimulationOptions(num_reads=molecules, seed=seed))
    tokens, labels = [], []
    for chunk in simulate(sim, 1):
        tokens += chunk[0]
        labels += chunk[1]
    if typical:  # a batch as the labelled-reads reader makes one: reads of about the median length
        order = np.argsort([len(t) for t in tokens])
        middle = len(order) // 2 - reads // 2
        keep = sorted(order[middle:middle + reads])
        tokens, labels = [tokens[i] for i in keep], [labels[i] for i in keep]
    x, y = pad_batch(tokens[:reads], labels[:reads])
    return x, y, np.array([len(t) for t in tokens[:reads]]), sim


def run_jit_compile(xla: bool) -> bool:
    """The ``jit_compile`` a training run passes to ``model.compile`` (``run._compiled_model``)."""
    from specdsl.training.devices import choose_devices

    return choose_devices("auto").jit_compile(xla)


def labelling_model(crf: bool, params: dict | None = None, xla: bool = False):
    """CnnLstmCrf's body + the labels head, compiled as a training run compiles it."""
    from dataclasses import replace

    import keras

    from specdsl.backend.keras_model import bind_losses, build_keras_model
    from specdsl.language.analysis import build_graph
    from specdsl.language.ir import Heads, Ref
    from specdsl.language.model import written_preset
    from specdsl.language.presets import get_preset
    from specdsl.training.heads import head_kind
    from specdsl.training.ir import HeadIR, settings

    kind = head_kind("labels")
    classes = ["3p", "5p", "CBC", "UMI", "cDNA", "polyT"]
    head = HeadIR("labels", "labels", settings(target="labels", classes=classes, decoder="crf" if crf else "softmax",
                                               l2=0.01))
    rh = kind.resolve(head, 0, {"labels": (None,)})
    params = {**(params or {}), "crf_layer": "yes" if crf else "no"}
    body = written_preset(get_preset("CnnLstmCrf"), params)
    out = rh.outputs[0]
    preset = replace(body, outputs=(), heads=(Heads(out.layer, 1, Ref(body.nodes[-1].name), out.chain),))
    graph = build_graph(preset, params)
    model = build_keras_model(graph)
    losses, weights, metrics = kind.compile_parts(rh)
    bind_losses(model, losses)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=losses, loss_weights=weights, metrics=metrics,
                  jit_compile=run_jit_compile(xla))
    return model, graph, classes


def crf_cost(batch: int, rounds: int, steps: int, params: dict | None = None, xla: bool = False) -> dict:
    x, y, lengths, _ = simulated_batch(batch, typical=True)
    models = {name: labelling_model(name == "crf", params, xla)[0] for name in ("crf", "softmax")}
    for m in models.values():
        m.train_on_batch(x, y)
    times: dict[str, list[float]] = {k: [] for k in models}
    for _ in range(rounds):
        for name, m in models.items():
            t = time.perf_counter()
            for _ in range(steps):
                m.train_on_batch(x, y)
            times[name].append((time.perf_counter() - t) / steps)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"shape": x.shape, "bases": int(lengths.sum()), "times": times, "median": med,
            "ratio": med["crf"] / med["softmax"], "params": models["crf"].count_params(),
            "softmax_params": models["softmax"].count_params(), "jit": bool(models["crf"].jit_compile)}


def throughput(reads: int, folder: Path, xla: bool = False) -> dict:
    import json

    import keras

    from specdsl.backend.keras_model import save_model
    from specdsl.formats.fastx import Record
    from specdsl.systems.tranquillyzer.annotate import annotate_stream, load_annotator
    from specdsl.systems.tranquillyzer.tokens import decode
    from specdsl.training.run import delivered

    model, _, classes = labelling_model(True, xla=xla)
    path = folder / "default.keras"
    save_model(delivered(model, keras), path)
    (folder / "default_labels.json").write_text(json.dumps(classes))
    ann = load_annotator(path)
    x, _, lengths, _ = simulated_batch(reads, seed=1)
    records = [Record(f"r{i}", decode(x[i, :n]).encode(), 0) for i, n in enumerate(lengths)]
    annotate_stream(ann, iter(records[:16]), io.StringIO())  # warm-up: the compiled shapes
    out = {}
    for strand in ("both", "forward"):
        totals = annotate_stream(ann, iter(records), io.StringIO(), strand=strand)
        out[strand] = (totals.reads / totals.seconds, totals.bases / totals.seconds, totals.seconds)
    out["bases"] = int(lengths.sum())
    return out


def memory(folder: Path, lengths: list[int], per_length: int) -> list[tuple[int, float, float]]:
    import numpy as np

    rng = np.random.default_rng(0)
    rows = []
    for n in lengths:
        fasta = folder / f"reads_{n}.fa"
        with open(fasta, "w") as f:
            for i in range(per_length):
                f.write(f">r{i}\n" + "".join(rng.choice(list("ACGT"), n)) + "\n")
        started = time.monotonic()
        got = subprocess.run([sys.executable, "-c", LAUNCHER, CHILD, str(folder / "default.keras"), str(fasta),
                              str(folder / f"out_{n}.tsv")], capture_output=True, text=True, check=True)
        status, peak_kib = map(int, got.stdout.split())
        if status != 0:
            raise SystemExit(f"annotate failed for {n}-base reads")
        rows.append((n, peak_kib / 1024, time.monotonic() - started))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=32, help="reads per training batch (default 32)")
    parser.add_argument("--rounds", type=int, default=5, help="CRF / softmax rounds (default 5)")
    parser.add_argument("--steps", type=int, default=3, help="timed training steps per model per round (default 3)")
    parser.add_argument("--reads", type=int, default=256, help="reads annotated for the throughput (default 256)")
    parser.add_argument("--lengths", type=int, nargs="+", default=[1_000, 10_000, 30_000, 100_000],
                        help="read lengths of the peak-memory runs (default 1000 10000 30000 100000)")
    parser.add_argument("--per-length", type=int, default=2, help="reads per memory run (default 2)")
    parser.add_argument("--quick", action="store_true",
                        help="3 rounds of 2 steps, 64 reads, lengths 1000 and 10000 with 1 read each")
    parser.add_argument("--backend", choices=BACKENDS, default="tensorflow",
                        help="Keras backend to measure on (default tensorflow)")
    parser.add_argument("--xla", action="store_true",
                        help="compile the training step as with runtime.xla: true (XLA on TensorFlow, jax.jit on "
                             "JAX, torch.compile on PyTorch)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown block for docs/benchmarks.md")
    args = parser.parse_args()
    argv = sys.argv[1:]
    if args.quick:
        args.rounds, args.steps, args.reads = min(args.rounds, 3), min(args.steps, 2), min(args.reads, 64)
        args.lengths, args.per_length = [n for n in args.lengths if n <= 10_000][:2] or args.lengths[:1], 1
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    use_backend(args.backend)  # before anything imports Keras; the annotate processes inherit KERAS_BACKEND
    from specdsl.backend.quiet import import_keras

    keras = import_keras()
    backend = NAMES[keras.backend.backend()]
    print(f"backend: {keras.backend.backend()}", file=sys.stderr, flush=True)

    rows = []
    cost = crf_cost(args.batch, args.rounds, args.steps, xla=args.xla)
    b, t = cost["shape"]
    med = cost["median"]
    jit = {"JAX": "jax.jit", "TensorFlow": "XLA", "PyTorch": "torch.compile"}[backend]
    rows.append(("model", f"CnnLstmCrf, 10x3p defaults: {cost['params']:,} params (softmax: "
                          f"{cost['softmax_params']:,})",
                 f"labels head's losses and metrics; Adam; float32; {backend}, {jit} {'on' if cost['jit'] else 'off'}"))
    rows.append(("training batch", f"{b} simulated 10x3p reads of about the median length, padded to {t}",
                 f"{cost['bases']:,} real bases; {args.rounds} rounds × {args.steps} steps, models alternating"))
    for name in ("crf", "softmax"):
        runs = cost["times"][name]
        rows.append((f"train step, {name}", f"{med[name] * 1000:.0f} ms",
                     f"median of {len(runs)} (range {min(runs) * 1000:.0f}–{max(runs) * 1000:.0f} ms); "
                     f"{b / med[name]:.1f} reads/s"))
    rows.append((f"CRF cost (crf / softmax), {backend}", f"{cost['ratio']:.3f}",
                 f"goal ≤ 1.30: {'met' if cost['ratio'] <= 1.3 else 'NOT met'}"))
    small = {"embedding_dim": 16, "conv_layers": 1, "conv_filters": 32, "conv_kernel_size": 9, "lstm_units": 16}
    tiny = crf_cost(args.batch, max(2, args.rounds // 2), args.steps, small, xla=args.xla)
    rows.append((f"CRF cost, demo layout, {backend}", f"{tiny['ratio']:.3f}",
                 f"emb 16, 1 conv 32@9, BiLSTM 16 ({tiny['params']:,} params): "
                 f"{tiny['median']['crf'] * 1000:.0f} / {tiny['median']['softmax'] * 1000:.0f} ms; the CRF's "
                 "scans weigh more in a tiny model"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        speed = throughput(args.reads, folder, args.xla)
        for strand, what in (("both", "both orientations (default)"), ("forward", "read as given only")):
            r, bases, secs = speed[strand]
            rows.append((f"annotate, {what}", f"{r:.1f} reads/s", f"{bases:,.0f} bases/s; {args.reads} simulated "
                                                                  f"10x3p reads ({speed['bases']:,} bases) in "
                                                                  f"{secs:.1f} s"))
        mem = memory(folder, args.lengths, args.per_length)
    base = mem[0][1]
    for n, peak, secs in mem:
        rows.append((f"annotate peak RSS, {n:,}-base reads", f"{peak:,.0f} MiB",
                     f"+{peak - base:,.0f} MiB over {mem[0][0]:,} b; {args.per_length} reads; {secs:.1f} s "
                     f"(process start and {backend} import included)"))
    growth = [(peak - base) / (n - mem[0][0]) * 1e3 for n, peak, _ in mem[1:]]
    linear = all(g2 <= g1 * 1.5 + 1 for g1, g2 in zip(growth, growth[1:]))
    rows.append(("memory growth", " / ".join(f"{g:.2f}" for g in growth) + " MiB per kb",
                 f"extra peak ÷ extra length, per step of length; goal: no faster than linear: "
                 f"{'met' if linear else 'NOT met'}"))
    command = " ".join([".venv/bin/python", "benchmarks/bench_labelling.py", *argv])
    print(render_results(rows, training_machine(None, "h5py"), command, args.markdown))


if __name__ == "__main__":
    main()
