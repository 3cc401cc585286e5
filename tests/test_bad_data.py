"""Bad training data is named before or while reading: file, dataset, row, what was expected.

Small real files (the synthetic makers, DeepCpG's chunk writer) are damaged on purpose: NaN/Inf
in profiles and sequences, a 0.5 in a one-hot sequence, negative counts, out-of-range DeepCpG
values, bytes flipped inside a gzip chunk (found with h5py's ``get_chunk_info``) and in the middle
of an uncompressed file.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import h5py
import numpy as np
import pytest

from specdsl.errors import SpecError
from specdsl.formats import data_errors
from specdsl.formats.block_checks import COUNTS, ONE_HOT, first_bad
from specdsl.formats.bpreveal_h5 import check_dataset, summarize_counts
from specdsl.formats.deepcpg_chunks import ChunkData, write_chunk
from specdsl.formats.synthetic_profiles import write_synthetic
from specdsl.training.profile_stream import make_dataset
from specdsl.training.readers.deepcpg_h5 import DeepCpGH5, Layout

IN, OUT, J, TASKS, N = 40, 24, 2, [2], 64


def bpreveal_file(path: Path, *, sequence_dtype: str = "uint8", compression: str | None = "gzip",
                  checksums: bool = False, contiguous: bool = False) -> str:
    """A synthetic BPReveal file, rewritten with the storage given (as prepareTrainingData's files vary)."""
    write_synthetic(path, N, IN, OUT, J, TASKS, seed=0)
    with h5py.File(path, "r") as h5:
        arrays = {name: h5[name][...] for name in ("sequence", "head_0")}
    arrays["sequence"] = arrays["sequence"].astype(sequence_dtype)
    with h5py.File(path, "w") as h5:
        for name, value in arrays.items():
            layout = {} if contiguous else {"chunks": (16, *value.shape[1:]), "compression": compression,
                                            "fletcher32": checksums}
            h5.create_dataset(name, data=value, **layout)
    return str(path)


def stream(path: str) -> None:
    """Read one epoch of the file's batches as a run's fit takes them."""
    pytest.importorskip("tensorflow")
    ds = make_dataset(path, IN, OUT, J, TASKS, 8, shuffle=False, seed=0, jitter=False, block_rows=16)
    with data_errors.surfaced():
        for _ in ds:
            pass


def precheck(path: str) -> None:
    """What a run checks before TensorFlow starts: the layout, then every count (ĉ and empty windows)."""
    check_dataset(path, IN, OUT, J, TASKS)
    summarize_counts(path, OUT, J, len(TASKS))


def flip_chunk(path: str, dataset: str, chunk: int) -> tuple[int, ...]:
    """Overwrite bytes in the middle of one stored chunk; return the chunk's first index."""
    with h5py.File(path, "r") as h5:
        info = h5[dataset].id.get_chunk_info(chunk)
    with open(path, "r+b") as f:
        f.seek(info.byte_offset + info.size // 2)
        f.write(b"\x5a\xa5" * 8)
    return info.chunk_offset


# -- the rules themselves -------------------------------------------------------------------------


def test_rules_find_the_first_bad_value_in_row_order() -> None:
    seq = np.zeros((3, 5, 4), dtype=np.float32)
    seq[:, :, 0] = 1
    assert first_bad(seq, ONE_HOT) is None
    seq[2, 1, 1] = 0.37
    seq[1, 4] = [1, 1, 0, 0]
    assert first_bad(seq, ONE_HOT) == ((1, 4), "2 bases set at one position")
    seq[0, 3, 2] = np.nan
    assert first_bad(seq, ONE_HOT) == ((0, 3, 2), "a NaN")
    counts = np.ones((2, 3, 1), dtype=np.float32)
    counts[1, 2, 0] = -np.inf
    assert first_bad(counts, COUNTS) == ((1, 2, 0), "an infinite value (-inf)")


# -- BPReveal: counts are checked before training ------------------------------------------------


@pytest.mark.parametrize("value, words", [(np.nan, "a NaN"), (np.inf, "an infinite value (inf)"),
                                          (-2.0, "a negative count (-2)")])
def test_bad_counts_are_named_before_training(tmp_path: Path, value: float, words: str) -> None:
    path = bpreveal_file(tmp_path / "train.h5")
    with h5py.File(path, "r+") as h5:
        h5["head_0"][37, 5, 1] = value
    with pytest.raises(SpecError) as info:
        precheck(path)
    err = info.value
    assert err.file == path
    assert err.message == f"dataset 'head_0', row 37, position 5, task 1: {words}; profiles hold read counts"
    assert "without" not in err.render() and err.expected == "finite counts ≥ 0"
    assert err.render().startswith(f"{path}: dataset 'head_0', row 37")


def test_a_negative_count_in_a_run_says_negative_counts_not_windows_without_reads(tmp_path: Path) -> None:
    from specdsl.config import load_config_text
    from specdsl.training.plan import make_plan

    for name in ("train", "val"):
        bpreveal_file(tmp_path / f"{name}.h5")
    with h5py.File(tmp_path / "val.h5", "r+") as h5:
        h5["head_0"][3] = 0.0
        h5["head_0"][3, 10, 0] = -1.0  # the window holds −1 read: today's check saw "no reads"
    with pytest.raises(SpecError) as info:
        make_plan(load_config_text(_run_config(tmp_path), "cfg.json"))
    assert info.value.file == str(tmp_path / "val.h5")
    assert "row 3, position 10, task 0: a negative count (-1)" in info.value.message


# -- BPReveal: sequences (and everything else) while streaming -----------------------------------


@pytest.mark.parametrize("value, words", [(0.5, "a value that is not 0 or 1 (0.5)"), (np.nan, "a NaN"),
                                          (np.inf, "an infinite value (inf)")])
def test_a_sequence_that_is_not_one_hot_is_named_while_streaming(tmp_path: Path, value: float, words: str) -> None:
    path = bpreveal_file(tmp_path / "train.h5", sequence_dtype="float32")
    with h5py.File(path, "r+") as h5:
        h5["sequence"][45, 7, 2] = value
    precheck(path)  # sequences are checked as they stream (region 0 only before)
    with pytest.raises(SpecError) as info:
        stream(path)
    assert info.value.file == path
    assert info.value.message == f"dataset 'sequence', row 45, position 7: {words}; sequences must be one-hot"
    assert "one 1 per position" in info.value.expected


def test_two_bases_at_one_position_are_named(tmp_path: Path) -> None:
    path = bpreveal_file(tmp_path / "train.h5")
    with h5py.File(path, "r+") as h5:
        h5["sequence"][20, 3] = [1, 0, 1, 0]
    with pytest.raises(SpecError, match="dataset 'sequence', row 20, position 3: 2 bases set at one position"):
        stream(path)


def test_a_corrupted_gzip_chunk_names_file_dataset_and_rows(tmp_path: Path) -> None:
    path = bpreveal_file(tmp_path / "train.h5")
    first = flip_chunk(path, "sequence", 2)[0]
    with pytest.raises(SpecError) as info:
        stream(path)
    err = info.value
    assert err.file == path and first == 32
    assert err.message.startswith("dataset 'sequence', rows 32–47: cannot be read (")
    assert "damaged" in err.hint
    flip_chunk(path, "head_0", 1)  # counts are read before training: named there
    with pytest.raises(SpecError, match="dataset 'head_0', rows 16–31: cannot be read"):
        precheck(path)


def test_a_checksummed_file_names_a_damaged_chunk_even_uncompressed(tmp_path: Path) -> None:
    path = str(tmp_path / "train.h5")
    write_synthetic(path, N, IN, OUT, J, TASKS, seed=0, chunk_rows=16)  # our writer: Fletcher-32 on every chunk
    with h5py.File(path, "r") as h5:
        assert h5["sequence"].fletcher32 and h5["sequence"].compression is None
    flip_chunk(path, "sequence", 1)
    with pytest.raises(SpecError, match="dataset 'sequence', rows 16–31: cannot be read"):
        stream(path)


def test_an_uncompressed_file_corrupted_in_the_middle_is_not_trained_on(tmp_path: Path) -> None:
    path = bpreveal_file(tmp_path / "train.h5", contiguous=True)
    with h5py.File(path, "r") as h5:  # the middle of the file lies in the counts: bytes 0xFF read as NaN
        offsets = {name: h5[name].id.get_offset() for name in ("sequence", "head_0")}
    with open(path, "r+b") as f:
        middle = f.seek(0, 2) // 2
        f.seek(middle)
        f.write(b"\xff" * 64)
    assert offsets["head_0"] < middle
    with pytest.raises(SpecError) as info:
        precheck(path)
    row = (middle - offsets["head_0"]) // ((OUT + 2 * J) * TASKS[0] * 4)
    assert info.value.file == path and info.value.message.startswith(f"dataset 'head_0', row {row}, position ")
    assert ": a NaN; profiles hold read counts" in info.value.message
    path = bpreveal_file(tmp_path / "other.h5", contiguous=True)
    with open(path, "r+b") as f:  # and in the sequences: 255 is no one-hot value
        f.seek(offsets["sequence"] + 50 * (IN + 2 * J) * 4)
        f.write(b"\xff" * 8)
    with pytest.raises(SpecError, match=r"dataset 'sequence', row 50, position 0: a value that is not 0 or 1 \(255\)"):
        stream(path)


# -- DeepCpG -----------------------------------------------------------------------------------------

SITES, WIDTH, K = 96, 31, 4


def deepcpg_file(path: Path) -> str:
    """A chunk as ``specdsl deepcpg data`` writes it (gzip), two cells, DNA and CpG neighbours."""
    rng = np.random.default_rng(0)
    state = {c: rng.integers(-1, 2, (SITES, K)).astype(np.int8) for c in "ab"}
    dist = {c: np.where(state[c] < 0, -1, rng.integers(1, 30000, (SITES, K))).astype(np.float32) for c in "ab"}
    inputs = {"dna": rng.integers(0, 5, (SITES, WIDTH)).astype(np.int8)}
    for c in "ab":
        inputs |= {f"cpg/{c}/state": state[c], f"cpg/{c}/dist": dist[c]}
    outputs = {f"cpg/{c}": rng.integers(-1, 2, SITES).astype(np.int8) for c in "ab"}
    write_chunk(path, ChunkData("1", np.arange(1, SITES + 1, dtype=np.int32) * 100, outputs, inputs))
    return str(path)


def read_all(path: str) -> None:
    DeepCpGH5().read_block(Layout(WIDTH, K, ("a", "b")), path, 0, SITES, ["dna", "cpg/state", "cpg/dist", "cpg/a"])


@pytest.mark.parametrize("dataset, index, value, words", [
    ("inputs/dna", (12, 30), 7, "row 12, position 30: a base code that is not 0–4 (7)"),
    ("inputs/dna", (40, 0), -1, "row 40, position 0: a base code that is not 0–4 (-1)"),
    ("inputs/cpg/b/state", (5, 2), 2, "row 5, neighbour 2: a state that is neither −1 nor from 0 to 1 (2)"),
    ("inputs/cpg/a/dist", (77, 1), -5.0, "row 77, neighbour 1: a negative distance (-5)"),
    ("inputs/cpg/a/dist", (78, 3), np.nan, "row 78, neighbour 3: a NaN"),
])
def test_deepcpg_values_out_of_range_are_named(tmp_path: Path, dataset: str, index: tuple[int, int],
                                               value: float, words: str) -> None:
    path = deepcpg_file(tmp_path / "c1_000000-000096.h5")
    read_all(path)
    with h5py.File(path, "r+") as h5:
        h5[dataset][index] = value
    with pytest.raises(SpecError) as info:
        read_all(path)
    assert info.value.file == path and info.value.message.startswith(f"dataset '{dataset}', {words}; ")


def _deepcpg_plan(*files: str):
    from specdsl.systems.deepcpg.commands.train import build_parser, training_ir
    from specdsl.training.plan import make_plan

    return make_plan(training_ir(build_parser().parse([*files, "--dna_model", "CnnL1h128", "--cpg_model", "RnnL1",
                                                       "--batch_size", "16"])))


def test_deepcpg_labels_are_checked_before_training(tmp_path: Path) -> None:
    path = deepcpg_file(tmp_path / "c1.h5")
    with h5py.File(path, "r+") as h5:
        h5["outputs/cpg/b"][60] = 3
    with pytest.raises(SpecError) as info:
        _deepcpg_plan(path)
    assert info.value.file == path
    assert info.value.message.startswith("dataset 'outputs/cpg/b', row 60: a label that is neither −1 nor from 0 to 1")


def test_deepcpg_streaming_names_a_corrupted_chunk(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    good, bad = deepcpg_file(tmp_path / "c1.h5"), deepcpg_file(tmp_path / "c2.h5")
    plan = _deepcpg_plan(good, bad)
    flip_chunk(bad, "inputs/dna", 0)
    stream = plan.reader.batches(plan, "train", ["dna", "cpg/state", "cpg/dist", "cpg/a"], shuffle=True, seed=0)
    with pytest.raises(SpecError) as info, data_errors.surfaced():
        for _ in stream.run(0):
            pass
    assert info.value.file == bad
    assert info.value.message.startswith(f"dataset 'inputs/dna', rows 0–{SITES - 1}: cannot be read (")


# -- end to end -----------------------------------------------------------------------------------------


def _run_config(tmp: Path) -> str:
    return f"""{{"kind": "specdsl-train", "output-prefix": "{tmp}/run",
      "model": {{"architecture": {{"preset": "BPNet", "params": {{"filters": 4, "layers": 1,
                 "input_filter_width": 7, "output_filter_width": 7}}}}, "input-length": {IN}, "output-length": {OUT}}},
      "heads": [{{"head-name": "h0", "num-tasks": {TASKS[0]}, "profile-loss-weight": 1, "counts-loss-weight": 10}}],
      "data": {{"train": "{tmp}/train.h5", "val": "{tmp}/val.h5", "max-jitter": {J}}},
      "schedule": {{"epochs": 1, "batch-size": 16}}, "runtime": {{"seed": 1, "verbosity": "WARNING"}}}}"""


def _run_surfaces_data_errors() -> bool:
    from specdsl.training import run

    return "surfaced" in inspect.getsource(run)


@pytest.mark.slow
@pytest.mark.skipif(not _run_surfaces_data_errors(), reason="run.py does not wrap fit in data_errors.surfaced() yet")
def test_a_run_reports_the_bad_row_not_a_tensorflow_traceback(tmp_path: Path) -> None:
    from specdsl.config import load_config_text
    from specdsl.training.run import train

    for name in ("train", "val"):
        bpreveal_file(tmp_path / f"{name}.h5", sequence_dtype="float32")
    with h5py.File(tmp_path / "train.h5", "r+") as h5:
        h5["sequence"][33, 9, 0] = 0.37
    with pytest.raises(SpecError) as info:
        train(load_config_text(_run_config(tmp_path), "cfg.json"))
    assert info.value.file == str(tmp_path / "train.h5")
    assert "dataset 'sequence', row 33, position 9: a value that is not 0 or 1 (0.37)" in info.value.message
