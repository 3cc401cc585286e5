"""Capfinder's classifier from a specdsl-train config (examples/capfinder_native.json): synthetic cap
signals → check → train (cnn_lstm at its default point, signal-csv reader, multiclass head, cyclic
schedule) → a delivered .keras that loads with safe_mode and classifies well above chance → predict."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from specdsl.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "capfinder_native.json"
CLASSES = ["cap_0", "cap_1", "cap_2", "cap_2-1"]
EPOCHS = 8  # seeds 1–4 reach 0.85–0.92 validation accuracy in 8 epochs on this data; chance is 0.25
MIN_ACCURACY = 0.7


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("capfinder-native")
    assert main(["make-data", "capfinder", "--out", str(root / "caps"), "--reads", "400", "--seed", "1"]) == 0
    assert main(["make-data", "capfinder", "--out", str(root / "caps-val"), "--reads", "100", "--seed", "2"]) == 0
    text = EXAMPLE.read_text(encoding="utf-8").replace("out/capfinder-demo", str(root))
    text, n = re.subn(r'"epochs": \d+', f'"epochs": {EPOCHS}', text)
    assert n == 1
    config = root / "capfinder_native.json"
    config.write_text(text, encoding="utf-8")
    assert main(["check", str(config)]) == 0
    assert main(["train", str(config)]) == 0
    return root


@pytest.mark.slow
def test_the_native_config_trains_a_four_class_cap_classifier(run: Path) -> None:
    import keras

    prefix = run / "native" / "cnn_lstm"
    model = keras.saving.load_model(f"{prefix}.keras", safe_mode=True)
    assert model.input_shape == (None, 500, 1)
    assert model.output_shape == (None, len(CLASSES))
    history = json.loads(Path(f"{prefix}.history.json").read_text(encoding="utf-8"))
    assert 1 <= len(history["loss"]) <= EPOCHS
    scores = history["validation-scores"]["cap"]
    assert scores["n"] == 400 and scores["class_names"] == CLASSES
    assert scores["acc"] >= MIN_ACCURACY, scores["acc"]  # the best epoch's weights, scored on the held-out reads
    assert max(history["val_acc"]) >= MIN_ACCURACY
    assert history["config"]["schedule"]["lr-schedule"]["kind"] == "cyclic"


@pytest.mark.slow
def test_predict_names_the_classes_from_the_run(run: Path) -> None:
    out = run / "predictions.csv"
    assert main(["predict", str(run / "native" / "cnn_lstm.keras"), str(run / "caps-val" / "data__cap_2.csv"),
                 "-o", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 100
    assert list(rows[0]) == ["read_id", *[f"prob_{c}" for c in CLASSES], "predicted_cap"]
    assert sum(r["predicted_cap"] == "cap_2" for r in rows) >= 60


def test_predict_finds_a_capfinder_classifiers_run_history(tmp_path: Path) -> None:
    """A Capfinder run moves its classifier to best_model/classifier/ and leaves the history in
    best_model/training/: predict still rounds signals to the run's dtype."""
    from specdsl.systems.capfinder.predict import _dtype, run_history

    best = tmp_path / "best_model"
    (best / "classifier").mkdir(parents=True)
    (best / "training").mkdir()
    model = best / "classifier" / "classifier_20240101_000000.keras"
    (best / "training" / "classifier_20240101_000000.history.json").write_text(
        json.dumps({"loss": [1.0], "config": {"shared_params": {"dtype": "float16"}}}), encoding="utf-8")
    assert _dtype(run_history(model)) == "float16"
    assert run_history(tmp_path / "elsewhere" / "model.keras") == {}


def point_config(root: Path, point: dict, params: dict | None = None) -> Path:
    """The example on a little data, at ``point`` of the cnn_lstm space."""
    assert main(["make-data", "capfinder", "--out", str(root / "caps"), "--reads", "40"]) == 0
    raw = json.loads(re.sub(r"(?m)^\s*(//.*)?$|\s+#.*$", "", EXAMPLE.read_text(encoding="utf-8")))
    raw["data"].update(train=str(root / "caps" / "data__*.csv"), val=str(root / "caps" / "data__*.csv"))
    raw["output-prefix"] = str(root / "out" / "model")
    raw["model"]["architecture"]["point"] = point
    raw["model"]["architecture"]["params"].update(params or {})
    path = root / "point.json"
    path.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    return path


def test_a_point_of_the_space_trains_capfinders_shipped_classifier(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture) -> None:
    from specdsl.systems.capfinder.presets import SHIPPED_CNN_LSTM

    assert main(["check", str(point_config(tmp_path, SHIPPED_CNN_LSTM))]) == 0
    assert "349,380 parameters" in capsys.readouterr().out


def test_a_bad_point_is_reported_at_its_key(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = point_config(tmp_path, {"filters_0": 65, "dense_unit": 32}, {"learning_rate": 0.5})
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "model.architecture.point.filters_0: filters_0 = 65 is not one of {32,64}" in err
    assert "model.architecture.point.dense_unit: the space has no axis 'dense_unit'" in err
    assert "did you mean 'dense_units'?" in err
    assert "model.architecture.params.learning_rate: 'learning_rate' is a searched training hyperparameter" in err
    assert f"{path}:" in err and not (tmp_path / "out").exists()


def test_a_point_for_a_preset_without_a_space_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = point_config(tmp_path, {"filters_0": 64})
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["model"]["architecture"] = {"preset": "CnnL2h128", "point": {"filters_0": 64}}
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert main(["check", str(path)]) == 2
    assert "preset CnnL2h128 is not a search space" in capsys.readouterr().err
