"""The workshop's workflow end to end: synthetic isolates → train with -lr/-dr → curves → predict → evaluate,
the masked multi-label loss against its formula, a multi-class head on the same reader, the adapters' options."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from specdsl.cli import main

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _config(example: str, root: Path, **schedule: int) -> Path:
    text = (EXAMPLES / example).read_text().replace("out/workshop", str(root))
    for key, value in schedule.items():
        text = re.sub(rf'"{key}": \d+', f'"{key}": {value}', text)
    path = root / example
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workshop")
    assert main(["make-data", "workshop", "--out", str(root), "--isolates", "400", "--seed", "2"]) == 0
    return root


@pytest.fixture(scope="module")
def trained(data: Path) -> Path:
    config = _config("workshop_full.json", data, **{"batch-size": 16, "epochs": 10})
    assert main(["workshop", "full-model", "-lr", "0.002", "-dr", "0.1", "--config", str(config)]) == 0
    return data / "full" / "TB-model.keras"


def test_held_out_isolates_are_called_right_for_every_drug(data: Path, trained: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    from specdsl.systems.workshop.synthetic import DRUGS

    capsys.readouterr()
    assert main(["evaluate", str(trained), str(data / "isolates" / "test.fa"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    accuracy = {drug: m["acc"] for drug, m in report["outputs"].items()}
    assert set(accuracy) == set(DRUGS) and report["samples"] == 80
    assert min(accuracy.values()) >= 0.9, accuracy
    assert all(m["n"] < 80 for m in report["outputs"].values())  # blank labels are left out


def test_the_run_draws_curves_named_by_its_settings(data: Path, trained: Path) -> None:
    folder = trained.parent
    for name in ("TB-model_LR:0.002-DR:0.1-ACC.png", "TB-model_LR:0.002-DR:0.1-LOSS.png"):
        assert (folder / name).stat().st_size > 5000, name
    history = json.loads((folder / "TB-model.history.json").read_text())
    assert history["config"]["optimizer"]["learning-rate"] == 0.002
    assert history["config"]["model"]["architecture"]["params"]["dropout"] == 0.1
    assert len(history["val_isoniazid_acc"]) == len(history["loss"])


def test_predictions_from_onehot_files_match_the_fasta(data: Path, trained: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    from specdsl.systems.workshop.synthetic import DRUGS

    assert main(["onehot", str(data / "isolates" / "test.fa"), "-o", str(data / "onehot")]) == 0
    files = sorted((data / "onehot").glob("*.csv"))[:5]
    for path in files:
        path.rename(path.with_name(path.stem + "_oh.csv"))  # the workshop's names
    files = sorted((data / "onehot").glob("*_oh.csv"))
    out = data / "drug_predictions.csv"
    assert main(["workshop", "full-model", "-i", *map(str, files), "-v", "-o", str(out),
                 "--config", str(data / "workshop_full.json")]) == 0
    assert "isoniazid" in capsys.readouterr().out
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["sample"] + [c for d in DRUGS for c in (d, f"{d}_prob")]
    assert [r["sample"] for r in rows] == [p.name[: -len("_oh.csv")] for p in files]
    assert main(["predict", str(trained), str(data / "isolates" / "test.fa"), "-o", str(data / "fa.csv")]) == 0
    by_fasta = {r["sample"]: r for r in csv.DictReader((data / "fa.csv").open())}
    for row in rows:
        assert row == by_fasta[row["sample"]]


def test_the_masked_multi_label_loss_is_the_formula(data: Path, trained: Path) -> None:
    from specdsl.backend.keras_model import load_model
    from specdsl.config import load_config
    from specdsl.training.plan import make_plan
    from specdsl.training.run import _compile_parts
    from specdsl.training.run_batches import field_batches, keras_pairs

    plan = make_plan(load_config(data / "workshop_full.json"))
    model = load_model(trained)
    losses, weights, _ = _compile_parts(plan)
    model.compile(loss=losses, loss_weights=weights)
    x, y = keras_pairs(plan)(next(field_batches(plan, "val", False, 0).run(0)))
    got = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    preds = dict(zip(model.output_names, model.predict(x, verbose=0)))
    class_weights = plan.heads[0].state["class_weights"]
    expected, unknown = 0.0, 0
    for name, labels in y.items():
        t = np.asarray(labels).ravel()
        p = np.clip(np.asarray(preds[name]).ravel(), 1e-7, 1 - 1e-7)
        m = (t >= 0).astype(float)
        unknown += int((m == 0).sum())
        c = np.asarray(class_weights[name])[np.where(t > 0.5, 1, 0)]
        bce = -(np.where(t > 0.5, 1.0, 0.0) * np.log(p) + np.where(t > 0.5, 0.0, 1.0) * np.log(1 - p))
        expected += float((m * c * bce).sum() / max(1.0, m.sum()))
    assert unknown > 0  # the batch holds blank labels, and they count for nothing
    assert got == pytest.approx(expected, rel=1e-4)


def test_a_multiclass_head_reads_class_names_from_the_labels(data: Path, capsys: pytest.CaptureFixture) -> None:
    lineage = {r["sample"]: f"L{r['lineage']}" for r in csv.DictReader((data / "mutations.csv").open())}
    for split in ("train", "val"):
        names = [line[1:].strip() for line in (data / "katg" / f"{split}.fa").read_text().splitlines()
                 if line.startswith(">")]
        rows = [f"{n},{'' if i == 0 else lineage[n]}" for i, n in enumerate(names)]
        (data / f"{split}.lineage.csv").write_text("sample,lineage\n" + "\n".join(rows) + "\n")
    config = {"kind": "specdsl-train", "output-prefix": str(data / "lineage" / "L-model"),
              "model": {"architecture": {"preset": "InhModel", "params": {"dropout": 0.0}}},
              "heads": [{"kind": "multiclass", "head-name": "lineage", "target": "lineage",
                         "classes": ["L1", "L2", "L3", "L4"]}],
              "data": {"reader": "sequence-labels", "train": str(data / "isolates" / "train.fa"),
                       "val": str(data / "isolates" / "val.fa"),
                       "labels": [str(data / "train.lineage.csv"), str(data / "val.lineage.csv")]},
              "schedule": {"epochs": 2, "batch-size": 16}, "runtime": {"seed": 1}}
    (data / "lineage.json").write_text(json.dumps(config))
    assert main(["train", str(data / "lineage.json")]) == 0
    assert "L-model_LR:0.004-DR:0.0-ACC.png" in capsys.readouterr().out
    assert main(["predict", str(data / "lineage" / "L-model.keras"), str(data / "isolates" / "val.fa"),
                 "-o", str(data / "lineage.csv")]) == 0
    rows = list(csv.DictReader((data / "lineage.csv").open()))
    assert list(rows[0])[:3] == ["sample", "lineage", "lineage_prob_L1"] and rows[0]["lineage"] in lineage.values()


def test_the_isoniazid_script_and_its_options(data: Path, capsys: pytest.CaptureFixture) -> None:
    config = _config("workshop_inh.json", data, epochs=2)
    assert main(["workshop", "inh-model", "-lr", "0.001", "-dr", "0.0", "--config", str(config)]) == 0
    assert (data / "inh" / "INH-model_LR:0.001-DR:0.0-ACC.png").is_file()
    assert (data / "inh" / "INH-model_LR:0.001-DR:0.0-LOSS.png").is_file()
    capsys.readouterr()
    for argv, words in ((["inh-model", "-lr", "0.001", "--epochs", "3"], "unknown option --epochs"),
                        (["inh-model", "-dr", "1.5"], "-dr: the dropout rate must lie in [0, 1)"),
                        (["inh-model", "--config", str(data / "nope.json")], "no config at"),
                        (["full-model", "-i", "x_oh.csv", "-lr", "0.01"], "-lr sets how the model trains"),
                        (["full-model", "-o", "p.csv"], "-o goes with -i")):
        assert main(["workshop", *argv]) == 2, argv
        assert words in capsys.readouterr().err, argv
