"""DeepCpG training benchmark: specdsl's DeepCpG against the same DeepCpG written by hand, and the reader.

Why these numbers: a DeepCpG user who switches from ``dcpg_train.py`` to ``specdsl deepcpg train``
must not pay for it in training speed, and the streaming ``deepcpg-h5`` reader must feed the model
far faster than the model eats, because on a CPU the two share the same cores.

1. **Training throughput.** The model is DeepCpG's recommended one, ``CnnL2h128`` + ``RnnL1`` +
   ``JointL2h512`` with 5 cells (the assembled ``DeepCpG`` preset, 5,509,381 parameters), batch 128,
   on a synthetic data set prepared the way ``dcpg_data.py`` does it
   (:func:`~specdsl.systems.deepcpg.synthetic.make_synthetic_deepcpg_data`, ``--dna_wlen 1001 --cpg_wlen 50``).

   * *specdsl*: the training IR exactly as ``specdsl deepcpg train`` builds it from dcpg_train.py's
     command line (:func:`~specdsl.systems.deepcpg.commands.train.training_ir`), the checked plan
     (:func:`~specdsl.training.plan.make_plan`), then what :func:`specdsl.training.run._fit` does:
     ``build_keras_model(plan.graph)``, the heads' losses and metrics (masked, class-weighted BCE;
     observed-label accuracy and AUC per cell), Adam, compiled with the run's ``jit_compile``
     (:meth:`~specdsl.training.devices.Devices.jit_compile` of ``runtime.xla``), ``model.fit`` over the
     run's pipeline (``keras_batches(field_batches(plan, "train", True, seed), keras_pairs(plan))``:
     HDF5 blocks read, one-hot coded and shuffled while the model trains; a ``tf.data.Dataset`` on
     TensorFlow, a prefetching ``keras.utils.PyDataset`` on JAX and PyTorch).
   * *hand-written*: DeepCpG's layout written here with ``keras.layers`` the way DeepCpG's
     ``models/dna.py``, ``cpg.py`` and ``joint.py`` write it (Conv1D + separate ReLU + MaxPool, Flatten,
     Dense; per-cell ``TimeDistributed(Dense)`` over concat(state, dist); ``Bidirectional(GRU(256,
     reset_after=False))``; two joint Dense layers; 5 sigmoid heads; L1L2 kernel penalties), a masked,
     class-weighted BCE and a masked accuracy written as plain functions, trained with ``model.fit``
     on NumPy arrays held in memory, preprocessed by hand as DeepCpG's ``DataReader`` does (one-hot ATGC,
     missing neighbour → state 0.5 and the largest distance, distances / 25,000).  It is compiled as
     Keras compiles by default on a CPU (``jit_compile`` "auto": the step ``jax.jit``-compiled on JAX,
     no XLA on TensorFlow, no ``torch.compile`` on PyTorch); XLA on TensorFlow and ``torch.compile``
     only with ``--xla``, as specdsl's ``runtime.xla``.

   The script stops unless both have the same parameter count, the hand-made arrays equal the
   reader's, and, with specdsl's weights copied across, both compute the same outputs.  Each
   measurement is one ``fit`` call of 1 + N steps timed from the end of its first step to the end of
   its last one (the first step holds the iterator start: the reader's first blocks and shuffle
   buffer, Keras' array conversion); one untimed warm-up epoch per model first (tracing); the models
   alternate A B A B … for several rounds so machine noise hits both; medians reported.  Besides the wall clock, each
   measurement records the process's CPU time (every thread, the reader's included): on a shared
   machine the wall clock moves with other people's work, the CPU seconds per step hardly do.
   Two more models join the rounds to split any difference (``--no-profile`` leaves them out):
   specdsl's compiled model fed from the same in-memory arrays as the hand-written one (no reader),
   and that again compiled without metrics (no accuracy, no AUC).
2. **Reader against consumption.** The same ``keras_batches`` pipeline iterated as ``fit`` reads it,
   with no model (a ``tf.data.Dataset`` looped over; a ``PyDataset`` indexed 0 … len − 1, then
   ``on_epoch_end``): one untimed epoch, then epochs for at least ``--min-seconds``; each timed epoch
   includes its iterator start, the shuffle-buffer fill; in examples per second, divided by the
   specdsl model's rate from (1).

Everything runs on one Keras backend, ``--backend`` (default ``tensorflow``), chosen before Keras is
imported (:func:`specdsl.backend.selection.use_backend`): both ratios are measured on it, and the
table names it.  The script imports TensorFlow only when it is the backend and runs without it
installed (Keras itself still loads an installed TensorFlow on every backend, in
``keras.utils.set_random_seed`` and ``Bidirectional``).

Run (TensorFlow, on a 2-core CPU shared with other work 4¾–5½ minutes, about 3 expected idle;
``--quick`` under 3; PyTorch and JAX about as long)::

    .venv/bin/python benchmarks/bench_deepcpg_training.py                    # table, TensorFlow
    .venv/bin/python benchmarks/bench_deepcpg_training.py --backend jax      # or torch
    .venv/bin/python benchmarks/bench_deepcpg_training.py --markdown         # a block for docs/benchmarks.md
    .venv/bin/python benchmarks/bench_deepcpg_training.py --quick            # fewer sites, rounds and steps
    .venv/bin/python benchmarks/bench_deepcpg_training.py --no-profile       # the two main models only
    .venv/bin/python benchmarks/bench_deepcpg_training.py --xla              # both compiled (runtime.xla: true)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # measure this checkout, even without an editable install
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # quiet TensorFlow's start-up; no effect on timing

import numpy as np  # noqa: E402
from machine_info import render_results, training_machine  # noqa: E402

from specdsl.backend.selection import BACKENDS, NAMES, use_backend  # noqa: E402
from specdsl.systems.deepcpg.commands.train import build_parser, training_ir  # noqa: E402
from specdsl.systems.deepcpg.synthetic import make_synthetic_deepcpg_data  # noqa: E402
from specdsl.training.plan import Plan, make_plan  # noqa: E402

DNA_WLEN = 1001
CPG_WLEN = 50
CPG_MAX_DIST = 25000.0  # DeepCpG's data.CPG_MAX_DIST
L1 = L2 = 1e-4  # dcpg_train.py's --l1_decay / --l2_decay defaults
LEARNING_RATE = 1e-4  # dcpg_train.py's --learning_rate default
OURS, HAND = "specdsl", "hand-written"
OURS_MEM, OURS_BARE = "specdsl, in-memory arrays", "specdsl, in-memory, no metrics"


# ---------------------------------------------------------------------------------------------
# specdsl's side: the IR from dcpg_train.py's command line, the plan, the model as _fit builds it
# ---------------------------------------------------------------------------------------------


def specdsl_plan(train_files: Sequence[Path], examples: int, batch: int, out: Path, xla: bool = False) -> Plan:
    args = build_parser().parse([*map(str, train_files), "--dna_model", "CnnL2h128", "--cpg_model", "RnnL1",
                                 "--joint_model", "JointL2h512", "--batch_size", str(batch), "--nb_epoch", "1",
                                 "-o", str(out), "--nb_train_sample", str(examples)])
    ir = training_ir(args)
    if xla:  # dcpg_train.py has no such option: the config's runtime.xla
        ir = dataclasses.replace(ir, runtime=dataclasses.replace(ir.runtime, xla=True))
    return make_plan(ir)


def specdsl_jit_compile(plan: Plan) -> bool:
    """The ``jit_compile`` a training run passes to ``model.compile`` (``run._compiled_model``)."""
    from specdsl.training.devices import choose_devices

    return choose_devices(plan.ir.runtime.device).jit_compile(plan.ir.runtime.xla)


def specdsl_model(plan: Plan, keras: Any, *, metrics: bool = True) -> Any:
    """``specdsl.training.run._fit``'s model: built, trainability set, compiled with the heads' parts."""
    from specdsl.backend.keras_model import bind_losses, build_keras_model
    from specdsl.training.run import _compile_parts, _set_trainability

    ir = plan.ir
    if ir.runtime.seed is not None:
        keras.utils.set_random_seed(ir.runtime.seed)
    model = build_keras_model(plan.graph)
    _set_trainability(model, plan)
    losses, loss_weights, metric_parts = _compile_parts(plan)
    bind_losses(model, losses)
    optimizer = keras.optimizers.get({"class_name": ir.optimizer.name,
                                      "config": {"learning_rate": ir.optimizer.learning_rate}})
    model.compile(optimizer=optimizer, jit_compile=specdsl_jit_compile(plan), loss=losses,
                  loss_weights=loss_weights, metrics=metric_parts if metrics else None)
    return model


def specdsl_dataset(plan: Plan) -> Any:
    """The training pipeline exactly as ``_fit`` makes it on one device: the reader's field batches,
    split into ``(x, y)``, handed to Keras (``tf.data`` on TensorFlow, a ``PyDataset`` elsewhere)."""
    from specdsl.training.keras_batches import keras_batches
    from specdsl.training.run_batches import field_batches, keras_pairs

    seed = 0 if plan.ir.runtime.seed is None else plan.ir.runtime.seed
    return keras_batches(field_batches(plan, "train", True, seed), keras_pairs(plan))


def epoch_batches(ds: Any) -> Any:
    """One epoch of what :func:`specdsl_dataset` returns, read as ``fit`` reads it on the backend."""
    if hasattr(ds, "on_epoch_end"):  # a keras.utils.PyDataset (JAX, PyTorch)
        for i in range(len(ds)):
            yield ds[i]
        ds.on_epoch_end()
    else:  # a tf.data.Dataset
        yield from ds


# ---------------------------------------------------------------------------------------------
# The hand-written side: DeepCpG's preprocessing, layers, loss and metric, in plain NumPy and Keras
# ---------------------------------------------------------------------------------------------


def rows(files: Sequence[Path]) -> int:
    import h5py

    total = 0
    for path in files:
        with h5py.File(path, "r") as h5:
            total += int(h5["inputs/dna"].shape[0])
    return total


def read_arrays(files: Sequence[Path], examples: int, cells: Sequence[str]) -> tuple[dict, dict]:
    """The first ``examples`` rows of the files, preprocessed like DeepCpG's ``DataReader``."""
    import h5py

    dna, states, dists, labels = [], [], [], {c: [] for c in cells}
    left = examples
    for path in files:
        if left <= 0:
            break
        with h5py.File(path, "r") as h5:
            n = min(left, h5["inputs/dna"].shape[0])
            codes = h5["inputs/dna"][:n]
            start = (codes.shape[1] - DNA_WLEN) // 2
            codes = codes[:, start:start + DNA_WLEN]
            one_hot = np.zeros((*codes.shape, 4), np.float32)  # A T G C; N (4) stays all zeros
            for channel in range(4):
                one_hot[..., channel] = codes == channel
            dna.append(one_hot)
            s_cells, d_cells = [], []
            for cell in cells:
                state = h5[f"inputs/cpg/{cell}/state"][:n].astype(np.float32)
                dist = h5[f"inputs/cpg/{cell}/dist"][:n].astype(np.float32)
                cut = slice((state.shape[1] - CPG_WLEN) // 2, (state.shape[1] + CPG_WLEN) // 2)
                state, dist = state[:, cut], dist[:, cut]
                missing = state == -1
                state[missing] = 0.5
                dist[missing] = CPG_MAX_DIST
                s_cells.append(state)
                d_cells.append(np.minimum(dist, CPG_MAX_DIST) / CPG_MAX_DIST)
                labels[cell].append(h5[f"outputs/cpg/{cell}"][:n].astype(np.float32)[:, None])
            states.append(np.stack(s_cells, axis=1))
            dists.append(np.stack(d_cells, axis=1))
            left -= n
    x = {"dna": np.concatenate(dna), "cpg_state": np.concatenate(states), "cpg_dist": np.concatenate(dists)}
    y = {f"cpg_{c}": np.concatenate(labels[c]) for c in cells}
    return x, y


def masked_bce(weight0: float, weight1: float) -> Any:
    """DeepCpG's idea: labels −1 are unknown and do not count; classes weighted by inverse frequency."""
    from keras import ops

    def loss(y_true: Any, y_pred: Any) -> Any:
        known = ops.cast(ops.greater_equal(y_true, 0.0), "float32")
        y = y_true * known
        p = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
        terms = -(y * ops.log(p) + (1.0 - y) * ops.log(1.0 - p)) * known * (weight0 + (weight1 - weight0) * y)
        return ops.sum(terms) / ops.maximum(1.0, ops.sum(known))

    return loss


def masked_acc(y_true: Any, y_pred: Any) -> Any:
    """DeepCpG's ``acc``: accuracy of 0/1 calls over the observed labels of the batch."""
    from keras import ops

    known = ops.cast(ops.greater_equal(y_true, 0.0), "float32")
    hit = ops.cast(ops.equal(y_true, ops.cast(ops.greater(y_pred, 0.5), "float32")), "float32")
    return ops.sum(hit * known) / ops.maximum(1.0, ops.sum(known))


def hand_jit_compile(keras: Any, xla: bool) -> bool:
    """Keras' ``jit_compile="auto"`` on a CPU: only JAX compiles the step (``jax.jit``); XLA on
    TensorFlow (the default on GPUs) and ``torch.compile`` only with ``--xla``, as specdsl's."""
    return xla or keras.backend.backend() == "jax"


def hand_written_model(cells: Sequence[str], y: dict[str, np.ndarray], keras: Any, xla: bool = False) -> Any:
    """CnnL2h128 + RnnL1 + JointL2h512 as DeepCpG's model code writes them, in Keras 3."""
    layers, reg = keras.layers, keras.regularizers
    keras.utils.set_random_seed(0)

    def penalty() -> Any:
        return reg.L1L2(l1=L1, l2=L2)

    dna = keras.Input((DNA_WLEN, 4), name="dna")
    x = layers.Conv1D(128, 11, kernel_regularizer=penalty(), name="dna_conv1")(dna)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling1D(4)(x)
    x = layers.Conv1D(256, 3, kernel_regularizer=penalty(), name="dna_conv2")(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling1D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, kernel_regularizer=penalty(), name="dna_fc1")(x)
    x = layers.Activation("relu")(x)
    dna_out = layers.Dropout(0.0)(x)

    state = keras.Input((len(cells), CPG_WLEN), name="cpg_state")
    dist = keras.Input((len(cells), CPG_WLEN), name="cpg_dist")
    c = layers.Concatenate(axis=2)([state, dist])
    c = layers.TimeDistributed(layers.Dense(256, kernel_regularizer=penalty()), name="cpg_each1_fc1")(c)
    c = layers.Activation("relu")(c)
    c = layers.Bidirectional(layers.GRU(256, kernel_regularizer=penalty(), reset_after=False), name="cpg_bgru1")(c)
    cpg_out = layers.Dropout(0.0)(c)

    j = layers.Concatenate()([dna_out, cpg_out])
    for i in (1, 2):
        j = layers.Dense(512, kernel_regularizer=penalty(), name=f"joint_fc{i}")(j)
        j = layers.Activation("relu")(j)
        j = layers.Dropout(0.0)(j)
    names = [f"cpg_{cell}" for cell in cells]
    outputs = [layers.Dense(1, activation="sigmoid", name=name)(j) for name in names]
    model = keras.Model([dna, state, dist], outputs, name="deepcpg_hand_written")
    losses = {}
    for name in names:
        observed = y[name][y[name] >= 0]
        frequency1 = float(observed.mean())  # DeepCpG: weight ∝ 1 / class frequency, weights sum to 1
        losses[name] = masked_bce(frequency1, 1.0 - frequency1)
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss=losses,
                  metrics={name: [masked_acc] for name in names}, jit_compile=hand_jit_compile(keras, xla))
    return model


