"""Training benchmark: specdsl's BPNet against the same BPNet written by hand, and the input pipeline.

Why these numbers: a user who lets specdsl compile BPNet must not pay for it in training speed, and the
streaming HDF5 pipeline must feed the model faster than the model eats, or the accelerator waits on data.

1. **Model throughput.** The BPNet preset compiled by specdsl's own route (a ``specdsl-train`` config →
   :func:`~specdsl.training.model_for_config.training_model` → :func:`~specdsl.backend.keras_model.
   build_keras_model`, compiled with :func:`~specdsl.training.losses.solo_losses` and Adam, as
   ``specdsl train`` does) against a BPNet of the identical layout written here with ``keras.layers``
   (BPReveal's solo model, reference ``bpreveal.md`` §1), compiled the same way.  The script stops
   unless both have the same parameter count *and*, with the weights copied across, the same outputs.
   Both train with ``model.fit`` on the same fixed in-memory stream of batches cut from the synthetic
   file; each measurement is one ``fit`` call of N steps after untimed warm-up steps (tracing), and
   the two models alternate (A B A B …) for several rounds so machine noise hits both; medians reported.
2. **Input pipeline.** :func:`~specdsl.training.profile_stream.make_dataset` over the same
   gzip-compressed synthetic HDF5 file, with jitter and shuffling as in training, iterated as ``fit``
   reads it on the backend (tf.data on TensorFlow, the prefetching ``PyDataset`` on JAX and
   PyTorch) with no model attached (one untimed epoch first; each timed epoch includes its
   iterator start), against the rate the specdsl model consumes examples in (1): goal ≥ 10×.

Everything runs on one Keras backend, ``--backend`` (default ``KERAS_BACKEND``, else the installed
default); the in-memory feed is ``tf.data`` on TensorFlow and an indexing ``PyDataset`` on the others.

The default geometry is the issue's (BPNet F=64, 9 layers, widths 25/75, 3142 → 1000, batch 64,
127,299 parameters); the number of timed steps adapts to the machine, so the same command suits a 2-core
CPU (about 2 minutes) and a GPU.  Run::

    .venv/bin/python benchmarks/bench_training.py              # table
    .venv/bin/python benchmarks/bench_training.py --markdown   # a block for docs/benchmarks.md
    .venv/bin/python benchmarks/bench_training.py --backend jax        # or torch, tensorflow
    .venv/bin/python benchmarks/bench_training.py --mixed      # mixed_float16 (for GPUs)
    .venv/bin/python benchmarks/bench_training.py --filters 32 --layers 6 --input-length 1350  # smaller
"""

from __future__ import annotations

import argparse
import json
import math
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

from machine_info import render_results, training_machine  # noqa: E402

from specdsl.backend.quiet import import_keras  # noqa: E402
from specdsl.backend.selection import BACKENDS, use_backend  # noqa: E402
from specdsl.config import load_config_text  # noqa: E402
from specdsl.formats.bpreveal_h5 import SEQUENCE  # noqa: E402
from specdsl.formats.synthetic_profiles import write_synthetic  # noqa: E402
from specdsl.training.plan import make_plan  # noqa: E402
from specdsl.training.profile_stream import make_dataset, profile_stream  # noqa: E402

HEAD = "h0"


@dataclass(frozen=True)
class Geometry:
    filters: int
    layers: int
    input_filter_width: int
    output_filter_width: int
    input_length: int
    tasks: int

    @property
    def output_length(self) -> int:
        # bpreveal.md §1: input − output = IFW + OFW + 2^(L+2) − 6
        return self.input_length - (self.input_filter_width + self.output_filter_width + 2 ** (self.layers + 2) - 6)

    @property
    def params(self) -> int:
        """bpreveal.md §2 for one head."""
        F = self.filters
        return (F * (4 * self.input_filter_width + 1) + self.layers * F * (3 * F + 1)
                + self.tasks * (F * self.output_filter_width + 1) + F + 1)

    @property
    def macs(self) -> int:
        """Multiply-accumulates of one forward pass (convolutions and the Dense; adds and pooling are free)."""
        F = self.filters
        n = self.input_length - self.input_filter_width + 1
        total = n * self.input_filter_width * 4 * F
        for i in range(self.layers):
            n -= 2 ** (i + 2)
            total += n * 3 * F * F
        return total + self.output_length * self.output_filter_width * F * self.tasks + F

    def describe(self) -> str:
        return (f"BPNet F={self.filters}, {self.layers} layers, widths {self.input_filter_width}/"
                f"{self.output_filter_width}, {self.input_length} → {self.output_length}, "
                f"1 head × {self.tasks} tasks")


