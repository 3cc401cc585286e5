"""dcpg_eval's --out_data/--out_report files and dcpg_eval_export's profiles (library and command line)."""

from __future__ import annotations

import gzip

import h5py
import numpy as np
import pytest

from specdsl.cli import main
from specdsl.errors import SpecError
from specdsl.systems.deepcpg import evaluation
from specdsl.systems.deepcpg.evaluation import (
    EvalDataWriter,
    export_profiles,
    profile_name,
    read_eval_data,
    write_eval_data,
    write_eval_report,
)
from specdsl.training.metrics import binary_metrics

CHROMO = np.array([b"18", b"18", b"18", b"19", b"19"])
POS = np.array([3000023, 3000086, 3000095, 4000011, 4000042])
LABELS = {"cpg/BS27_4_SER": np.array([1, -1, 0, -1, 1], dtype=np.int8),
          "cpg/BS28_2_SER": np.array([-1, 0, -1, 1, -1], dtype=np.int8)}
PREDS = {"cpg/BS27_4_SER": np.array([0.9, 0.25, 0.1, 0.734121, 0.6], dtype=np.float32),
         "cpg/BS28_2_SER": np.array([0.5, 0.2, 0.875, 0.9, 0.123456], dtype=np.float32)}


@pytest.fixture()
def data_file(tmp_path):
    return write_eval_data(tmp_path / "eval" / "data.h5", CHROMO, POS, LABELS, PREDS)


def test_eval_data_layout_is_dcpg_evals(data_file) -> None:
    with h5py.File(data_file, "r") as f:
        assert sorted(f) == ["chromo", "outputs", "pos", "preds"]
        assert (f["chromo"].dtype, f["pos"].dtype) == (np.dtype("S2"), np.dtype(np.int32))
        assert list(f["outputs/cpg"]) == ["BS27_4_SER", "BS28_2_SER"]  # 'cpg/' is a group path
        assert f["outputs/cpg/BS27_4_SER"].dtype == np.int8 and f["preds/cpg/BS27_4_SER"].dtype == np.float32
        assert all(f[n].compression == "gzip" for n in ("chromo", "pos", "outputs/cpg/BS28_2_SER"))
    back = read_eval_data(data_file)
    assert back["chromo"].tolist() == CHROMO.tolist() and back["pos"].tolist() == POS.tolist()
    for name in LABELS:
        np.testing.assert_array_equal(back["outputs"][name], LABELS[name])
        np.testing.assert_array_equal(back["preds"][name], PREDS[name])
    assert list(read_eval_data(data_file, ["BS28"])["outputs"]) == ["cpg/BS28_2_SER"]


