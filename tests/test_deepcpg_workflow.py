"""DeepCpG's workflow on specdsl, as its users run it: data → train → eval → eval-export, staged training,
the native config route, and mistakes on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from specdsl.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("deepcpg")
    assert main(["make-data", "deepcpg", "--out", str(root), "--sites", "2500", "--cells", "3", "--seed", "4"]) == 0
    profiles = sorted(str(p) for p in (root / "cpg").iterdir())
    assert main(["deepcpg", "data", "--cpg_profiles", *profiles, "--dna_files", str(root / "dna"),
                 "--dna_wlen", "101", "--cpg_wlen", "20", "--out_dir", str(root / "data")]) == 0
    return root


def chunks(data: Path, chromo: str) -> list[str]:
    return sorted(str(p) for p in (data / "data").glob(f"c{chromo}_*.h5"))


@pytest.fixture(scope="module")
def trained(data: Path) -> Path:
    out = data / "joint"
    argv = ["deepcpg", "train", *chunks(data, "1"), *chunks(data, "2"), "--val_files", *chunks(data, "3"),
            "--dna_model", "CnnL1h128", "--cpg_model", "RnnL1", "--joint_model", "JointL1h512", "--nb_epoch", "4",
            "--learning_rate", "0.002", "--l1_decay", "0", "--l2_decay", "0", "--batch_size", "64", "-o", str(out)]
    assert main(argv) == 0
    return out


def test_train_writes_deepcpgs_artifacts(trained: Path) -> None:
    for name in ("model.keras", "history.json", "history.png", "lc_train.tsv", "lc_val.tsv"):
        assert (trained / name).is_file(), name
    lines = (trained / "lc_val.tsv").read_text().splitlines()
    assert lines[0].split("\t") == ["loss", "cpg/cell1_acc", "cpg/cell2_acc", "cpg/cell3_acc"]
    assert len(lines) == 5 and all(len(line.split("\t")) == 4 for line in lines[1:])
    history = json.loads((trained / "history.json").read_text())
    assert history["config"]["options"]["dna_model"] == ["CnnL1h128"]
    assert history["learning_rate"][1] == pytest.approx(0.002 * 0.975, rel=1e-4)  # DeepCpG's decay schedule
    assert not [p for p in trained.iterdir() if p.name.startswith(".")]


def test_the_delivered_model_loads_with_plain_keras_in_a_fresh_process(trained: Path) -> None:
    import subprocess
    import sys

    code = ("import sys, keras; m = keras.saving.load_model(sys.argv[1], safe_mode=True); "
            "assert not [k for k in sys.modules if k.startswith('specdsl')]; print(m.output_names)")
    done = subprocess.run([sys.executable, "-c", code, str(trained / "model.keras")], capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-1500:]
    assert "cpg_cell1" in done.stdout


def test_eval_learns_the_planted_signal_and_imputes_every_site(data: Path, trained: Path, capsys) -> None:
    report, out = data / "eval" / "report.tsv", data / "eval" / "data.h5"
    val = chunks(data, "3")
    assert main(["deepcpg", "eval", *val, "--model_files", str(trained), "-o", str(report), "--out_data",
                 str(out)]) == 0
    rows = [line.split("\t") for line in report.read_text().splitlines()]
    assert rows[0] == ["metric", "output", "value"]
    auc = {r[1]: float(r[2]) for r in rows[1:] if r[0] == "auc"}
    assert set(auc) == {"cpg/cell1", "cpg/cell2", "cpg/cell3"} and min(auc.values()) >= 0.85, auc
    # the run scored the delivered model on the same files with the same metrics module
    scores = json.loads((trained / "history.json").read_text())["validation-scores"]
    assert {k: v["auc"] for k, v in scores.items()} == pytest.approx(auc, abs=1e-4)
    sites = sum(h5py.File(f, "r")["pos"].shape[0] for f in val)
    with h5py.File(out, "r") as h5:
        assert h5["pos"].shape == (sites,) and h5["preds/cpg/cell1"].shape == (sites,)
        labels = h5["outputs/cpg/cell2"][:]
        preds = h5["preds/cpg/cell2"][:]
    assert (labels == -1).any() and np.isfinite(preds).all() and ((preds > 0) & (preds < 1)).all()
    assert "cpg/cell1" in capsys.readouterr().out
    export = data / "eval" / "export"
    assert main(["deepcpg", "eval-export", str(out), "-o", str(export), "-f", "bedGraph"]) == 0
    assert sorted(p.name for p in export.iterdir()) == [f"cell{i}.bedGraph.gz" for i in (1, 2, 3)]


def test_staged_training_reuses_a_trained_stem_and_freezes_it(data: Path, trained: Path) -> None:
    from specdsl.backend.keras_model import load_model

    dna = data / "dna_only"
    common = ["--val_files", *chunks(data, "3"), "--nb_epoch", "1", "--batch_size", "64", "--nb_train_sample", "512"]
    assert main(["deepcpg", "train", *chunks(data, "1"), "--dna_model", "CnnL1h128", *common, "-o", str(dna)]) == 0
    joint = data / "staged"
    assert main(["deepcpg", "train", *chunks(data, "1"), "--dna_model", str(dna), "--cpg_model", "RnnL1",
                 "--joint_model", "JointL1h512", "--train_models", "joint", "cpg", *common, "-o", str(joint)]) == 0
    before, after = load_model(dna / "model.keras"), load_model(joint / "model.keras")
    for layer in ("dna_conv1", "dna_fc1"):
        assert after.get_layer(layer).trainable is False
        for w0, w1 in zip(before.get_layer(layer).get_weights(), after.get_layer(layer).get_weights()):
            np.testing.assert_array_equal(w0, w1)  # copied and not trained
    assert after.get_layer("joint_fc1").trainable and after.get_layer("cpg_bgru1").trainable
    history = json.loads((joint / "history.json").read_text())
    assert history["config"]["architecture"] == {"dna": "CnnL1h128", "cpg": "RnnL1", "joint": "JointL1h512"}
    again = data / "staged2"  # a staged model is itself a starting point
    assert main(["deepcpg", "train", *chunks(data, "1"), "--dna_model", str(joint), "--cpg_model", str(joint),
                 *common, "-o", str(again)]) == 0


def test_the_native_config_builds_the_same_model(data: Path, tmp_path: Path) -> None:
    from specdsl.config import load_config_text
    from specdsl.systems.deepcpg.commands.train import build_parser, training_ir
    from specdsl.training.plan import make_plan

    text = (Path(__file__).resolve().parent.parent / "examples" / "deepcpg_native.json").read_text()
    text = text.replace("out/deepcpg-demo/data", str(data / "data")).replace('"cpg-wlen": 50', '"cpg-wlen": 20')
    native = make_plan(load_config_text(text, "native.json"))
    adapter = make_plan(training_ir(build_parser().parse([
        *chunks(data, "1"), *chunks(data, "2"), "--val_files", *chunks(data, "3"), "--dna_model", "CnnL1h128",
        "--cpg_model", "RnnL1", "--joint_model", "JointL1h512", "--dna_wlen", "101"])))
    assert native.graph.total == adapter.graph.total
    assert [o.display for o in native.outputs] == [o.display for o in adapter.outputs]
    assert native.examples == adapter.examples
    path = tmp_path / "native.json"
    path.write_text(text)
    assert main(["check", str(path)]) == 0


def test_data_file_errors_point_at_the_config_key(data: Path, tmp_path: Path, capsys) -> None:
    text = (Path(__file__).resolve().parent.parent / "examples" / "deepcpg_native.json").read_text()
    text = text.replace("out/deepcpg-demo/data", str(data / "data")).replace('"cpg-wlen": 50', '"cpg-wlen": 20')
    text = text.replace('c3_*.h5",', 'c9_*.h5",')
    path = tmp_path / "bad.json"
    path.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"val"' in t)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:{line}:") and "data.val: " in err and "c9_*.h5: data file not found" in err


@pytest.mark.parametrize("argv, words", [
    (["--nb_epochs", "3"], ["--nb_epochs", "did you mean '--nb_epoch'"]),
    (["--filter_weights", "w.h5"], ["--filter_weights", "not supported"]),
    (["--dna_model", "CnnL2h12"], ["unknown DNA model 'CnnL2h12'", "did you mean 'CnnL2h128'"]),
    (["--learning_rate", "0"], ["--learning_rate", "(0, 1]"]),
    (["--dropout", "1.5"], ["--dropout: must lie in [0, 1), got 1.5"]),
    (["--cpg_wlen", "7"], ["--cpg_wlen: must be even", "use 8"]),
    (["--not_trainable", "dnaa/"], ["--trainable/--not_trainable", "matches no layer"]),
])
def test_mistakes_exit_2_naming_the_option_and_write_nothing(data: Path, tmp_path: Path, capsys, argv: list[str],
                                                             words: list[str]) -> None:
    out = tmp_path / "never"
    base = ["deepcpg", "train", *chunks(data, "1"), "-o", str(out)]
    if "--dna_model" not in argv:
        base += ["--cpg_model", "RnnL1"]
    assert main(base + argv) == 2
    err = capsys.readouterr().err
    assert all(w in err for w in words), err
    assert "Traceback" not in err and not out.exists()


def test_prefixes_of_options_work_as_in_dcpg_train() -> None:
    from specdsl.systems.deepcpg.commands.train import build_parser

    args = build_parser().parse(["c1.h5", "--nb_ep", "3", "--learning_rate_d", "0.9"])
    assert (args.nb_epoch, args.learning_rate_decay) == (3, 0.9)


def test_output_places_are_checked_before_any_work(data: Path, tmp_path: Path, capsys) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    profiles = sorted(str(p) for p in (data / "cpg").iterdir())
    assert main(["deepcpg", "data", "--cpg_profiles", *profiles, "--out_dir", str(a_file)]) == 2
    assert "--out_dir: is a file, not a folder" in capsys.readouterr().err
    assert main(["deepcpg", "eval", *chunks(data, "3"), "--model_files", str(tmp_path), "--out_data",
                 str(tmp_path)]) == 2
    assert "--out_data: is a folder" in capsys.readouterr().err


def test_a_missing_data_file_is_named(data: Path, tmp_path: Path, capsys) -> None:
    missing = str(tmp_path / "c9_000000-000010.h5")
    assert main(["deepcpg", "train", missing, "--cpg_model", "RnnL1", "-o", str(tmp_path / "o")]) == 2
    assert f"{missing}: data file not found" in capsys.readouterr().err
    assert main(["deepcpg", "eval", *chunks(data, "3"), "--model_files", str(tmp_path / "nomodel")]) == 2
    assert "no trained model" in capsys.readouterr().err
