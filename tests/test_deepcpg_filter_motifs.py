"""``specdsl deepcpg filter-act`` and ``filter-motifs``: a filter set by hand to a known 6-mer is found again."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from specdsl.cli import main

MOTIF = "TGACGC"
ATGC = "ATGC"
N, L = 300, 60


def _data_file(path: Path) -> None:
    """A DeepCpG data file: random windows (codes A0 T1 G2 C3), the 6-mer planted once in each."""
    rng = np.random.default_rng(0)
    dna = rng.integers(0, 4, size=(N, L)).astype(np.int8)
    at = rng.integers(0, L - 6, size=N)
    for row, start in enumerate(at):
        dna[row, start:start + 6] = [ATGC.index(c) for c in MOTIF]
    with h5py.File(path, "w") as h5:
        h5["inputs/dna"] = dna
        h5["chromo"] = np.array([b"1"] * N)
        h5["pos"] = np.arange(N, dtype=np.int32) * 100


def _model(path: Path, first_conv: bool = True) -> None:
    import keras

    x = keras.Input((L, 4), name="dna")
    if first_conv:
        conv = keras.layers.Conv1D(2, 6, name="conv")
        y = keras.layers.Activation("relu")(conv(x))
    else:
        y = keras.layers.Dense(2, name="dense")(x)
    y = keras.layers.Dense(1, activation="sigmoid", name="cpg_cell1")(keras.layers.GlobalMaxPooling1D()(y))
    model = keras.Model(x, y)
    if first_conv:  # filter 0: +1 on the motif's base, −1 elsewhere; bias so that only a perfect match fires
        kernel = -np.ones((6, 4, 2), dtype=np.float32)
        for i, c in enumerate(MOTIF):
            kernel[i, ATGC.index(c), 0] = 1.0
        kernel[:, :, 1] = np.random.default_rng(1).normal(size=(6, 4))
        conv.set_weights([kernel, np.array([-4.0, 0.0], dtype=np.float32)])
    model.save(path)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("filters")
    _data_file(root / "c1.h5")
    _model(root / "model.keras")
    return root


@pytest.fixture(scope="module")
def act_file(files: Path) -> Path:
    out = files / "act.h5"
    assert main(["deepcpg", "filter-act", str(files / "c1.h5"), "--model_files", str(files / "model.keras"),
                 "-o", str(out), "--store_inputs", "--nb_sample", "250", "--batch_size", "64"]) == 0
    return out


def test_filter_act_writes_deepcpgs_layout(act_file: Path) -> None:
    with h5py.File(act_file, "r") as h5:
        assert h5["act"].shape == (250, L - 5, 2) and h5["act"].dtype == np.float32
        assert h5["inputs/dna"].shape == (250, L) and h5["inputs/dna"].dtype == np.int8
        assert h5["weights/weights"].shape == (6, 4, 2) and h5["weights/bias"].shape == (2,)
        assert h5["pos"][:3].tolist() == [0, 100, 200] and h5["chromo"][0] == b"1"
        assert float(np.min(h5["act"][:])) >= 0.0  # post-ReLU, as DeepCpG takes it
        assert h5.attrs["act_offset"] == 0 and h5.attrs["act_stride"] == 1


def test_act_fun_summarises_positions(files: Path) -> None:
    out = files / "act_max.h5"
    assert main(["deepcpg", "filter-act", str(files / "c1.h5"), "--model_files", str(files / "model.keras"),
                 "-o", str(out), "--act_fun", "max", "--nb_sample", "20"]) == 0
    with h5py.File(out, "r") as h5:
        assert h5["act"].shape == (20, 2)
        assert np.allclose(h5["act"][:, 0], 2.0)  # the planted 6-mer: 6 − bias 4


def test_filter_motifs_recovers_the_planted_6mer(files: Path, act_file: Path) -> None:
    out = files / "motifs"
    assert main(["deepcpg", "filter-motifs", str(act_file), "-o", str(out), "--no_logos"]) == 0
    lines = (out / "stats.tsv").read_text().splitlines()
    assert lines[0].split("\t") == ["idx", "motif", "act_mean", "act_std", "ic", "nb_site", "consensus"]
    row = {r.split("\t")[0]: r.split("\t") for r in lines[1:]}["0"]
    assert row[1] == MOTIF and row[6] == MOTIF  # the weights' argmax and the PWM's consensus
    assert int(row[5]) >= 250 and float(row[4]) == pytest.approx(12.0, abs=0.01)  # 6 columns of 2 bits
    assert (out / "fa" / "000.fa").read_text().splitlines()[1] == MOTIF

    from memelite.io import read_meme

    motifs = read_meme(str(out / "meme.txt"))
    pwm = np.asarray(motifs["filter0"])  # (4, w), rows A C G T
    assert pwm.shape == (4, 6) and "".join("ACGT"[i] for i in pwm.argmax(axis=0)) == MOTIF
    assert (out / "meme.txt").read_text().startswith("MEME version 4\n\nALPHABET= ACGT\n")


def test_meme_motifs_tsv_keeps_deepcpgs_protein_and_url(tmp_path: Path) -> None:
    from specdsl.formats.motif_db import MotifMatrix
    from specdsl.systems.deepcpg.filter_tomtom import deepcpg_protein, write_reports

    assert deepcpg_protein("(SOX2)_(Homo_sapiens)_(DBD_0.9)") == "SOX2" and deepcpg_protein("") == ""
    targets = [MotifMatrix("MA0004.1 Arnt", np.full((2, 4), 0.25), "http://jaspar/MA0004.1"),
               MotifMatrix("lonely", np.full((2, 4), 0.25))]
    write_reports(tmp_path, [], [], targets)
    assert (tmp_path / "tomtom" / "meme_motifs.tsv").read_text() == (
        "id\tprotein\turl\nMA0004.1\tArnt\thttp://jaspar/MA0004.1\nlonely\t\t\n")


def test_a_model_without_a_first_conv_is_refused(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = files / "dense.keras"
    _model(model, first_conv=False)
    assert main(["deepcpg", "filter-act", str(files / "c1.h5"), "--model_files", str(model),
                 "-o", str(files / "x.h5")]) == 2
    err = capsys.readouterr().err
    assert str(model) in err and "not a Conv1D" in err