def same_function(ours: Any, theirs: Any, x: dict[str, np.ndarray]) -> float:
    """Copy our weights into the hand-written model by layer name; the largest output difference."""
    mine = {layer.name: layer for layer in ours.layers if layer.weights}
    backup = theirs.get_weights()
    for layer in theirs.layers:
        if layer.weights:
            if layer.name not in mine:
                raise SystemExit(f"the hand-written layer '{layer.name}' has no specdsl counterpart")
            layer.set_weights(mine[layer.name].get_weights())
    a, b = ours.predict(x, verbose=0), theirs.predict(x, verbose=0)
    theirs.set_weights(backup)
    return max(float(np.max(np.abs(np.asarray(p, np.float64) - np.asarray(q, np.float64)))) for p, q in zip(a, b))


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


@dataclass
class Rates:
    label: str
    runs: list[float]  # examples per second (wall clock)
    cpu: list[float]  # CPU seconds of the whole process (every thread) per step, or per example for the reader

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


@dataclass
class Feed:
    """How one model is trained: ``fit`` over a dataset, or over arrays with a batch size."""

    model: Any
    data: Any  # keras_batches' (x, y) batches (tf.data.Dataset or PyDataset), or (x, y) NumPy dicts

    def fit(self, steps: int, callbacks: list[Any], batch: int) -> None:
        if isinstance(self.data, tuple):
            x, y = self.data
            self.model.fit(x, y, batch_size=batch, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=True,
                           callbacks=callbacks)
        else:
            self.model.fit(self.data, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False, callbacks=callbacks)


