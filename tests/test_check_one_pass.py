"""``specdsl check`` (and ``train`` before it starts) reports every independent error of a config in one run:
the schema, the data files, the architecture against the data, the heads' targets and ``runtime.device``;
what an error leaves unchecked is said once.  Pure Python: no Keras is built, TensorFlow is not imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from specdsl.cli import main
from specdsl.config.validate import _validator, repaired
from specdsl.training import devices

NO_GPU_FILES = ("/nonexistent/nvidiactl", "/nonexistent/kfd", "/nonexistent/dxg")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workshop")
    assert main(["make-data", "workshop", "--out", str(root), "--isolates", "60", "--seed", "1"]) == 0
    return root


def _config(root: Path, name: str = "cfg.json", **changes: object) -> Path:
    """The workshop's isoniazid config on ``root``'s data (sequences 400 long), with ``changes`` (section → dict)."""
    config: dict = {"kind": "specdsl-train", "output-prefix": str(root / "out" / "m"),
                    "model": {"architecture": "conv[16@9]_mp[4]_flat_fc[16]"},
                    "heads": [{"kind": "binary", "head-name": "inh", "targets": ["isoniazid"]}],
                    "data": {"reader": "sequence-labels", "train": str(root / "katg" / "train.fa"),
                             "val": str(root / "katg" / "val.fa")},
                    "optimizer": {"learning-rate": 0.001}, "schedule": {"epochs": 2, "batch-size": 8}}
    for key, value in changes.items():
        config[key] = {**config[key], **value} if isinstance(value, dict) and key in config else value
    path = root / name
    path.write_text(json.dumps(config, indent=2))
    return path


def _four_mistakes(root: Path) -> Path:
    return _config(root, "four.json", optimizer={"learning_rate": 0.001},
                   data={"val": str(root / "katg" / "missing.fa")},
                   model={"architecture": "conv[16@9]_mp[400]_flat_fc[16]"},
                   heads=[{"kind": "binary", "head-name": "inh", "targets": ["isoniazide"]}],
                   runtime={"device": "gpu"})


def _check(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str]:
    capsys.readouterr()
    status = main(argv)
    return status, capsys.readouterr().err


def test_four_mistakes_and_a_missing_gpu_are_all_reported_in_one_run(
        data: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices, "GPU_DEVICE_FILES", NO_GPU_FILES)
    monkeypatch.setattr(devices.sys, "platform", "linux")
    status, err = _check(["check", str(_four_mistakes(data))], capsys)
    assert status == 2 and "Traceback" not in err
    expected = ["optimizer: unknown key 'learning_rate'", "data.val: ", "missing.fa: no such file or folder",
                "impossible shape: mp[400] pools 400 positions", "no target in the data matches isoniazide",
                "runtime.device: device 'gpu' was asked for, but this machine has no GPU"]
    at = [err.find(words) for words in expected]
    assert -1 not in at and at == sorted(at), err  # each error once, in the order of the stages
    assert "did you mean 'learning-rate'?" in err and "did you mean 'isoniazid'?" in err
    assert err.count("four.json:") >= 4  # placed in the config, with its line and caret
    assert "note: the heads against the model and the data files' examples not checked: the architecture has " \
           "errors" in err
    assert err.rstrip().endswith("5 errors")


def test_train_reports_the_same_errors_before_it_starts_and_writes_nothing(
        data: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices, "GPU_DEVICE_FILES", NO_GPU_FILES)
    monkeypatch.setattr(devices.sys, "platform", "linux")
    status, err = _check(["train", str(_four_mistakes(data))], capsys)
    assert status == 2 and err.rstrip().endswith("5 errors") and "unknown key 'learning_rate'" in err
    assert not (data / "out").exists()


def test_a_gpu_asked_for_on_a_machine_without_one_fails_check_without_importing_tensorflow(data: Path) -> None:
    config = _config(data, "gpu.json", runtime={"device": "gpu"})
    code = (f"import sys; from specdsl.training import devices; devices.GPU_DEVICE_FILES = {NO_GPU_FILES!r}; "
            f"devices.sys.platform = 'linux'; from specdsl.cli import main; status = main(['check', {str(config)!r}]); "
            "print('tf' if 'tensorflow' in sys.modules or 'keras' in sys.modules else 'none', status)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["none", "2"], done.stderr[-2000:]
    assert "gpu.json:" in done.stderr and "runtime.device: device 'gpu' was asked for" in done.stderr
    assert "set runtime.device to auto or cpu" in done.stderr


def test_hidden_gpus_are_found_cheaply_and_a_possible_gpu_is_asked_of_the_backend(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    driver = tmp_path / "nvidiactl"
    driver.write_text("")
    monkeypatch.setattr(devices, "GPU_DEVICE_FILES", (str(driver),))
    monkeypatch.setattr(devices.sys, "platform", "linux")
    asked: list[str] = []

    def backend(setting: str, document: object = None) -> object:
        asked.append(setting)
        raise devices.SpecError("the backend sees no GPU", path="runtime.device")

    monkeypatch.setattr(devices, "choose_devices", backend)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    hidden = devices.gpu_problem("gpu")
    assert hidden is not None and "CUDA_VISIBLE_DEVICES=''" in hidden.message and not asked
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    assert devices.gpu_problem("gpu", ask_backend=False) is None and not asked
    problem = devices.gpu_problem("gpu")
    assert problem is not None and problem.message == "the backend sees no GPU" and asked == ["gpu"]
    assert devices.gpu_problem("auto") is None and devices.gpu_problem("cpu") is None and asked == ["gpu"]


def test_a_missing_required_key_says_what_was_not_checked(data: Path, capsys: pytest.CaptureFixture) -> None:
    path = _config(data, "nodata.json", optimizer={"learning_rate": 0.01})
    config = json.loads(path.read_text())
    del config["data"]["train"]
    path.write_text(json.dumps(config))
    status, err = _check(["check", str(path)], capsys)
    assert status == 2 and "missing required key 'train'" in err and "unknown key 'learning_rate'" in err
    assert "note: the data files, the model against the data and the heads not checked: data has errors" in err


def test_what_breaks_the_schema_is_taken_out_so_the_rest_can_be_checked() -> None:
    validator = _validator("specdsl-train")
    good = {"kind": "specdsl-train", "output-prefix": "o/m", "model": {"architecture": "fc[4]"},
            "heads": [{"kind": "binary", "head-name": "h", "targets": ["t"]}],
            "data": {"reader": "sequence-labels", "train": "t.fa"}}
    bad = {**good, "optimizer": {"learning_rate": 1, "learning-rate": "fast"}, "schedule": {"epochs": 0},
           "heads": [{"kind": "binary", "head-name": "h", "targets": ["t"], "typo": 1}]}
    value, blocked = repaired(validator, bad)
    assert blocked is None and value["optimizer"] == {} and value["schedule"] == {}  # defaults fill them
    assert value["heads"] == good["heads"]  # the unknown key in the head goes, the head stays
    assert repaired(validator, {**good, "heads": [{"kind": "binary", "targets": ["t"]}]}) == (None, "heads[0]")
    assert repaired(validator, {k: v for k, v in good.items() if k != "model"}) == (None, "the config")
