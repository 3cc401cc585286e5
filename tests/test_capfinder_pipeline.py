"""Capfinder's whole pipeline from its own config: ETL, search, final training, evaluation, predictions.

One short run on synthetic cap signals with planted class shapes (``specdsl make-data
capfinder``) is shared by the tests that read its outputs; a second, tiny one runs a real
KerasTuner search through the pipeline.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from specdsl.cli import main
from specdsl.systems.capfinder.config import template

pytestmark = pytest.mark.slow
CLASSES = ["cap_0", "cap_1", "cap_2", "cap_2-1"]


def capfinder_config(folder: Path, data: Path, **sections: dict) -> Path:
    """Capfinder's own template with the data and output folders filled in and ``sections`` merged."""
    raw = template()
    raw["etl_params"]["caps_data_dir"] = str(data)
    raw["shared_params"]["output_dir"] = str(folder / "out")
    for section, values in sections.items():
        raw[section].update(values)
    path = folder / "capfinder_config.json"
    path.write_text(json.dumps(raw, indent=4))
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run as a user makes it: make-data, then train-model with Capfinder's template (no search)."""
    folder = tmp_path_factory.mktemp("capfinder")
    assert main(["make-data", "capfinder", "--out", str(folder / "caps"), "--reads", "400", "--seed", "1"]) == 0
    config = capfinder_config(folder, folder / "caps", tune_params={"max_trials": 0},
                              train_params={"max_epochs_final_model": 12, "patience": 5})
    assert main(["capfinder", "train-model", "--config_file", str(config)]) == 0
    return folder / "out"


def the_classifier(out: Path) -> Path:
    found = sorted((out / "best_model" / "classifier").glob("*.keras"))
    assert len(found) == 1, found
    return found[0]


def test_a_short_run_reaches_90_percent_on_held_out_reads(trained: Path) -> None:
    metrics = json.loads((trained / "best_model" / "metrics.json").read_text())
    test = metrics["test"] if "test" in metrics else metrics["splits"]["test"]
    assert test["n"] == 80 and test["acc"] >= 0.9, test
    assert metrics["class_map"] == {"0": "cap_0", "1": "cap_1", "2": "cap_2", "3": "cap_2-1"}
    assert metrics["search"]["searched"] is False and metrics["search"]["learning_rate"] == 0.01


def test_outputs_are_where_capfinder_puts_them(trained: Path) -> None:
    best = trained / "best_model"
    classifier = the_classifier(trained)
    assert classifier.name.startswith("classifier_")
    assert sorted(p.name for p in classifier.parent.iterdir()) == [
        classifier.name.replace(".keras", ".class_map.json"), classifier.name]
    assert json.loads(classifier.with_name(classifier.name.replace(".keras", ".class_map.json")).read_text()) == \
        dict(zip("0123", CLASSES, strict=True))
    for split in ("train", "test"):
        with open(best / f"confusion_matrix_{split}.csv", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0][1:] == CLASSES and [r[0] for r in rows[1:]] == CLASSES
        assert (best / f"confusion_matrix_{split}.png").stat().st_size > 1000
    test_counts = [list(map(int, r[1:])) for r in list(csv.reader(open(best / "confusion_matrix_test.csv")))[1:]]
    assert sum(map(sum, test_counts)) == 80 and [sum(r) for r in test_counts] == [20] * 4
    assert sorted(p.name.split(".", 1)[1] for p in (best / "training").glob("*.*json")) == ["history.json"]
    assert list((trained / "logs").glob("capfinder_*.log"))
    assert {p.name for p in (trained / "dataset").iterdir()} >= {"train.csv", "val.csv", "test.csv"}


def test_the_classifier_loads_with_plain_keras_in_a_fresh_process(trained: Path) -> None:
    script = ("import keras, sys; m = keras.saving.load_model(sys.argv[1], safe_mode=True); "
              "print(m.input_shape, m.output_shape, 'specdsl' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script, str(the_classifier(trained))], capture_output=True,
                          text=True, check=True)
    assert done.stdout.split("\n")[-2] == "(None, 500, 1) (None, 4) False"


def test_predict_writes_one_row_per_read_with_every_class_probability(trained: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture) -> None:
    caps = trained.parent / "caps"
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(the_classifier(trained)), str(caps / "data__cap_2.csv"),
                 str(caps / "data__cap_2-1.csv"), "-o", str(out)]) == 0
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["read_id", *(f"prob_{c}" for c in CLASSES), "predicted_cap"]
    assert len(rows) == 800
    assert all(abs(sum(float(r[f"prob_{c}"]) for c in CLASSES) - 1) < 2e-3 for r in rows)
    right = sum(r["predicted_cap"] == ("cap_2" if i < 400 else "cap_2-1") for i, r in enumerate(rows))
    assert right / len(rows) >= 0.85


def test_a_second_run_reuses_the_dataset_and_keeps_the_first_classifier(trained: Path,
                                                                        capsys: pytest.CaptureFixture) -> None:
    config = trained.parent / "capfinder_config.json"
    raw = json.loads(config.read_text())
    raw["train_params"]["max_epochs_final_model"] = 1
    second = trained.parent / "second.json"
    second.write_text(json.dumps(raw))
    first = the_classifier(trained)
    try:
        assert main(["train", str(second)]) == 0  # specdsl train recognises Capfinder's config
        assert "reusing the processed dataset" in capsys.readouterr().err
        found = sorted((trained / "best_model" / "classifier").glob("*.keras"))
        assert first in found and len(found) == 2
    finally:
        for extra in (trained / "best_model" / "classifier").glob("*"):
            if not extra.name.startswith(first.name.replace(".keras", "")):
                extra.unlink()


def test_a_tiny_search_runs_through_the_pipeline(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["make-data", "capfinder", "--out", str(tmp_path / "caps"), "--reads", "40"]) == 0
    config = capfinder_config(
        tmp_path, tmp_path / "caps",
        tune_params={"tuning_strategy": "random_search", "max_trials": 2, "max_epochs_hpt": 1},
        train_params={"max_epochs_final_model": 1},
        shared_params={"target_length": 64, "dtype": "float32"},
        lr_scheduler_params={"type": "cyclic_lr"})
    assert main(["capfinder", "train-model", "--config_file", str(config)]) == 0
    chosen = json.loads((tmp_path / "out" / "best_model" / "best_hyperparameters.json").read_text())
    assert chosen["searched"] is True and len(chosen["trials"]) == 2
    assert chosen["learning_rate"] in (0.01, 0.001, 0.0001)
    assert (tmp_path / "out" / "tuner_models" / "capfinder_tune_cnn_lstm").is_dir()
    assert "random_search over cnn_lstm" in capsys.readouterr().err


def test_ctrl_c_before_any_trial_finished_says_so_and_trains_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture) -> None:
    import specdsl.search as search
    from specdsl.search import SearchResult

    def interrupted(*args, **kwargs) -> SearchResult:
        return SearchResult(best_values=None, best_score=None, trials=[], interrupted=True)

    monkeypatch.setattr(search, "run_search", interrupted)
    assert main(["make-data", "capfinder", "--out", str(tmp_path / "caps"), "--reads", "20"]) == 0
    config = capfinder_config(tmp_path, tmp_path / "caps", tune_params={"max_trials": 2},
                              shared_params={"target_length": 64})
    assert main(["capfinder", "train-model", "--config_file", str(config)]) == 130
    assert "before any trial finished: there is no point to train" in capsys.readouterr().err
    assert not list((tmp_path / "out" / "best_model").glob("classifier/*.keras"))
