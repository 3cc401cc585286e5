"""Search spaces and tuner trials: how fast `specdsl space` analyses points, how long sizing Capfinder's
cnn_lstm space takes, and specdsl's own overhead in a search trial.

1. **Points analysed per second.**  :func:`specdsl.language.spaces.points.list_points`, what ``specdsl space``
   runs: bind the point, infer every shape, count parameters and MACs exactly; no TensorFlow.  Over the
   first ``--points`` points of the cnn_lstm space (``target_length=500, num_classes=4``) in grid
   order, over as many random points of it, and over a small string space.  Goal: ≥ 1,000 a second.
2. **Sizing.**  A fresh process imports specdsl, builds the cnn_lstm space and computes its exact size
   (computed, not enumerated: about 2.3 × 10²⁴ points), each step timed; and the whole
   ``specdsl space cnn_lstm --json --limit 0`` command, process start included.
3. **specdsl's overhead per trial.**  ``run_search`` (random search, ``--trials`` trials) over a small
   conv/LSTM space on a 500 × 1 signal with NumPy data, ``--epochs`` epochs a trial so each takes ≥ 30 s
   on a 2-core CPU.  ``fit_trial`` times ``model.compile`` and ``model.fit``; after the search, each
   trial's model is built again through the normal backend (``build_keras_model(space.graph(values))``)
   and timed as a peer.  The overhead of a trial is ``(wall − build − compile − fit) / wall``, its wall
   time being the runner's (from the start of ``run_trial`` to the end of ``on_trial_end``).  What that
   remainder is made of is measured the same way: ``keras.backend.clear_session()`` (which the runner
   calls before each build) and specdsl's own Python work (reading KerasTuner's values, binding and
   analysing the point, the oracle's pruning check).  The runner's own clock of the trial's Keras part
   (``TrialRecord.keras_seconds``) is shown as a cross-check.  Importing TensorFlow and KerasTuner
   (once a process) and the search's time outside its trials (KerasTuner's oracle, its files) are
   reported apart.

Run (2½–3½ minutes on a 2-core CPU, depending on its load)::

    .venv/bin/python benchmarks/bench_search.py
    .venv/bin/python benchmarks/bench_search.py --markdown     # a block for docs/benchmarks.md
    .venv/bin/python benchmarks/bench_search.py --quick        # a smoke run: short trials (seconds)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from machine_info import render_results, training_machine  # noqa: E402

from specdsl.language.spaces.points import list_points  # noqa: E402
from specdsl.language.spaces.space import Space  # noqa: E402
from specdsl.search import SearchSettings, run_search  # noqa: E402

CNN_LSTM = {"target_length": 500, "num_classes": 4}
SMALL = "conv[{16,32,64}@{3,5,7,9},pad=same]_mp[{2,4}]_{1..3}x(conv[{16..64:16}@3,pad=same])_gap_fc[{8..64:8}]"
TRIAL_SPACE = "conv[{16,32}@{7,9},pad=same]_mp[4]_lstm[{16,24}]_dense[4,act=softmax]"
SIZE_CHILD = ("import time; t0 = time.perf_counter(); from specdsl.search import Space; t1 = time.perf_counter(); "
              f"s = Space.of('cnn_lstm', params={CNN_LSTM!r}); t2 = time.perf_counter(); n = s.size; "
              "t3 = time.perf_counter(); print(t1 - t0, t2 - t1, t3 - t2, n)")
CLI_CHILD = "import sys; from specdsl.cli import main; sys.exit(main())"


def points_per_second(space: Space, n: int, sample: bool) -> dict[str, float]:
    """What ``specdsl space`` runs, over ``n`` points (grid order from point 0, or random ones)."""
    start = time.perf_counter()
    listing = list_points(space, n, sample=sample, seed=0)
    seconds = time.perf_counter() - start
    return {"per_second": listing.scanned / seconds, "scanned": listing.scanned, "listed": len(listing.points),
            "pruned": listing.pruned, "seconds": seconds}


def sizing() -> dict[str, float]:
    """A fresh process: import, build and size the cnn_lstm space; then ``specdsl space`` end to end."""
    out = subprocess.run([sys.executable, "-c", SIZE_CHILD], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.split()
    start = time.perf_counter()
    listed = subprocess.run([sys.executable, "-c", CLI_CHILD, "space", "cnn_lstm", "--json", "--limit", "0"],
                            capture_output=True, text=True, check=True, cwd=ROOT)
    cli = time.perf_counter() - start
    size = int(out[3])
    assert json.loads(listed.stdout)["size"] == size
    return {"import_s": float(out[0]), "build_s": float(out[1]), "size_s": float(out[2]), "size": size,
            "cli_s": cli}


def timed(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def trial_overhead(trials: int, examples: int, epochs: int) -> dict:
    import numpy as np

    _, import_s = timed(__import__, "keras_tuner")  # TensorFlow, Keras and KerasTuner: once a process
    import keras

    from specdsl.backend.keras_model import build_keras_model
    from specdsl.search.tuners import point_problem

    rng = np.random.default_rng(0)
    x = rng.normal(size=(examples, 500, 1)).astype("float32")
    y = rng.integers(0, 4, size=examples)
    x[np.arange(examples), 200 + 20 * y, 0] += 4.0  # a learnable mark
    split = int(examples * 0.8)
    calls: list[dict] = []

    def fit(model, values, epochs_, extra):
        start = time.perf_counter()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        compiled = time.perf_counter()
        history = model.fit(x[:split], y[:split], validation_data=(x[split:], y[split:]), epochs=epochs_,
                            batch_size=32, verbose=0)
        calls.append({"values": dict(values), "compile": compiled - start, "fit": time.perf_counter() - compiled})
        return history.history

    space = Space.of(TRIAL_SPACE, input_shapes={"": (500, 1)})
    shapes = space.input_shapes
    with tempfile.TemporaryDirectory() as folder:
        settings = SearchSettings(tuner="random_search", max_trials=trials, max_epochs=epochs, objective="val_loss",
                                  direction="min", directory=folder, project_name="bench", overwrite=True, seed=1,
                                  verbose=0)
        result, wall = timed(run_search, space, settings, fit)
    done = [t for t in result.trials if t.status == "ok"]
    assert len(done) == len(calls) and all(t.values == c["values"] for t, c in zip(done, calls)), "trials ≠ fits"

    rows = []
    for t, c in zip(done, calls):  # the peers, in the same process, after the search
        _, clear = timed(keras.backend.clear_session)
        own = []
        for _ in range(5):  # specdsl's own work for a trial: the oracle's check, then the runner's analysis
            _, check = timed(point_problem, space, t.values, shapes, None)
            graph, analyse = timed(space.graph, t.values, shapes)
            own.append(check + analyse)
        _, build = timed(build_keras_model, graph)
        rest = t.seconds - build - c["compile"] - c["fit"]
        rows.append({"trial": t.trial_id, "values": t.values, "params": t.params, "wall": t.seconds,
                     "build": build, "compile": c["compile"], "fit": c["fit"], "overhead_s": rest,
                     "overhead": rest / t.seconds, "clear_session": clear, "specdsl_python": statistics.median(own),
                     "runner_keras": t.keras_seconds, "runner_overhead": (t.seconds - t.keras_seconds) / t.seconds})
    in_trials = sum(r["wall"] for r in rows)
    keras_part = sum(r["build"] + r["compile"] + r["fit"] for r in rows)
    return {"trials": rows, "overall": (in_trials - keras_part) / in_trials, "in_trials": in_trials,
            "search_wall": wall, "outside_trials": wall - in_trials, "import_s": import_s,
            "everything": (wall + import_s - keras_part) / (wall + import_s)}


def table(figures: dict) -> list[tuple[str, str, str]]:
    rows = []
    for key, label in (("cnn_lstm_grid", "cnn_lstm, first points in grid order"),
                       ("cnn_lstm_random", "cnn_lstm, random points"), ("small_grid", f"`{SMALL}` on 1000×4")):
        p = figures[key]
        pruned = f" ({p['pruned']:,} of them impossible, pruned)" if p["pruned"] else ""
        rows.append((f"points analysed per second: {label}", f"{p['per_second']:,.0f}",
                     f"{p['scanned']:,} points{pruned} in {p['seconds']:.2f} s; goal ≥ 1,000"))
    s = figures["sizing"]
    rows.append(("size of the cnn_lstm space, fresh process", f"{s['import_s'] + s['build_s'] + s['size_s']:.2f} s",
                 f"{s['size']:,} points; import specdsl {s['import_s']:.2f} s, build the space "
                 f"{1000 * s['build_s']:.0f} ms, size it {1000 * s['size_s']:.1f} ms"))
    rows.append(("`specdsl space cnn_lstm --json --limit 0`", f"{s['cli_s']:.2f} s",
                 "the whole command, process start included"))
    t = figures["trials"]
    for r in t["trials"]:
        rows.append((f"trial {r['trial']} ({r['params']:,} parameters)", f"{r['wall']:.1f} s",
                     f"build {r['build']:.2f} s, compile {1000 * r['compile']:.0f} ms, fit {r['fit']:.1f} s; "
                     f"the rest {r['overhead_s']:.2f} s = {100 * r['overhead']:.2f} % (clear_session "
                     f"{r['clear_session']:.2f} s, specdsl's own Python {1000 * r['specdsl_python']:.1f} ms); "
                     f"runner's clock: {100 * r['runner_overhead']:.2f} %"))
    rows.append(("overhead per trial beyond build, compile and fit, all trials", f"{100 * t['overall']:.2f} %",
                 "goal ≤ 10 %"))
    rows.append(("importing TensorFlow, Keras and KerasTuner", f"{t['import_s']:.1f} s", "once a process"))
    rows.append(("search wall time outside the trials", f"{t['outside_trials']:.2f} s",
                 f"of {t['search_wall']:.1f} s: KerasTuner's oracle and project files"))
    rows.append(("everything beyond build, compile and fit", f"{100 * t['everything']:.2f} %",
                 "the imports and the whole search included"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=2000, help="points analysed per listing (default 2000)")
    parser.add_argument("--trials", type=int, default=3, help="search trials (default 3)")
    parser.add_argument("--examples", type=int, default=2400, help="training + validation examples (default 2400)")
    parser.add_argument("--epochs", type=int, default=27, help="epochs a trial (default 27: ≥ 30 s on 2 cores)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 200 points, 2 one-epoch trials")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--markdown", action="store_true", help="print the table for docs/benchmarks.md")
    args = parser.parse_args()
    if args.quick:
        args.points, args.trials, args.examples, args.epochs = 200, 2, 400, 1

    cnn_lstm = Space.of("cnn_lstm", params=CNN_LSTM)
    small = Space.of(SMALL, input_shapes={"": (1000, 4)})
    figures = {
        "cnn_lstm_grid": points_per_second(cnn_lstm, args.points, sample=False),
        "cnn_lstm_random": points_per_second(cnn_lstm, args.points, sample=True),
        "small_grid": points_per_second(small, args.points, sample=False),
        "sizing": sizing(),
        "trials": trial_overhead(args.trials, args.examples, args.epochs),
    }
    import tensorflow as tf

    figures["machine"] = training_machine(tf, "keras-tuner")
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
        return
    flags = [f"--{k} {getattr(args, k)}" for k, d in (("points", 2000), ("trials", 3), ("examples", 2400),
                                                      ("epochs", 27)) if getattr(args, k) != d and not args.quick]
    command = " ".join([".venv/bin/python benchmarks/bench_search.py", *flags, *(["--quick"] if args.quick else []),
                        *(["--markdown"] if args.markdown else [])])
    print(render_results(table(figures), figures["machine"], command, args.markdown))


if __name__ == "__main__":
    main()
