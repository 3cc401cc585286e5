"""Several devices train as one: two logical CPUs, TensorFlow's MirroredStrategy and Keras' JAX
DataParallel, match a one-device run to 1e-5 relative; ``runtime.device`` chooses and says so.

Device layouts are fixed when a backend starts, so each two-device run is a subprocess that sets
them before TensorFlow or JAX load (``tf.config.set_logical_device_configuration``,
``XLA_FLAGS=--xla_force_host_platform_device_count=2``).  The data leave a partial last batch
(11 examples at batch 4: the last 3 split 2 + 1 on TensorFlow, cut to 2 on JAX) and the binary
labels have unknown (−1) entries, so the replicas see different numbers of observed labels.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from specdsl.errors import SpecError
from specdsl.training.devices import Devices, check_batch_size, choose_devices

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-5

# Run in a subprocess: argv = backend, out.json.  Trains the same few SGD steps of one model with
# specdsl's masked binary loss and BPReveal's profile and counts losses on one device and on two,
# and writes the largest relative weight difference, both histories and the printed device lines.
WORKER = r'''
import json, os, sys
backend, out = sys.argv[1], sys.argv[2]
if backend == "tensorflow":
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import dataclasses, types
import numpy as np
import keras
from rich.console import Console
from specdsl.errors import SpecError
from specdsl.training.batching import indexed_stream
from specdsl.training.devices import adapt_batches, choose_devices, training_devices
from specdsl.training.keras_batches import keras_batches
from specdsl.training.losses import LossMean, MultinomialNLL, ReweightableMSE
from specdsl.training.masked import MaskedBinaryCrossentropy

console = Console(stderr=True, width=200)
two = choose_devices("cpu")
one = dataclasses.replace(two, names=two.names[:1], labels=two.labels[:1], handles=two.handles[:1])
rng = np.random.default_rng(0)
LABELS = rng.integers(0, 2, size=(11, 3)).astype("float32")
LABELS[rng.random((11, 3)) < 0.4] = -1.0
SEQ = rng.normal(size=(11, 16, 4)).astype("float32")
PROFILE = rng.poisson(3.0, size=(11, 16, 2)).astype("float32")
COUNTS = np.log(PROFILE.sum(axis=(1, 2)) + 1.0)[:, None].astype("float32")

def model():
    """Masked binary labels, a BPReveal profile and its log counts, from one small body."""
    x = keras.Input((16, 4))
    h = keras.layers.Conv1D(4, 3, padding="same", activation="relu", name="body")(x)
    pooled = keras.layers.GlobalAveragePooling1D()(h)
    outputs = {"o": keras.layers.Dense(3, activation="sigmoid", name="o")(pooled),
               "p": keras.layers.Conv1D(2, 3, padding="same", name="p")(h),
               "c": keras.layers.Dense(1, name="c")(pooled)}
    model = keras.Model(x, outputs)
    losses = {"o": MaskedBinaryCrossentropy(), "p": MultinomialNLL(), "c": ReweightableMSE(3.0)}
    model.compile(optimizer=keras.optimizers.SGD(0.005), loss=losses,
                  metrics={k: [LossMean(losses[k])] for k in ("p", "c")})
    return model

def run(devices, n):
    with training_devices(types.SimpleNamespace(device="cpu"), console, devices):
        keras.utils.set_random_seed(1)
        net = model()
        fields = {"x": SEQ[:n], "o": LABELS[:n], "p": PROFILE[:n], "c": COUNTS[:n]}

        def batches():
            stream = indexed_stream(n, lambda at, seed: {k: v[at] for k, v in fields.items()}, batch_size=4,
                                    shuffle=False, seed=0)
            return keras_batches(adapt_batches(stream, devices, batch_size=4, examples=n),
                                 lambda b: (b["x"], {k: b[k] for k in ("o", "p", "c")}))

        history = net.fit(batches(), validation_data=batches(), epochs=2, shuffle=False, verbose=0).history
    return net.get_weights(), {k: [float(v) for v in vs] for k, vs in history.items()}

def rel(a, b):
    return max(float(np.max(np.abs(x - y)) / max(float(np.max(np.abs(x))), 1e-12)) for x, y in zip(a, b))

# TensorFlow splits the partial batch of 3 unevenly; JAX cuts it to 2, so its reference has 10 examples.
w1, h1 = run(one, 11 if backend == "tensorflow" else 10)
w2, h2 = run(two, 11)
report = {"devices": [two.describe(), one.describe()], "rel": rel(w1, w2), "one": h1, "two": h2}
try:
    choose_devices("gpu")
except SpecError as err:
    report["gpu"] = {"message": err.message, "path": err.path, "hint": err.hint}
json.dump(report, open(out, "w"))
'''


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "XLA_FLAGS")}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES="", **extra)
    return env


def _worker(tmp_path: Path, backend: str, **env: str) -> dict:
    script, out = tmp_path / "worker.py", tmp_path / "report.json"
    script.write_text(WORKER)
    done = subprocess.run([sys.executable, str(script), backend, str(out)], capture_output=True, text=True,
                          env=_env(**env), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    report["stderr"] = done.stderr
    return report


@pytest.mark.slow
def test_mirrored_strategy_on_two_cpus_matches_one_device(tmp_path: Path) -> None:
    report = _worker(tmp_path, "tensorflow")
    assert report["devices"] == ["training with TensorFlow on 2 devices: /cpu:0, /cpu:1 (MirroredStrategy)",
                                 "training with TensorFlow on 1 device: /cpu:0"]
    assert "training with TensorFlow on 2 devices: /cpu:0, /cpu:1 (MirroredStrategy)" in report["stderr"]
    assert report["rel"] < TOLERANCE, report["rel"]
    # The losses logged as metrics are the whole batch's on two replicas too (not 1/2 of it).
    one, two = report["one"], report["two"]
    for key in ("p_multinomial_nll", "c_reweightable_mse", "val_p_multinomial_nll", "val_c_reweightable_mse"):
        np.testing.assert_allclose(two[key], one[key], rtol=TOLERANCE, err_msg=key)
    assert report["gpu"]["path"] == "runtime.device" and "TensorFlow sees no GPU" in report["gpu"]["message"]


@pytest.mark.slow
def test_jax_data_parallel_on_two_cpus_matches_one_device(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    report = _worker(tmp_path, "jax", KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2")
    assert report["devices"] == ["training with JAX on 2 devices: cpu:0, cpu:1 (DataParallel)",
                                 "training with JAX on 1 device: cpu:0"]
    assert report["rel"] < TOLERANCE, report["rel"]
    for key in ("loss", "val_loss", "o_loss", "val_p_multinomial_nll"):
        np.testing.assert_allclose(report["two"][key], report["one"][key], rtol=TOLERANCE, err_msg=key)
    assert report["gpu"]["path"] == "runtime.device" and "JAX sees no GPU" in report["gpu"]["message"]
    assert "CUDA_VISIBLE_DEVICES=''" in report["gpu"]["message"]


INPUT, OUTPUT = 64, 44


def _run_settings(tmp: Path, device: str | None, prefix: str = "run") -> dict:
    runtime = {"seed": 3, "verbosity": "WARNING", **({"device": device} if device else {})}
    return {"kind": "specdsl-train", "output-prefix": f"{tmp}/{prefix}",
            "model": {"architecture": {"preset": "BPNet", "params": {"filters": 4, "layers": 2,
                                                                     "input_filter_width": 5,
                                                                     "output_filter_width": 5}},
                      "input-length": INPUT, "output-length": OUTPUT},
            "heads": [{"head-name": "h0", "num-tasks": 2, "profile-loss-weight": 1, "counts-loss-weight": 2}],
            "data": {"train": f"{tmp}/train.h5", "val": f"{tmp}/val.h5", "max-jitter": 0},
            "optimizer": {"name": "sgd", "learning-rate": 0.0005},
            "schedule": {"epochs": 2, "batch-size": 4},
            "runtime": runtime}


def _run_config(tmp: Path, device: str | None, prefix: str = "run") -> Path:
    path = tmp / f"{prefix}.json"
    path.write_text(json.dumps(_run_settings(tmp, device, prefix), indent=1))
    return path


@pytest.fixture
def run_data(tmp_path: Path) -> Path:
    from specdsl.formats.synthetic_profiles import write_synthetic

    # One training batch per epoch: Keras' TF trainer under a tf.distribute strategy starts one
    # extra pass over the training data before the first epoch (to build the model), so a
    # dataset reshuffled every pass would train in another order than on one device.
    for name, n, seed in (("train", 4, 0), ("val", 10, 1)):
        write_synthetic(tmp_path / f"{name}.h5", n, INPUT, OUTPUT, 0, [2], seed=seed)
    return tmp_path


_CLI_ON_TWO_CPUS = ("import sys, tensorflow as tf; "
                    "tf.config.set_logical_device_configuration(tf.config.list_physical_devices('CPU')[0], "
                    "[tf.config.LogicalDeviceConfiguration()] * 2); "
                    "from specdsl.cli import main; sys.exit(main(['train', sys.argv[1]]))")


@pytest.mark.slow
def test_a_run_on_two_cpus_delivers_the_one_device_model(run_data: Path) -> None:
    """The real run (``specdsl train``, runtime.device cpu) on two logical CPUs against one."""
    import keras

    from specdsl.config import load_config
    from specdsl.training.run import train

    single = train(load_config(str(_run_config(run_data, "cpu", "one"))))
    done = subprocess.run([sys.executable, "-c", _CLI_ON_TWO_CPUS, str(_run_config(run_data, "cpu", "two"))],
                          capture_output=True, text=True, env=_env(), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "training with TensorFlow on 2 devices: /cpu:0, /cpu:1 (MirroredStrategy)" in done.stderr
    one = keras.saving.load_model(run_data / "one.keras").get_weights()
    two = keras.saving.load_model(run_data / "two.keras").get_weights()
    assert max(float(np.max(np.abs(a - b)) / np.max(np.abs(a))) for a, b in zip(one, two)) < TOLERANCE
    history = json.loads((run_data / "two.history.json").read_text())
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(history[key], single.history[key], rtol=TOLERANCE, err_msg=key)
    key = "val_solo_profile_h0_multinomial_nll"  # logged through LossMean: not halved on two replicas
    np.testing.assert_allclose(history[key], single.history[key], rtol=TOLERANCE, err_msg=key)


def _skip_unless_tensorflow_without_gpu() -> None:
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("checks TensorFlow's device list")
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")


def test_gpu_asked_without_one_is_refused_in_plain_words() -> None:
    _skip_unless_tensorflow_without_gpu()
    with pytest.raises(SpecError) as info:
        choose_devices("gpu")
    err = info.value
    assert err.path == "runtime.device"
    assert "device 'gpu' was asked for, but TensorFlow sees no GPU" in err.message
    assert "nvidia-smi" in (err.hint or "") and "runtime.device to auto or cpu" in (err.hint or "")


def test_cpu_and_auto_use_the_cpu_here() -> None:
    _skip_unless_tensorflow_without_gpu()
    for setting in ("cpu", "auto"):
        devices = choose_devices(setting)
        assert devices.kind == "cpu" and devices.count >= 1 and devices.distribution in (None, "MirroredStrategy")


@pytest.mark.slow
def test_the_cli_refuses_gpu_without_one_and_writes_nothing(run_data: Path) -> None:
    _skip_unless_tensorflow_without_gpu()
    config = _run_config(run_data, "gpu")
    before = sorted(p.name for p in run_data.iterdir())
    done = subprocess.run([sys.executable, "-m", "specdsl", "train", str(config)], capture_output=True, text=True,
                          env=_env(), timeout=300)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert "runtime.device: device 'gpu' was asked for, but TensorFlow sees no GPU" in done.stderr
    assert "nvidia-smi" in done.stderr
    assert not (run_data / "run.keras").exists() and not (run_data / "run.history.json").exists()
    assert sorted(p.name for p in run_data.iterdir()) == before  # refused before the lock file, too
    assert f"{config}:" in done.stderr  # positioned at the config key


def test_description_names_devices_and_distribution() -> None:
    tf2 = Devices("tensorflow", "gpu", ("/device:GPU:0", "/device:GPU:1"), ("/gpu:0", "/gpu:1"))
    assert tf2.describe() == "training with TensorFlow on 2 devices: /gpu:0, /gpu:1 (MirroredStrategy)"
    assert tf2.jit_compile(True) is False  # Keras cannot run an XLA-compiled MirroredStrategy step
    jax4 = Devices("jax", "gpu", tuple(f"gpu:{i}" for i in range(4)), tuple(f"gpu:{i}" for i in range(4)),
                   processes=2)
    assert jax4.describe().endswith("(DataParallel, 2 processes)") and jax4.jit_compile(True)
    one = Devices("tensorflow", "cpu", ("/device:CPU:0",), ("/cpu:0",))
    assert one.describe() == "training with TensorFlow on 1 device: /cpu:0" and one.distribution is None


def test_jax_batch_sizes_must_split_over_the_devices() -> None:
    jax2 = Devices("jax", "gpu", ("gpu:0", "gpu:1"), ("gpu:0", "gpu:1"))
    check_batch_size(jax2, 64)
    with pytest.raises(SpecError) as info:
        check_batch_size(jax2, 33)
    assert info.value.path == "schedule.batch-size" and "use a multiple of 2, e.g. 32" in (info.value.hint or "")
    check_batch_size(Devices("tensorflow", "gpu", ("a", "b"), ("a", "b")), 33)  # MirroredStrategy splits unevenly


def test_device_is_a_runtime_setting_with_auto_by_default(tmp_path: Path) -> None:
    from specdsl.config import load_config_text

    def load(device: str | None) -> object:
        return load_config_text(json.dumps(_run_settings(tmp_path, device), indent=1), "run.json")

    assert load("gpu").runtime.device == "gpu"  # type: ignore[attr-defined]
    assert load(None).runtime.device == "auto"  # type: ignore[attr-defined]
    with pytest.raises(SpecError) as info:
        load("tpu")
    assert "runtime.device" in str(info.value)