def step_seconds(feed: Feed, steps: int, batch: int, keras: Any) -> tuple[float, float]:
    """Wall and process CPU seconds of steps 2 … steps+1 of one ``fit`` call of steps + 1.

    Step 1 holds the iterator start (the reader's shuffle-buffer fill, Keras' array conversion), which
    a real epoch of thousands of steps pays once.  The CPU time counts every thread of the process,
    the reader's included, and, unlike the wall time, hardly moves when other processes share the cores.
    """

    class Clock(keras.callbacks.Callback):  # not async_safe: Keras syncs each step's logs before calling it
        ends: list[tuple[float, float]] = []

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.ends.append((time.perf_counter(), time.process_time()))

    clock = Clock()
    clock.ends = []
    feed.fit(steps + 1, [clock], batch)
    if len(clock.ends) != steps + 1:
        raise SystemExit(f"fit ran {len(clock.ends)} steps, not {steps + 1}: too few sites for --steps")
    return clock.ends[-1][0] - clock.ends[0][0], clock.ends[-1][1] - clock.ends[0][1]


def measure_models(feeds: dict[str, Feed], args: argparse.Namespace, keras: Any) -> dict[str, Rates]:
    """One untimed warm-up epoch each, then ``--rounds`` rounds of A B … alternating, ``--steps`` steps each."""
    for label, feed in feeds.items():
        start = time.perf_counter()
        feed.fit(args.epoch_steps, [], args.batch)
        print(f"  warm-up epoch of {label}: {args.epoch_steps} steps in {time.perf_counter() - start:.1f} s",
              file=sys.stderr, flush=True)
    rates = {label: Rates(label, [], []) for label in feeds}
    for r in range(args.rounds):
        for label, feed in feeds.items():
            wall, cpu = step_seconds(feed, args.steps, args.batch, keras)
            rates[label].runs.append(args.steps * args.batch / wall)
            rates[label].cpu.append(cpu / args.steps)
        print(f"  round {r + 1}/{args.rounds}: " + ", ".join(f"{k} {v.runs[-1]:,.0f}" for k, v in rates.items()),
              file=sys.stderr, flush=True)
    return rates


