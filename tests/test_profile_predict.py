"""Profile models from a trained model to genome tracks: predict → HDF5 → bigWig, and BPReveal's programs.

An untrained small BPNet (4 filters, 2 dilated layers, 128 → 100 bp, one head of two tasks) is enough:
every value written is compared with ``model.predict`` on the same windows (1e-5), so no training is
needed to check layouts, averaging and strands.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from specdsl.cli import main

pytestmark = pytest.mark.slow

INPUT, OUTPUT, PAD = 128, 100, 14
PARAMS = {"filters": 4, "layers": 2, "input_filter_width": 9, "output_filter_width": 9, "input_length": INPUT,
          "heads": 1, "tasks": 2}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model, a genome (chr1 with an N run, chr2) and a tiling of it with overlapping windows."""
    from specdsl import api
    from specdsl.formats.fasta import write_fasta

    root = tmp_path_factory.mktemp("profile")
    rng = np.random.default_rng(0)
    chr1 = list("".join(rng.choice(list("ACGT"), 2000)))
    chr1[900:910] = "N" * 10
    write_fasta(root / "genome.fa", [("chr1", "".join(chr1)), ("chr2", "".join(rng.choice(list("ACGT"), 700)))])
    api.compile_to_file("BPNet", root / "m.keras", PARAMS)
    assert main(["bpreveal", "tile-genome", "--genome", str(root / "genome.fa"), "--all-chroms",
                 "--output-length", str(OUTPUT), "--input-length", str(INPUT), "--chrom-edge-boundary", "0",
                 "--spacing", "-40", "--output-bed", str(root / "tiles.bed")]) == 0
    assert main(["predict", str(root / "m.keras"), "--bed", str(root / "tiles.bed"), "--genome",
                 str(root / "genome.fa"), "-o", str(root / "preds.h5")]) == 0
    return root


def _reference(work: Path, revcomp: bool = False) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """(chroms, starts, logits, logcounts) of every tile, from model.predict directly."""
    import keras

    from specdsl.formats.onehot_csv import encode

    model = keras.saving.load_model(work / "m.keras")
    genome = dict(_fasta(work / "genome.fa"))
    lines = [line.split() for line in (work / "tiles.bed").read_text().splitlines()]
    chroms, starts = [c for c, _, _ in lines], np.array([int(s) for _, s, _ in lines])
    x = np.stack([encode(genome[c][s - PAD:s + OUTPUT + PAD]) for c, s in zip(chroms, starts)])
    logits, counts = model.predict(x, verbose=0)
    if revcomp:
        rc_logits, rc_counts = model.predict(x[:, ::-1, ::-1], verbose=0)
        logits = (logits + rc_logits[:, ::-1, ::-1]) / 2  # two strands: the tasks swap
        counts = (counts + rc_counts) / 2
    return chroms, starts, logits, counts.reshape(-1)


def _fasta(path: Path) -> list[tuple[str, str]]:
    from specdsl.formats.fasta import read_fasta

    return read_fasta(path)


def _track(path: Path, chrom: str, size: int) -> np.ndarray:
    from specdsl.formats.bigwig import read_track

    return read_track(path, chrom, 0, size)


def _averaged(chroms: list[str], starts: np.ndarray, values: np.ndarray, chrom: str, size: int) -> np.ndarray:
    total, cover = np.zeros(size), np.zeros(size)
    for c, s, v in zip(chroms, starts, values):
        if c == chrom:
            total[s:s + OUTPUT] += v
            cover[s:s + OUTPUT] += 1
    return np.where(cover > 0, total / np.maximum(cover, 1), np.nan)


def test_prediction_file_has_bpreveals_layout_and_the_models_values(work: Path) -> None:
    import h5py

    chroms, starts, logits, counts = _reference(work)
    with h5py.File(work / "preds.h5") as h5:
        assert sorted(h5) == ["chrom_names", "chrom_sizes", "coords_chrom", "coords_start", "coords_stop",
                              "descriptions", "head_0", "metadata"]
        n = len(starts)
        assert h5["head_0/logits"].shape == (n, OUTPUT, 2) and h5["head_0/logits"].dtype == np.float32
        assert h5["head_0/logits"].chunks == (min(100, n), OUTPUT, 2)
        assert h5["head_0/logcounts"].shape == (n,) and h5["head_0/logcounts"].dtype == np.float32
        assert h5["chrom_names"].asstr()[:].tolist() == ["chr1", "chr2"]
        assert h5["chrom_sizes"][:].tolist() == [2000, 700] and h5["chrom_sizes"].dtype == np.uint64
        assert h5["coords_chrom"].dtype == np.uint8 and h5["coords_start"].dtype == np.uint32
        assert h5["coords_stop"].dtype == np.uint32
        assert h5["coords_start"][:].tolist() == starts.tolist()
        assert (h5["coords_stop"][:] - h5["coords_start"][:] == OUTPUT).all()
        assert h5["descriptions"].asstr()[:].tolist() == [""] * n
        assert set(h5["metadata"].attrs) >= {"bpreveal_version", "created_date", "config"}
        np.testing.assert_allclose(h5["head_0/logits"][:], logits, atol=1e-5)
        np.testing.assert_allclose(h5["head_0/logcounts"][:], counts, atol=1e-5)


