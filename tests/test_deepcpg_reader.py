"""The deepcpg-h5 reader: DeepCpG's preprocessing against hand-computed values, checks, streaming."""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np
import pytest

from specdsl.errors import SpecError
from specdsl.systems.deepcpg.commands.train import build_parser, training_ir
from specdsl.training.plan import make_plan
from specdsl.training.readers.deepcpg_h5 import DeepCpGH5, Layout, one_hot, prepro_cpg

# codes A0 T1 G2 C3 N4; two sites, a 7-bp window each, the C of the CpG in the middle
DNA = np.array([[0, 1, 2, 3, 2, 4, 0], [4, 4, 0, 3, 2, 1, 1]], dtype=np.int8)
STATE = {"a": np.array([[1, -1, 0, 1], [0, 0, -1, -1]], dtype=np.int8),
         "b": np.array([[1, 1, 1, 1], [-1, 0, 1, 0]], dtype=np.int8)}
DIST = {"a": np.array([[300, -1, 20, 40000], [5, 10, -1, -1]], dtype=np.float32),
        "b": np.array([[9, 8, 7, 6], [-1, 2, 3, 4]], dtype=np.float32)}
LABELS = {"a": np.array([1, -1], dtype=np.int8), "b": np.array([0, 1], dtype=np.int8)}


def write_file(path: Path, rows: int = 2, cells: tuple[str, ...] = ("a", "b"), dna: bool = True,
               flank: int = 0) -> Path:
    """Two distinct sites repeated to ``rows``; ``flank`` adds A's on both sides of the DNA windows."""
    reps = -(-rows // 2)
    with h5py.File(path, "w") as h5:
        h5["chromo"] = np.array([b"1"] * rows, dtype="S2")
        h5["pos"] = np.arange(1, rows + 1, dtype=np.int32) * 100
        if dna:
            wide = np.pad(DNA, ((0, 0), (flank, flank)))
            h5["inputs/dna"] = np.tile(wide, (reps, 1))[:rows]
        for cell in cells:
            h5[f"inputs/cpg/{cell}/state"] = np.tile(STATE[cell], (reps, 1))[:rows]
            h5[f"inputs/cpg/{cell}/dist"] = np.tile(DIST[cell], (reps, 1))[:rows]
            h5[f"outputs/cpg/{cell}"] = np.tile(LABELS[cell], reps)[:rows]
    return path


def test_one_hot_is_atgc_with_n_as_zeros() -> None:
    got = one_hot(np.array([0, 1, 2, 3, 4]))
    assert got.tolist() == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]]


def test_missing_neighbours_get_half_and_the_largest_distance_then_scaled() -> None:
    state, dist = prepro_cpg(STATE["a"], DIST["a"])
    assert state.tolist() == [[1, 0.5, 0, 1], [0, 0, 0.5, 0.5]]
    np.testing.assert_allclose(dist, [[300 / 25000, 1.0, 20 / 25000, 1.0], [5 / 25000, 10 / 25000, 1, 1]], rtol=1e-6)


def test_read_block_crops_the_centres(tmp_path: Path) -> None:
    path = str(write_file(tmp_path / "c1.h5"))
    got = DeepCpGH5().read_block(Layout(5, 2, ("a", "b")), path, 0, 2, ["dna", "cpg/state", "cpg/dist", "cpg/a"])
    assert got["dna"].shape == (2, 5, 4)
    assert got["dna"][0][:4].argmax(axis=1).tolist() == [1, 2, 3, 2]  # T G C G
    assert got["dna"][0][4].sum() == 0 and got["dna"][1][0].sum() == 0  # N: no base
    assert got["dna"][0][2].tolist() == [0, 0, 0, 1]  # the C at the centre
    assert got["cpg/state"].shape == (2, 2, 2)
    assert got["cpg/state"][0].tolist() == [[0.5, 0], [1, 1]]  # cells a, b; neighbours 1..2 of 0..3
    assert got["cpg/dist"][1, 0].tolist() == pytest.approx([10 / 25000, 1.0])
    assert got["cpg/a"].ravel().tolist() == [1, -1]


