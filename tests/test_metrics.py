"""specdsl.training.metrics against direct NumPy formulas on hand-made arrays, and its report formats."""

from __future__ import annotations

import json
import math
import warnings
from itertools import product

import numpy as np
import pytest

from specdsl.errors import SpecError
from specdsl.training.metrics import (
    BINARY_KEYS,
    average_blocks,
    binary_metrics,
    multiclass_metrics,
    plot_confusion,
    regression_metrics,
    report_json,
    report_rows,
    report_table,
    report_tsv,
)

# 12 sites: 2 unobserved (-1), 1 NaN; ties in the scores; one score exactly at the threshold
Y = np.array([1, 0, -1, 1, 1, 0, np.nan, 0, 1, 0, -1, 1], dtype=np.float64)
P = np.array([0.9, 0.2, 0.99, 0.5, 0.7, 0.7, 0.1, 0.3, 0.35, 0.6, 0.01, 0.7])


def observed(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = np.isfinite(y) & (y != -1)
    return y[keep].astype(bool), p[keep]


def brute_auc(y: np.ndarray, p: np.ndarray) -> float:
    pos, neg = p[y], p[~y]
    wins = [1.0 if a > b else 0.5 if a == b else 0.0 for a, b in product(pos, neg)]
    return sum(wins) / len(wins)


def brute_average_precision(y: np.ndarray, p: np.ndarray) -> float:
    ap, last_recall = 0.0, 0.0
    for t in sorted(set(p), reverse=True):
        called = p >= t
        recall = (called & y).sum() / y.sum()
        ap += (recall - last_recall) * (called & y).sum() / called.sum()
        last_recall = recall
    return ap


def quiet():
    """Any warning is a failure: undefined values must be NaN, silently."""
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("error")
    return ctx


def test_binary_metrics_match_formulas() -> None:
    y, p = observed(Y, P)
    call = p > 0.5  # 0.5 itself is a negative call, as np.round(0.5) == 0 in DeepCpG
    tp, tn = np.sum(call & y), np.sum(~call & ~y)
    fp, fn = np.sum(call & ~y), np.sum(~call & y)
    m = binary_metrics(Y, P)
    assert list(m) == list(BINARY_KEYS)
    assert m["n"] == 9 == len(y)
    assert m["acc"] == pytest.approx((tp + tn) / 9)
    assert m["tpr"] == pytest.approx(tp / (tp + fn))
    assert m["tnr"] == pytest.approx(tn / (tn + fp))
    assert m["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert m["mcc"] == pytest.approx((tp * tn - fp * fn) / math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)))
    assert m["auc"] == pytest.approx(brute_auc(y, p))
    assert m["auprc"] == pytest.approx(brute_average_precision(y, p))


def test_binary_labels_are_rounded_and_threshold_moves_calls() -> None:
    continuous = np.where(Y == 1, 0.8, np.where(Y == 0, 0.2, Y))  # bulk-style labels round to 0/1
    assert binary_metrics(continuous, P) == pytest.approx(binary_metrics(Y, P), nan_ok=True)
    strict = binary_metrics([1, 0, 1], [0.6, 0.4, 0.65], threshold=0.62)
    assert (strict["tpr"], strict["acc"]) == (0.5, pytest.approx(2 / 3))
    assert binary_metrics([[1], [0]], [[0.9], [0.1]])["acc"] == 1.0  # Keras (N, 1) heads


@pytest.mark.parametrize(("labels", "nan_keys"), [
    ([1, 1, -1, 1], {"auc", "auprc", "tnr", "mcc"}),           # positives only
    ([0, 0, np.nan, 0], {"auc", "auprc", "tpr", "f1", "mcc"}),  # negatives only, none called
    ([-1, np.nan, -1, -1], set(BINARY_KEYS) - {"n"}),        # nothing observed
])
def test_binary_undefined_values_are_nan_without_warnings(labels, nan_keys) -> None:
    ctx = quiet()
    try:
        m = binary_metrics(labels, [0.2, 0.4, 0.6, 0.45])
    finally:
        ctx.__exit__(None, None, None)
    assert {k for k, v in m.items() if k != "n" and math.isnan(v)} == nan_keys
    assert m["n"] == sum(1 for v in labels if v in (0, 1))


def test_binary_constant_predictor_and_bad_scores() -> None:
    m = binary_metrics([1, 0, 1, 0], [0.1, 0.2, 0.3, 0.4])  # both classes, never a positive call
    assert (m["mcc"], m["tpr"], m["tnr"], m["acc"]) == (0.0, 0.0, 1.0, 0.5)
    bad = binary_metrics([1, 0, -1], [np.nan, 0.2, 0.3])
    assert bad["n"] == 2 and all(math.isnan(bad[k]) for k in BINARY_KEYS if k != "n")
    assert binary_metrics([1, 0, -1], [0.9, 0.2, np.nan])["acc"] == 1.0  # a missing label's score is irrelevant
    with pytest.raises(SpecError, match="differ in length"):
        binary_metrics([1, 0], [0.5])


def test_multiclass_confusion_and_per_class_scores() -> None:
    truth = np.array([0, 0, 1, 2, 2, 2, -1, 1, 0])
    calls = np.array([0, 1, 1, 2, 0, 2, 2, 1, 0])
    scores = np.eye(3)[calls] * 0.7 + 0.1
    m = multiclass_metrics(truth, scores, ["A", "B", "C"])
    keep = truth != -1
    expected = np.zeros((3, 3), dtype=int)
    for t, c in zip(truth[keep], calls[keep]):
        expected[t, c] += 1
    assert m["confusion"] == expected.tolist() and m["class_names"] == ["A", "B", "C"]
    assert m["n"] == 8 and m["acc"] == pytest.approx(np.trace(expected) / 8)
    for i, name in enumerate("ABC"):
        prec, rec = expected[i, i] / expected[:, i].sum(), expected[i, i] / expected[i].sum()
        assert m["precision"][name] == pytest.approx(prec) and m["recall"][name] == pytest.approx(rec)
        assert m["f1"][name] == pytest.approx(2 * prec * rec / (prec + rec))
    assert m["macro_f1"] == pytest.approx(np.mean(list(m["f1"].values())))
    t, p, s, c = expected.sum(axis=1), expected.sum(axis=0), 8, np.trace(expected)
    assert m["mcc"] == pytest.approx((c * s - t @ p) / math.sqrt((s * s - p @ p) * (s * s - t @ t)))
    assert multiclass_metrics(truth, calls, ["A", "B", "C"]) == m  # predicted indices work too


def test_multiclass_absent_class_and_bad_labels() -> None:
    m = multiclass_metrics([0, 1, 0], [0, 1, 1], ["x", "y", "z"])
    assert math.isnan(m["precision"]["z"]) and math.isnan(m["recall"]["z"]) and math.isnan(m["f1"]["z"])
    assert m["macro_f1"] == pytest.approx((2 / 3 + 2 / 3) / 2)  # z neither helps nor hurts
    assert math.isnan(multiclass_metrics([1, 1], [0, 1], ["x", "y"])["mcc"])  # one label class
    with pytest.raises(SpecError, match="label 3 is not a class index"):
        multiclass_metrics([0, 3], [0, 1], ["x", "y"])
    with pytest.raises(SpecError, match="3 columns for 2 classes"):
        multiclass_metrics([0, 1], np.ones((2, 3)), ["x", "y"])


def test_regression_metrics_match_formulas() -> None:
    y = np.array([0.1, 0.4, np.nan, 0.4, 0.9, 0.3])
    z = np.array([0.2, 0.35, 5.0, 0.5, 0.7, 0.3])
    keep = np.isfinite(y)
    a, b = y[keep], z[keep]
    m = regression_metrics(y, z)
    assert m["n"] == 5
    assert m["mse"] == pytest.approx(np.mean((a - b) ** 2)) and m["mae"] == pytest.approx(np.mean(np.abs(a - b)))
    assert m["r2"] == pytest.approx(1 - np.sum((a - b) ** 2) / np.sum((a - a.mean()) ** 2))
    assert m["r"] == pytest.approx(np.corrcoef(a, b)[0, 1])
    ranks = lambda v: np.array([np.mean(np.flatnonzero(np.sort(v) == x)) + 1 for x in v])  # average ranks
    assert m["rho"] == pytest.approx(np.corrcoef(ranks(a), ranks(b))[0, 1])
    assert regression_metrics([0.5, -1, 0.7], [0.5, 0.9, 0.6], missing=-1)["n"] == 2
    ctx = quiet()
    try:
        flat = regression_metrics([0.5, 0.5, 0.5], [0.1, 0.2, 0.3])
        empty = regression_metrics([np.nan], [0.1])
    finally:
        ctx.__exit__(None, None, None)
    assert math.isnan(flat["r2"]) and math.isnan(flat["r"]) and flat["mse"] == pytest.approx(0.0966666666)
    assert empty["n"] == 0 and all(math.isnan(v) for k, v in empty.items() if k != "n")


PER_OUTPUT = {
    "cpg/BS28_2_SER": {"n": 4, "auc": 0.75, "acc": 0.5, "tpr": 1.0, "tnr": 0.0, "f1": 2 / 3, "mcc": float("nan"),
                       "auprc": 0.8},
    "cpg/BS27_4_SER": {"n": 3, "auc": float("nan"), "acc": 1.0, "tpr": 1.0, "tnr": float("nan"), "f1": 1.0,
                       "mcc": float("nan"), "auprc": float("nan")},
}


def test_report_tsv_is_dcpg_evals_long_table() -> None:
    text = report_tsv(PER_OUTPUT)
    lines = text.splitlines()
    assert lines[0] == "metric\toutput\tvalue" and text.endswith("\n")
    assert lines[1:5] == ["acc\tcpg/BS27_4_SER\t1.0", "acc\tcpg/BS28_2_SER\t0.5",
                          "auc\tcpg/BS27_4_SER\t", "auc\tcpg/BS28_2_SER\t0.75"]
    assert "f1\tcpg/BS28_2_SER\t0.6666666666666666" in lines and "n\tcpg/BS27_4_SER\t3.0" in lines
    assert [line.split("\t")[0] for line in lines[1::2]] == ["acc", "auc", "f1", "mcc", "n", "tnr", "tpr"]
    assert "auprc" not in text and "auprc\tcpg/BS28_2_SER\t0.8" in report_tsv(PER_OUTPUT, deepcpg=False)
    regression = report_tsv({"bulk/x": regression_metrics([0.1, 0.5, 0.9], [0.2, 0.5, 0.7])})
    assert [line.split("\t")[0] for line in regression.splitlines()[1:]] == ["cor", "mad", "mse", "n"]


def test_report_table_json_rows_and_blocks() -> None:
    table = report_table(PER_OUTPUT).splitlines()
    assert table[0].split() == ["output", "auc", "acc", "tpr", "tnr", "f1", "mcc", "n"]
    assert table[1].startswith("cpg/BS28_2_SER") and "NaN" in table[2]  # AUC descending, undefined last
    assert json.loads(report_json(PER_OUTPUT))["cpg/BS27_4_SER"]["auc"] is None
    assert report_rows(PER_OUTPUT, metrics=["n"]) == [("n", "cpg/BS27_4_SER", 3.0), ("n", "cpg/BS28_2_SER", 4.0)]
    blocks = average_blocks([{"cpg/a": {"auc": 0.5, "n": 10}}, {"cpg/a": {"auc": float("nan"), "n": 4}},
                             {"cpg/a": {"auc": 0.9, "n": 1, "confusion": [[1]]}}])
    assert blocks == {"cpg/a": {"auc": pytest.approx(0.7), "n": 5.0}}


def test_plot_confusion_writes_png_atomically(tmp_path) -> None:
    m = multiclass_metrics([0, 1, 2, 2], [0, 2, 2, 2], ["a", "b", "c"])
    out = plot_confusion(m["confusion"], m["class_names"], tmp_path / "plots" / "cm.png", title="val")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in (tmp_path / "plots").iterdir()] == ["cm.png"]
    with pytest.raises(SpecError, match="shape"):
        plot_confusion([[1, 2]], ["a", "b"], tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()
