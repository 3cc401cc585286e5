"""Seconds per epoch on TensorFlow, JAX and PyTorch: the same config, data and pipeline on each.

Why: a run's backend is a setting (``--backend``), so users need to know what each costs on
their machine.  Each model is trained by ``specdsl train`` as a user would (its reader, the
shared NumPy batching, the run's losses and callbacks), ``--epochs`` epochs per backend in a
fresh process; the first epoch compiles the step and is reported apart, the figure is the
median of the others.  Models: the demo-sized BPNet (BPReveal profiles, 2 tasks), DeepCpG
(CnnL2h128 + RnnL1 + JointL2h512, 3 cells), CnnLstmCrf with tranquillyzer's 10x3p defaults,
Capfinder's cnn_lstm (4 classes, 500 samples).

Run (about 20 minutes with ``--epochs 2`` on a 2-core CPU, half of it JAX compiling CnnLstmCrf)::

    .venv/bin/python benchmarks/bench_backends.py [--backends tensorflow,jax,torch] [--markdown]
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

from machine_info import cpu_model, render_results, usable_cores, version  # noqa: E402

# template → (data commands, overrides): small data, the template's model
MODELS = {
    "BPNet (demo size)": ("profile", [
        "make-data bpreveal --train data/train.h5 --val data/val.h5 --input-length 354 --output-length 250 "
        "--max-jitter 16 --tasks 2 --regions 1024 --val-regions 256"],
        ["--set", 'model.architecture={"preset": "BPNet", "params": {"filters": 32, "layers": 4, '
                  '"input_filter_width": 21, "output_filter_width": 25}}',
         "--set", "model.input-length=354", "--set", "model.output-length=250", "--set", "data.max-jitter=16",
         "--set", "schedule.batch-size=64"]),
    "DeepCpG CnnL2h128+RnnL1": ("deepcpg", None, ["--set", "schedule.batch-size=128"]),
    "CnnLstmCrf (10x3p)": ("labels", None, ["--set", "schedule.batch-size=32"]),
    "Capfinder cnn_lstm": ("signals", None, ["--set", "schedule.batch-size=64"]),
}

WORKER = r'''
import json, sys, time
sys.path.insert(0, sys.argv[1])
import keras
from specdsl.config.preflight import load_for_run
from specdsl.config.overrides import parse_sets
from specdsl.training.run import train

class Timer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)

sets = json.loads(sys.argv[3])
ir = load_for_run(sys.argv[2], parse_sets(sets))
timer = Timer()
train(ir, extra_callbacks=[timer])
print("RESULT " + json.dumps({"backend": keras.backend.backend(), "seconds": timer.seconds}))
'''


def prepare(folder: Path, template: str, commands: list[str] | None) -> Path:
    from specdsl.cli import main
    from specdsl.config.starters import all_starters

    here = os.getcwd()
    os.chdir(folder)
    try:
        config = folder / f"{template}.json"
        assert main(["init", template, "-o", str(config), "--force"]) == 0
        import glob
        import shlex

        for command in commands or all_starters()[template].data:
            words = [m for w in shlex.split(command) for m in (sorted(glob.glob(w)) if "*" in w else [w])]
            assert main(words) == 0, command
        return config
    finally:
        os.chdir(here)


def epoch_seconds(folder: Path, config: Path, backend: str, sets: list[str], epochs: int, gpu: bool) -> list[float]:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if not gpu:
        env["CUDA_VISIBLE_DEVICES"] = ""
    sets = [*sets, "--set", f"schedule.epochs={epochs}", "--set", f"output-prefix={folder}/runs/{backend}",
            "--set", f"runtime.device={'gpu' if gpu else 'cpu'}"]
    values = [s for s in sets if s != "--set"]
    done = subprocess.run([sys.executable, "-c", WORKER, str(ROOT), str(config), json.dumps(values)], cwd=folder,
                          env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{backend} failed on {config.name}:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])["seconds"]


def gpu_name() -> str:
    done = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                          capture_output=True, text=True)
    return done.stdout.strip().replace("\n", "; ") or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="tensorflow,jax,torch")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated names from the table")
    parser.add_argument("--gpu", action="store_true", help="train on the GPU (runtime.device gpu), not the CPU")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    backends = args.backends.split(",")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            template, commands, sets = MODELS[name]
            folder = Path(tmp) / template
            folder.mkdir()
            config = prepare(folder, template, commands)
            cells = []
            for backend in backends:
                started = time.monotonic()
                seconds = epoch_seconds(folder, config, backend, sets, args.epochs, args.gpu)
                steady = statistics.median(seconds[1:]) if len(seconds) > 1 else seconds[0]
                cells.append(f"{steady:.1f} s (first {seconds[0]:.1f} s)")
                print(f"{name} on {backend}: epochs {[round(s, 1) for s in seconds]} s, "
                      f"{time.monotonic() - started:.0f} s in all", file=sys.stderr)
            rows.append((name, " · ".join(f"{b}: {c}" for b, c in zip(backends, cells)),
                         f"s/epoch, {'GPU' if args.gpu else 'CPU'}"))
    import platform

    info = {"CPU": cpu_model(), "cores": f"{usable_cores()} usable of {os.cpu_count()}",
            "GPU": gpu_name() if args.gpu else "not used (CPU only)",
            "OS": f"{platform.system()} {platform.release()}", "Python": platform.python_version(),
            **{name: version(name) for name in ("keras", "tensorflow", "jax", "torch")}}
    command = "python benchmarks/bench_backends.py " + " ".join(sys.argv[1:])
    print(render_results(rows, info, command, args.markdown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