def ir_for(*argv: str):
    return training_ir(build_parser().parse(list(argv)))


def test_plan_takes_cells_and_windows_from_the_files(tmp_path: Path) -> None:
    train = write_file(tmp_path / "c1.h5", rows=300, flank=12)
    val = write_file(tmp_path / "c2.h5", rows=100, flank=12)
    plan = make_plan(ir_for(str(train), "--val_files", str(val), "--dna_model", "CnnL1h128", "--cpg_model", "RnnL1",
                            "--dna_wlen", "25", "--cpg_wlen", "2", "--batch_size", "16", "-o", str(tmp_path / "o")))
    assert plan.input_shapes == {"dna": (25, 4), "cpg/state": (2, 2), "cpg/dist": (2, 2)}
    assert plan.params["cells"] == 2 and plan.params["dna_wlen"] == 25 and plan.params["cpg_wlen"] == 2
    assert [o.display for o in plan.outputs] == ["cpg/a", "cpg/b"]
    assert plan.examples == {"train": 300, "val": 100}
    weights = plan.heads[0].state["class_weights"]
    assert weights["cpg_a"] == pytest.approx((1.0, 0.0), abs=1e-6)  # cell a's observed labels are all 1
    assert not (tmp_path / "o").exists()  # planning writes nothing


def test_a_wider_dna_wlen_is_clamped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    train = write_file(tmp_path / "c1.h5", rows=64, flank=12)
    with caplog.at_level(logging.WARNING):
        plan = make_plan(ir_for(str(train), "--dna_model", "CnnL1h128", "--dna_wlen", "1001", "--batch_size", "8"))
    assert plan.input_shapes["dna"] == (31, 4)
    assert "wider than the files" in caplog.text


