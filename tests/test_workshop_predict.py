"""``specdsl predict`` and ``specdsl evaluate`` on a model whose probabilities are known by construction.

The model reads 2 positions; its binary output ``isoniazid`` is σ(2·A − ... ) of the first base
(A → σ(2), C → σ(1), G → σ(−1), T → σ(−2), N → σ(0) = 0.5) and its three-class output ``lineage``
is a softmax of the first base too, so every metric can be computed by hand.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from specdsl.cli import main

pytestmark = pytest.mark.slow

SIGMA = {b: 1 / (1 + math.exp(-z)) for b, z in zip("ACGTN", (2, 1, -1, -2, 0))}


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import keras

    root = tmp_path_factory.mktemp("known")
    x = keras.Input((2, 4), name="sequence")
    flat = keras.layers.Flatten(name="flat")(x)
    binary = keras.layers.Dense(1, activation="sigmoid", name="isoniazid")
    classes = keras.layers.Dense(3, activation="softmax", name="lineage")
    m = keras.Model(x, [binary(flat), classes(flat)])
    w = np.zeros((8, 1), np.float32)
    w[:4, 0] = [2, 1, -1, -2]  # first position's A, C, G, T
    binary.set_weights([w, np.zeros(1, np.float32)])
    c = np.zeros((8, 3), np.float32)
    c[0, 0] = c[1, 1] = c[2, 2] = c[3, 2] = 5.0  # A → L1, C → L2, G and T → L3, N → uniform
    classes.set_weights([c, np.zeros(3, np.float32)])
    m.save(root / "known.keras")
    history = {"loss": [1.0], "config": {"kind": "specdsl-train", "heads": [
        {"kind": "binary", "head-name": "isoniazid", "targets": ["isoniazid"]},
        {"kind": "multiclass", "head-name": "lineage", "target": "lineage", "classes": ["L1", "L2", "L3"]}]}}
    (root / "known.history.json").write_text(json.dumps(history))
    (root / "test.fa").write_text(">sA\nAC\n>sC\nCC\n>sG\nGC\n>sT\nTC\n>sN\nNC\n>sA2\nAG\n")
    # labels: A 1, C 0, G 1, T 0, N 1, A2 unknown; lineage: L1, L2, L3, L2, L1, (unknown)
    (root / "test.labels.csv").write_text("sample,isoniazid,lineage\nsA,1,L1\nsC,0,L2\nsG,1,L3\nsT,0,L2\n"
                                          "sN,1,L1\nsA2,,\n")
    return root


def test_predictions_csv_has_sample_calls_and_probabilities(model: Path, capsys: pytest.CaptureFixture) -> None:
    out = model / "predictions.csv"
    assert main(["predict", str(model / "known.keras"), str(model / "test.fa"), "-o", str(out)]) == 0
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["sample", "isoniazid", "isoniazid_prob", "lineage", "lineage_prob_L1", "lineage_prob_L2",
                       "lineage_prob_L3"]
    assert [r[0] for r in rows[1:]] == ["sA", "sC", "sG", "sT", "sN", "sA2"]
    assert [r[1] for r in rows[1:]] == ["1", "1", "0", "0", "0", "1"]  # 0.5 is not above 0.5: a negative call
    assert [float(r[2]) for r in rows[1:]] == pytest.approx([SIGMA[b] for b in "ACGTNA"], abs=1e-4)
    assert [r[3] for r in rows[1:]] == ["L1", "L2", "L3", "L3", "L1", "L1"]  # N: a three-way tie → the first class
    assert sum(float(v) for v in rows[5][4:7]) == pytest.approx(1.0, abs=1e-3)
    assert "wrote" in capsys.readouterr().err


def test_threshold_onehot_inputs_and_the_table(model: Path, capsys: pytest.CaptureFixture) -> None:
    (model / "sC_oh.csv").write_text("A,C,G,T\n0,1,0,0\n0,1,0,0\n")
    assert main(["predict", str(model / "known.keras"), str(model / "sC_oh.csv"), "--threshold", "0.8"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("sC,0,0.7311,L2,")  # printed as CSV without -o; 0.73 is not above 0.8
    assert main(["predict", str(model / "known.keras"), str(model / "sC_oh.csv"), "-v"]) == 0
    table = capsys.readouterr().out
    assert "isoniazid" in table and "1 (0.731)" in table and "L2 (" in table


def test_evaluate_matches_hand_computed_metrics(model: Path, capsys: pytest.CaptureFixture) -> None:
    prefix = model / "eval" / "known"
    assert main(["evaluate", str(model / "known.keras"), str(model / "test.fa"), "--json", "-o", str(prefix)]) == 0
    report = json.loads(capsys.readouterr().out)
    binary = report["outputs"]["isoniazid"]
    # observed: A(1, .881, call 1) C(0, .731, 1) G(1, .269, 0) T(0, .119, 0) N(1, .5, 0): TP 1 FP 1 FN 2 TN 1
    assert binary["n"] == 5
    assert binary["acc"] == pytest.approx(2 / 5)
    assert binary["f1"] == pytest.approx(2 * 1 / (2 * 1 + 1 + 2))
    assert binary["mcc"] == pytest.approx((1 * 1 - 1 * 2) / math.sqrt(2 * 3 * 2 * 3))
    assert binary["auc"] == pytest.approx(4 / 6)  # positives above negatives in 4 of the 6 pairs
    assert binary["auprc"] == pytest.approx((1 / 1 + 2 / 3 + 3 / 4) / 3)  # precision at each positive, by score
    lineage = report["outputs"]["lineage"]
    # true L1 L2 L3 L2 L1 → called L1 L2 L3 L3 L1
    assert lineage["confusion"] == [[2, 0, 0], [0, 1, 1], [0, 0, 1]] and lineage["acc"] == pytest.approx(4 / 5)
    assert json.loads((model / "eval" / "known.json").read_text())["outputs"]["isoniazid"]["n"] == 5
    assert (model / "eval" / "known.png").stat().st_size > 1000
    assert (model / "eval" / "known.lineage.confusion.png").stat().st_size > 1000
    assert main(["evaluate", str(model / "known.keras"), str(model / "test.fa")]) == 0
    table = capsys.readouterr().out
    assert "AUROC" in table and "0.667" in table and "confusion matrix" in table


def test_inputs_of_the_wrong_length_or_without_labels(model: Path, capsys: pytest.CaptureFixture) -> None:
    (model / "long.fa").write_text(">x\nACG\n")
    assert main(["predict", str(model / "known.keras"), str(model / "long.fa")]) == 2
    assert f"{model}/long.fa:1: sample 'x' has 3 positions, but the model" in capsys.readouterr().err
    assert main(["evaluate", str(model / "known.keras"), str(model / "long.fa")]) == 2
    assert "no such labels file" in capsys.readouterr().err
    (model / "bad.csv").write_text("A,C,G,T\n1,0,0,0\n1,0,0,1\n")
    assert main(["predict", str(model / "known.keras"), str(model / "bad.csv")]) == 2
    assert f"{model}/bad.csv:3: the row '1,0,0,1' is not one-hot" in capsys.readouterr().err
    assert main(["predict", str(model / "known.keras"), str(model / "nosuch.csv")]) == 2
    err = capsys.readouterr().err
    assert f"{model}/nosuch.csv: no such file or folder" in err and "signal CSV" in err
    assert not (model / "nosuch.csv").exists()
