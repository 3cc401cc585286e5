"""Two JAX processes on this machine train the model one process trains, and only process 0 writes.

The processes join through Keras' variables (``KERAS_DISTRIBUTION_JOB_ADDRESSES`` with the
coordinator on 127.0.0.1, ``…_NUM_PROCESSES``, ``…_PROCESS_ID``) and all-reduce over JAX's CPU
collectives, as ranks of a cluster job would; see docs/devices.md for the Slurm recipe.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax")

SMALL_BPNET = ["--set", 'model.architecture={"preset": "BPNet", "params": {"filters": 8, "layers": 3}}',
               "--set", "model.input-length=326", "--set", "model.output-length=200",
               "--set", "schedule.epochs=2", "--set", "schedule.batch-size=16", "--set", "runtime.seed=3"]


def _specdsl(*args: str) -> list[str]:
    return [sys.executable, "-m", "specdsl", *args]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run on one process (``one/m``) and the same run on two processes (``two/m``)."""
    folder = tmp_path_factory.mktemp("processes")
    scratch = folder / "tmp"
    scratch.mkdir()
    env = {**os.environ, "KERAS_BACKEND": "jax", "TMPDIR": str(scratch)}
    for command in (["init", "profile", "-o", "profile.json"],
                    ["make-data", "bpreveal", "--train", "data/train.h5", "--val", "data/val.h5", "--input-length",
                     "326", "--output-length", "200", "--regions", "48", "--val-regions", "32"]):
        subprocess.run(_specdsl(*command), cwd=folder, env=env, check=True, capture_output=True)
    train = ["train", "profile.json", "--backend", "jax", *SMALL_BPNET]
    single = subprocess.run(_specdsl(*train, "--set", "output-prefix=one/m"), cwd=folder, env=env,
                            capture_output=True, text=True, timeout=300)
    assert single.returncode == 0, single.stderr[-3000:]
    joined = {**env, "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"127.0.0.1:{_free_port()}",
              "KERAS_DISTRIBUTION_NUM_PROCESSES": "2"}
    ranks = [subprocess.Popen(_specdsl(*train, "--set", "output-prefix=two/m"), cwd=folder, text=True,
                              env={**joined, "KERAS_DISTRIBUTION_PROCESS_ID": str(rank)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for rank in (0, 1)]
    for rank, process in enumerate(ranks):
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
        (folder / f"rank{rank}.out").write_text(out)
        (folder / f"rank{rank}.err").write_text(err)
    return folder


def test_two_processes_train_the_model_one_process_trains(runs: Path) -> None:
    import keras

    one, two = (keras.saving.load_model(runs / f"{name}/m.keras") for name in ("one", "two"))
    for a, b in zip(one.get_weights(), two.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, atol=1e-5, rtol=1e-5)
    first, second = (json.loads((runs / f"{name}/m.history.json").read_text()) for name in ("one", "two"))
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(second[key], first[key], rtol=1e-5)


def test_the_run_says_it_spans_two_processes(runs: Path) -> None:
    assert "(DataParallel, 2 processes)" in (runs / "rank0.err").read_text()
    assert "process 1 of 2: trained in step with process 0, which wrote the artifacts" in (
        runs / "rank1.out").read_text()
    assert "epoch 1/2" not in (runs / "rank1.err").read_text()  # one progress display, process 0's


def test_only_process_0_writes_artifacts(runs: Path) -> None:
    assert sorted(p.name for p in (runs / "two").iterdir()) == sorted(p.name for p in (runs / "one").iterdir())
    assert not list((runs / "tmp").glob("specdsl-process-*"))  # process 1's scratch copy of the run is gone
