"""Errors found after schema validation come out like schema errors: FILE:LINE:COL: key: message, a caret.

Preset bindings (a parameter of the wrong type, one the preset lacks, an output length the
network does not give), an architecture that ends without a sequence, and an output prefix that
cannot be written, each through ``specdsl check`` and ``specdsl train`` (both stop before
TensorFlow, so these tests import none).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from specdsl.cli import main
from specdsl.formats.synthetic_profiles import write_synthetic

INPUT, OUTPUT = 128, 100


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, n, seed in (("train", 32, 0), ("val", 16, 1)):
        write_synthetic(tmp_path / f"{name}.h5", n, INPUT, OUTPUT, 0, [2], seed=seed)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _config() -> dict:
    return {
        "kind": "specdsl-train", "output-prefix": "out/run",
        "model": {"architecture": {"preset": "BPNet", "params": {"filters": 8, "layers": 2, "input_filter_width": 9,
                                                                 "output_filter_width": 9}},
                  "input-length": INPUT, "output-length": OUTPUT},
        "heads": [{"head-name": "h0", "num-tasks": 2, "profile-loss-weight": 1, "counts-loss-weight": 10}],
        "data": {"train": "train.h5", "val": "val.h5"},
        "schedule": {"epochs": 1, "batch-size": 8}}


def _write(folder: Path, cfg: dict) -> tuple[Path, str]:
    text = json.dumps(cfg, indent=2)
    path = folder / "cfg.json"
    path.write_text(text)
    return path, text


def _position(text: str, start: int) -> str:
    """``LINE:COL`` (1-based) of offset ``start`` in ``text``."""
    line_start = text.rfind("\n", 0, start) + 1
    return f"{text.count(chr(10), 0, start) + 1}:{start - line_start + 1}"


def _at(text: str, key: str, value: str) -> str:
    """Where ``value`` is, written as ``"key": value``."""
    return _position(text, text.index(f'"{key}": {value}') + len(f'"{key}": '))


def _key_at(text: str, key: str) -> str:
    return _position(text, text.index(f'"{key}":'))


def _errors(verb: str, path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main([verb, str(path)]) == 2
    return capsys.readouterr().err


def _assert_placed(err: str, path: Path, where: str, key: str, message: str, value: str) -> None:
    headline = f"{path}:{where}: {key}: "
    lines = err.splitlines()
    hit = [i for i, line in enumerate(lines) if line.startswith(headline)]
    assert hit, err
    i = hit[0]
    assert message in lines[i], err
    column = int(where.split(":")[1])
    caret = lines[i + 2]
    assert caret.index("^") == 4 + column - 1 and caret.count("^") == len(value), err
    assert lines[i + 1][4 + column - 1:].startswith(value), err


def _wrong_type(cfg: dict) -> None:
    cfg["model"]["architecture"]["params"]["filters"] = "64"


def _wrong_length(cfg: dict) -> None:
    cfg["model"]["output-length"] = 90


def _no_sequence(cfg: dict) -> None:
    cfg["model"]["architecture"] = "conv[8@9]_gap"


# (change, the key, how its value is written, the key path, the message)
CASES = {
    "wrong parameter type": (_wrong_type, "filters", '"64"', "model.architecture.params.filters",
                             "parameter 'filters' of BPNet must be a number, not '64'"),
    "mismatched output length": (_wrong_length, "output-length", "90", "model.output-length",
                                 "input-length 128 gives an output of 100, not output-length 90"),
    "architecture without a sequence": (_no_sequence, "architecture", '"conv[8@9]_gap"', "model.architecture",
                                        "the architecture must end in a sequence"),
}


@pytest.mark.parametrize("verb", ["check", "train"])
@pytest.mark.parametrize("case", list(CASES))
def test_binding_and_architecture_errors_are_placed(data: Path, case: str, verb: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    change, key, value, key_path, message = CASES[case]
    cfg = _config()
    change(cfg)
    path, text = _write(data, cfg)
    err = _errors(verb, path, capsys)
    _assert_placed(err, path, _at(text, key, value), key_path, message, value)
    if case == "wrong parameter type":
        assert "hint: write the number without quotes: 64" in err


def test_a_fractional_count_and_a_missing_parameter_come_with_the_schema_errors(
        data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config()
    cfg["model"]["architecture"]["params"].update({"layers": 2.5, "filterz": 8})
    cfg["schedule"]["epochs"] = 0
    path, text = _write(data, cfg)
    err = _errors("check", path, capsys)
    _assert_placed(err, path, _at(text, "layers", "2.5"), "model.architecture.params.layers",
                   "must be a whole number, not 2.5", "2.5")
    _assert_placed(err, path, _key_at(text, "filterz"), "model.architecture.params.filterz",
                   "preset BPNet has no parameter 'filterz'", '"filterz"')
    _assert_placed(err, path, _at(text, "epochs", "0"), "schedule.epochs", "out of range", "0")


@pytest.mark.parametrize("verb", ["check", "train"])
def test_an_output_prefix_under_a_file_is_placed_and_nothing_is_created(data: Path, verb: str,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (data / "notes.txt").write_text("a file")
    cfg = _config()
    cfg["output-prefix"] = "notes.txt/sub/run"
    path, text = _write(data, cfg)
    before = sorted(p.name for p in data.iterdir())
    err = _errors(verb, path, capsys)
    _assert_placed(err, path, _at(text, "output-prefix", '"notes.txt/sub/run"'), "output-prefix",
                   "'notes.txt/sub/run' is under 'notes.txt', which is a file, not a folder", '"notes.txt/sub/run"')
    assert sorted(p.name for p in data.iterdir()) == before


def _without_write_permission(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    real = os.access

    def access(path: object, mode: int, **kw: object) -> bool:
        if Path(str(path)).resolve() == folder.resolve() and mode & os.W_OK:
            return False
        return real(path, mode, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)


def test_a_folder_without_write_permission_is_placed(data: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (data / "locked").mkdir()
    _without_write_permission(monkeypatch, data / "locked")
    cfg = _config()
    cfg["output-prefix"] = "locked/new/run"
    path, text = _write(data, cfg)
    err = _errors("check", path, capsys)
    _assert_placed(err, path, _at(text, "output-prefix", '"locked/new/run"'), "output-prefix",
                   "cannot create the output folder 'locked/new': no write permission in 'locked'",
                   '"locked/new/run"')
    assert not (data / "locked" / "new").exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_folder_is_refused_for_real(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = data / "ro"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        cfg = _config()
        cfg["output-prefix"] = "ro/run"
        path, text = _write(data, cfg)
        err = _errors("check", path, capsys)
        _assert_placed(err, path, _at(text, "output-prefix", '"ro/run"'), "output-prefix",
                       "cannot write in the output folder 'ro' (no write permission)", '"ro/run"')
    finally:
        locked.chmod(0o755)


def test_an_unwritable_prefix_is_reported_with_a_missing_data_file(data: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (data / "notes.txt").write_text("a file")
    cfg = _config()
    cfg["output-prefix"] = "notes.txt/run"
    cfg["data"]["train"] = "missing.h5"
    path, text = _write(data, cfg)
    err = _errors("check", path, capsys)
    prefix, missing = '"notes.txt/run"', '"missing.h5"'
    _assert_placed(err, path, _at(text, "output-prefix", prefix), "output-prefix", "which is a file, not a folder",
                   prefix)
    _assert_placed(err, path, _at(text, "train", missing), "data.train", "missing.h5: data file not found",
                   missing)


def test_bpreveal_configs_place_the_prefix_at_their_own_key(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (data / "notes.txt").write_text("a file")
    cfg = {"settings": {"output-prefix": "notes.txt/run", "epochs": 1, "max-jitter": 0, "early-stopping-patience": 5,
                        "batch-size": 8, "learning-rate": 0.01, "learning-rate-plateau-patience": 3,
                        "architecture": {"architecture-name": "bpnet", "input-length": INPUT, "output-length": OUTPUT,
                                         "model-name": "t", "filters": 8, "layers": 2, "input-filter-width": 9,
                                         "output-filter-width": 9}},
           "train-data": "train.h5", "val-data": "val.h5",
           "heads": [{"num-tasks": 2, "profile-loss-weight": 1, "counts-loss-weight": 10, "head-name": "h0"}],
           "verbosity": "WARNING"}
    path, text = _write(data, cfg)
    err = _errors("check", path, capsys)
    prefix = '"notes.txt/run"'
    _assert_placed(err, path, _at(text, "output-prefix", prefix), "settings.output-prefix",
                   "which is a file, not a folder", prefix)
