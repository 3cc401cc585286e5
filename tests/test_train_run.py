"""Training runs end to end on CPU: loss falls, artifacts, resume, Ctrl+C, bad data."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import pytest

from specdsl.config import load_config_text
from specdsl.errors import SpecError
from specdsl.formats.synthetic_profiles import write_synthetic
from specdsl.training.run import TrainingInterrupted, loss_fell, train

pytestmark = pytest.mark.slow

INPUT, OUTPUT = 128, 100  # BPNet with 2 layers and widths 9/9 trims 9 + 9 + 2^4 − 6 = 28


def config(tmp: Path, *, jitter: int = 4, epochs: int = 3, output: int = OUTPUT, kind: str = "specdsl") -> str:
    if kind == "bpreveal":
        return textwrap.dedent(f"""
        # BPReveal trainSoloModel config
        {{"settings": {{"output-prefix": "{tmp}/run", "epochs": {epochs}, "max-jitter": {jitter},
          "early-stopping-patience": 5, "batch-size": 32, "learning-rate": 0.01,
          "learning-rate-plateau-patience": 3,
          "architecture": {{"architecture-name": "bpnet", "input-length": {INPUT}, "output-length": {output},
            "model-name": "t", "filters": 8, "layers": 2, "input-filter-width": 9, "output-filter-width": 9}}}},
         "train-data": "{tmp}/train.h5", "val-data": "{tmp}/val.h5",
         "heads": [{{"num-tasks": 2, "profile-loss-weight": 1, "counts-loss-weight": 10, "head-name": "h0"}}],
         "verbosity": "WARNING"}}
        """)
    return textwrap.dedent(f"""
    {{"kind": "specdsl-train", "output-prefix": "{tmp}/run",
      "model": {{"architecture": {{"preset": "BPNet", "params": {{"filters": 8, "layers": 2,
                 "input_filter_width": 9, "output_filter_width": 9}}}},
                "input-length": {INPUT}, "output-length": {output}}},
      "heads": [{{"head-name": "h0", "num-tasks": 2, "profile-loss-weight": 1, "counts-loss-weight": 10}}],
      "data": {{"train": "{tmp}/train.h5", "val": "{tmp}/val.h5", "max-jitter": {jitter}}},
      "optimizer": {{"name": "adam", "learning-rate": 0.01}},
      "schedule": {{"epochs": {epochs}, "batch-size": 32}},
      "runtime": {{"seed": 1, "verbosity": "WARNING"}}}}
    """)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    for name, n, seed in (("train", 320, 0), ("val", 96, 1)):
        write_synthetic(tmp_path / f"{name}.h5", n, INPUT, OUTPUT, 4, [2], seed=seed)
    return tmp_path


def test_short_run_learns_and_writes_artifacts(data: Path) -> None:
    result = train(load_config_text(config(data, epochs=4), "cfg.json"))
    assert loss_fell(result.history)
    history = json.loads((data / "run.history.json").read_text())
    for key in ("loss", "val_loss", "learning_rate", "solo_profile_h0_multinomial_nll",
                "val_solo_logcounts_h0_reweightable_mse", "counts-loss-weight", "config"):
        assert key in history, key
    assert len(history["loss"]) == 4 and history["counts-loss-weight"]["h0"] == [10.0] * 4
    model = keras.saving.load_model(data / "run.keras", safe_mode=True)
    assert model.output_names == ["solo_profile_h0", "solo_logcounts_h0"]
    assert tuple(model.outputs[0].shape[1:]) == (OUTPUT, 2)
    assert (data / "run.checkpoint.keras").exists()
    assert not [p for p in data.iterdir() if p.name.startswith(".") or p.name.endswith(".tmp")]


def test_bpreveal_config_without_jitter_trains(data: Path) -> None:
    for name, n, seed in (("train", 128, 2), ("val", 64, 3)):
        write_synthetic(data / f"{name}.h5", n, INPUT, OUTPUT, 0, [2], seed=seed)
    result = train(load_config_text(config(data, jitter=0, epochs=2, kind="bpreveal"), "solo.json"))
    assert result.epochs_run == 2


class _Crash(keras.callbacks.Callback):
    def __init__(self, at: int, error: type[BaseException]):
        super().__init__()
        self.at, self.error = at, error

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch == self.at:
            raise self.error("simulated")


def test_resume_continues_after_a_crash(data: Path) -> None:
    ir = load_config_text(config(data, epochs=4), "cfg.json")
    with pytest.raises(RuntimeError, match="simulated"):
        train(ir, extra_callbacks=[_Crash(1, RuntimeError)])
    staged = data / "run.backup" / "delivery" / "run.history.json"  # where the run in progress is watched
    assert len(json.loads(staged.read_text())["loss"]) == 2  # both finished epochs kept
    assert not (data / "run.history.json").exists() and not (data / "run.keras").exists()  # nothing delivered
    result = train(ir, resume=True)
    assert len(result.history["loss"]) == 4  # epochs 3 and 4 only were trained again
    assert result.history["counts-loss-weight"]["h0"] == [10.0] * 4  # the λ history continues too
    assert not (data / "run.backup").exists()


def test_resume_without_a_backup_is_refused(data: Path) -> None:
    ir = load_config_text(config(data, epochs=1), "cfg.json")
    train(ir)
    with pytest.raises(SpecError, match=r"nothing to resume.*the run finished \(1 epoch"):
        train(ir, resume=True)


def test_ctrl_c_writes_best_model_and_history(data: Path) -> None:
    ir = load_config_text(config(data, epochs=5), "cfg.json")
    with pytest.raises(TrainingInterrupted):
        train(ir, extra_callbacks=[_Crash(1, KeyboardInterrupt)])
    assert keras.saving.load_model(data / "run.keras", safe_mode=True)
    assert len(json.loads((data / "run.history.json").read_text())["loss"]) == 2


class _BatchInterrupt(keras.callbacks.Callback):
    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        raise KeyboardInterrupt


def test_ctrl_c_before_the_first_epoch_keeps_the_earlier_model(data: Path) -> None:
    ir = load_config_text(config(data, epochs=1), "cfg.json")
    train(ir)
    before = (data / "run.keras").read_bytes()
    with pytest.raises(TrainingInterrupted) as info:
        train(ir, extra_callbacks=[_BatchInterrupt()])
    assert info.value.wrote is False and (data / "run.keras").read_bytes() == before


def test_wrong_lengths_and_files_are_reported_before_training(data: Path) -> None:
    with pytest.raises(SpecError, match="use input-length 118"):
        train(load_config_text(config(data, output=90), "cfg.json"))
    write_synthetic(data / "val.h5", 40, INPUT, OUTPUT, 4, [1], seed=5)  # one task where the config says two
    with pytest.raises(SpecError) as info:
        train(load_config_text(config(data), "cfg.json"))
    assert "val.h5" in info.value.render() and "2" in info.value.render()


def test_cli_train_and_plot(data: Path) -> None:
    cfg = data / "cfg.json"
    cfg.write_text(config(data, epochs=2))
    run = subprocess.run([sys.executable, "-m", "specdsl", "train", str(cfg)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "trained 2 epoch(s)" in run.stdout
    plot = subprocess.run([sys.executable, "-m", "specdsl", "plot", str(data / "run.history.json"), "-o",
                           str(data / "loss.png")], capture_output=True, text=True)
    assert plot.returncode == 0 and (data / "loss.png").stat().st_size > 10_000


def test_cli_train_config_errors_exit_2(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.json"
    cfg.write_text('{"kind": "specdsl-train", "output-prefix": "x",\n  "modle": {}}\n')
    run = subprocess.run([sys.executable, "-m", "specdsl", "train", str(cfg)], capture_output=True, text=True)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "did you mean 'model'?" in run.stderr and f"{cfg}:2:3" in run.stderr


def test_mixed_precision_and_xla_switch_on_from_the_config(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = config(data, epochs=2).replace('"seed": 1,', '"seed": 1, "mixed-precision": true, "xla": true,')
    compiled: list[object] = []
    fit = keras.Model.fit

    def recording_fit(model: keras.Model, *args: object, **kwargs: object) -> object:
        compiled.append(model.jit_compile)  # what the compiled model will run its steps with
        return fit(model, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", recording_fit)
    result = train(load_config_text(text, "cfg.json"))
    assert compiled == [True]  # the training step is XLA-compiled
    assert all(v is not None for v in result.history["loss"])
    model = keras.saving.load_model(data / "run.keras", safe_mode=True)
    assert model.get_layer("solo_profile_h0").dtype_policy.name == "float32"  # outputs stay float32
    assert model.get_layer("body_dilres1_conv0").dtype_policy.name == "mixed_float16"
    assert keras.config.dtype_policy().name == "float32"  # the process is left as it was


def test_ctrl_c_on_the_command_line_exits_130(data: Path) -> None:
    import signal
    import time

    cfg = data / "long.json"
    cfg.write_text(config(data, epochs=200))
    # A shell's background job (CI runners, `make test &`) starts with Ctrl+C ignored, and a child inherits
    # that; a user at a terminal has it, so the run is started as the terminal would start it.
    proc = subprocess.Popen([sys.executable, "-m", "specdsl", "train", str(cfg)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    history, watched = data / "run.history.json", data / "run.backup" / "delivery" / "run.history.json"
    deadline = time.monotonic() + 120
    while not watched.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert watched.exists(), proc.communicate()[1]
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    inspect = subprocess.run([sys.executable, "-m", "specdsl", "inspect", str(data / "run.keras")],
                             capture_output=True, text=True)  # a fresh process, safe_mode=True
    assert inspect.returncode == 0 and "solo_profile_h0 (100, 2)" in inspect.stdout, inspect.stderr
    assert json.loads(history.read_text())["loss"]


def test_windows_without_reads_are_rejected_before_training(data: Path) -> None:
    import h5py

    with h5py.File(data / "val.h5", "r+") as h5:
        h5["head_0"][3] = 0.0  # one region with no reads at all: log(0) would make the loss NaN
    with pytest.raises(SpecError, match="1 region\\(s\\) have a window without any reads"):
        train(load_config_text(config(data), "cfg.json"))


def _string_config(data: Path, arch: str) -> str:
    text = config(data, epochs=1)
    start = text.index('{"preset"')
    end = text.index("}}", start) + 2
    return text[:start] + json.dumps(arch) + ', "output-filter-width": 9' + text[end:]


def test_architecture_string_trains_with_bpreveal_heads(data: Path) -> None:
    result = train(load_config_text(_string_config(data, "conv[8@9]_dilres[2]"), "cfg.json"))
    assert result.epochs_run == 1
    model = keras.saving.load_model(data / "run.keras", safe_mode=True)
    assert model.output_names == ["solo_profile_h0", "solo_logcounts_h0"]


@pytest.mark.parametrize("arch,message", [
    ("conv[8@9]_gap", "must end in a sequence"),
    ("BPNet", "write \"architecture\": {\"preset\": \"BPNet\"}"),
])
def test_architecture_string_mistakes(data: Path, arch: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        train(load_config_text(_string_config(data, arch), "cfg.json"))
    assert message in info.value.render()


def test_bpreveal_files_are_one_per_split_and_check_says_so(data: Path) -> None:
    from specdsl.training.plan import make_plan

    text = config(data, epochs=1).replace(f'"train": "{data}/train.h5"',
                                          f'"train": ["{data}/train.h5", "{data}/train.h5"]')
    with pytest.raises(SpecError) as info:
        make_plan(load_config_text(text, "cfg.json"))
    assert "reads one train file, got 2" in info.value.message and info.value.path == "data.train"


def test_ctrl_c_right_after_a_resume_keeps_the_model_on_disk(data: Path) -> None:
    train(load_config_text(config(data, epochs=1), "cfg.json"))
    before = (data / "run.keras").read_bytes()
    ir = load_config_text(config(data, epochs=4), "cfg.json")
    with pytest.raises(RuntimeError, match="simulated"):
        train(ir, extra_callbacks=[_Crash(1, RuntimeError)])
    with pytest.raises(TrainingInterrupted) as info:
        train(ir, resume=True, extra_callbacks=[_BatchInterrupt()])
    assert info.value.wrote is False and (data / "run.keras").read_bytes() == before


@pytest.mark.parametrize("name", ["a/b", "two words", "f(x)"])
def test_head_names_that_cannot_name_layers_are_config_errors(data: Path, name: str) -> None:
    with pytest.raises(SpecError) as info:
        load_config_text(config(data).replace('"head-name": "h0"', f'"head-name": "{name}"'), "cfg.json")
    assert "heads[0].head-name" in info.value.render() and "letters, digits" in info.value.render()


def test_an_output_prefix_that_names_a_folder_is_refused_before_training(data: Path) -> None:
    from specdsl.training.plan import make_plan

    ir = load_config_text(config(data).replace(f'"output-prefix": "{data}/run"', f'"output-prefix": "{data}/"'),
                          "cfg.json")
    with pytest.raises(SpecError) as info:
        make_plan(ir)
    assert "names a folder" in info.value.message and info.value.span is not None
    assert not list(data.glob(".*"))


def test_plot_and_inspect_refuse_files_of_the_wrong_kind(tmp_path: Path, capsys) -> None:
    from specdsl.cli import main

    (tmp_path / "h.json").write_text("[1, 2]")
    (tmp_path / "m.keras").write_text("not a zip")
    assert main(["plot", str(tmp_path / "h.json"), "-o", str(tmp_path / "p.png")]) == 2
    assert "not a training history" in capsys.readouterr().err
    assert main(["inspect", str(tmp_path / "m.keras")]) == 2
    assert "not a .keras model archive" in capsys.readouterr().err


def test_a_second_run_on_the_same_prefix_is_refused(data: Path) -> None:
    import fcntl
    import os

    ir = load_config_text(config(data, epochs=1), "cfg.json")
    fd = os.open(data / "run.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another run holds the place
    try:
        with pytest.raises(SpecError) as info:
            train(ir)
        assert "another run is writing" in info.value.message and info.value.file == str(data / "run.lock")
        assert not (data / "run.keras").exists()
    finally:
        os.close(fd)
    assert train(ir).epochs_run == 1  # once it is gone, the place is free
