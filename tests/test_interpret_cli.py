"""Contribution scores on the command line: ``bpreveal interpret-flat``, ``bpreveal shap-to-numpy``, ``interpret``.

An untrained small BPNet (4 filters, 2 dilated layers, 128 → 100 bp, one head of two tasks) is
enough: the files' layout is BPReveal's to the dtype and chunk, and their numbers are checked
against the model itself — the profile and counts metrics recomputed from ``model.predict`` on the
inputs and on the very references the run used (each seeded by its row), so the summed
contributions must equal f(x) − mean f(r) up to float16 rounding.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from specdsl.cli import main

pytestmark = pytest.mark.slow

INPUT, OUTPUT, PAD, SHUFFLES = 128, 100, 14, 4
PARAMS = {"filters": 4, "layers": 2, "input_filter_width": 9, "output_filter_width": 9, "input_length": INPUT,
          "heads": 1, "tasks": 2}
REGIONS = [("chr2", 20, 120), ("chr1", 100, 200), ("chr1", 300, 400)]  # rows not grouped by chromosome


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model, a genome, three BED regions on it and the same three input windows as FASTA records."""
    from specdsl import api
    from specdsl.formats.fasta import write_fasta

    root = tmp_path_factory.mktemp("interpret")
    rng = np.random.default_rng(1)
    genome = {"chr1": "".join(rng.choice(list("ACGT"), 600)), "chr2": "".join(rng.choice(list("ACGT"), 300))}
    write_fasta(root / "genome.fa", list(genome.items()))
    (root / "peaks.bed").write_text("".join(f"{c}\t{s}\t{e}\n" for c, s, e in REGIONS))
    write_fasta(root / "seqs.fa", [(f"seq{i} {c}", genome[c][s - PAD:e + PAD]) for i, (c, s, e) in enumerate(REGIONS)])
    api.compile_to_file("BPNet", root / "m.keras", PARAMS)
    return root


def config(work: Path, **keys: object) -> Path:
    base = {"model-file": str(work / "m.keras"), "input-length": INPUT, "output-length": OUTPUT, "heads": 1,
            "head-id": 0, "num-shuffles": SHUFFLES, "verbosity": "WARNING"}
    path = work / f"cfg{len(list(work.glob('cfg*.json')))}.json"
    path.write_text(json.dumps({**base, **keys}, indent=1))
    return path