def test_tracks_equal_the_models_profile_with_overlaps_averaged(work: Path) -> None:
    from specdsl.formats.prediction_h5 import logits_to_profile

    chroms, starts, logits, counts = _reference(work)
    profile = logits_to_profile(logits, counts)
    assert main(["tracks", str(work / "preds.h5"), "-o", str(work / "tracks")]) == 0
    assert sorted(p.name for p in (work / "tracks").iterdir()) == ["head_0.task0.profile.bw",
                                                                  "head_0.task1.profile.bw"]
    for task in (0, 1):
        expected = _averaged(chroms, starts, profile[:, :, task], "chr1", 2000)
        got = _track(work / "tracks" / f"head_0.task{task}.profile.bw", "chr1", 2000)
        assert np.array_equal(np.isnan(got), np.isnan(expected))  # the N run's windows: not covered
        sampled = np.flatnonzero(~np.isnan(expected))[::7]
        np.testing.assert_allclose(got[sampled], expected[sampled], atol=1e-5)
    assert main(["bpreveal", "predict-to-bigwig", "--h5", str(work / "preds.h5"), "--bw", str(work / "l.bw"),
                 "--head-id", "0", "--task-id", "1", "--mode", "logits", "--negate"]) == 0
    expected = _averaged(chroms, starts, -logits[:, :, 1], "chr2", 700)
    np.testing.assert_allclose(_track(work / "l.bw", "chr2", 700), expected, atol=1e-5, equal_nan=True)


def test_whole_genome_streaming_equals_tile_predict_tracks(work: Path) -> None:
    out = work / "whole"
    assert main(["tracks", str(work / "m.keras"), "--whole-genome", "--genome", str(work / "genome.fa"),
                 "--spacing", "-40", "--revcomp", "-o", str(out)]) == 0
    from specdsl.formats.prediction_h5 import logits_to_profile

    chroms, starts, logits, counts = _reference(work, revcomp=True)
    expected = _averaged(chroms, starts, logits_to_profile(logits, counts)[:, :, 0], "chr1", 2000)
    np.testing.assert_allclose(_track(out / "head_0.task0.profile.bw", "chr1", 2000), expected, atol=1e-5,
                               equal_nan=True)


def test_make_predictions_reads_bpreveals_config_and_fasta_without_coordinates(work: Path, capsys) -> None:
    import h5py

    genome = dict(_fasta(work / "genome.fa"))
    (work / "seqs.fa").write_text(f">one first window\n{genome['chr1'][0:INPUT]}\n>two\n{genome['chr2'][5:133]}\n")
    config = {"settings": {"output-h5": str(work / "fa.h5"), "batch-size": 8, "heads": 1,
                           "architecture": {"model-file": str(work / "m.keras"), "input-length": INPUT,
                                            "output-length": OUTPUT}},
              "fasta-file": str(work / "seqs.fa"), "verbosity": "WARNING"}
    (work / "fa.json").write_text(json.dumps(config))
    assert main(["bpreveal", "make-predictions-fasta", str(work / "fa.json")]) == 0
    assert "deprecated" in capsys.readouterr().err
    with h5py.File(work / "fa.h5") as h5:
        assert h5["descriptions"].asstr()[:].tolist() == ["one first window", "two"]
        assert "coords_start" not in h5
    assert main(["tracks", str(work / "fa.h5"), "-o", str(work / "fa")]) == 2
    assert "has no coordinates" in capsys.readouterr().err


def test_a_config_that_does_not_fit_the_model_is_refused_at_its_keys(work: Path, capsys) -> None:
    config = {"settings": {"output-h5": str(work / "x.h5"), "batch-size": 8, "heads": 2,
                           "architecture": {"model-file": str(work / "m.keras"), "input-length": 130,
                                            "output-length": OUTPUT}},
              "genome": str(work / "genome.fa"), "bed-file": str(work / "tiles.bed"), "verbosity": "INFO"}
    (work / "bad.json").write_text(json.dumps(config, indent=1))
    assert main(["bpreveal", "make-predictions", str(work / "bad.json")]) == 2
    err = capsys.readouterr().err
    assert "settings.architecture.input-length: the model reads 128 bp, not 130" in err
    assert "settings.heads: the model has 1 head(s), not 2" in err
    assert not (work / "x.h5").exists()


@pytest.mark.parametrize("case,expected", [
    ("fasta-length", "is 5 bp long; the model reads 128 bp"),
    ("bed-width", "is 60 bp wide; the model predicts 100 bp windows"),
    ("chromosome", "chromosome 'chrX' is not in the genome"),
    ("unwritable", "cannot write here"),
])
def test_bad_inputs_are_clear_errors_and_write_nothing(work: Path, capsys, case: str, expected: str) -> None:
    (work / "short.fa").write_text(">s\nACGTA\n")
    (work / "wide.bed").write_text("chr1\t100\t160\n")
    (work / "chrx.bed").write_text("chrX\t100\t200\n")
    output = work / "bad" / "out.h5"
    inputs = {"fasta-length": ["--fasta", str(work / "short.fa")],
              "bed-width": ["--bed", str(work / "wide.bed"), "--genome", str(work / "genome.fa")],
              "chromosome": ["--bed", str(work / "chrx.bed"), "--genome", str(work / "genome.fa")],
              "unwritable": ["--bed", str(work / "tiles.bed"), "--genome", str(work / "genome.fa")]}[case]
    if case == "unwritable":
        output = work / "genome.fa" / "out.h5"  # a file where a folder should be
    assert main(["predict", str(work / "m.keras"), *inputs, "-o", str(output)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not output.exists() and not (work / "bad").exists()