def test_streaming_writer_appends_and_appears_only_on_close(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(evaluation, "_ROWS_PER_CHUNK", 2)  # flush mid-stream, not only on close
    path = tmp_path / "stream.h5"
    writer = EvalDataWriter(path)
    for rows in (slice(0, 2), slice(2, 5)):
        writer.append([c.decode() for c in CHROMO[rows]], POS[rows], {k: v[rows] for k, v in LABELS.items()},
                      {k: v[rows] for k, v in PREDS.items()})
        assert not path.exists()
    assert writer.close() == path and writer.n == 5
    np.testing.assert_array_equal(read_eval_data(path)["preds"]["cpg/BS28_2_SER"], PREDS["cpg/BS28_2_SER"])
    before = path.read_bytes()
    with pytest.raises(RuntimeError), EvalDataWriter(path) as again:
        again.append(CHROMO, POS, LABELS, PREDS)
        raise RuntimeError("killed mid-run")
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["stream.h5"]
    with EvalDataWriter(tmp_path / "narrow.h5") as narrow, pytest.raises(SpecError, match="'GL000192.1' is longer"):
        narrow.append(CHROMO, POS, LABELS, PREDS)
        narrow.append(["GL000192.1"], [5], {k: v[:1] for k, v in LABELS.items()}, {k: v[:1] for k, v in PREDS.items()})
    assert EvalDataWriter(tmp_path / "wide.h5", chromo_width=12).close().exists()


def test_eval_report_file(tmp_path) -> None:
    metrics = {name: binary_metrics(LABELS[name], PREDS[name]) for name in LABELS}
    text = write_eval_report(tmp_path / "report.tsv", metrics).read_text()
    assert text.startswith("metric\toutput\tvalue\nacc\tcpg/BS27_4_SER\t1.0\nacc\tcpg/BS28_2_SER\t1.0\n")
    assert "n\tcpg/BS27_4_SER\t3.0\n" in text and "auc\tcpg/BS28_2_SER\t1.0\n" in text


def bedgraph_rows(path) -> list[list[str]]:
    with gzip.open(path, "rt") as handle:
        return [line.rstrip("\n").split("\t") for line in handle]


def test_export_bedgraph_values_and_coordinates(data_file, tmp_path) -> None:
    out = tmp_path / "profiles"
    paths = export_profiles(data_file, out, "bedGraph")
    assert [p.name for p in paths] == ["BS27_4_SER.bedGraph.gz", "BS28_2_SER.bedGraph.gz"]
    assert bedgraph_rows(paths[0]) == [
        ["chr18", "3000022", "3000023", "1.00000"],  # observed: the label
        ["chr18", "3000085", "3000086", "0.25000"],  # missing: the prediction
        ["chr18", "3000094", "3000095", "0.00000"],
        ["chr19", "4000010", "4000011", "0.73412"],
        ["chr19", "4000041", "4000042", "1.00000"]]
    shifted = export_profiles(data_file, out, "bedGraph", output_names=["28"], chromos=["19"],
                              deepcpg_coordinates=True)
    assert bedgraph_rows(shifted[0]) == [["chr19", "4000011", "4000012", "1.00000"],
                                         ["chr19", "4000042", "4000043", "0.12346"]]
    assert sorted(p.name for p in out.iterdir()) == ["BS27_4_SER.bedGraph.gz", "BS28_2_SER.bedGraph.gz"]


def test_export_hdf_layout_and_nb_sample(data_file, tmp_path) -> None:
    (path,) = export_profiles(data_file, tmp_path / "h5", output_names=["cpg/BS28_2_SER"], nb_sample=3)
    with h5py.File(path, "r") as f:
        assert sorted(f) == ["chromo", "pos", "value"] and path.name == "BS28_2_SER.h5"
        assert f["chromo"].dtype == np.dtype("S2") and f["pos"].dtype == np.int32 and f["value"].dtype == np.float32
        assert f["pos"][:].tolist() == POS[:3].tolist()
        np.testing.assert_allclose(f["value"][:], [0.5, 0.0, 0.875])
    assert profile_name("cpg_stats/mean") == "cpg_stats_mean" and profile_name("cpg/Ca01") == "Ca01"


def test_eval_export_command_line(data_file, tmp_path, capsys) -> None:
    out = tmp_path / "cli"
    assert main(["deepcpg", "eval-export", str(data_file), "-o", str(out), "-f", "bedGraph",
                 "--output", "BS27", "--chromo", "18", "--verbose"]) == 0
    assert [p.name for p in out.iterdir()] == ["BS27_4_SER.bedGraph.gz"]
    assert len(bedgraph_rows(out / "BS27_4_SER.bedGraph.gz")) == 3
    assert "cpg/BS27_4_SER" in capsys.readouterr().err
    log = tmp_path / "export.log"
    assert main(["deepcpg", "eval-export", str(data_file), "--out_dir", str(out), "--log_file", str(log)]) == 0
    assert {p.name for p in out.iterdir()} >= {"BS27_4_SER.h5", "BS28_2_SER.h5"} and "INFO (" in log.read_text()


def broken_files(tmp_path, data_file) -> dict[str, str]:
    (tmp_path / "notes.h5").write_text("chromo pos value\n")
    with h5py.File(tmp_path / "nopreds.h5", "w") as f:
        f["chromo"], f["pos"], f["outputs/cpg/A"] = CHROMO, POS, LABELS["cpg/BS27_4_SER"]
    with h5py.File(tmp_path / "nopos.h5", "w") as f:
        f["chromo"] = CHROMO
    return {"missing": str(tmp_path / "nope.h5"), "text": str(tmp_path / "notes.h5"),
            "nopreds": str(tmp_path / "nopreds.h5"), "nopos": str(tmp_path / "nopos.h5"), "good": str(data_file)}


@pytest.mark.parametrize(("file", "args", "message"), [
    ("missing", [], "nope.h5: no such file"),
    ("text", [], "notes.h5: not an HDF5 file"),
    ("nopreds", [], "no dataset 'preds/cpg/A'"),
    ("nopos", [], "no dataset 'pos'"),
    ("good", ["--output_names", "cpg/BS27_4_SEX"], "--output_names: no output in"),
    ("good", ["--output_names", "cpg/BS27_4_SEX"], "did you mean 'cpg/BS27_4_SER'?"),
    ("good", ["--output_names", "cpg/("], "not a regular expression"),
    ("good", ["--chromos", "chr18"], "use '18'"),
    ("good", ["--chromos", "7"], "--chromos: no chromosome '7'"),
    ("good", ["--nb_sample", "-2"], "--nb_sample: must be a positive number"),
    ("good", ["-f", "bigwig"], "invalid choice: 'bigwig'"),
    ("good", ["--out_dirr", "x"], "did you mean '--out_dir'?"),
])
def test_eval_export_bad_inputs_exit_2_and_write_nothing(tmp_path, data_file, capsys, file, args, message) -> None:
    files = broken_files(tmp_path, data_file)
    out = tmp_path / "never"
    assert main(["deepcpg", "eval-export", files[file], "-o", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())
