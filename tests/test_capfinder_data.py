"""Capfinder's config, CSVs and ETL: checked before TensorFlow starts, errors with file, line and what was expected."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from specdsl.cli import main
from specdsl.errors import SpecError
from specdsl.formats.signal_csv import fit_length, index_signals, time_warp, to_precision
from specdsl.systems.capfinder.config import TEMPLATE, CapfinderConfig, template
from specdsl.systems.capfinder.etl import class_files, prepare_dataset, split_sizes

HEADER = "read_id,cap_class,timeseries\n"


def _row(read_id: str, cap_class: int, values: list[float] | np.ndarray) -> str:
    return f'{read_id},{cap_class},"{",".join(f"{v:g}" for v in values)}"\n'


def write_class(folder: Path, name: str, cap_class: int, lengths: list[int]) -> Path:
    """Reads whose signal is cap_class·1000 + 1, 2, …, length: every value says where it came from."""
    path = folder / f"data__{name}.csv"
    path.write_text(HEADER + "".join(_row(f"{name}-{i}", cap_class, cap_class * 1000 + np.arange(1, n + 1))
                                     for i, n in enumerate(lengths)))
    return path


def config(tmp_path: Path, caps: Path, **shared: object) -> CapfinderConfig:
    raw = template()
    raw["etl_params"].update(caps_data_dir=str(caps), use_remote_dataset_version="")
    raw["shared_params"].update(output_dir=str(tmp_path / "out"), num_classes=3, target_length=8, dtype="float32")
    raw["shared_params"].update(shared)
    return CapfinderConfig(raw)


# --------------------------------------------------------------------------- signals


def test_pad_and_truncate_are_centred_with_zeros_and_nothing_else() -> None:
    a = np.array([1.0, 2.0, 3.0])
    assert fit_length(a, 6).tolist() == [0, 1, 2, 3, 0, 0]  # ⌊3/2⌋ zeros on the left, the rest on the right
    assert fit_length(a[:2], 4).tolist() == [0, 1, 2, 0]
    assert fit_length(np.arange(1.0, 8.0), 4).tolist() == [2, 3, 4, 5]  # 3 cut: 1 on the left, 2 on the right
    assert fit_length(np.arange(1.0, 7.0), 4).tolist() == [2, 3, 4, 5]
    assert fit_length(a, 3).tolist() == [1, 2, 3]
    assert to_precision(np.array([0.1]), "float16")[0] == np.float32(np.float16(0.1))
    assert to_precision(np.array([0.1]), "float32").dtype == np.float32


def test_time_warp_squishes_into_zeros_and_expands_by_cropping() -> None:
    ones = np.ones(100, dtype=np.float32)
    squished = time_warp(ones, 0.2, expand=False)
    assert len(squished) == 100 and squished[:10].sum() == 0 and squished[90:].sum() == 0
    assert np.all(squished[10:90] == 1)
    ramp = np.arange(100, dtype=np.float32)
    expanded = time_warp(ramp, 0.2, expand=True)
    assert len(expanded) == 100 and expanded[0] > 0 and expanded[-1] < 99
    assert np.allclose(np.diff(expanded), 100 / 120, atol=1e-4)  # stretched by 1.2
    np.testing.assert_allclose(time_warp(ramp, 0.0, expand=True), ramp)


BAD_CSVS = [
    ("id,class,signal\n", "no read_id or cap_class or timeseries column", ":1"),
    (HEADER + 'r1,0,"1,2,3"\nr2,x,"1,2"\n', "cap_class is 'x', not a whole number", ":3"),
    (HEADER + 'r1,0,"1,2,3"\nr2,0,"1,abc,3"\n', "timeseries item 2 is 'abc', not a number", ":3"),
    (HEADER + 'r1,0,"1,nan,3"\n', "timeseries item 2 is nan, not a finite number", ":2"),
    (HEADER + 'r1,0,""\n', "the timeseries is empty", ":2"),
    (HEADER + "r1,0\n", "the row has 2 field(s)", ":2"),
    (HEADER + 'r1,0,"1,2"\n,0,"1,2"\n', "the read_id is empty", ":3"),
    (HEADER, "the file has a header but no reads", ""),
    ("", "the file is empty", ""),
]


@pytest.mark.parametrize(("text", "message", "line"), BAD_CSVS)
def test_bad_csvs_name_file_line_and_what_was_expected(tmp_path: Path, text: str, message: str, line: str) -> None:
    path = tmp_path / "data__cap_0.csv"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        index_signals(path)
    assert message in err.value.message
    assert err.value.file == f"{path}{line}"
    assert err.value.expected or "reads" in message


def test_a_long_signal_field_is_read(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    values = np.linspace(-4, 4, 200_000)
    path.write_text(HEADER + _row("r", 0, values))  # far beyond the csv module's default field limit
    index = index_signals(path)
    assert index.lengths.tolist() == [200_000]
    ids, signals = index.fetch([0])
    assert ids == ["r"] and len(signals[0]) == 200_000


# --------------------------------------------------------------------------- classes and the ETL


def test_classes_come_from_the_file_names_and_must_match_num_classes(tmp_path: Path) -> None:
    caps = tmp_path / "caps"
    caps.mkdir()
    write_class(caps, "cap_1", 1, [5, 6])
    write_class(caps, "cap_0", 0, [5])
    found = class_files(caps, 2)
    assert [(c.name, c.cap_class) for c in found] == [("cap_0", 0), ("cap_1", 1)]
    with pytest.raises(SpecError, match=r"holds 2 class file\(s\) — cap_0 \(0\), cap_1 \(1\) — but num_classes is 3"):
        class_files(caps, 3)
    write_class(caps, "cap_tmg", 4, [5])
    with pytest.raises(SpecError, match="cap_class 4 is not below num_classes 3") as err:
        class_files(caps, 3)
    assert err.value.file.endswith("data__cap_tmg.csv:2")


@pytest.mark.parametrize(("rows", "message"), [
    ('a,0,"1"\nb,1,"1"\n', "cap_class 1, but the file's first read (line 2) has 0"),
    ('a,-99,"1"\n', "cap_class -99 (an unknown cap) cannot be trained"),
])
def test_one_known_class_per_file(tmp_path: Path, rows: str, message: str) -> None:
    (tmp_path / "data__cap_0.csv").write_text(HEADER + rows)
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        class_files(tmp_path, 2)


def test_a_folder_without_data_files_says_how_to_name_them(tmp_path: Path) -> None:
    (tmp_path / "cap0.csv").write_text(HEADER)
    with pytest.raises(SpecError, match="no data__<cap>.csv files") as err:
        class_files(tmp_path, 2)
    assert "cap0.csv" in (err.value.hint or "")
    write_class(tmp_path, "cap_0", 0, [3])
    write_class(tmp_path, "cap_0b", 0, [3])
    with pytest.raises(SpecError, match="cap_class 0 is also the class of data__cap_0.csv"):
        class_files(tmp_path, 2)


def test_split_sizes_follow_capfinders_rounding_and_refuse_an_empty_split() -> None:
    assert split_sizes(100, 0.95, 0.8) == {"train": 76, "val": 19, "test": 5}
    with pytest.raises(SpecError, match="leave no train reads") as err:
        split_sizes(2, 0.95, 0.8)  # 2 → 1 train+val and 1 test; ⌊0.8·1⌋ = 0 train
    assert err.value.path == "shared_params.train_val_fraction"


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.open()))[1:]


@pytest.fixture()
def caps(tmp_path: Path) -> Path:
    folder = tmp_path / "caps"
    folder.mkdir()
    write_class(folder, "cap_0", 0, [3 + i % 12 for i in range(40)])  # lengths 3…14 around target_length 8
    write_class(folder, "cap_1", 1, [8] * 25)  # the smallest class
    write_class(folder, "cap_2", 2, [20] * 60)
    return folder


def test_etl_balances_splits_pads_and_interleaves(tmp_path: Path, caps: Path) -> None:
    cfg = config(tmp_path, caps, train_test_fraction=0.8, train_val_fraction=0.75)
    cfg.etl["examples_per_class"] = None  # null: the smallest class's 25
    data = prepare_dataset(cfg)
    assert data.per_class == 25 and data.names == ["cap_0", "cap_1", "cap_2"] and not data.reused
    assert data.counts == {"train": 45, "val": 15, "test": 15}  # 25 → 20 + 5; 20 → 15 + 5; × 3 classes
    seen: set[str] = set()
    originals = {c.name: c.index for c in class_files(caps, 3)}
    for split in ("train", "val", "test"):
        rows = _rows(data.file(split))
        assert len(rows) == data.counts[split]
        assert [r[1] for r in rows] == ["0", "1", "2"] * (len(rows) // 3)  # round-robin: balanced batches
        for read_id, cap_class, series in rows:
            assert read_id not in seen
            seen.add(read_id)
            name, i = read_id.rsplit("-", 1)
            original = originals[name].fetch([int(i)])[1][0]
            assert read_id.startswith(f"cap_{cap_class}")
            assert [float(v) for v in series.split(",")] == fit_length(original, 8).tolist()
    manifest = json.loads((data.folder / "dataset.json").read_text())
    assert manifest["classes"] == {"0": "cap_0", "1": "cap_1", "2": "cap_2"}


def test_examples_per_class_caps_every_class(tmp_path: Path, caps: Path) -> None:
    cfg = config(tmp_path, caps)
    cfg.etl["examples_per_class"] = 20
    data = prepare_dataset(cfg)
    assert data.per_class == 20 and sum(data.counts.values()) == 60


def test_the_dataset_is_reused_rebuilt_when_settings_change_and_on_request(tmp_path: Path, caps: Path) -> None:
    said: list[str] = []
    first = prepare_dataset(config(tmp_path, caps), log=said.append)
    before = first.file("train").read_text()
    again = prepare_dataset(config(tmp_path, caps), log=said.append)
    assert again.reused and "reusing" in said[-1] and again.file("train").read_text() == before
    changed = prepare_dataset(config(tmp_path, caps, target_length=6), log=said.append)
    assert not changed.reused and "target_length 8, this run has 6" in said[-1]
    forced = prepare_dataset(config(tmp_path, caps, target_length=6), reprocess=True, log=said.append)
    assert not forced.reused and "--reprocess" in said[-1]
    (first.folder / "val.csv").unlink()
    assert not prepare_dataset(config(tmp_path, caps, target_length=6)).reused  # a missing file: rebuilt


def test_dtype_rounds_the_stored_signals(tmp_path: Path) -> None:
    caps = tmp_path / "caps"
    caps.mkdir()
    for k in range(2):
        (caps / f"data__c{k}.csv").write_text(HEADER + "".join(_row(f"c{k}-{i}", k, [0.1, 0.2, 1 / 3])
                                                                for i in range(20)))
    data = prepare_dataset(config(tmp_path, caps, num_classes=2, target_length=3, dtype="float16"))
    text = _rows(data.file("test"))[0][2]
    assert text == "0.099976,0.19995,0.33325"  # float16's shortest round-trip digits
    assert np.array_equal(np.float16(text.split(",")), np.float16([0.1, 0.2, 1 / 3]))


# --------------------------------------------------------------------------- the config and the commands


def _write_config(tmp_path: Path, caps: Path, **changes: dict) -> Path:
    raw = template()
    raw["etl_params"].update(caps_data_dir=str(caps), use_remote_dataset_version="")
    raw["shared_params"].update(output_dir=str(tmp_path / "out"), num_classes=3, target_length=8)
    for section, values in changes.items():
        raw[section].update(values)
    path = tmp_path / "capfinder.json"
    path.write_text(json.dumps(raw, indent=4))
    return path


def test_create_train_config_writes_capfinders_template_and_train_recognises_it(tmp_path: Path,
                                                                                capsys: pytest.CaptureFixture) -> None:
    from specdsl.config import load_config

    path = tmp_path / "conf" / "config.json"
    assert main(["capfinder", "create-train-config", "--file_path", str(path)]) == 0
    assert json.loads(path.read_text()) == TEMPLATE
    assert list(TEMPLATE) == ["etl_params", "tune_params", "train_params", "shared_params", "lr_scheduler_params",
                              "debug_code"]
    ir = load_config(path)  # no "kind": recognised by its sections
    assert ir.kind == "capfinder" and ir.data.reader == "signal-csv" and ir.heads[0].kind == "multiclass"
    assert dict(ir.schedule.lr_schedule) == {"kind": "plateau", "factor": 0.5, "patience": 5, "min_lr": 1e-6}
    assert ir.schedule.early_stopping_patience == 120 and ir.schedule.epochs == 300


def test_check_summarises_a_capfinder_config_without_training(tmp_path: Path, caps: Path,
                                                               capsys: pytest.CaptureFixture) -> None:
    path = _write_config(tmp_path, caps)
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ok:" in out and "capfinder config; 3 classes" in out and "cap_1 (1: 25 reads)" in out
    assert "25 reads per class → 18 train, 5 validation, 2 test" in out


def test_a_remote_dataset_version_is_refused_at_its_key(tmp_path: Path, caps: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    path = _write_config(tmp_path, caps, etl_params={"use_remote_dataset_version": "8.0.0"})
    assert main(["capfinder", "train-model", "--config_file", str(path)]) == 2
    err = capsys.readouterr().err
    assert "etl_params.use_remote_dataset_version: dataset version '8.0.0' is a Comet ML artifact" in err
    assert f"{path}:" in err and '"" or "latest"' in err
    assert not (tmp_path / "out").exists()


def test_bad_configs_report_every_error_with_its_line(tmp_path: Path, caps: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    path = _write_config(tmp_path, caps, tune_params={"tuning_strategy": "grid_search"},
                         shared_params={"train_test_fraction": 1.5})
    text = path.read_text().replace('"max_trials"', '"max_trial"')
    path.write_text(text)
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'max_trial'" in err and "did you mean 'max_trials'?" in err
    assert 'tune_params.tuning_strategy: expected one of "hyperband"' in err
    assert "shared_params.train_test_fraction: out of range" in err
    line = text.splitlines().index(next(x for x in text.splitlines() if '"max_trial"' in x)) + 1
    assert f"{path}:{line}:" in err


def test_a_bad_csv_stops_train_model_with_exit_2(tmp_path: Path, caps: Path, capsys: pytest.CaptureFixture) -> None:
    bad = caps / "data__cap_1.csv"
    bad.write_text(bad.read_text().replace('"1001,1002', '"1001,oops', 1))
    path = _write_config(tmp_path, caps)
    assert main(["capfinder", "train-model", "--config_file", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2: timeseries item 2 is 'oops', not a number" in err
    assert "expected: the signal as comma-separated numbers" in err
    assert main(["capfinder", "train-model", "--config", str(path), "--bogus"]) == 2
    assert "unknown option --bogus" in capsys.readouterr().err


def test_make_data_capfinder_writes_one_csv_per_class(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["make-data", "capfinder", "--out", str(tmp_path), "--reads", "12", "--classes", "5"]) == 0
    names = sorted(p.name for p in tmp_path.glob("data__*.csv"))
    assert names == ["data__cap_0.csv", "data__cap_1.csv", "data__cap_2-1.csv", "data__cap_2.csv",
                     "data__cap_4.csv"]
    found = class_files(tmp_path, 5)
    assert [len(c.index) for c in found] == [12] * 5
    assert all(300 <= n <= 700 for c in found for n in c.index.lengths)


def test_a_missing_data_folder_is_shown_at_its_key(tmp_path: Path, caps: Path, capsys: pytest.CaptureFixture) -> None:
    path = _write_config(tmp_path, caps, etl_params={"caps_data_dir": str(tmp_path / "nowhere")})
    for verb in (["check", str(path)], ["capfinder", "train-model", "--config_file", str(path)]):
        assert main(verb) == 2
        err = capsys.readouterr().err
        line = path.read_text().splitlines().index(next(x for x in path.read_text().splitlines()
                                                        if '"caps_data_dir"' in x)) + 1
        assert f"{path}:{line}:" in err and "etl_params.caps_data_dir:" in err and "no such folder" in err
        assert "^^^" in err
