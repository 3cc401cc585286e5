"""Models trained by BPReveal load in specdsl: inspect, load_model, and a training that starts from one.

A process that never imports specdsl stands in for BPReveal: it registers two functions exactly as
BPReveal 5 does (``@register_keras_serializable(package="bpreveal")`` on ``multinomialNll`` and on
the ``reweightableMse`` closure made by ``weightedMse(λ)``), compiles a BPNet-like model with them
as losses and metrics, and saves it, so the file names ``bpreveal>multinomialNll`` like BPReveal's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from specdsl.errors import SpecError

pytestmark = pytest.mark.slow

INPUT, OUTPUT = 128, 100  # widths 9/9 and 2 dilated layers trim 9 + 9 + 2^4 − 6 = 28

# Layer names are BPReveal's own (solo_initial_conv, solo_conv_{i}, solo_profile_{head} …): a start-from
# translates them to specdsl's BPNet names.
SAVE_LIKE_BPREVEAL = textwrap.dedent("""
    import sys
    import numpy as np
    import keras
    from keras import ops
    from keras.saving import register_keras_serializable

    @register_keras_serializable(package="bpreveal", name="multinomialNll")
    def multinomialNll(trueCounts, logits):
        n = ops.shape(trueCounts)[0]
        flat_counts, flat_logits = ops.reshape(trueCounts, (n, -1)), ops.reshape(logits, (n, -1))
        return -ops.sum(flat_counts * ops.log_softmax(flat_logits, axis=-1)) / ops.cast(n, "float32")

    def weightedMse(weightTensor):
        @register_keras_serializable(package="bpreveal", name="reweightableMse")
        def reweightableMse(yTrue, yPred):
            return ops.mean(ops.square(yTrue - yPred), axis=-1) * weightTensor
        return reweightableMse

    inp = keras.Input((%(input)d, 4), name="sequence")
    x = keras.layers.Conv1D(8, 9, activation="relu", name="solo_initial_conv")(inp)
    for i in range(2):
        conv = keras.layers.Conv1D(8, 3, dilation_rate=2 ** (i + 1), activation="relu", name=f"solo_conv_{i}")(x)
        crop = keras.layers.Cropping1D(2 ** (i + 1), name=f"solo_crop{i}")(x)
        x = keras.layers.Add(name=f"solo_add{i}")([conv, crop])
    profile = keras.layers.Conv1D(2, 9, name="solo_profile_h0")(x)
    gap = keras.layers.GlobalAveragePooling1D(name="solo_counts_gap_h0")(x)
    counts = keras.layers.Dense(1, name="solo_logcounts_h0")(gap)
    model = keras.Model(inp, [profile, counts], name="solo_model")
    losses = [multinomialNll, weightedMse(keras.Variable(10.0))]
    model.compile(optimizer=keras.optimizers.Adam(0.004), loss=losses, loss_weights=[1.0, 1.0], metrics=losses)
    rng = np.random.default_rng(0)
    model.fit(rng.random((8, %(input)d, 4)), [rng.poisson(2.0, (8, %(output)d, 2)).astype("float32"),
              rng.random((8, 1))], verbose=0)
    assert "specdsl" not in sys.modules
    model.save(sys.argv[1])