# ---------------------------------------------------------------------------------------------
# The two models
# ---------------------------------------------------------------------------------------------


def specdsl_config(geo: Geometry, args: argparse.Namespace, data: Path) -> str:
    """A ``specdsl-train`` config for the BPNet preset at this geometry (what a user writes)."""
    return json.dumps({
        "kind": "specdsl-train", "output-prefix": str(data / "run"),
        "model": {"architecture": {"preset": "BPNet", "params": {
            "filters": geo.filters, "layers": geo.layers, "input_filter_width": geo.input_filter_width,
            "output_filter_width": geo.output_filter_width}},
            "input-length": geo.input_length, "output-length": geo.output_length},
        "heads": [{"head-name": HEAD, "num-tasks": geo.tasks, "profile-loss-weight": 1, "counts-loss-weight": 10}],
        "data": {"train": str(data / "train.h5"), "val": str(data / "train.h5"), "max-jitter": args.jitter},
        "optimizer": {"name": "adam", "learning-rate": args.learning_rate},
        "schedule": {"epochs": 1, "batch-size": args.batch},
        "runtime": {"seed": 0, "verbosity": "WARNING", "mixed-precision": args.mixed, "xla": args.xla},
    })


def build_specdsl(ir: Any, keras: Any) -> tuple[Any, Any]:
    """The model and losses exactly as ``specdsl.training.run`` makes them."""
    from specdsl.backend.keras_model import build_keras_model
    from specdsl.training.losses import solo_losses

    plan = make_plan(ir)
    heads = list(ir.heads)
    model = build_keras_model(plan.graph)
    losses = solo_losses([h.name for h in heads], [h.get("profile_loss_weight") for h in heads],
                         [h.get("counts_loss_weight") for h in heads], output_names=[o.layer for o in plan.outputs])
    return model, losses


def build_hand_written(geo: Geometry, ir: Any, output_names: Sequence[str], keras: Any) -> tuple[Any, Any]:
    """BPReveal's solo BPNet (reference §1) in plain ``keras.layers``, the losses from specdsl."""
    from specdsl.training.losses import solo_losses

    layers = keras.layers
    mixed = keras.config.dtype_policy().name.startswith("mixed")
    out_dtype = "float32" if mixed else None  # specdsl keeps output layers in float32 under mixed precision
    sequence = keras.Input((geo.input_length, 4), name="sequence")
    x = layers.Conv1D(geo.filters, geo.input_filter_width, padding="valid", activation="relu",
                      name="solo_initial_conv")(sequence)
    for i in range(geo.layers):
        conv = layers.Conv1D(geo.filters, 3, padding="valid", activation="relu", dilation_rate=2 ** (i + 1),
                             name=f"solo_conv_{i}")(x)
        crop = layers.Cropping1D(2 ** (i + 1), name=f"solo_crop{i}")(x)  # (prevLen − newLen) // 2
        x = layers.add([conv, crop], name=f"solo_add{i}")
    profile_name, counts_name = output_names
    profile = layers.Conv1D(geo.tasks, geo.output_filter_width, padding="valid", name=profile_name,
                            dtype=out_dtype)(x)
    pooled = layers.GlobalAveragePooling1D(name=f"solo_counts_gap_{HEAD}")(x)
    counts = layers.Dense(1, name=counts_name, dtype=out_dtype)(pooled)
    model = keras.Model(sequence, [profile, counts], name="solo_model")
    head = ir.heads[0]
    losses = solo_losses([head.name], [head.get("profile_loss_weight")], [head.get("counts_loss_weight")],
                         output_names=list(output_names))
    return model, losses