def measure_reader(plan: Plan, args: argparse.Namespace) -> tuple[Rates, list[float], int]:
    """Examples per second out of ``fit``'s pipeline, no model; also its time to the first batch."""
    ds = specdsl_dataset(plan)

    def epoch() -> tuple[int, float, float, float]:
        start, cpu, n, first = time.perf_counter(), time.process_time(), 0, 0.0
        for x, _ in epoch_batches(ds):
            n += int(x["dna"].shape[0])
            first = first or time.perf_counter() - start
        return n, time.perf_counter() - start, time.process_time() - cpu, first

    epoch()  # untimed: file cache warm, tf.data functions traced (on TensorFlow)
    rates, firsts, spent = Rates("reader", [], []), [], 0.0
    while len(rates.runs) < args.reader_epochs or spent < args.min_seconds:
        n, seconds, cpu, first = epoch()
        rates.runs.append(n / seconds)
        rates.cpu.append(cpu / n)
        firsts.append(first)
        spent += seconds
    return rates, firsts, n


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def render(plan: Plan, params: int, diff: float, rates: dict[str, Rates], reader: Rates, firsts: list[float],
           epoch_examples: int, info: dict[str, str], args: argparse.Namespace) -> str:
    ours, hand = rates[OURS], rates[HAND]
    ratio = ours.median / hand.median
    paired = [a / b for a, b in zip(ours.runs, hand.runs)]
    cpu_ratio = hand.cpu_median / ours.cpu_median  # examples per CPU-second, specdsl / hand-written
    feed = reader.median / ours.median
    reader_share = reader.cpu_median * args.batch / ours.cpu_median
    macs = plan.graph.macs or 0
    gflops = 3 * 2 * macs * ours.median / 1e9  # forward + backward ≈ 3 forward passes

    def spread(r: Rates) -> str:
        return f"{min(r.runs):,.1f}–{max(r.runs):,.1f}"

    def cpu(r: Rates) -> str:
        busy = statistics.median(c * x / args.batch for c, x in zip(r.cpu, r.runs))
        return f"{r.cpu_median:.3f} CPU s/step (≈{busy:.1f} cores busy)"

    name = NAMES[args.backend]
    jit = {"jax": "jax.jit", "tensorflow": "XLA", "torch": "torch.compile"}[args.backend]
    rows = [
        ("model", "DeepCpG: CnnL2h128 + RnnL1 + JointL2h512, 5 cells, DNA 1001 bp, 50 CpG neighbours",
         f"{params:,} params both; {macs / 1e6:,.1f} M MAC/example forward"),
        ("data", f"{plan.examples['train']:,} training sites (synthetic, `make_synthetic_deepcpg_data`)",
         f"{args.epoch_steps} steps of batch {args.batch} per epoch; ~30 % of labels missing per cell"),
        ("training setup", f"{name}, batch {args.batch}, float32, Adam lr {LEARNING_RATE:g}; "
                           f"{jit}: specdsl {'on' if args.ours_jit else 'off'}, hand-written "
                           f"{'on' if args.hand_jit else 'off'}",
         f"1 untimed warm-up epoch per model, then {args.rounds} rounds × {args.steps} timed steps "
         f"(each after 1 untimed step that holds the iterator start), {len(rates)} models alternating"),
        ("same network", f"largest output difference {diff:.1e}",
         "specdsl weights copied into the hand-written model; its arrays equal the reader's"),
        ("specdsl `deepcpg train`, training", f"{ours.median:,.1f} examples/s",
         f"median of {len(ours.runs)} (range {spread(ours)}); {cpu(ours)}; ≈{gflops:,.1f} GFLOP/s effective; "
         f"deepcpg-h5 reader streaming ({args.feed}), masked class-weighted BCE, acc + AUC per cell"),
        ("hand-written Keras DeepCpG, training", f"{hand.median:,.1f} examples/s",
         f"median of {len(hand.runs)} (range {spread(hand)}); {cpu(hand)}; NumPy arrays in memory, "
         "masked class-weighted BCE, masked acc per cell"),
        (f"ratio specdsl / hand-written, {name}", f"{ratio:.3f}",
         f"per round: median {statistics.median(paired):.3f}, {min(paired):.3f}–{max(paired):.3f}; "
         "goal ≥ 0.95: " + ("met" if ratio >= 0.95 else "NOT met")),
        (f"ratio in examples per CPU-second, {name}", f"{cpu_ratio:.3f}",
         "hand-written CPU s/step ÷ specdsl CPU s/step (every thread of the process, the reader's included)"),
    ]
    for label, what in ((OURS_MEM, "specdsl's compiled model (losses, acc, AUC) on the hand-written side's arrays"),
                        (OURS_BARE, "the same without metrics (losses only)")):
        if label in rates:
            r = rates[label]
            rows.append((f"profile: {label}", f"{r.median:,.1f} examples/s",
                         f"median of {len(r.runs)} (range {spread(r)}); {cpu(r)}; {what}; "
                         f"{r.median / hand.median:.3f} × hand-written (wall), "
                         f"{hand.cpu_median / r.cpu_median:.3f} × (CPU)"))
    rows += [
        ("`deepcpg-h5` reader alone", f"{reader.median:,.1f} examples/s",
         f"median of {len(reader.runs)} epochs of {epoch_examples:,} (range {spread(reader)}); shuffled; "
         f"{reader.cpu_median * 1e6:,.1f} CPU µs/example; first batch after {statistics.median(firsts) * 1e3:,.0f} ms "
         "(shuffle-buffer fill); no model"),
        (f"ratio reader / model consumption, {name}", f"{feed:.1f}",
         f"goal ≥ 10: {'met' if feed >= 10 else 'NOT met'}; the reader's CPU per training step is "
         f"{reader_share:.1%} of specdsl's"),
    ]
    command = " ".join([".venv/bin/python", "benchmarks/bench_deepcpg_training.py", *args.argv])
    return render_results(rows, info, command, args.markdown)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=4096,
                        help="synthetic sites per chromosome; chromosome 1 trains (default 4096: 31 batches)")
    parser.add_argument("--batch", type=int, default=128, help="batch size (default 128, dcpg_train.py's)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per measurement (default 20)")
    parser.add_argument("--rounds", type=int, default=5, help="A B rounds (default 5)")
    parser.add_argument("--no-profile", dest="profile", action="store_false",
                        help="leave out the two profile models (specdsl's model on in-memory arrays, with and "
                             "without metrics); halves the time")
    parser.add_argument("--reader-epochs", type=int, default=3, help="least timed reader epochs (default 3)")
    parser.add_argument("--min-seconds", type=float, default=5.0, help="least time of the reader's epochs (default 5)")
    parser.add_argument("--quick", action="store_true", help="2048 sites, 3 rounds of 10 steps")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown block for docs/benchmarks.md")
    parser.add_argument("--backend", choices=BACKENDS, default="tensorflow",
                        help="Keras backend to measure on (default tensorflow)")
    parser.add_argument("--xla", action="store_true",
                        help="compile both models (specdsl's as with runtime.xla: true): XLA on TensorFlow, "
                             "jax.jit on JAX, torch.compile on PyTorch (slow to compile there)")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.quick:
        args.sites, args.steps, args.rounds = min(args.sites, 2048), min(args.steps, 10), min(args.rounds, 3)

    use_backend(args.backend)  # before anything imports Keras
    from specdsl.backend.quiet import import_keras

    keras = import_keras()
    print(f"backend: {keras.backend.backend()}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="specdsl-bench-dcpg-") as tmp:
        start = time.perf_counter()
        data = make_synthetic_deepcpg_data(Path(tmp) / "synthetic", dna_wlen=DNA_WLEN, cpg_wlen=CPG_WLEN,
                                           chromosomes=("1", "2"), sites_per_chromosome=args.sites, cells=5)
        train_files = data["train_files"]
        examples = rows(train_files)
        print(f"data: {examples:,} training sites in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
        plan = specdsl_plan(train_files, examples, args.batch, Path(tmp) / "run", args.xla)
        args.epoch_steps = plan.examples["train"] // args.batch
        if args.steps + 1 > args.epoch_steps:
            parser.error(f"--steps {args.steps} needs at least {(args.steps + 1) * args.batch} sites per epoch, "
                         f"the data has {plan.examples['train']}: raise --sites")
        layout = plan.fields.facts["layout"]
        cells = list(layout.cells)

        ours = specdsl_model(plan, keras)
        x, y = read_arrays(train_files, plan.examples["train"], cells)
        hand = hand_written_model(cells, y, keras, args.xla)
        args.ours_jit, args.hand_jit = bool(ours.jit_compile), bool(hand.jit_compile)
        if ours.count_params() != hand.count_params():
            raise SystemExit(f"the parameter counts differ: specdsl {ours.count_params():,}, "
                             f"hand-written {hand.count_params():,}")
        if ours.count_params() != plan.graph.total:
            raise SystemExit(f"Keras counts {ours.count_params():,} params, specdsl's analysis {plan.graph.total:,}")
        fields = {inp.field: inp.name for inp in plan.ir.inputs}  # reader field → model input
        names = [*fields, *plan.target_fields]
        block = plan.reader.read_block(layout, str(train_files[0]), 0, 512, names)
        mine = {**{f: x[name][:512] for f, name in fields.items()}, **{o.field: y[o.layer][:512] for o in plan.outputs}}
        for name in names:
            if not np.array_equal(block[name], mine[name]):
                raise SystemExit(f"the hand-made '{name}' differs from what the deepcpg-h5 reader gives")
        sample = {k: v[: args.batch] for k, v in x.items()}
        diff = same_function(ours, hand, sample)
        if diff > 1e-4:
            raise SystemExit(f"the two models compute different functions: max |Δ output| {diff:.3g}")

        ours_data = specdsl_dataset(plan)
        args.feed = "tf.data" if keras.backend.backend() == "tensorflow" else "PyDataset"
        feeds = {OURS: Feed(ours, ours_data), HAND: Feed(hand, (x, y))}
        if args.profile:
            feeds[OURS_MEM] = Feed(specdsl_model(plan, keras), (x, y))
            feeds[OURS_BARE] = Feed(specdsl_model(plan, keras, metrics=False), (x, y))
        print("measuring the models …", file=sys.stderr, flush=True)
        rates = measure_models(feeds, args, keras)
        print("measuring the reader …", file=sys.stderr, flush=True)
        reader, firsts, epoch_examples = measure_reader(plan, args)
    info = training_machine(None, "h5py")
    print(render(plan, ours.count_params(), diff, rates, reader, firsts, epoch_examples, info, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