def model_values(work: Path, x: np.ndarray, refs: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """(f(x), mean_r f_x(r)) from ``model.predict``: the profile metric with x's softmax weights, or log counts."""
    from specdsl.backend.keras_model import load_model

    model = load_model(work / "m.keras")
    n, r = refs.shape[:2]
    on_x, on_r = (model.predict(a.astype(np.float32), verbose=0) for a in (x, refs.reshape(n * r, INPUT, 4)))
    if metric == "counts":
        return on_x[1][:, 0], on_r[1][:, 0].reshape(n, r).mean(axis=1)
    mx = on_x[0].reshape(n, -1) - on_x[0].reshape(n, -1).mean(axis=1, keepdims=True)
    mr = on_r[0].reshape(n, r, -1) - on_r[0].reshape(n, r, -1).mean(axis=2, keepdims=True)
    w = np.exp(mx - mx.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    return (w * mx).sum(axis=1), (w[:, None] * mr).sum(axis=2).mean(axis=1)


def check_layout(h5: h5py.File, n: int) -> None:
    assert h5["hyp_scores"].dtype == np.float16 and h5["hyp_scores"].shape == (n, INPUT, 4)
    assert h5["input_seqs"].dtype == np.uint8 and h5["input_seqs"].shape == (n, INPUT, 4)
    assert h5["input_predictions"].dtype == np.float32 and h5["input_predictions"].shape == (n,)
    for name in ("hyp_scores", "input_seqs"):
        assert h5[name].chunks == (min(128, n), INPUT, 4) and h5[name].compression == "gzip"
    assert {"bpreveal_version", "created_date", "config"} <= set(h5["metadata"].attrs)
    assert np.all(h5["input_seqs"][...].sum(axis=2) == 1)


def check_additive(work: Path, h5: h5py.File, kmer: int, metric: str) -> None:
    """Σ hyp·x = f(x) − mean f(r) on the run's own references, and input_predictions = f(x)."""
    from specdsl.interpret.score_files import row_references

    x = h5["input_seqs"][...].astype(np.float32)
    refs = row_references(x, np.arange(len(x)), SHUFFLES, kmer, 0)
    fx, fr = model_values(work, x, refs, metric)
    np.testing.assert_allclose(h5["input_predictions"][...], fx, rtol=1e-4, atol=1e-5)
    summed = (h5["hyp_scores"][...].astype(np.float64) * x).sum(axis=(1, 2))
    np.testing.assert_allclose(summed, fx - fr, rtol=2e-2, atol=2e-3)


def test_interpret_flat_fasta_config_writes_both_metrics(work: Path, capsys) -> None:
    cfg = config(work, **{"fasta-file": str(work / "seqs.fa"), "profile-task-ids": [0, 1], "kmer-size": 1,
                          "profile-h5": str(work / "p.h5"), "counts-h5": str(work / "c.h5")})
    assert main(["bpreveal", "interpret-flat", str(cfg)]) == 0
    assert capsys.readouterr().err.count("largest convergence delta") == 2
    for name, metric in (("p.h5", "profile"), ("c.h5", "counts")):
        with h5py.File(work / name, "r") as h5:
            check_layout(h5, len(REGIONS))
            assert [d.decode() for d in h5["descriptions"][...]] == [f"seq{i} {c}" for i, (c, _, _) in
                                                                     enumerate(REGIONS)]
            assert "coords_start" not in h5 and "chrom_names" not in h5
            check_additive(work, h5, 1, metric)


def test_interpret_flat_bed_config_counts_only_has_input_window_coordinates(work: Path, capsys) -> None:
    cfg = config(work, **{"genome": str(work / "genome.fa"), "bed-file": str(work / "peaks.bed"), "kmer-size": 2,
                          "counts-h5": str(work / "bed_c.h5"), "verbosity": "INFO"})
    assert main(["bpreveal", "interpret-flat", str(cfg)]) == 0
    err = capsys.readouterr().err
    assert "only the counts metric is run" in err and "largest convergence delta" in err
    with h5py.File(work / "bed_c.h5", "r") as h5:
        check_layout(h5, len(REGIONS))
        assert [c.decode() for c in h5["chrom_names"][...]] == ["chr1", "chr2"]
        assert h5["chrom_sizes"].dtype == np.uint32 and list(h5["chrom_sizes"][...]) == [600, 300]
        assert h5["coords_chrom"].dtype == np.uint8 and list(h5["coords_chrom"][...]) == [1, 0, 0]
        assert list(h5["coords_start"][...]) == [s - PAD for _, s, _ in REGIONS]
        assert list(h5["coords_end"][...]) == [s - PAD + INPUT for _, s, _ in REGIONS]
        assert "coords_stop" not in h5 and "descriptions" not in h5
        with h5py.File(work / "c.h5", "r") as fasta:  # the same windows as the FASTA records, row by row
            np.testing.assert_array_equal(h5["input_seqs"][...], fasta["input_seqs"][...])
        check_additive(work, h5, 2, "counts")


def test_shap_to_numpy_writes_length_last_arrays(work: Path) -> None:
    if not (work / "p.h5").exists():
        assert main(["bpreveal", "interpret-flat", str(config(work, **{
            "fasta-file": str(work / "seqs.fa"), "profile-task-ids": [0], "profile-h5": str(work / "p.h5")}))]) == 0
    with h5py.File(work / "p.h5", "r") as h5:
        hyp, seqs = h5["hyp_scores"][...], h5["input_seqs"][...]
    assert main(["bpreveal", "shap-to-numpy", "--h5", str(work / "p.h5"), "--seqs", str(work / "s.npz"),
                 "--scores", str(work / "a.npy")]) == 0
    with np.load(work / "s.npz") as npz:
        assert list(npz.keys()) == ["arr_0"]
        assert npz["arr_0"].dtype == np.uint8 and npz["arr_0"].shape == (len(REGIONS), 4, INPUT)
        np.testing.assert_array_equal(npz["arr_0"], seqs.transpose(0, 2, 1))
    scores = np.load(work / "a.npy")
    assert scores.dtype == np.float16 and scores.shape == (len(REGIONS), 4, INPUT)
    np.testing.assert_array_equal(scores, hyp.transpose(0, 2, 1))


def test_native_interpret_ism_scores_the_profile_metric(work: Path) -> None:
    from specdsl.backend.keras_model import load_model
    from specdsl.interpret.ism import ism, ism_attributions

    out = work / "ism.h5"
    assert main(["interpret", str(work / "m.keras"), "--fasta", str(work / "seqs.fa"), "--tasks", "1",
                 "--method", "ism", "-o", str(out)]) == 0
    model = load_model(work / "m.keras")

    def metric(batch: np.ndarray) -> np.ndarray:
        logits = model.predict(batch, verbose=0)[0][:, :, 1]
        m = logits - logits.mean(axis=1, keepdims=True)
        w = np.exp(m - m.max(axis=1, keepdims=True))
        return (w / w.sum(axis=1, keepdims=True) * m).sum(axis=1)

    with h5py.File(out, "r") as h5:
        check_layout(h5, len(REGIONS))
        x = h5["input_seqs"][...].astype(np.float32)
        y0, y_hat = ism(metric, x[:1])
        np.testing.assert_allclose(h5["input_predictions"][...], metric(x), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(h5["hyp_scores"][:1], ism_attributions(y0, y_hat, x[:1], hypothetical=True),
                                   rtol=1e-2, atol=1e-3)


def test_native_interpret_gradient_methods(work: Path, capsys) -> None:
    """--method ig adds up to f(x) − mean f(r) on the run's own references (its delta printed);
    --method grad-x-input writes the counts metric's gradient."""
    from specdsl.backend.gradients import input_gradients
    from specdsl.backend.keras_model import load_model
    from specdsl.interpret.deeplift import counts_target
    from specdsl.interpret.gradient_methods import integrated_gradients
    from specdsl.interpret.score_files import row_references

    out = work / "ig.h5"
    assert main(["interpret", str(work / "m.keras"), "--fasta", str(work / "seqs.fa"), "--metric", "counts",
                 "--method", "ig", "--shuffles", "2", "--steps", "16", "-o", str(out)]) == 0
    assert "largest convergence delta" in capsys.readouterr().err
    with h5py.File(out, "r") as h5:
        check_layout(h5, len(REGIONS))
        x, hyp = h5["input_seqs"][...].astype(np.float32), h5["hyp_scores"][...].astype(np.float64)
        assert "'steps': 16" in h5["metadata"].attrs["config"]
    refs = row_references(x, np.arange(len(x)), 2, 2, 0)
    model = load_model(work / "m.keras")
    api = integrated_gradients(model, x, counts_target(1), references=refs, steps=16, warning_threshold=np.inf)
    np.testing.assert_allclose(hyp, api.hypothetical, rtol=2e-3, atol=1e-4)  # float16 in the file
    fx, fr = model_values(work, x, refs, "counts")
    np.testing.assert_allclose((hyp * x).sum(axis=(1, 2)), fx - fr, atol=api.max_delta + 1e-3)
    grad_out = work / "grad.h5"
    assert main(["interpret", str(work / "m.keras"), "--fasta", str(work / "seqs.fa"), "--metric", "counts",
                 "--method", "grad-x-input", "-o", str(grad_out)]) == 0
    with h5py.File(grad_out, "r") as h5:
        grad = input_gradients(lambda v: model(v)[1][:, 0], x)
        np.testing.assert_allclose(h5["hyp_scores"][...], grad - grad.mean(axis=-1, keepdims=True), rtol=1e-2,
                                   atol=1e-4)


@pytest.mark.parametrize("argv,named", [
    (["--metric", "logit"], "--metric"),
    (["--tasks", "0,7"], "--tasks"),
    (["--output", "nohead"], "--output"),
    (["--method", "ig", "--steps", "0"], "--steps"),
])
def test_native_interpret_errors_name_the_option(work: Path, capsys, argv: list[str], named: str) -> None:
    assert main(["interpret", str(work / "m.keras"), "--fasta", str(work / "seqs.fa"), "-o", str(work / "x.h5"),
                 *argv]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err
    assert not (work / "x.h5").exists()


def test_a_bad_config_key_is_refused_by_name(work: Path, capsys) -> None:
    cfg = config(work, **{"fasta-file": str(work / "seqs.fa"), "counts-h5": str(work / "bad.h5"),
                          "num-shufles": 3})
    assert main(["bpreveal", "interpret-flat", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "num-shufles" in err and "num-shuffles" in err and "Traceback" not in err
    assert not (work / "bad.h5").exists()


def test_the_report_names_the_layers_treated_as_linear_above_the_threshold() -> None:
    from specdsl.interpret.score_files import Summary

    high = Summary(3, 0.5, "logit 0 of 'out'", max_delta=0.02, treated_as_linear={"lstm1": "LSTM"})
    lines = high.report("s.h5")
    assert lines[1].startswith("largest convergence delta 0.02")
    assert lines[2].startswith("warning:") and "lstm1 (LSTM)" in lines[2]
    assert len(Summary(3, 0.5, "x", max_delta=1e-7).report("s.h5")) == 2
    assert len(Summary(3, 0.5, "x").report("s.h5")) == 1  # ISM: exact, no delta


def test_a_run_that_fails_part_way_leaves_no_file(work: Path, monkeypatch, capsys) -> None:
    import specdsl.interpret.deeplift as deeplift
    from specdsl.errors import SpecError

    def fail(*_args: object, **_kwargs: object) -> None:
        raise SpecError("stopped on purpose")

    monkeypatch.setattr(deeplift, "deep_lift_shap", fail)
    out = work / "half" / "scores.h5"
    assert main(["interpret", str(work / "m.keras"), "--fasta", str(work / "seqs.fa"), "-o", str(out)]) == 2
    assert "stopped on purpose" in capsys.readouterr().err
    assert not out.exists() and not list(out.parent.glob(".*"))