def compile_model(model: Any, losses: Any, ir: Any, keras: Any) -> None:
    """``model.compile`` as ``specdsl.training.run`` calls it (XLA when the config asks; on JAX always)."""
    from specdsl.training.devices import choose_devices

    optimizer = keras.optimizers.get({"class_name": ir.optimizer.name,
                                      "config": {"learning_rate": ir.optimizer.learning_rate}})
    model.compile(optimizer=optimizer, jit_compile=choose_devices(ir.runtime.device).jit_compile(ir.runtime.xla),
                  **losses.compile_kwargs())


def same_function(ours: Any, theirs: Any, x: Any) -> float:
    """Copy our weights into the hand-written model; the largest output difference (0 for the same net)."""
    a, b = ours.get_weights(), theirs.get_weights()
    if [w.shape for w in a] != [w.shape for w in b]:
        raise SystemExit("the weight shapes differ between the specdsl and the hand-written model:\n"
                         f"{[w.shape for w in a]}\n{[w.shape for w in b]}")
    theirs.set_weights(a)
    import keras
    import numpy as np

    diff = max(float(np.max(np.abs(keras.ops.convert_to_numpy(p).astype(np.float64)
                                    - keras.ops.convert_to_numpy(q).astype(np.float64))))
               for p, q in zip(ours(x, training=False), theirs(x, training=False)))
    theirs.set_weights(b)
    return diff


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


def batch_stream(path: Path, geo: Geometry, args: argparse.Namespace, names: Sequence[str], keras: Any
                 ) -> tuple[Any, Any]:
    """A fixed, repeating stream of ``--stream-batches`` batches held in memory, and one sample batch:
    ``tf.data`` on TensorFlow, a ``PyDataset`` that indexes the list on JAX and PyTorch."""
    stream = profile_stream(path, geo.input_length, geo.output_length, args.jitter, [geo.tasks], args.batch,
                            shuffle=True, seed=0, jitter=True, output_names=names, head_names=[HEAD])
    batches = [(b[SEQUENCE], {k: b[k] for k in names}) for _, b in zip(range(args.stream_batches), stream.run(0))]
    if len(batches) < args.stream_batches:
        raise SystemExit(f"--regions {args.regions} gives only {len(batches)} batches of {args.batch}")
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        x = tf.stack([b[0] for b in batches])
        y = {k: tf.stack([b[1][k] for b in batches]) for k in names}
        return tf.data.Dataset.from_tensor_slices((x, y)).repeat().prefetch(tf.data.AUTOTUNE), batches[0][0]

    class InMemory(keras.utils.PyDataset):
        def __len__(self) -> int:
            return 10**6  # fit takes steps_per_epoch of them

        def __getitem__(self, index: int) -> Any:
            return batches[index % len(batches)]

    return InMemory(), batches[0][0]


