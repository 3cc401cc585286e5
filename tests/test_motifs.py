"""``specdsl motifs`` and ``specdsl bpreveal shap-to-bigwig``: motif databases, trimming, the report, tracks,
and a planted motif found again end to end.

The end-to-end test plants ``make-data``'s default motifs (an AP-1-like ``TGACTCA`` and a GATA-like
``AGATAAG``, both driving head 0's reads), trains a small BPNet for a few epochs, scores 300
regions with ``specdsl interpret`` and runs ``specdsl motifs`` against a database of the two
planted motifs and five decoys: the top pattern's best tomtom match must be a planted motif, and
both must be found.  modisco runs in a subprocess (it forks numba compilers; the test process has
TensorFlow's threads running).  The first run on a machine compiles modisco's and memelite's numba
kernels (about a minute, cached afterwards).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from specdsl.cli import main
from specdsl.errors import SpecError
from specdsl.formats.motif_db import MotifMatrix, meme_text, read_jaspar, read_meme, read_motif_db

MOTIF_DB = {"AP1_planted": "TGACTCA", "GATA_planted": "AGATAAG", "SP1_decoy": "GGGGCGGGG", "ETS_decoy": "CCGGAAGT",
            "EBOX_decoy": "CACGTG", "NRF1_decoy": "GCGCATGCGC", "CTCF_decoy": "CCGCGCGGCGGCAG"}


def _ppm(word: str) -> np.ndarray:
    m = np.full((len(word), 4), 0.02)
    m[np.arange(len(word)), ["ACGT".index(b) for b in word]] = 0.94
    return m


def _motifs_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "specdsl", "motifs", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_meme_round_trip_and_jaspar(tmp_path: Path) -> None:
    motifs = [MotifMatrix("MA0035.4 GATA1", _ppm("AGATAAG")), MotifMatrix("x", _ppm("CACGTG"))]
    (tmp_path / "db.meme").write_text(meme_text(motifs))
    back = read_motif_db(tmp_path / "db.meme")
    assert [m.name for m in back] == ["MA0035.4 GATA1", "x"]
    assert np.allclose(back[0].matrix, motifs[0].matrix, atol=1e-6)
    jaspar = (">MA0001.1\tAGL3\nA  [ 0  3 79 ]\nC  [94 75  4 ]\nG  [ 1  0  3 ]\nT  [ 2 19 11 ]\n"
              ">MA0002.1 RUNX1\n10 0 0\n0 10 0\n0 0 5\n0 0 5\n")
    (tmp_path / "db.jaspar").write_text(jaspar)
    read = read_motif_db(tmp_path / "db.jaspar")
    assert [m.name for m in read] == ["MA0001.1 AGL3", "MA0002.1 RUNX1"]
    assert np.allclose(read[0].matrix[0], np.array([0, 94, 1, 2]) / 97) and np.allclose(read[1].matrix.sum(1), 1)
    (tmp_path / "bad.jaspar").write_text(">M1 x\nA [1 2]\nC [1 2]\nG [1]\nT [1 2]\n")
    with pytest.raises(SpecError, match="four rows"):
        read_jaspar(tmp_path / "bad.jaspar")
    (tmp_path / "bad.meme").write_text("MEME version 4\n\nMOTIF m\nletter-probability matrix: w= 2\n0.1 0.9 0 0\n"
                                       "0.5 0.5\n")
    with pytest.raises(SpecError, match="line 6: a row of motif 'm' holds 2 numbers"):
        read_meme(tmp_path / "bad.meme")


def test_meme_names_and_urls(tmp_path: Path) -> None:
    """The identifier, alternate name and URL (after the matrix as JASPAR writes it, or before) are kept."""
    (tmp_path / "db.meme").write_text(
        "MEME version 4\n\nALPHABET= ACGT\n\nMOTIF MA0004.1 Arnt\n\nletter-probability matrix: alength= 4 w= 1\n"
        "0.2 0.8 0 0\n\nURL http://jaspar.genereg.net/matrix/MA0004.1\n\n"
        "MOTIF M0001_1.02 (SOX2)_(Homo_sapiens)\nURL http://cisbp/M0001\nletter-probability matrix: w= 1\n"
        "0 0 0 1\nMOTIF bare\nletter-probability matrix: w= 1\n0.25 0.25 0.25 0.25\n")
    motifs = read_meme(tmp_path / "db.meme")
    assert [m.name for m in motifs] == ["MA0004.1 Arnt", "M0001_1.02 (SOX2)_(Homo_sapiens)", "bare"]
    assert [(m.identifier, m.alt_name, m.url) for m in motifs] == [
        ("MA0004.1", "Arnt", "http://jaspar.genereg.net/matrix/MA0004.1"),
        ("M0001_1.02", "(SOX2)_(Homo_sapiens)", "http://cisbp/M0001"), ("bare", "", "")]
    (tmp_path / "nameless.meme").write_text("MOTIF\nletter-probability matrix: w= 1\n1 0 0 0\n")
    with pytest.raises(SpecError, match="line 1: a MOTIF line without a name"):
        read_meme(tmp_path / "nameless.meme")


def test_trim_bounds_and_q_values() -> None:
    from specdsl.interpret.motifs import benjamini_hochberg, centre_window, trim_bounds

    cwm = np.zeros((30, 4))
    cwm[12:16, 0] = [0.5, 1.0, -0.8, 0.31]
    cwm[5, 1] = 0.29  # below 0.3 × max: trimmed away
    assert trim_bounds(cwm) == (12, 16)
    assert trim_bounds(cwm, pad=4) == (8, 20)
    cwm[1, 2] = 0.4
    assert trim_bounds(cwm, pad=4) == (0, 20)  # clipped at the edges
    assert np.allclose(benjamini_hochberg(np.array([[0.01, 0.04], [0.03, 0.5]])), [[0.04, 0.16 / 3], [0.16 / 3, 0.5]])
    assert centre_window(326, 200) == (63, 263, None)
    assert centre_window(120, 400)[:2] == (0, 120) and "using 120" in centre_window(120, 400)[2]


def test_report_escapes_user_text() -> None:
    from specdsl.interpret.motif_report import report_html
    from specdsl.interpret.motifs import Match, Pattern

    pattern = Pattern("pos_patterns", "pattern_0", 42, _ppm("AGATAAG"), _ppm("AGATAAG"))
    page = report_html([pattern], [("logos/a.png", "logos/b.png")], [[Match("<script>GATA&1</script>", 1e-5, 2e-4)]],
                       title="scores <b>.h5", notes=["a \"note\""], n_matches=1)
    assert "<script>" not in page and "&lt;script&gt;GATA&amp;1&lt;/script&gt;" in page
    assert "scores &lt;b&gt;.h5" in page and "<td>42</td>" in page and "0.0002" in page
    assert "No patterns were found" in report_html([], [], None, title="t", notes=["no patterns found"])


def test_shap_to_bigwig_writes_the_contributions(tmp_path: Path) -> None:
    from specdsl.formats.bigwig import read_track
    from specdsl.formats.prediction_h5 import Coordinates
    from specdsl.formats.scores_h5 import create_scores

    rng = np.random.default_rng(0)
    n, length = 3, 20
    hyp = rng.normal(size=(n, length, 4)).astype(np.float16)
    seqs = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (n, length))]
    # rows out of order; rows 0 and 2 overlap by 10 bp (averaged there)
    coords = Coordinates(["chr1", "chr2"], [100, 50], np.array([0, 1, 0]), np.array([30, 5, 40]),
                         np.array([50, 25, 60]))
    with create_scores(tmp_path / "s.h5", n, length, config="{}", coords=coords) as writer:
        writer.write(np.arange(n), hyp, seqs, np.zeros(n))
    assert main(["bpreveal", "shap-to-bigwig", "--h5", str(tmp_path / "s.h5"), "--bw", str(tmp_path / "s.bw")]) == 0
    contrib = (hyp.astype(np.float32) * seqs).sum(axis=2)
    chr1 = read_track(tmp_path / "s.bw", "chr1", 30, 60)
    assert np.allclose(chr1[:10], contrib[0, :10], atol=1e-6)
    assert np.allclose(chr1[10:20], (contrib[0, 10:] + contrib[2, :10]) / 2, atol=1e-6)
    assert np.allclose(chr1[20:], contrib[2, 10:], atol=1e-6)
    assert np.allclose(read_track(tmp_path / "s.bw", "chr2", 5, 25), contrib[1], atol=1e-6)
    assert np.isnan(read_track(tmp_path / "s.bw", "chr1", 0, 30)).all()
    no_coords = tmp_path / "plain.h5"
    with create_scores(no_coords, n, length, config="{}") as writer:
        writer.write(np.arange(n), hyp, seqs, np.zeros(n))
    assert main(["bpreveal", "shap-to-bigwig", "--h5", str(no_coords), "--bw", str(tmp_path / "p.bw")]) == 2


def test_motifs_refuses_bad_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import h5py

    with h5py.File(tmp_path / "other.h5", "w") as h5:
        h5["sequence"] = np.zeros((2, 10, 4), np.uint8)
    assert main(["motifs", str(tmp_path / "other.h5"), "-o", str(tmp_path / "out")]) == 2
    assert "no hyp_scores or input_seqs" in capsys.readouterr().err
    from specdsl.formats.scores_h5 import create_scores

    with create_scores(tmp_path / "short.h5", 2, 24, config="{}") as writer:
        writer.write(np.arange(2), np.zeros((2, 24, 4)), np.eye(4, dtype=np.uint8)[np.zeros((2, 24), int)], np.zeros(2))
    assert main(["motifs", str(tmp_path / "short.h5"), "-o", str(tmp_path / "out")]) == 2
    assert "need at least 31" in capsys.readouterr().err and not (tmp_path / "out").exists()
    (tmp_path / "db.txt").write_text("hello\n")
    assert main(["motifs", str(tmp_path / "short.h5"), "-o", str(tmp_path / "out"), "--meme-db",
                 str(tmp_path / "db.txt")]) == 2
    assert "--meme-db" in capsys.readouterr().err
    assert main(["motifs", str(tmp_path / "short.h5"), "-o", str(tmp_path / "out"), "--max-seqlets", "0"]) == 2


@pytest.mark.slow
def test_planted_motif_is_found_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import h5py

    from specdsl.formats.fasta import write_fasta

    monkeypatch.chdir(tmp_path)
    assert main(["init", "profile", "-o", "profile.json"]) == 0
    assert main(["make-data", "--train", "data/train.h5", "--val", "data/val.h5", "--input-length", "326",
                 "--output-length", "200", "--regions", "400", "--val-regions", "64", "--tasks", "2"]) == 0
    assert main(["train", "profile.json", "--set", 'model.architecture={"preset": "BPNet", "params": '
                 '{"filters": 32, "layers": 3}}', "--set", "model.input-length=326", "--set",
                 "model.output-length=200", "--set", "schedule.epochs=25", "--set", "schedule.batch-size=32",
                 "--set", "runtime.seed=3", "--set", "runtime.verbosity=WARNING", "--set",
                 "output-prefix=m/bpnet"]) == 0
    with h5py.File("data/train.h5", "r") as h5:
        onehot = h5["sequence"][:300]
    write_fasta("seqs.fa", [(f"r{i}", "".join(np.array(list("ACGT"))[row.argmax(1)])) for i, row in enumerate(onehot)])
    assert main(["interpret", "m/bpnet.keras", "--fasta", "seqs.fa", "-o", "scores.h5", "--shuffles", "8"]) == 0
    Path("db.meme").write_text(meme_text([MotifMatrix(k, _ppm(v)) for k, v in MOTIF_DB.items()]))
    done = _motifs_cli("scores.h5", "-o", "motifs", "--meme-db", "db.meme", "--window", "200")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line.strip() for line in done.stdout.splitlines()]
    patterns = [line for line in lines if line.startswith(("pos_patterns.", "neg_patterns."))]
    print(done.stdout)
    assert patterns and "best match" in patterns[0], done.stdout
    top = patterns[0].split("best match ")[1].split(" ")[0]
    assert top in ("AP1_planted", "GATA_planted"), done.stdout
    q = float(patterns[0].split("q=")[1].rstrip(")"))
    assert q < 0.05, done.stdout
    found = {line.split("best match ")[1].split(" ")[0] for line in patterns if "best match" in line}
    assert {"AP1_planted", "GATA_planted"} <= found, done.stdout
    out = tmp_path / "motifs"
    assert {"modisco_results.h5", "motifs.meme", "motifs.cwm.meme", "report.html"} <= {p.name for p in out.iterdir()}
    with h5py.File(out / "modisco_results.h5", "r") as h5:
        assert int(h5.attrs["window_size"]) == 200 and "pattern_0" in h5["pos_patterns"]
    assert (out / "logos" / "pos_patterns.pattern_0.cwm.fwd.png").stat().st_size > 1000
    assert top in (out / "report.html").read_text()
    assert len(read_meme(out / "motifs.meme")) == len(patterns)
