"""The one batching implementation every reader and backend shares, and how a run picks its backend."""

from __future__ import annotations

import numpy as np
import pytest

from specdsl.backend import selection
from specdsl.errors import SpecError
from specdsl.formats import data_errors
from specdsl.training.batching import block_stream, indexed_stream, ordered_map

ROWS = 100


def _blocks(sizes: list[int]) -> tuple[int, object]:
    starts = np.cumsum([0] + sizes)

    def read(block: int, seed: int) -> dict[str, np.ndarray]:
        ids = np.arange(starts[block], starts[block + 1])
        return {"id": ids, "noise": np.full(len(ids), seed % 1000)}

    return len(sizes), read


def _ids(stream, epoch: int) -> list[int]:
    return [int(v) for batch in stream.run(epoch) for v in batch["id"]]


def test_training_epochs_are_whole_batches_of_distinct_rows_reshuffled_and_repeatable() -> None:
    n_blocks, read = _blocks([16] * 6 + [4])
    stream = block_stream(n_blocks, read, rows=ROWS, batch_size=8, shuffle=True, seed=5, buffer=32)
    assert stream.steps == ROWS // 8
    first, second = _ids(stream, 0), _ids(stream, 1)
    assert len(first) == 96 and len(set(first)) == 96 and set(first) <= set(range(ROWS))
    assert first != second  # each epoch its own order and its own left-out remainder
    assert _ids(stream, 0) == first  # the same seed and epoch: the same batches (a resumed run)
    again = block_stream(n_blocks, read, rows=ROWS, batch_size=8, shuffle=True, seed=5, buffer=32)
    assert _ids(again, 1) == second
    assert first[:16] != sorted(first[:16])  # rows are mixed within the pool, not only blocks


def test_validation_keeps_file_order_and_the_short_last_batch() -> None:
    n_blocks, read = _blocks([16] * 6 + [4])
    stream = block_stream(n_blocks, read, rows=ROWS, batch_size=8, shuffle=False, seed=0, buffer=32)
    sizes = [len(b["id"]) for b in stream.run(0)]
    assert stream.steps == 13 and sizes == [8] * 12 + [4]
    assert _ids(stream, 0) == list(range(ROWS)) == _ids(stream, 3)


def test_augmentation_seeds_differ_per_block_and_epoch() -> None:
    n_blocks, read = _blocks([10] * 4)
    stream = block_stream(n_blocks, read, rows=40, batch_size=10, shuffle=False, seed=1, buffer=10)
    noise = [[int(b["noise"][0]) for b in stream.run(k)] for k in (0, 1)]
    assert len(set(noise[0])) == 4 and noise[0] != noise[1]


def test_indexed_streams_permute_every_row_and_fetch_in_order() -> None:
    values = np.arange(50) * 10
    stream = indexed_stream(50, lambda at, seed: {"v": values[at]}, batch_size=7, shuffle=True, seed=2)
    got = [v for b in stream.run(0) for v in b["v"].tolist()]
    assert stream.steps == 7 and len(got) == 49 and len(set(got)) == 49
    plain = indexed_stream(50, lambda at, seed: {"v": values[at]}, batch_size=7, shuffle=False, seed=2)
    assert [v for b in plain.run(0) for v in b["v"].tolist()] == values.tolist()


def test_an_epoch_without_a_batch_is_refused_with_the_files() -> None:
    with pytest.raises(SpecError) as info:
        indexed_stream(5, lambda at, seed: {}, batch_size=8, shuffle=True, seed=0, noun="reads", file="a.csv")
    assert info.value.file == "a.csv" and "5 reads, fewer than the batch size 8" in info.value.message


def test_a_data_error_in_a_reading_thread_reaches_the_run_as_itself() -> None:
    def read(i: int) -> int:
        if i == 3:
            raise SpecError("dataset 'x', row 3: not a number", file="bad.h5")
        return i

    with pytest.raises(SpecError) as info, data_errors.surfaced():
        list(ordered_map(read, range(6), workers=2))
    assert info.value.file == "bad.h5"