def test_the_stream_visits_every_site_once_per_epoch_in_a_new_order(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    paths = [write_file(tmp_path / f"c{i}.h5", rows=700) for i in (1, 2)]
    with h5py.File(paths[1], "r+") as h5:  # tell the files' rows apart by their distances
        h5["inputs/cpg/a/dist"][...] = np.arange(700, dtype=np.float32)[:, None] + 1000
    with h5py.File(paths[0], "r+") as h5:
        h5["inputs/cpg/a/dist"][...] = np.arange(700, dtype=np.float32)[:, None]
    plan = make_plan(ir_for(*map(str, paths), "--cpg_model", "RnnL1", "--batch_size", "100"))
    stream = plan.reader.batches(plan, "train", ["cpg/dist"], shuffle=True, seed=3)
    epochs = []
    for epoch in range(2):
        rows = np.concatenate([b["cpg/dist"][:, 0, 0] for b in stream.run(epoch)]) * 25000
        epochs.append(np.rint(rows).astype(int))
    assert len(epochs[0]) == 1400 and sorted(epochs[0].tolist()) == sorted(
        list(range(700)) + list(range(1000, 1700)))
    assert epochs[0].tolist() != epochs[1].tolist()
    assert (epochs[0][:700] >= 1000).any() and (epochs[0][:700] < 1000).any()  # files are mixed


def test_files_without_the_needed_datasets_are_named(tmp_path: Path) -> None:
    train = write_file(tmp_path / "c1.h5", rows=64)
    val = write_file(tmp_path / "c2.h5", rows=64, cells=("a",))
    with pytest.raises(SpecError) as info:
        make_plan(ir_for(str(train), "--val_files", str(val), "--cpg_model", "RnnL1", "--batch_size", "8"))
    assert info.value.file == str(val) and "inputs/cpg/b/state" in info.value.message
    assert "same cells" in info.value.hint
    no_dna = write_file(tmp_path / "c3.h5", rows=64, dna=False, flank=12)
    with pytest.raises(SpecError) as info:
        make_plan(ir_for(str(no_dna), "--dna_model", "CnnL1h128", "--batch_size", "8"))
    assert "inputs/dna" in info.value.message and info.value.file == str(no_dna)


def test_trainability_follows_dcpg_train_and_refuses_patterns_that_match_nothing(tmp_path: Path) -> None:
    train = str(write_file(tmp_path / "c1.h5", rows=64, flank=12))
    base = [train, "--dna_model", "CnnL1h128", "--cpg_model", "RnnL1", "--joint_model", "JointL1h512",
            "--batch_size", "8"]
    rules = ir_for(*base, "--train_models", "joint").trainability
    assert (rules.trainable, rules.not_trainable) == (("joint/",), (".*",))
    rules = ir_for(*base, "--fine_tune", "--trainable", "cpg/").trainability  # DeepCpG keeps --trainable here
    assert (rules.trainable, rules.not_trainable) == (("cpg/",), (".*",))
    make_plan(ir_for(*base, "--not_trainable", "dna/.*"))  # DeepCpG's spelling of our dna_… layers
    with pytest.raises(SpecError) as info:
        make_plan(ir_for(*base, "--trainable", "dnaa/"))
    assert "matches no layer" in info.value.message and info.value.path == "--trainable/--not_trainable"


def test_a_preset_parameter_that_disagrees_with_the_data_is_an_error(tmp_path: Path) -> None:
    from specdsl.config import load_config_text

    train = write_file(tmp_path / "c1.h5", rows=64, flank=12)
    text = ('{"kind": "specdsl-train", "output-prefix": "o/x", "model": {"architecture": {"preset": "DeepCpG", '
            '"params": {"cells": 5, "dna_model": "CnnL1h128", "joint_model": "JointL0"}}}, '
            '"heads": [{"kind": "binary", "head-name": "cpg", "targets": ["cpg/.*"]}], '
            f'"data": {{"reader": "deepcpg-h5", "train": "{train}"}}, "schedule": {{"batch-size": 8}}}}')
    with pytest.raises(SpecError) as info:
        make_plan(load_config_text(text, "x.json"))
    assert info.value.path == "model.architecture.params.cells" and "cells = 5" in info.value.message
    assert info.value.span is not None and info.value.span.line == 1  # placed in the config


def test_eval_blocks_are_cut_at_exactly_eval_size() -> None:
    from specdsl.systems.deepcpg.commands.evaluate import BlockScores

    rng = np.random.default_rng(0)
    scores = BlockScores(["cpg/a"], eval_size=300)
    for rows in (128, 128, 128, 200):  # 584 sites arriving in uneven pieces
        scores.add(rng.integers(0, 2, (rows, 1)).astype(float), rng.random((rows, 1)))
    blocks = scores.finish()
    assert [b["cpg/a"]["n"] for b in blocks] == [300, 284]


def test_a_negative_eval_size_is_refused(tmp_path: Path, capsys) -> None:
    from specdsl.cli import main

    path = str(write_file(tmp_path / "c1.h5", rows=8, flank=12))
    assert main(["deepcpg", "eval", path, "--model_files", str(tmp_path), "--eval_size", "-3"]) == 2
    assert "--eval_size: must be ≥ 0" in capsys.readouterr().err


def test_unsupported_options_are_refused_also_as_prefixes_and_listed_in_help(capsys) -> None:
    from specdsl.systems.deepcpg.commands.train import build_parser

    for argv in (["c1.h5", "--freeze"], ["c1.h5", "--filter", "w.h5"], ["c1.h5", "--output_w", "cpg=2"]):
        with pytest.raises(SpecError) as info:
            build_parser().parse(argv)
        assert info.value.message.startswith("not supported")
    assert build_parser().parse(["c1.h5"]).nb_epoch == 30
    build_parser().print_help()
    out = capsys.readouterr().out
    assert "--filter_weights VALUE" in out and "not supported by specdsl" in out and "_UNSUPPORTED" not in out