""") % {"input": INPUT, "output": OUTPUT}


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def bpreveal_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bpreveal") / "solo.keras"
    run = _run(SAVE_LIKE_BPREVEAL, str(path))
    assert run.returncode == 0, run.stderr[-2000:]
    return path


def _compile_config(path: Path) -> dict:
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("config.json"))["compile_config"]


def test_the_file_names_bpreveal_functions_and_plain_keras_cannot_load_it(bpreveal_model: Path) -> None:
    names = [entry["config"] for entry in _compile_config(bpreveal_model)["loss"]]
    assert names == ["bpreveal>multinomialNll", "bpreveal>reweightableMse"]  # λ is not in the file
    run = _run("import sys, keras; keras.saving.load_model(sys.argv[1], safe_mode=True)", str(bpreveal_model))
    assert run.returncode != 0 and "Could not locate function 'bpreveal>multinomialNll'" in run.stderr


def test_specdsl_inspect_loads_it_in_a_fresh_process(bpreveal_model: Path) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-m", "specdsl", "inspect", str(bpreveal_model)], capture_output=True,
                         text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert "model 'solo_model'" in run.stdout and "solo_profile_h0 (100, 2)" in run.stdout


def test_plain_keras_load_after_import_specdsl_keeps_the_compile_state(bpreveal_model: Path) -> None:
    code = textwrap.dedent("""
        import sys, json
        import numpy as np
        import specdsl
        import keras
        m = keras.saving.load_model(sys.argv[1], safe_mode=True)
        x = np.random.default_rng(1).random((4, %d, 4))
        y = [np.full((4, %d, 2), 2.0, "float32"), np.full((4, 1), 5.0, "float32")]
        out = m.evaluate(x, y, verbose=0, return_dict=True)
        print(json.dumps({"losses": [f.__module__ + "." + f.__name__ for f in m.loss], **out}))
    """) % (INPUT, OUTPUT)
    run = _run(code, str(bpreveal_model))
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["losses"] == ["specdsl.training.bpreveal_objects.multinomialNll",
                             "specdsl.training.bpreveal_objects.reweightableMse"]
    # BPReveal's metric names, finite values (BPReveal's own loader would give NaN for the counts loss)
    for key in ("solo_profile_h0_multinomial_nll", "solo_logcounts_h0_reweightable_mse"):
        assert np.isfinite(got[key]), key


def test_loaded_losses_are_specdsls_math(bpreveal_model: Path) -> None:
    from specdsl.backend.keras_model import load_model
    from specdsl.training.losses import log_counts_mse, multinomial_nll

    model = load_model(bpreveal_model)
    rng = np.random.default_rng(2)
    counts = rng.poisson(3.0, (3, OUTPUT, 2)).astype("float32")
    logits = rng.normal(size=(3, OUTPUT, 2)).astype("float32")
    profile_loss, counts_loss = model.loss
    np.testing.assert_allclose(np.asarray(profile_loss(counts, logits)), np.asarray(multinomial_nll(counts, logits)))
    a, b = rng.random((3, 1)).astype("float32"), rng.random((3, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(counts_loss(a, b)), np.asarray(log_counts_mse(a, b)))


def test_files_of_older_keras_that_name_the_functions_bare_load(bpreveal_model: Path, tmp_path: Path) -> None:
    from specdsl.backend.keras_model import load_model

    old = tmp_path / "old.keras"
    with zipfile.ZipFile(bpreveal_model) as src, zipfile.ZipFile(old, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "config.json":
                data = data.replace(b'"bpreveal>', b'"')
            dst.writestr(item, data)
    assert [e["config"] for e in _compile_config(old)["loss"]] == ["multinomialNll", "reweightableMse"]
    assert load_model(old).name == "solo_model"


def test_a_training_starts_from_a_bpreveal_model(bpreveal_model: Path, tmp_path: Path) -> None:
    """``model.start-from`` names the BPReveal model: its layers are found under BPReveal's names,
    every one (the heads too) is copied, and the run trains from there."""
    import keras

    from specdsl.backend.keras_model import build_keras_model, load_model
    from specdsl.config import load_config_text
    from specdsl.formats.synthetic_profiles import write_synthetic
    from specdsl.training.plan import make_plan
    from specdsl.training.run import train
    from specdsl.training.start_from import start_from

    for name, n, seed in (("train", 64, 0), ("val", 32, 1)):
        write_synthetic(tmp_path / f"{name}.h5", n, INPUT, OUTPUT, 0, [2], seed=seed)
    config = {
        "kind": "specdsl-train", "output-prefix": f"{tmp_path}/run",
        "model": {"architecture": {"preset": "BPNet", "params": {"filters": 8, "layers": 2, "input_filter_width": 9,
                                                                 "output_filter_width": 9}},
                  "input-length": INPUT, "output-length": OUTPUT, "start-from": str(bpreveal_model)},
        "heads": [{"head-name": "h0", "num-tasks": 2, "profile-loss-weight": 1, "counts-loss-weight": 10}],
        "data": {"train": f"{tmp_path}/train.h5", "val": f"{tmp_path}/val.h5"},
        "schedule": {"epochs": 1, "batch-size": 16}, "runtime": {"seed": 1, "verbosity": "WARNING"}}
    ir = load_config_text(json.dumps(config), "cfg.json")
    plan = make_plan(ir)

    model = build_keras_model(plan.graph)
    copied = start_from(model, ir, {o.layer for o in plan.outputs})
    assert sorted(copied) == ["body_conv1", "body_dilres1_conv0", "body_dilres1_conv1", "solo_logcounts_h0",
                              "solo_profile_h0"]
    source = load_model(bpreveal_model)
    for mine, theirs in (("body_conv1", "solo_initial_conv"), ("body_dilres1_conv1", "solo_conv_1"),
                         ("solo_profile_h0", "solo_profile_h0")):
        for a, b in zip(model.get_layer(mine).get_weights(), source.get_layer(theirs).get_weights()):
            np.testing.assert_array_equal(a, b)

    result = train(ir, plan=plan)
    assert result.epochs_run == 1
    assert keras.saving.load_model(tmp_path / "run.keras", safe_mode=True).name

    config["model"]["start-from"] = str(tmp_path / "missing.keras")
    with pytest.raises(SpecError, match=r"model.start-from: .*missing.keras"):
        make_plan(load_config_text(json.dumps(config), "cfg.json"))
