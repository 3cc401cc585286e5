"""What a run tells and leaves, checked without training: the delivered-epoch sentence, the lock
that goes away, files moved into place together, curve names, output and model names, and a
closed pipe on the command line.  (Runs that train are in test_run_resilience.py.)"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from specdsl import atomic
from specdsl.errors import SpecError
from specdsl.language.model import build_plain_graph, resolve_target
from specdsl.training.curves import curve_names, run_settings
from specdsl.training.delivery import delivery_note, finish_pending
from specdsl.training.heads import head_kind
from specdsl.training.ir import HeadIR, settings
from specdsl.training.lock import run_lock
from specdsl.training.paths import Paths

HISTORY = {"loss": [0.5, 0.4, 0.45, 0.47, 0.5], "val_loss": [0.2031, 0.3, 0.31, 0.32, 0.33],
           "monitor": "val_loss", "best-epoch": 1}


def test_the_end_of_a_run_says_which_epoch_was_delivered_and_why() -> None:
    assert delivery_note(HISTORY, stopped_early=True) == \
        "delivered: best val_loss 0.2031 at epoch 1 of 5; early stopping restored it"
    assert delivery_note(HISTORY) == \
        "delivered: best val_loss 0.2031 at epoch 1 of 5; its weights were restored at the end of the run"
    assert "before the interruption" in delivery_note(HISTORY, interrupted=True)
    last = {**HISTORY, "best-epoch": 5, "val_loss": [0.5, 0.4, 0.3, 0.2, 0.1]}
    assert delivery_note(last) == "delivered: the last epoch's weights (5 of 5), the best val_loss (0.1)"
    assert delivery_note({"loss": [1.0, 0.9]}) == "delivered: the last epoch's weights (2 of 2)"


def test_a_lock_is_gone_once_its_run_lets_go(tmp_path: Path) -> None:
    lock = tmp_path / "run.lock"
    with run_lock(lock, "output-prefix"):
        assert lock.exists()
        with pytest.raises(SpecError, match="another run is writing"), run_lock(lock, "output-prefix"):
            pass
        assert lock.exists()  # the refused run leaves the holder's lock alone
    assert not lock.exists()
    with pytest.raises(ValueError), run_lock(lock, "output-prefix"):  # a run that fails lets go too
        raise ValueError("boom")
    assert not lock.exists()


def test_a_run_that_opened_a_lock_its_holder_deleted_locks_the_file_there_now(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    lock, real, deleted = tmp_path / "run.lock", fcntl.flock, []

    def flock(fd: int, operation: int) -> None:
        if not deleted:  # the holder finished, deleting the file, between our open and our flock
            deleted.append(lock)
            os.unlink(lock)
        real(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock)
    with run_lock(lock, "output-prefix"):
        monkeypatch.setattr(fcntl, "flock", real)
        other = os.open(lock, os.O_RDWR)
        try:  # the lock held is on the file at the path, so a third run is refused
            with pytest.raises(BlockingIOError):
                real(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(other)
    assert deleted and not lock.exists()


def _place(tmp_path: Path) -> tuple[Paths, list[Path]]:
    paths = Paths(str(tmp_path / "run"))
    names = ("run.keras", "run.history.json", "run.checkpoint.keras")
    for name in names:
        (tmp_path / name).write_text("old")
        staged = paths.staging / name
        staged.parent.mkdir(parents=True, exist_ok=True)
        staged.write_text("new")
    return paths, [tmp_path / n for n in names]


def test_files_moved_together_all_arrive_after_a_kill_half_way(tmp_path: Path) -> None:
    paths, finals = _place(tmp_path)
    moved: list[Path] = []

    def kill_after_one(stage: str, path: Path) -> None:
        if stage == "moved":
            moved.append(path)
            raise KeyboardInterrupt  # stands for a kill: nothing after it runs

    atomic.fault_hook = kill_after_one
    try:
        with pytest.raises(KeyboardInterrupt):
            atomic.replace_together([(paths.staging / f.name, f) for f in finals], paths.journal)
    finally:
        atomic.fault_hook = None
    assert len(moved) == 1 and sorted(f.read_text() for f in finals) == ["new", "old", "old"]
    finish_pending(paths.history)  # what `specdsl plot` does before it reads the history
    assert [f.read_text() for f in finals] == ["new"] * 3 and not paths.journal.exists()
    assert not paths.lock.exists()
    finish_pending(paths.history)  # nothing pending: nothing happens


def test_a_history_knows_the_run_place_it_was_delivered_to(tmp_path: Path) -> None:
    assert Paths.of_history(tmp_path / "solo.history.json") == Paths(str(tmp_path / "solo"), "prefix")
    assert Paths.of_history(tmp_path / "history.json") == Paths(str(tmp_path), "folder")
    assert Paths.of_history(tmp_path / "mine.json") is None
    assert Paths(str(tmp_path / "solo")).staged().history == tmp_path / "solo.backup" / "delivery" / "solo.history.json"


def _plan(spec: str, params: dict | None = None) -> SimpleNamespace:
    preset = resolve_target(spec)
    return SimpleNamespace(graph=build_plain_graph(preset, params, None), params=dict(params or {}), preset=preset,
                           ir=SimpleNamespace(optimizer=SimpleNamespace(learning_rate=0.001)))


@pytest.mark.parametrize(("spec", "params", "dr"), [
    ("conv[16@9]_mp[4]_flat_fc[16]", None, None),  # no dropout layer: no DR (not a default of 0)
    ("conv[16@9]_mp[4]_flat_fc[16]_do[0.3]", None, 0.3),  # the architecture's rate
    ("conv[16@9]_flat_fc[8]_do[0.1]_fc[8]_do[0.3]", None, "0.1,0.3"),
    ("InhModel", None, 0.2),  # the preset's dropout parameter
    ("InhModel", {"dropout": 0.0}, 0.0),  # the workshop's -dr 0.0: the model's dropout really is 0
])
def test_curve_names_carry_the_dropout_the_model_has(spec: str, params: dict | None, dr: object) -> None:
    found = run_settings(_plan(spec, params))
    assert found.get("DR") == dr
    if dr is None:
        assert curve_names("m", found)[0] == "m_LR:0.001-ACC.png"
    if dr == "0.1,0.3":
        assert curve_names("m", found)[0] == "m_LR:0.001-DR:0.1,0.3-ACC.png"


def test_binary_outputs_are_named_after_their_targets_and_the_docs_say_so() -> None:
    binary = head_kind("binary")
    head = HeadIR("binary", "inh", settings(targets=("isoniazid",)), "heads[0]")
    assert [o.layer for o in binary.resolve(head, 0, {"isoniazid": (), "rifampicin": ()}).outputs] == ["isoniazid"]
    cells = HeadIR("binary", "cpg", settings(targets=("cpg/.*",)), "heads[0]")
    assert [o.layer for o in binary.resolve(cells, 0, {"cpg/BS27_4_SER": ()}).outputs] == ["cpg_BS27_4_SER"]
    for kind in ("binary", "regression"):
        doc = head_kind(kind).schema()["properties"]["head-name"]["description"]
        assert "named after its target" in doc and "however many" in doc, kind
    for kind in ("multiclass", "labels"):
        assert "its one output layer's name" in head_kind(kind).schema()["properties"]["head-name"]["description"]
    docs = (Path(__file__).resolve().parent.parent / "docs" / "config.md").read_text(encoding="utf-8")
    assert "for one output, its layer name" not in docs


def test_models_from_architecture_strings_get_short_stable_names() -> None:
    name = build_plain_graph(resolve_target("conv[16@9]_mp[4]_flat_fc[16]"), None, None).name
    assert re.fullmatch(r"model_[0-9a-f]{6}", name)
    assert build_plain_graph(resolve_target("conv[16 @ 9]_mp[4]_flat_fc[16]"), None, None).name == name  # canonical
    assert build_plain_graph(resolve_target("conv[16@9]_mp[2]_flat_fc[16]"), None, None).name != name
    assert build_plain_graph(resolve_target("InhModel"), None, None).name == "InhModel"


@pytest.mark.parametrize("argv", [["presets"], ["params", "CnnL2h128", "--json"], ["kinds"]])
def test_a_reader_that_left_ends_the_command_quietly(argv: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # `specdsl … | head` once head has gone
    try:
        done = subprocess.run([sys.executable, "-m", "specdsl", *argv], stdout=write, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")
