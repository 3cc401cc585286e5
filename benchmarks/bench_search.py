"""Search spaces and tuner trials: how fast `specdsl space` analyses points, how long sizing Capfinder's
cnn_lstm space takes, and specdsl's own overhead in a search trial.

1. Points analysed per second: `list_points` (what `specdsl space` runs: bind the point, infer every
   shape, count parameters and MACs exactly; no TensorFlow) over the first N points of the cnn_lstm space
   in grid order, over N random points of it, and over a small string space.
2. Sizing: a fresh process that imports specdsl, builds the cnn_lstm space and computes its exact size;
   and `specdsl space cnn_lstm --json --limit 0` end to end.
3. Trial overhead: a random search over a small conv/LSTM space on a 500 × 1 signal with NumPy data, each
   trial long enough (default ≥ 30 s on a 2-core CPU). The runner times every trial from its start to its
   end and, inside it, Keras's part (building the model, compiling and fitting it); specdsl's overhead is
   the rest of the trial: binding the point, analysing it, reading KerasTuner's hyperparameters, recording.
   The search's wall time beyond the trials (KerasTuner's oracle, the project files) is reported apart.

    python benchmarks/bench_search.py            # about 2 minutes
    python benchmarks/bench_search.py --quick    # a smoke run (short trials)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks.machine_info import render_results, training_machine  # noqa: E402
from specdsl.search import SearchSettings, Space, run_search  # noqa: E402
from specdsl.search.points import list_points  # noqa: E402

CNN_LSTM = {"target_length": 500, "num_classes": 4}
SMALL = "conv[{16,32,64}@{3,5,7,9},pad=same]_mp[{2,4}]_{1..3}x(conv[{16..64:16}@3,pad=same])_gap_fc[{8..64:8}]"
TRIAL_SPACE = "conv[{16,32}@{7,9},pad=same]_mp[4]_lstm[{16,24}]_dense[4,act=softmax]"


def points_per_second(space: Space, n: int, sample: bool) -> tuple[float, int]:
    start = time.perf_counter()
    listing = list_points(space, n, sample=sample, seed=0) if sample else list_points(space, n)
    seconds = time.perf_counter() - start
    return listing.scanned / seconds, listing.scanned


def sizing() -> dict[str, float]:
    code = ("import time; t = time.perf_counter(); from specdsl.search import Space; "
            f"s = Space.of('cnn_lstm', params={CNN_LSTM!r}); n = s.size; "
            "print(time.perf_counter() - t, n)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    start = time.perf_counter()
    listed = subprocess.run([sys.executable, "-c", "import sys; from specdsl.cli import main; sys.exit(main())",
                             "space", "cnn_lstm", "--json", "--limit", "0"], capture_output=True, text=True, check=True)
    assert json.loads(listed.stdout)["size"] == int(out[1])
    return {"import_and_size_s": float(out[0]), "size": int(out[1]), "cli_s": time.perf_counter() - start}


def trial_overhead(trials: int, examples: int, epochs: int) -> dict:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(examples, 500, 1)).astype("float32")
    y = rng.integers(0, 4, size=examples)
    x[np.arange(examples), 200 + 20 * y, 0] += 4.0  # a learnable mark
    split = int(examples * 0.8)
    fits: list[float] = []

    def fit(model, values, epochs_, extra):
        start = time.perf_counter()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x[:split], y[:split], validation_data=(x[split:], y[split:]), epochs=epochs_,
                            batch_size=32, verbose=0)
        fits.append(time.perf_counter() - start)
        return history.history

    space = Space.of(TRIAL_SPACE, input_shapes={"": (500, 1)})
    with tempfile.TemporaryDirectory() as folder:
        settings = SearchSettings(tuner="random_search", max_trials=trials, max_epochs=epochs, objective="val_loss",
                                  direction="min", directory=folder, project_name="bench", overwrite=True, seed=1,
                                  verbose=0)
        start = time.perf_counter()
        result = run_search(space, settings, fit_trial=fit)
        wall = time.perf_counter() - start
    rows = [{"trial": t.trial_id, "seconds": t.seconds, "keras": t.keras_seconds,
             "overhead": (t.seconds - t.keras_seconds) / t.seconds} for t in result.trials if t.status == "ok"]
    total, keras_total = sum(r["seconds"] for r in rows), sum(r["keras"] for r in rows)
    return {"trials": rows, "overall": (total - keras_total) / total, "wall": wall, "in_trials": total,
            "outside_trials": (wall - total) / wall, "fit_compile": sum(fits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=2000, help="points analysed per listing (default 2000)")
    parser.add_argument("--trials", type=int, default=3, help="search trials (default 3)")
    parser.add_argument("--examples", type=int, default=2400, help="training + validation examples per trial")
    parser.add_argument("--epochs", type=int, default=24, help="epochs per trial (default 24: ≥ 30 s on 2 cores)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 200 points, 2 short trials")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--markdown", action="store_true", help="print the table for docs/benchmarks.md")
    args = parser.parse_args()
    if args.quick:
        args.points, args.trials, args.examples, args.epochs = 200, 2, 400, 1

    cnn_lstm = Space.of("cnn_lstm", params=CNN_LSTM)
    small = Space.of(SMALL, input_shapes={"": (1000, 4)})
    random.seed(0)
    figures = {
        "cnn_lstm_grid": points_per_second(cnn_lstm, args.points, sample=False),
        "cnn_lstm_random": points_per_second(cnn_lstm, args.points, sample=True),
        "small_grid": points_per_second(small, args.points, sample=False),
        "sizing": sizing(),
        "trials": trial_overhead(args.trials, args.examples, args.epochs),
    }
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
        return
    s, t = figures["sizing"], figures["trials"]
    rows = []
    for key, label in (("cnn_lstm_grid", "cnn_lstm, first points in grid order"),
                       ("cnn_lstm_random", "cnn_lstm, random points"), ("small_grid", f"`{SMALL}` on 1000×4")):
        rate, n = figures[key]
        rows.append((f"points analysed per second: {label}", f"{rate:,.0f}", f"{n:,} points; goal ≥ 1,000"))
    rows.append(("size of the cnn_lstm space (fresh process: import, build, size)",
                 f"{s['import_and_size_s']:.2f} s", f"{s['size']:,} points"))
    rows.append(("`specdsl space cnn_lstm --json --limit 0`", f"{s['cli_s']:.2f} s",
                 "the whole command, process start included"))
    for r in t["trials"]:
        rows.append((f"trial {r['trial']}", f"{r['seconds']:.1f} s", f"Keras (build, compile, fit) {r['keras']:.2f} s; "
                     f"specdsl {r['seconds'] - r['keras']:.3f} s = {100 * r['overhead']:.2f} %"))
    rows.append(("specdsl's overhead per trial, all trials", f"{100 * t['overall']:.2f} %", "goal ≤ 10 %"))
    rows.append(("search wall time outside the trials", f"{100 * t['outside_trials']:.2f} %",
                 f"KerasTuner's oracle and project files: {t['wall'] - t['in_trials']:.2f} s of {t['wall']:.1f} s"))
    import tensorflow as tf

    command = "python benchmarks/bench_search.py" + (" --quick" if args.quick else "") + \
        (" --markdown" if args.markdown else "")
    print(render_results(rows, training_machine(tf, "keras-tuner"), command, args.markdown))

if __name__ == "__main__":
    main()
