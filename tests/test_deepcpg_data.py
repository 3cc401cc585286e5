"""`specdsl deepcpg data` (dcpg_data.py reimplemented): values, layout, options, mistakes, synthetic data."""

from __future__ import annotations

import gzip
from pathlib import Path

import h5py
import numpy as np
import pytest

from specdsl.cli import main
from specdsl.systems.deepcpg.features import cpg_stats, knn_features
from specdsl.systems.deepcpg.genome import dna_windows

CODE = {"A": 0, "T": 1, "G": 2, "C": 3, "N": 4}


def genome(folder: Path, chromos: dict[str, str], gz: bool = True) -> Path:
    """One Ensembl-named FASTA per chromosome in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, seq in chromos.items():
        text = f">{name}\n" + "\n".join(seq[i:i + 7] for i in range(0, len(seq), 7)) + "\n"
        path = folder / f"Test.T1.dna.chromosome.{name}.fa{'.gz' if gz else ''}"
        path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return folder


def sequence(length: int, cpgs: list[int], seed: int = 0) -> str:
    """Random A/T (no accidental CpG) with a CG whose C is at each 1-based position in ``cpgs``."""
    seq = list(np.random.default_rng(seed).choice(list("AT"), length))
    for p in cpgs:
        seq[p - 1], seq[p] = "C", "G"
    return "".join(seq)


def write(path: Path, lines: list[str], gz: bool = False) -> str:
    text = "".join(line + "\n" for line in lines).encode()
    path.write_bytes(gzip.compress(text) if gz else text)
    return str(path)


def datasets(path: Path) -> dict[str, np.ndarray]:
    names: list[str] = []
    with h5py.File(path) as handle:
        handle.visititems(lambda k, v: names.append(k) if isinstance(v, h5py.Dataset) else None)
        return {k: handle[k][()] for k in names}


def run(tmp_path: Path, *args: str, out: str = "out") -> tuple[int, dict[str, dict[str, np.ndarray]]]:
    """Run the CLI; return its exit status and {file name: {dataset: array}}."""
    code = main(["deepcpg", "data", *args, "--out_dir", str(tmp_path / out)])
    return code, {path.name: datasets(path) for path in sorted((tmp_path / out).glob("*.h5"))}


CPGS = [10, 20, 30, 45, 60, 80]


@pytest.fixture
def small(tmp_path: Path) -> dict[str, str]:
    """Chromosome 1 (100 bp, six CpGs), two cells: a TSV and a bedGraph."""
    dna = genome(tmp_path / "dna", {"1": sequence(100, CPGS)})
    a = write(tmp_path / "cellA.tsv", ["chr1\t10\t1", "chr1\t30\t0", "chr1\t45\t1", "chr1\t80\t0"])
    b = write(tmp_path / "cellB.bedGraph.gz", ["track type=bedGraph", "1\t19\t20\t0", "1\t29\t30\t1",
                                               "1\t59\t60\t1"], gz=True)
    return {"dna": str(dna), "a": a, "b": b}


def test_knn_by_hand() -> None:
    pos = np.array([1, 3, 5, 8, 15])
    values = np.array([0, 0, 1, 1, 0], dtype=np.int8)
    state, dist = knn_features(np.array([2, 3, 6, 10]), pos, values, 2)
    # left: farthest first, nearest last; right: nearest first; the site itself (3) is skipped; -1 where missing
    np.testing.assert_array_equal(state, [[-1, 0, 0, 1], [-1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, -1]])
    np.testing.assert_array_equal(dist, [[-1, 1, 1, 3], [-1, 2, 2, 5], [3, 1, 2, 9], [5, 2, 5, -1]])
    assert state.dtype == np.int8 and dist.dtype == np.float32


def test_dna_windows_centre_and_chromosome_ends() -> None:
    seq = np.array([CODE[b] for b in "ACGTTCGAAN"], dtype=np.uint8)
    win = dna_windows(seq, np.array([2, 6, 10]), 5)
    # centre (index 2) is the site; past either end the window is padded with N (4), the site kept
    np.testing.assert_array_equal(win, [[4, 0, 3, 2, 1], [1, 1, 3, 2, 0], [0, 0, 4, 4, 4]])


def test_layout_values_and_neighbours(tmp_path: Path, small: dict[str, str]) -> None:
    code, files = run(tmp_path, "--cpg_profiles", small["a"], small["b"], "--dna_files", small["dna"],
                      "--cpg_wlen", "4", "--dna_wlen", "7")
    assert code == 0 and list(files) == ["c1_000000-000006.h5"]
    f = files["c1_000000-000006.h5"]
    # bedGraph starts 19/29/59 are the Cs at 20/30/60; the sites are the union of both cells' positions
    np.testing.assert_array_equal(f["pos"], CPGS)
    assert f["chromo"].dtype == np.dtype("S2") and set(f["chromo"].tolist()) == {b"1"}
    assert f["pos"].dtype == np.int32
    np.testing.assert_array_equal(f["outputs/cpg/cellA"], [1, -1, 0, 1, -1, 0])
    np.testing.assert_array_equal(f["outputs/cpg/cellB"], [-1, 0, 1, -1, 1, -1])
    assert f["inputs/dna"].dtype == np.int8 and f["inputs/dna"].shape == (6, 7)
    assert (f["inputs/dna"][:, 3] == 3).all() and (f["inputs/dna"][:, 4] == 2).all()
    # cellA observed 10, 30, 45, 80; site 30 (observed itself): left 10 (and -1), right 45, 80
    np.testing.assert_array_equal(f["inputs/cpg/cellA/state"][2], [-1, 1, 1, 0])
    np.testing.assert_array_equal(f["inputs/cpg/cellA/dist"][2], [-1, 20, 15, 50])
    # site 60 for cellA: left 30, 45 (farthest first); right 80 then nothing
    np.testing.assert_array_equal(f["inputs/cpg/cellA/state"][4], [0, 1, 0, -1])
    np.testing.assert_array_equal(f["inputs/cpg/cellA/dist"][4], [30, 15, 20, -1])
    with h5py.File(tmp_path / "out" / "c1_000000-000006.h5") as handle:
        assert handle["inputs/dna"].compression == "gzip" and handle["outputs/cpg/cellA"].compression == "gzip"
        assert handle["inputs/cpg/cellB/dist"].dtype == np.float32 and handle["pos"].compression is None


def test_percentages_continuous_states_and_stats(tmp_path: Path) -> None:
    dna = genome(tmp_path / "dna", {"2": sequence(100, CPGS)})
    a = write(tmp_path / "p.tsv", ["2 10 100", "2 20 0", "2 30 50", "2 45 75"])  # percentages (spaces work too)
    b = write(tmp_path / "q.tsv", ["2\t10\t1", "2\t20\t1", "2\t30\t0"])
    code, files = run(tmp_path, "--cpg_profiles", a, b, "--dna_db", str(dna), "--cpg_wlen", "2",
                      "--cpg_stats", "mean", "var", "mode", "diff", "cov", "--cpg_stats_cov", "2")
    assert code == 0
    f = next(iter(files.values()))
    np.testing.assert_array_equal(f["outputs/cpg/p"], [1, 0, 0, 1])  # 0.5 rounds to even (0), 0.75 to 1
    assert f["inputs/cpg/p/state"].dtype == np.float32 and f["inputs/cpg/q/state"].dtype == np.int8
    np.testing.assert_allclose(f["inputs/cpg/p/state"][3], [0.5, -1])
    np.testing.assert_allclose(f["outputs/cpg_stats/mean"], [1, 0.5, 0.25, -1])
    np.testing.assert_allclose(f["outputs/cpg_stats/var"], [0, 0.25, 0.0625, -1])
    np.testing.assert_array_equal(f["outputs/cpg_stats/mode"], [1, 0, 0, -1])
    # DeepCpG's diff is min != int8(max): 0 vs int8(0.5) = 0 is "not different" (kept as DeepCpG computes it)
    np.testing.assert_array_equal(f["outputs/cpg_stats/diff"], [0, 1, 0, -1])
    np.testing.assert_array_equal(f["outputs/cpg_stats/cov"], [2, 2, 2, -1])


def test_cpg_stats_categories() -> None:
    matrix = np.array([[1, 1, 1], [1, 0, -1], [1, 0, 0], [-1, -1, 1]], dtype=np.float32)
    stats = cpg_stats(matrix, ["cat_var", "cat2_var", "entropy"], 2)
    np.testing.assert_array_equal(stats["cat_var"], [0, 2, 2, -1])  # var 0, 0.25, 0.222: bins of 0.25 / 3
    np.testing.assert_array_equal(stats["cat2_var"], [0, 1, 1, -1])
    assert stats["entropy"][1] == pytest.approx(np.log(2), rel=1e-5)


def test_chunks_cov_chromos_and_nb_sample(tmp_path: Path) -> None:
    chromos = {"1": sequence(100, CPGS), "10": sequence(100, CPGS, 1), "2": sequence(100, CPGS, 2)}
    dna = str(genome(tmp_path / "dna", chromos, gz=False))
    a = write(tmp_path / "a.tsv", [f"{c}\t{p}\t1" for c in ("chr2", "chr1", "chr10") for p in CPGS], gz=True)
    b = write(tmp_path / "b.tsv", [f"{c}\t{p}\t0" for c in ("1", "10", "2") for p in CPGS[::2]])
    code, files = run(tmp_path, "--cpg_profiles", a, b, "--dna_files", dna, "--chunk_size", "4", out="all")
    assert code == 0 and sorted(files) == sorted(f"c{c}_{s}.h5" for c in ("1", "10", "2")
                                                 for s in ("000000-000004", "000004-000006"))
    code, files = run(tmp_path, "--cpg_profiles", a, b, "--cpg_cov", "2", out="cov")
    assert code == 0 and [f["pos"].tolist() for f in files.values()] == [CPGS[::2]] * 3
    code, files = run(tmp_path, "--cpg_profiles", a, b, "--chromos", "chr2", "10", out="chromos")
    assert code == 0 and sorted(files) == ["c10_000000-000006.h5", "c2_000000-000006.h5"]
    # --nb_sample 8 keeps each file's first 8 rows (a: 2's six, 1:10, 1:20; b: 1's and 10's three, 2:10, 2:30),
    # then the first 8 sites with chromosomes ordered as strings: 1 (4 sites), 10 (3), 2 (1)
    code, files = run(tmp_path, "--cpg_profiles", a, b, "--nb_sample", "8", out="nb")
    assert code == 0 and {k: len(v["pos"]) for k, v in files.items()} == {
        "c1_000000-000004.h5": 4, "c10_000000-000003.h5": 3, "c2_000000-000001.h5": 1}
    code, files = run(tmp_path, "--cpg_profiles", a, b, "--nb_sample_chromo", "3", "--seed", "1", out="s1")
    assert code == 0 and all(len(f["pos"]) <= 3 for f in files.values())


def test_pos_file_only_dna(tmp_path: Path) -> None:
    dna = str(genome(tmp_path / "dna", {"1": sequence(100, CPGS)}))
    pos = write(tmp_path / "pos.tsv", ["# chromo pos", "1\t45", "1\t10", "1\t45"])
    code, files = run(tmp_path, "--pos_file", pos, "--dna_files", dna, "--dna_wlen", "3")
    f = files["c1_000000-000002.h5"]
    assert code == 0 and f["pos"].tolist() == [10, 45] and not any(k.startswith("outputs") for k in f)
    seq = sequence(100, CPGS)
    np.testing.assert_array_equal(f["inputs/dna"], [[CODE[seq[8]], 3, 2], [CODE[seq[43]], 3, 2]])


def test_not_cpg_positions_are_counted_not_fatal(tmp_path: Path, capsys) -> None:
    dna = str(genome(tmp_path / "dna", {"1": sequence(100, CPGS)}))
    a = write(tmp_path / "a.tsv", ["1\t10\t1", "1\t11\t1", "1\t12\t0"])  # 11 is the G, 12 an A/T
    b = write(tmp_path / "b.bg", ["track type=bedGraph"] + [f"1\t{p}\t{p + 1}\t1" for p in CPGS])  # 1-based starts
    code, files = run(tmp_path, "--cpg_profiles", a, b, "--dna_files", dna)
    err = capsys.readouterr().err
    assert code == 0 and len(files) == 1
    assert "7 of 8 sites" in err and "issue #33" in err and "1:11 (G" in err
    assert f"{b}: 6 of its starts are CpG Cs" in err and "a.tsv: 2 of 3 positions" in err


def test_synthetic_signal_ceiling(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from specdsl.systems.deepcpg.synthetic import make_synthetic_deepcpg_data

    made = make_synthetic_deepcpg_data(tmp_path / "syn", dna_wlen=101, cpg_wlen=50, sites_per_chromosome=3000,
                                       cells=3, bedgraph=True, percent=True, compress=True)
    truth = np.load(made["raw"]["truth"])
    motif = dict(zip(zip(truth["chromo"].tolist(), truth["pos"].tolist()), truth["motif"].tolist()))

    def features(files: list[Path]) -> tuple[np.ndarray, np.ndarray]:
        x, y = [], []
        for path in files:
            with h5py.File(path) as f:
                assert (f["inputs/dna"][:, 50] == 3).all() and (f["inputs/dna"][:, 51] == 2).all()
                m = np.array([motif[k] for k in zip(f["chromo"][:].tolist(), f["pos"][:].tolist())])
                for cell in f["outputs/cpg"]:
                    out, state = f["outputs/cpg"][cell][:], f[f"inputs/cpg/{cell}/state"][:].astype(float)
                    seen = state >= 0
                    mean = np.where(seen, state, 0).sum(1) / np.maximum(seen.sum(1), 1)
                    x.append(np.c_[m, mean][out >= 0])
                    y.append(out[out >= 0])
        return np.concatenate(x), np.concatenate(y)

    (x_train, y_train), (x_val, y_val) = features(made["train_files"]), features(made["val_files"])
    model = LogisticRegression().fit(x_train, y_train)
    assert roc_auc_score(y_val, model.predict_proba(x_val)[:, 1]) >= 0.9


@pytest.mark.parametrize(("extra", "message"), [
    (["--dna_wlen", "1000"], "--dna_wlen: must be odd"),
    (["--cpg_wlen", "5"], "--cpg_wlen: must be even"),
    (["--chromos", "1", "chr7"], "--chromos: chromosome 'chr7' has no site in the profiles"),
    (["--chromos", "7"], "cellA.tsv: no methylation values on chromosome(s) 7 (--chromos)"),
    (["--anno_files", "x.bed"], "--anno_files: not supported"),
    (["--win_stats", "mean"], "--win_stats: not supported"),
    (["--dna_wln", "5"], "unknown option --dna_wln"),
    (["--cpg_stats", "median"], "invalid choice"),
])
def test_bad_options_exit_2(tmp_path: Path, small: dict[str, str], capsys, extra: list[str], message: str) -> None:
    code, files = run(tmp_path, "--cpg_profiles", small["a"], "--dna_files", small["dna"], *extra)
    assert code == 2 and message in capsys.readouterr().err and not files
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("lines", "message"), [
    (["1\t10\t1", "1\t20"], "bad.tsv:2: expected 3 columns"),
    (["1\t10\t1", "1\tx20\t1"], "bad.tsv:2: the position 'x20' is not a whole number"),
    (["1\t10\t1", "1\t20\t1.5e3"], "bad.tsv:2: the methylation value 1.5e3 is outside"),
    (["1\t10\t1", "1\t20\t0", "1\t10\t0"], "bad.tsv:1: position 1:10 is listed more than once"),
    (["# nothing"], "bad.tsv: no methylation values"),
    (["1\t10\t1", "1\t120\t1"], "bad.tsv:2: position 1:120 is past the end of chromosome 1 (100 bp"),
    (["1\t10\t1", "3\t20\t1"], "no DNA file for chromosome(s) 3"),
])
def test_bad_inputs_exit_2_and_leave_nothing(tmp_path: Path, small: dict[str, str], capsys, lines: list[str],
                                             message: str) -> None:
    bad = write(tmp_path / "bad.tsv", lines)
    code, files = run(tmp_path, "--cpg_profiles", small["a"], bad, "--dna_files", small["dna"], "--chunk_size", "2")
    assert code == 2 and message in capsys.readouterr().err
    assert not files and not (tmp_path / "out").exists()


def test_late_failure_removes_written_chunks(tmp_path: Path, capsys) -> None:
    dna = str(genome(tmp_path / "dna", {"1": sequence(100, CPGS), "2": sequence(50, [10])}))
    bad = write(tmp_path / "a.tsv", ["1\t10\t1", "1\t20\t0", "2\t10\t1", "2\t70\t1"])  # 2:70 is past 50 bp
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("not ours")
    code, files = run(tmp_path, "--cpg_profiles", bad, "--dna_files", dna)
    assert code == 2 and "a.tsv:4: position 2:70 is past the end" in capsys.readouterr().err
    assert not files and [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_unwritable_out_dir_and_duplicate_cells(tmp_path: Path, small: dict[str, str], capsys) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["deepcpg", "data", "--cpg_profiles", small["a"], "--out_dir", str(tmp_path / "file" / "sub")]) == 2
    assert "file: --out_dir: is a file, not a folder" in capsys.readouterr().err
    twin = write(tmp_path / "cellA.other.tsv", ["1\t10\t1"])
    assert main(["deepcpg", "data", "--cpg_profiles", small["a"], twin, "--out_dir", str(tmp_path / "o")]) == 2
    assert "two profiles give the cell name 'cellA'" in capsys.readouterr().err


def test_parallel_deflate_stores_what_hdf5_gzip_stores(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from specdsl.formats.deepcpg_chunks import ChunkData, write_chunk

    rng = np.random.default_rng(0)
    n = 5003  # not a multiple of any chunk edge: the last chunks are padded
    data = ChunkData("1", np.arange(1, n + 1), outputs={"cpg/a": rng.integers(-1, 2, n).astype(np.int8)},
                     inputs={"dna": rng.integers(0, 5, (n, 1001)).astype(np.int8),
                             "cpg/a/dist": rng.integers(1, 9999, (n, 50)).astype(np.float32)})
    with ThreadPoolExecutor(2) as pool:
        write_chunk(tmp_path / "ours.h5", data, pool)
    with h5py.File(tmp_path / "hdf5.h5", "w") as f:
        for group, items in (("outputs", data.outputs), ("inputs", data.inputs)):
            for key, value in items.items():
                f.create_dataset(f"{group}/{key}", data=value, compression="gzip")
    with h5py.File(tmp_path / "ours.h5") as ours, h5py.File(tmp_path / "hdf5.h5") as ref:
        for key in ("outputs/cpg/a", "inputs/dna", "inputs/cpg/a/dist"):
            a, b = ours[key], ref[key]
            assert (a.chunks, a.compression, a.compression_opts) == (b.chunks, "gzip", 4)
            np.testing.assert_array_equal(a[()], b[()])
            for i in range(b.id.get_num_chunks()):
                offset = b.id.get_chunk_info(i).chunk_offset
                assert a.id.read_direct_chunk(offset) == b.id.read_direct_chunk(offset), (key, offset)