def test_device_cut_keeps_batches_divisible_and_counts_right() -> None:
    from specdsl.training.devices import Devices, adapt_batches

    two = Devices("jax", "cpu", ("cpu:0", "cpu:1"), ("cpu:0", "cpu:1"))
    stream = indexed_stream(11, lambda at, seed: {"v": at}, batch_size=4, shuffle=False, seed=0)
    cut = adapt_batches(stream, two, batch_size=4, examples=11)
    assert [len(b["v"]) for b in cut.run(0)] == [4, 4, 2] and cut.steps == 3
    one_left = adapt_batches(indexed_stream(9, lambda at, seed: {"v": at}, batch_size=4, shuffle=False, seed=0),
                             two, batch_size=4, examples=9)
    assert [len(b["v"]) for b in one_left.run(0)] == [4, 4] and one_left.steps == 2


# -- which backend ---------------------------------------------------------------------------------


def test_a_backend_that_is_not_installed_is_refused_with_the_install_command(monkeypatch) -> None:
    monkeypatch.setattr(selection, "installed", lambda b: b == "tensorflow")
    monkeypatch.setattr(selection, "running", lambda: None)
    with pytest.raises(SpecError) as info:
        selection.resolve("torch")
    assert info.value.path == "runtime.backend" and info.value.hint == "pip install 'specdsl[torch]'"
    with pytest.raises(SpecError) as info:
        selection.resolve("mxnet", path="--backend")
    assert info.value.path == "--backend" and "jax" in (info.value.expected or "")


def test_auto_takes_keras_backend_then_the_first_installed(monkeypatch) -> None:
    monkeypatch.setattr(selection, "running", lambda: None)
    monkeypatch.setattr(selection, "installed", lambda b: b in ("jax", "torch"))
    monkeypatch.setenv("KERAS_HOME", "/nonexistent")
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert selection.resolve("auto") == "torch"
    monkeypatch.delenv("KERAS_BACKEND")
    assert selection.resolve("auto") == "jax"  # TensorFlow missing: the next installed one
    for wrong in ("tensorflow", "mxnet"):  # not installed; not a backend at all
        monkeypatch.setenv("KERAS_BACKEND", wrong)
        with pytest.raises(SpecError) as info:
            selection.resolve("auto")
        assert info.value.path == "KERAS_BACKEND"
    monkeypatch.delenv("KERAS_BACKEND")
    monkeypatch.setattr(selection, "installed", lambda b: False)
    with pytest.raises(SpecError) as info:
        selection.resolve("auto")
    assert "no Keras backend is installed" in info.value.message and "specdsl[jax]" in info.value.hint


def test_a_process_on_one_backend_cannot_switch(monkeypatch) -> None:
    monkeypatch.setattr(selection, "running", lambda: "tensorflow")
    monkeypatch.setattr(selection, "installed", lambda b: True)
    assert selection.resolve("auto") == "tensorflow" == selection.resolve("tensorflow")
    with pytest.raises(SpecError) as info:
        selection.resolve("jax")
    assert "cannot switch" in info.value.message and "KERAS_BACKEND=jax" in info.value.hint


def test_check_reports_a_missing_backend_at_its_key(tmp_path, monkeypatch, capsys) -> None:
    from specdsl.cli import main
    from specdsl.config.starters import all_starters

    monkeypatch.chdir(tmp_path)
    assert main(["init", "classifier", "-o", "c.json"]) == 0
    for command in all_starters()["classifier"].data:
        assert main(command.replace("--isolates 300", "--isolates 60").split()) == 0
    monkeypatch.setattr(selection, "installed", lambda b: b != "torch")
    capsys.readouterr()
    assert main(["check", "c.json", "--set", "runtime.backend=torch"]) == 2
    err = capsys.readouterr().err
    assert "the PyTorch backend is not installed" in err and "pip install 'specdsl[torch]'" in err


def test_tensorflow_is_imported_only_behind_the_backend_check() -> None:
    """Every other module runs on JAX and PyTorch installs: only these may import TensorFlow, each
    after asking which backend Keras runs on."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "specdsl"
    allowed = {"backend/quiet.py", "backend/gradients.py", "training/devices.py", "training/masked.py",
               "training/tf_batches.py"}
    imports = ("import tensorflow", "from tensorflow")
    found = {str(p.relative_to(root)) for p in root.rglob("*.py")
             if any(line.strip().startswith(imports) for line in p.read_text().splitlines())}
    assert found <= allowed, sorted(found - allowed)
