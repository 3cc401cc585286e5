"""Training data: layout checks, streaming tf.data pipeline, jitter, synthetic files."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import h5py
import numpy as np
import pytest

from specdsl.errors import SpecError, SpecErrors
from specdsl.formats import synthetic_profiles as synthetic
from specdsl.formats.bpreveal_h5 import check_dataset, solo_output_names, summarize_counts
from specdsl.formats.synthetic_profiles import Motif, write_synthetic
from specdsl.training.profile_stream import make_dataset

IN, OUT, J = 80, 40, 5
TASKS = [2, 1]


def _write_raw(path: Path, n: int = 8, seq_width: int = IN + 2 * J, head_widths: tuple[int, ...] = (OUT + 2 * J,) * 2,
               tasks: tuple[int, ...] = tuple(TASKS), seq_dtype: str = "uint8", channels: int = 4,
               head_rows: int | None = None) -> Path:
    """A file in BPReveal layout whose every property can be made wrong on purpose."""
    with h5py.File(path, "w") as h5:
        seq = np.zeros((n, seq_width, channels), dtype=np.uint8)
        seq[:, :, 0] = 1
        if seq_dtype.startswith("S"):
            h5.create_dataset("sequence", data=np.full((n, seq_width, channels), b"A", dtype=seq_dtype))
        else:
            h5.create_dataset("sequence", data=seq.astype(seq_dtype))
        for i, (width, t) in enumerate(zip(head_widths, tasks)):
            h5.create_dataset(f"head_{i}", data=np.ones((head_rows or n, width, t), dtype=np.float32))
    return path


def _check(path: Path, **kw) -> int:
    args = {"input_length": IN, "output_length": OUT, "max_jitter": J, "tasks_per_head": TASKS} | kw
    return check_dataset(path, **args)


# -- layout checks ------------------------------------------------------------------------------


def test_check_accepts_bpreveal_layout(tmp_path: Path) -> None:
    assert _check(_write_raw(tmp_path / "ok.h5", n=8)) == 8


def test_wrong_jitter_names_both_datasets_and_the_config_values(tmp_path: Path) -> None:
    path = _write_raw(tmp_path / "j.h5")  # prepared with max-jitter 5
    with pytest.raises(SpecErrors) as err:
        _check(path, max_jitter=10)
    text = err.value.render()
    assert "dataset 'sequence' has 90 positions per region (shape (8, 90, 4)), " \
           "expected 100 = input-length 80 + 2 × max-jitter 10" in text
    assert "dataset 'head_0' has 50 positions per region (shape (8, 50, 2)), " \
           "expected 60 = output-length 40 + 2 × max-jitter 10" in text
    assert "max-jitter 5 (with input-length 80)" in text and "max-jitter 5 (with output-length 40)" in text
    assert all(e.file == str(path) for e in err.value.errors)


def test_wrong_output_length(tmp_path: Path) -> None:
    path = _write_raw(tmp_path / "o.h5", head_widths=(48, 50))
    with pytest.raises(SpecError) as err:
        _check(path)
    e = err.value
    assert not isinstance(e, SpecErrors) and e.file == str(path)
    assert "dataset 'head_0' has 48 positions per region (shape (8, 48, 2)), " \
           "expected 50 = output-length 40 + 2 × max-jitter 5" in e.message
    assert e.expected == "shape (N, 50, 2), float32 (integer and float types are accepted)"
    assert "output-length 38 (with max-jitter 5)" in e.hint and "max-jitter 4 (with output-length 40)" in e.hint


def test_wrong_number_of_tasks(tmp_path: Path) -> None:
    path = _write_raw(tmp_path / "t.h5", tasks=(1, 1))
    with pytest.raises(SpecError) as err:
        _check(path, head_names=["nanog", "oct4"])
    assert err.value.message == ("dataset 'head_0' has 1 tasks per position (shape (8, 50, 1)), "
                                 "expected 2 = num-tasks of head 'nanog' (heads[0])")
    assert err.value.file == str(path)


def test_missing_head(tmp_path: Path) -> None:
    path = _write_raw(tmp_path / "m.h5", head_widths=(50,), tasks=(2,))
    with pytest.raises(SpecError) as err:
        _check(path)
    e = err.value
    assert e.message == "dataset 'head_1' is missing (it holds heads[1]; the config lists 2 heads)"
    assert e.hint == "the file has: head_0, sequence"
    assert e.expected == "shape (N, 50, 1), float32 (integer and float types are accepted)"
    assert str(path) in e.render()


def test_wrong_dtype(tmp_path: Path) -> None:
    path = _write_raw(tmp_path / "d.h5", seq_dtype="S1")
    with pytest.raises(SpecError) as err:
        _check(path)
    assert err.value.message.startswith("dataset 'sequence' has dtype |S1, expected uint8 one-hot")
    assert err.value.file == str(path)


def test_wrong_channels_rows_and_one_hot(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"'sequence' has 5 bases per position .* expected 4 \(one-hot A, C, G, T\)"):
        _check(_write_raw(tmp_path / "c.h5", channels=5))
    with pytest.raises(SpecError, match="dataset 'head_0' has 7 regions but 'sequence' has 8"):
        _check(_write_raw(tmp_path / "r.h5", head_rows=7))
    path = _write_raw(tmp_path / "h.h5")
    with h5py.File(path, "a") as h5:
        h5["sequence"][0, 3] = [1, 1, 0, 0]
    with pytest.raises(SpecError, match="not one-hot: region 0, position 3 has 2 bases set"):
        _check(path)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        _check(tmp_path / "nope.h5")
    assert err.value.file == str(tmp_path / "nope.h5") and "not found" in err.value.message
    text = tmp_path / "text.h5"
    text.write_text("chr1\t100\t200\n")
    with pytest.raises(SpecError, match="cannot read as HDF5"):
        _check(text)


# -- synthetic files ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(write_synthetic(tmp_path_factory.mktemp("syn") / "syn.h5", 192, IN, OUT, J, TASKS, seed=3))


def test_synthetic_file_has_the_layout_and_planted_motifs(synthetic_file: Path) -> None:
    assert _check(synthetic_file) == 192
    with h5py.File(synthetic_file) as h5:
        truth = {k: h5["synthetic"][k][()] for k in ("region", "motif", "position", "strand")}
        seq = h5["sequence"][()]
        head0 = h5["head_0"][()]
        config = json.loads(h5["metadata"].attrs["config"])
    assert config["heads"] == TASKS and h5py.is_hdf5(synthetic_file)
    assert len(truth["region"]) > 100
    letters = np.array(list("ACGT"))[seq.argmax(-1)]
    offset = (IN - OUT) // 2
    for r, m, p, s in list(zip(*truth.values()))[:20]:
        motif = synthetic.default_motifs(2)[m]
        planted = "".join(letters[r, offset + p: offset + p + len(motif.sequence)])
        expected = motif.sequence if s == 0 else "".join("TGCA"["ACGT".index(b)] for b in reversed(motif.sequence))
        assert planted == expected
    # GATA (head 0) peaks: task 0 upstream and task 1 downstream of the motif centre, far above background.
    gata = truth["motif"] == 0
    centre = truth["position"][gata] + 3
    rows = truth["region"][gata]
    for task, shift in ((0, -8), (1, 8)):
        near = head0[rows, np.clip(centre + shift, 0, OUT + 2 * J - 1), task].mean()
        assert near > 10 * head0[:, :, task].mean() / 4


def test_synthetic_counts_follow_motifs(tmp_path: Path) -> None:
    path = write_synthetic(tmp_path / "one.h5", 400, IN, OUT, 0, [2], seed=1,
                           motifs=[Motif("GATA", "AGATAAG", head=0, rate=1.5, strength=80.0)])
    with h5py.File(path) as h5:
        totals = h5["head_0"][()].sum(axis=(1, 2))
        instances = np.bincount(h5["synthetic"]["region"][()], minlength=400)
    assert np.corrcoef(instances, np.log(totals))[0, 1] > 0.6
    assert totals.min() > 0


def test_synthetic_is_deterministic_and_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Its speed is measured by benchmarks/bench_scaling.py, not asserted here.
    a = write_synthetic(tmp_path / "a.h5", 2000, 2114, 1000, 64, [2], seed=5)
    b = write_synthetic(tmp_path / "b.h5", 2000, 2114, 1000, 64, [2], seed=5)
    with h5py.File(a) as fa, h5py.File(b) as fb:
        assert fa["sequence"].chunks == (128, 2242, 4)
        assert np.array_equal(fa["head_0"][:50], fb["head_0"][:50])
    assert sorted(os.listdir(tmp_path)) == ["a.h5", "b.h5"]

    def boom(*args: object, **kw: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(synthetic, "_plant_block", boom)
    with pytest.raises(RuntimeError):
        write_synthetic(tmp_path / "a.h5", 10, IN, OUT, J, TASKS)
    assert sorted(os.listdir(tmp_path)) == ["a.h5", "b.h5"]  # old file intact, no temporary left
    assert _check(Path(a), input_length=2114, output_length=1000, max_jitter=64, tasks_per_head=[2]) == 2000


# -- counts summary -------------------------------------------------------------------------------


def test_summarize_counts_mean_and_empty_windows(tmp_path: Path) -> None:
    path = _write_raw(tmp_path / "s.h5", n=2, head_widths=(50, 50), tasks=(2, 1))
    with h5py.File(path, "a") as h5:
        h5["head_0"][...] = 0.0
        h5["head_0"][0, 20, 0] = 6.0  # inside every jittered window
        h5["head_0"][1, 1, 1] = 4.0  # only inside windows starting at offsets 0 and 1
    s = summarize_counts(path, OUT, J, 2)
    assert s.n_regions == 2
    assert s.mean_counts == (3.0, 40.0)  # central window [5, 45): region 1's read is outside it
    assert s.empty_windows == (1, 0)
    assert summarize_counts(path, OUT, J, 2, jitter=False).empty_windows == (1, 0)


# -- the tf.data pipeline ---------------------------------------------------------------------------


def _marker_file(path: Path, n: int, jitter: int, seed: int = 0) -> Path:
    """Each region: one 'T' at sequence position q + (IN-OUT)/2, a 1000-read spike at head position q,
    background 1 elsewhere, and its region id + 1 in every position of head 1."""
    rng = np.random.default_rng(seed)
    seq_w, prof_w = IN + 2 * jitter, OUT + 2 * jitter
    seq = np.zeros((n, seq_w, 4), dtype=np.uint8)
    seq[:, :, 0] = 1
    prof = np.ones((n, prof_w, 2), dtype=np.float32)
    q = rng.integers(2 * jitter, OUT, size=n)  # inside the window for every offset
    for r in range(n):
        seq[r, q[r] + (IN - OUT) // 2] = [0, 0, 0, 1]
        prof[r, q[r], 0] = 1000.0
    ids = np.broadcast_to((np.arange(n, dtype=np.float32) + 1)[:, None, None], (n, prof_w, 1))
    with h5py.File(path, "w") as h5:
        h5.create_dataset("sequence", data=seq, chunks=(16, seq_w, 4))
        h5.create_dataset("head_0", data=prof, chunks=(16, prof_w, 2))
        h5.create_dataset("head_1", data=np.ascontiguousarray(ids), chunks=(16, prof_w, 1))
    return path


def _epoch(ds) -> tuple[np.ndarray, ...]:
    xs, p0, p1, c0, c1 = [], [], [], [], []
    for x, (a, b, ca, cb) in ds:
        for into, v in zip((xs, p0, p1, c0, c1), (x, a, b, ca, cb)):
            into.append(np.asarray(v))
    return tuple(np.concatenate(v) for v in (xs, p0, p1, c0, c1))


def test_jitter_moves_sequence_and_profiles_together(tmp_path: Path) -> None:
    jitter = 3
    path = _marker_file(tmp_path / "marker.h5", 96, jitter)
    ds = make_dataset(path, IN, OUT, jitter, [2, 1], 16, shuffle=True, seed=1, jitter=True, block_rows=16,
                      shuffle_buffer=32)
    offsets = set()
    with h5py.File(path) as h5:
        q = h5["head_0"][:, :, 0].argmax(axis=1)
    for _ in range(2):
        x, p0, p1, c0, c1 = _epoch(ds)
        assert x.dtype == np.float32 and x.shape == (96, IN, 4)
        seq_pos = x[:, :, 3].argmax(axis=1)
        prof_pos = p0[:, :, 0].argmax(axis=1)
        assert np.array_equal(seq_pos - prof_pos, np.full(96, (IN - OUT) // 2))  # aligned in every example
        region = p1[:, 0, 0].astype(int) - 1
        assert np.all(p1 == p1[:, :1, :1])  # the id is constant along the head
        offsets |= set((q[region] - prof_pos).tolist())
        expected = np.log(p0.sum(axis=(1, 2)))[:, None]
        assert c0.shape == (96, 1) and np.allclose(c0, expected, rtol=1e-6)
        assert np.allclose(c1[:, 0], np.log((region + 1.0) * OUT))
    assert offsets == set(range(2 * jitter + 1))  # every shift in [0, 2J], both ends included


def test_max_jitter_zero(tmp_path: Path) -> None:
    path = write_synthetic(tmp_path / "j0.h5", 40, IN, OUT, 0, TASKS, seed=2)
    ds = make_dataset(path, IN, OUT, 0, TASKS, 8, shuffle=True, seed=0, jitter=True)
    x, p0, p1, c0, c1 = _epoch(ds)
    with h5py.File(path) as h5:
        order = [int(np.flatnonzero((h5["head_0"][()] == row).all(axis=(1, 2)))[0]) for row in p0[:5]]
        assert np.array_equal(x[:5], h5["sequence"][()][order].astype(np.float32))
    assert x.shape == (40, IN, 4) and p1.shape == (40, OUT, 1) and np.isfinite(c1).all()


def test_validation_is_ordered_centred_and_keeps_the_remainder(tmp_path: Path) -> None:
    path = _marker_file(tmp_path / "val.h5", 50, J)
    ds = make_dataset(path, IN, OUT, J, [2, 1], 16, shuffle=False, seed=0, jitter=False, block_rows=16)
    assert len(ds) == 4
    sizes = [int(x.shape[0]) for x, _ in ds]
    assert sizes == [16, 16, 16, 2]
    x, p0, p1, _, _ = _epoch(ds)
    with h5py.File(path) as h5:
        assert np.array_equal(p0, h5["head_0"][:, J:J + OUT])
        assert np.array_equal(x, h5["sequence"][:, J:J + IN].astype(np.float32))
    assert np.array_equal(p1[:, 0, 0], np.arange(1, 51))


def test_training_drops_remainder_reshuffles_and_is_deterministic(tmp_path: Path) -> None:
    path = _marker_file(tmp_path / "train.h5", 100, J)

    def order(ds) -> list[int]:
        return [int(v) for _, (_, ids, _, _) in ds for v in np.asarray(ids[:, 0, 0])]

    ds = make_dataset(path, IN, OUT, J, [2, 1], 16, shuffle=True, seed=7, jitter=True, block_rows=16)
    assert len(ds) == 6
    first, second = order(ds), order(ds)
    assert len(first) == 96 and len(set(first)) == 96 and first != second
    again = make_dataset(path, IN, OUT, J, [2, 1], 16, shuffle=True, seed=7, jitter=True, block_rows=16)
    assert order(again) == first


def test_dict_targets_match_model_output_shapes(synthetic_file: Path) -> None:
    names = solo_output_names(["gata", "ap1"])
    assert names == ["solo_profile_gata", "solo_profile_ap1", "solo_logcounts_gata", "solo_logcounts_ap1"]
    ds = make_dataset(synthetic_file, IN, OUT, J, TASKS, 32, shuffle=True, seed=0, jitter=True, output_names=names)
    x, y = next(iter(ds))
    assert list(y) == names
    assert {k: tuple(v.shape) for k, v in y.items()} == {
        "solo_profile_gata": (32, OUT, 2), "solo_profile_ap1": (32, OUT, 1),
        "solo_logcounts_gata": (32, 1), "solo_logcounts_ap1": (32, 1)}  # (B, 1), as the Dense(1) output


def test_make_dataset_checks_the_file_first(tmp_path: Path, synthetic_file: Path) -> None:
    with pytest.raises(SpecError, match="expected 50 = output-length 40"):
        make_dataset(_write_raw(tmp_path / "bad.h5", head_widths=(44, 50)), IN, OUT, J, TASKS, 4, True, 0, True)
    with pytest.raises(SpecError, match="192 regions, fewer than the batch size 256"):
        make_dataset(synthetic_file, IN, OUT, J, TASKS, 256, shuffle=True, seed=0, jitter=True)


def test_reads_are_bounded_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _marker_file(tmp_path / "big.h5", 200, J)
    requested: list[int] = []
    original = h5py.Dataset.__getitem__

    def spy(self, key):  # noqa: ANN001 - h5py's own signature
        result = original(self, key)
        if isinstance(result, np.ndarray) and result.ndim == 3:
            requested.append(result.shape[0])
        return result

    monkeypatch.setattr(h5py.Dataset, "__getitem__", spy)
    ds = make_dataset(path, IN, OUT, J, [2, 1], 8, shuffle=True, seed=0, jitter=True, block_rows=16)
    requested.clear()  # the layout check reads region 0
    assert sum(1 for _ in ds) == 25
    assert max(requested) <= 16
    assert sum(requested) == 200 * 3  # every row of the 3 datasets read exactly once per epoch


def test_peak_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    """Blocks, pools and read-ahead bound the memory: a file four times larger takes no more."""
    def peak(rows: int) -> tuple[int, int]:
        path = write_synthetic(tmp_path / f"mem{rows}.h5", rows, 600, 300, 10, [2], seed=0)
        ds = make_dataset(path, 600, 300, 10, [2], 16, shuffle=True, seed=0, jitter=True, block_rows=32,
                          shuffle_buffer=64)
        next(iter(ds))  # build the pipeline before measuring
        tracemalloc.start()
        try:
            batches = sum(1 for _ in ds)
            top = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert batches == rows // 16
        return top, os.path.getsize(path)

    small, _ = peak(500)
    big, file_bytes = peak(2000)
    # a third of the file: blocks in flight, the shuffle pool and a few float32 batches (2.1–2.7 MB measured,
    # more when the read-ahead threads get ahead of a loaded machine); what matters is the next line
    assert file_bytes > 9_000_000 and big < file_bytes / 3, (big, file_bytes)
    assert big < 1.3 * small + 200_000, (small, big)


def test_importing_the_package_does_not_import_tensorflow() -> None:
    code = ("import sys, specdsl.training as t; t.check_dataset; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_tuple_targets_follow_bpreveal_order(synthetic_file: Path) -> None:
    ds = make_dataset(synthetic_file, IN, OUT, J, TASKS, 64, shuffle=False, seed=0, jitter=False)
    x, targets = next(iter(ds))
    assert [tuple(t.shape) for t in targets] == [(64, OUT, 2), (64, OUT, 1), (64, 1), (64, 1)]
    assert math.isclose(float(targets[2][0, 0]), float(np.log(np.asarray(targets[0][0]).sum())), rel_tol=1e-6)
