"""The same numbers on every Keras backend: for each head kind, one small model with shared weights gives
the same outputs, loss and SGD step on TensorFlow, JAX and PyTorch, and a ``.keras`` file saved on one
backend predicts the same on the others.

The backend the suite runs on computes the reference in this process; the others run
``tests/backend_probe.py`` in subprocesses (Keras picks its backend once per process), side by side.
A backend that is not installed is skipped with the command that adds it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from specdsl.cli import main
from specdsl.training.heads import all_head_kinds

PROBE = Path(__file__).with_name("backend_probe.py")
TOLERANCE = 1e-5  # of the largest magnitude of each array
INSTALL = {"tensorflow": "pip install 'specdsl[tensorflow]'", "jax": "pip install 'specdsl[jax]'",
           "torch": "pip install torch==2.13.0 (the CPU build; a plain 'torch' pulls a CUDA build of several GB)"}
CLASSES = ["3p", "5p", "CBC", "UMI", "cDNA", "polyT"]
ISOLATES = {"reader": "sequence-labels", "train": "ws/isolates/train.fa", "val": "ws/isolates/val.fa",
            "labels": ["ws/isolates/train.labels.csv", "ws/isolates/val.labels.csv"]}
CONFIGS = {  # one per head kind: small, and without dropout (its masks are each backend's own random numbers)
    "profile": {"model": {"architecture": {"preset": "BPNet", "params": {
        "filters": 8, "layers": 2, "input_filter_width": 7, "output_filter_width": 7}},
        "input-length": 124, "output-length": 100},
        "heads": [{"kind": "profile", "head-name": "h0", "num-tasks": 2, "profile-loss-weight": 1,
                   "counts-loss-weight": 10}],
        "data": {"reader": "bpreveal-h5", "train": "p.h5", "val": "p.h5"}},
    "binary": {"model": {"architecture": "conv[8@9]_mp[4]_flat_bn[momentum=0.9]_fc[8]"},
               "heads": [{"kind": "binary", "head-name": "calls", "targets": [".*"]}], "data": ISOLATES},
    "regression": {"model": {"architecture": "conv[8@9]_mp[4]_flat_fc[8]"},
                   "heads": [{"kind": "regression", "head-name": "level", "targets": ["isoniazid", "rifampicin"]}],
                   "data": ISOLATES},
    "multiclass": {"model": {"architecture": "conv[8@5]_mp[4]_gap_fc[8]"},
                   "heads": [{"kind": "multiclass", "head-name": "cap", "target": "cap_class",
                              "classes": ["cap_0", "cap_1", "cap_2", "cap_2-1"]}],
                   "data": {"reader": "signal-csv", "train": "caps/data__*.csv", "val": "caps/data__*.csv",
                            "target-length": 200}},
    "labels": {"model": {"architecture": "emb[6,8]_conv[8@5,pad=same]_blstm[8,seq=yes]"},
               "heads": [{"kind": "labels", "head-name": "segments", "target": "labels", "classes": CLASSES,
                          "decoder": "crf"}],
               "data": {"reader": "labelled-reads", "train": "tq/simulated_data/reads.h5",
                        "val": "tq/simulated_data/reads.h5", "train-fraction": 0.8}},
}


def _installed(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None


@pytest.fixture(scope="module")
def probed(tmp_path_factory) -> tuple[str, Path, dict[str, str]]:
    """Data, configs and every backend's numbers; (the reference backend, the results, why a backend is out)."""
    import keras
    from backend_probe import probe

    root = tmp_path_factory.mktemp("backends")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        for argv in (["make-data", "--train", "p.h5", "--val", "p.h5", "--input-length", "124", "--output-length",
                      "100", "--regions", "16", "--val-regions", "16"],
                     ["make-data", "workshop", "--out", "ws", "--isolates", "40"],
                     ["make-data", "capfinder", "--out", "caps", "--reads", "8"],
                     ["tranquillyzer", "simulate-data", "10x3p_sc_ont", "tq", "--num-reads", "40", "--min-cDNA", "20",
                      "--max-cDNA", "40", "--seed", "1"]):
            assert main(argv) == 0
        paths = []
        for kind, body in CONFIGS.items():
            path = root / f"{kind}.json"
            path.write_text(json.dumps({"kind": "specdsl-train", "output-prefix": f"out/{kind}",
                                        "schedule": {"batch-size": 8}, **body}))
            paths.append(str(path))
        reference = keras.backend.backend()
        for path in paths:  # the reference first: it saves the batch, the weights and the .keras file
            probe(path, root / "results" / Path(path).stem)
        others = [b for b in INSTALL if b != reference]
        missing = {b: INSTALL[b] for b in others if not _installed(b)}
        runs = [subprocess.Popen([sys.executable, str(PROBE), str(root / "results"), *paths], cwd=root,
                                 env={**os.environ, "KERAS_BACKEND": b, "TF_CPP_MIN_LOG_LEVEL": "3"},
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for b in others if b not in missing]
        for run in runs:
            output = run.communicate()[0]
            assert run.returncode == 0, output[-3000:]
    finally:
        os.chdir(cwd)
    return reference, root / "results", missing


def test_every_head_kind_is_in_the_matrix() -> None:
    assert set(CONFIGS) == set(all_head_kinds())


@pytest.mark.parametrize("backend", list(INSTALL))
@pytest.mark.parametrize("kind", list(CONFIGS))
def test_the_same_outputs_loss_and_step_on_every_backend(kind: str, backend: str, probed) -> None:
    reference, results, missing = probed
    if backend == reference:
        pytest.skip(f"{backend} is the reference the others are compared with")
    if backend in missing:
        pytest.skip(f"{backend} is not installed: {missing[backend]}")
    ref = np.load(results / kind / f"{reference}.npz")
    got = np.load(results / kind / f"{backend}.npz")
    assert sorted(ref.files) == sorted(got.files)
    assert any(k.startswith("weight:") for k in ref.files) and any(k.startswith("out:") for k in ref.files)
    for key in ref.files:
        scale = 1.0 + float(np.max(np.abs(ref[key])))
        np.testing.assert_allclose(got[key].astype(np.float64), ref[key].astype(np.float64), rtol=0,
                                   atol=TOLERANCE * scale, err_msg=f"{kind}: {key} on {backend} vs {reference}")
    for key in (k for k in ref.files if k.startswith("out:")):  # the .keras file saved on the reference backend
        np.testing.assert_allclose(got[key.replace("out:", "loaded:")], ref[key], rtol=0,
                                   atol=TOLERANCE * (1.0 + float(np.max(np.abs(ref[key])))))