def fit_seconds(model: Any, stream: Any, steps: int) -> float:
    """Wall time of one ``fit`` call of ``steps`` steps (it returns only when the last step finished)."""
    start = time.perf_counter()
    model.fit(stream, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
    return time.perf_counter() - start


@dataclass
class Rates:
    label: str
    runs: list[float]  # regions per second

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


def measure_models(models: dict[str, Any], stream: Any, args: argparse.Namespace) -> tuple[dict[str, Rates], int]:
    """Warm up both, size N so one run lasts ≥ ``--min-seconds``, then alternate A B A B … for ``--rounds``."""
    step_seconds = []
    for model in models.values():
        fit_seconds(model, stream, args.warmup)  # traces the train step
        step_seconds.append(fit_seconds(model, stream, 2) / 2)
    steps = args.steps or max(3, math.ceil(args.min_seconds / min(step_seconds)))
    rates = {label: Rates(label, []) for label in models}
    for _ in range(args.rounds):
        for label, model in models.items():
            rates[label].runs.append(steps * args.batch / fit_seconds(model, stream, steps))
    return rates, steps


def measure_pipeline(path: Path, geo: Geometry, args: argparse.Namespace, names: Sequence[str]) -> tuple[Rates, int]:
    """Examples per second out of ``make_dataset`` (jitter, shuffle, training batches), no model attached."""
    ds = make_dataset(path, geo.input_length, geo.output_length, args.jitter, [geo.tasks], args.batch,
                      shuffle=True, seed=0, jitter=True, output_names=names, head_names=[HEAD])

    def batches() -> Any:  # one epoch, as fit reads it on this backend
        if hasattr(ds, "on_epoch_end"):  # a PyDataset (JAX, PyTorch)
            yield from (ds[i] for i in range(len(ds)))
            ds.on_epoch_end()
        else:
            yield from ds

    def epoch() -> tuple[int, float]:
        start, n = time.perf_counter(), 0
        for x, _ in batches():
            n += int(x.shape[0])
        return n, time.perf_counter() - start

    epoch()  # untimed: file cache warm, tf.data functions traced
    runs, spent = [], 0.0
    while len(runs) < args.pipeline_epochs or spent < args.min_seconds:
        n, seconds = epoch()
        runs.append(n / seconds)
        spent += seconds
    return Rates("make_dataset", runs), n


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def render(geo: Geometry, params: int, diff: float, model_rates: dict[str, Rates], steps: int,
           pipe: Rates, epoch_examples: int, info: dict[str, str], args: argparse.Namespace) -> str:
    ours, hand = model_rates["specdsl"], model_rates["hand-written"]
    ratio = ours.median / hand.median
    paired = [a / b for a, b in zip(ours.runs, hand.runs)]
    feed = pipe.median / ours.median
    precision = "mixed_float16" if args.mixed else "float32"
    gflops = 3 * 2 * geo.macs * ours.median / 1e9  # forward + backward ≈ 3 forward passes

    def spread(r: Rates) -> str:
        return f"{min(r.runs):,.1f}–{max(r.runs):,.1f}"

    xla = "always (JAX compiles every step)" if "JAX" in info["backend"] else ("on" if args.xla else "off")
    rows = [
        ("geometry", geo.describe(), f"{params:,} params both; {geo.macs / 1e6:,.0f} M MAC/region forward"),
        ("training setup", f"{info['backend']}, batch {args.batch}, {precision}, XLA {xla}",
         f"Adam, specdsl losses; {args.stream_batches} in-memory batches repeated; {args.warmup}+2 warm-up steps, "
         f"then {args.rounds} rounds × {steps} steps each, A B alternating"),
        ("same network", f"largest output difference {diff:.1e}", "specdsl weights copied into the hand-written model"),
        ("specdsl BPNet, training", f"{ours.median:,.1f} regions/s",
         f"median of {len(ours.runs)} (range {spread(ours)}); ≈{gflops:,.1f} GFLOP/s effective"),
        ("hand-written Keras BPNet, training", f"{hand.median:,.1f} regions/s",
         f"median of {len(hand.runs)} (range {spread(hand)})"),
        ("ratio specdsl / hand-written", f"{ratio:.3f}",
         f"per round: median {statistics.median(paired):.3f}, {min(paired):.3f}–{max(paired):.3f}; "
         "goal ≥ 0.97: " + ("met" if ratio >= 0.97 else "NOT met")),
        ("input pipeline `make_dataset`", f"{pipe.median:,.1f} regions/s",
         f"median of {len(pipe.runs)} epochs of {epoch_examples:,} regions (range {spread(pipe)}); "
         f"{args.regions:,}-region gzip file, jitter {args.jitter}, shuffled, no model"),
        ("ratio pipeline / model consumption", f"{feed:.2f}",
         "goal ≥ 10 (the model never waits on data, with room for a faster device): "
         + ("met" if feed >= 10 else "NOT met")),
    ]
    command = " ".join([".venv/bin/python", "benchmarks/bench_training.py", *args.argv])
    return render_results(rows, info, command, args.markdown)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    geo_args = parser.add_argument_group("geometry (the default is the issue's: BPNet F=64, 9 layers, 3142 → 1000)")
    geo_args.add_argument("--filters", type=int, default=64, help="filters F (default 64)")
    geo_args.add_argument("--layers", type=int, default=9, help="dilated residual layers L (default 9)")
    geo_args.add_argument("--input-filter-width", type=int, default=25, help="first conv width (default 25)")
    geo_args.add_argument("--output-filter-width", type=int, default=75, help="profile conv width (default 75)")
    geo_args.add_argument("--input-length", type=int, default=3142,
                          help="input length; the output length follows (default 3142 → 1000 at L=9, 25/75)")
    geo_args.add_argument("--tasks", type=int, default=2, help="tasks of the one head (default 2)")
    parser.add_argument("--batch", type=int, default=64, help="batch size (default 64)")
    parser.add_argument("--mixed", action="store_true", help="mixed_float16, as the config's mixed-precision")
    parser.add_argument("--xla", action="store_true", help="jit_compile=True, as the config's xla")
    parser.add_argument("--learning-rate", type=float, default=0.004, help="Adam learning rate (default 0.004)")
    parser.add_argument("--regions", type=int, default=2048, help="regions in the synthetic file (default 2048)")
    parser.add_argument("--jitter", type=int, default=100, help="max-jitter of the file (default 100)")
    parser.add_argument("--stream-batches", type=int, default=4,
                        help="distinct batches in the in-memory training stream (default 5)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed warm-up steps per model (default 3)")
    parser.add_argument("--steps", type=int, default=0,
                        help="timed steps per measurement (default: enough for --min-seconds)")
    parser.add_argument("--min-seconds", type=float, default=5.0,
                        help="least length of one measurement, model or pipeline (default 5)")
    parser.add_argument("--rounds", type=int, default=7, help="A B rounds (default 7)")
    parser.add_argument("--pipeline-epochs", type=int, default=3, help="least timed pipeline epochs (default 3)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown block for docs/benchmarks.md")
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help="Keras backend to measure on (default: KERAS_BACKEND, else the installed default)")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)

    geo = Geometry(args.filters, args.layers, args.input_filter_width, args.output_filter_width,
                   args.input_length, args.tasks)
    if geo.output_length < 1:
        parser.error(f"--input-length {geo.input_length} is too short: the output would be {geo.output_length}")
    use_backend(args.backend or "auto")
    keras = import_keras()
    keras.utils.set_random_seed(0)
    policy = keras.config.dtype_policy()
    print(f"{geo.describe()}; batch {args.batch}; {'mixed_float16' if args.mixed else 'float32'}; "
          f"{keras.backend.backend()}",
          file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="specdsl-bench-") as tmp:
        data = Path(tmp)
        write_synthetic(data / "train.h5", args.regions, geo.input_length, geo.output_length, args.jitter,
                        [geo.tasks], seed=0, compression="gzip")
        ir = load_config_text(specdsl_config(geo, args, data), "bench_training.json")
        if ir.runtime.mixed_precision:
            keras.config.set_dtype_policy("mixed_float16")  # as specdsl.training.run does
        try:
            ours, our_losses = build_specdsl(ir, keras)
            names = list(ours.output_names)
            hand, hand_losses = build_hand_written(geo, ir, names, keras)
            if ours.count_params() != hand.count_params():
                raise SystemExit(f"the parameter counts differ: specdsl {ours.count_params():,}, "
                                 f"hand-written {hand.count_params():,}")
            if ours.count_params() != geo.params:
                raise SystemExit(f"{ours.count_params():,} params, but bpreveal.md §2 gives {geo.params:,}")
            stream, sample = batch_stream(data / "train.h5", geo, args, names, keras)
            diff = same_function(ours, hand, sample)
            tolerance = 1e-2 if args.mixed else 1e-3
            if diff > tolerance:
                raise SystemExit(f"the two models compute different functions: max |Δ output| {diff:.3g}")
            compile_model(ours, our_losses, ir, keras)
            compile_model(hand, hand_losses, ir, keras)
            print("measuring the models …", file=sys.stderr, flush=True)
            model_rates, steps = measure_models({"specdsl": ours, "hand-written": hand}, stream, args)
        finally:
            keras.config.set_dtype_policy(policy)
        print("measuring the input pipeline …", file=sys.stderr, flush=True)
        pipe, epoch_examples = measure_pipeline(data / "train.h5", geo, args, names)
    print(render(geo, ours.count_params(), diff, model_rates, steps, pipe, epoch_examples, training_machine(), args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
