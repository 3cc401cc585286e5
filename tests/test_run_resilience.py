"""A run killed at any write step, or stopped by a full disk, resumes and loses at most one epoch,
and leaves the outputs beside its prefix all from one run.

Kills are deterministic: :data:`specdsl.atomic.fault_hook` is called at every step of every
file a run writes (content complete but not in place; just renamed into place), and a test
raises there.  At the "written" step the temporary file is first cut to half its size and a
copy is left behind, as a real kill in the middle of the write would leave it.
"""

from __future__ import annotations

import errno
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import keras
import pytest

from specdsl import atomic
from specdsl.atomic import WriteError
from specdsl.cli import EXIT_BROKEN_PIPE, main
from specdsl.config import load_config_text
from specdsl.errors import SpecError
from specdsl.formats.synthetic_profiles import write_synthetic
from specdsl.training.delivery import finish_pending
from specdsl.training.run import train
from specdsl.training.run_state import STATE, Backup

pytestmark = pytest.mark.slow

INPUT, OUTPUT = 64, 36  # BPNet, 2 layers of width 9/9: 9 + 9 + 16 − 6 = 28 trimmed
EPOCHS = 2


class Killed(BaseException):  # noqa: N818 - named for what it stands for
    """Stands for SIGKILL: no ``except Exception`` catches it and nothing after it runs."""


def config(tmp: Path, *, epochs: int = EPOCHS, patience: int | None = None, plateau: int | None = None) -> str:
    schedule = {"epochs": epochs, "batch-size": 32}
    if patience is not None:
        schedule["early-stopping-patience"] = patience
    if plateau is not None:
        schedule["learning-rate-plateau-patience"] = plateau
    return json.dumps({
        "kind": "specdsl-train", "output-prefix": f"{tmp}/run",
        "model": {"architecture": {"preset": "BPNet", "params": {"filters": 4, "layers": 2, "input_filter_width": 9,
                                                                 "output_filter_width": 9}},
                  "input-length": INPUT, "output-length": OUTPUT},
        "heads": [{"head-name": "h0", "num-tasks": 1, "profile-loss-weight": 1, "counts-loss-weight": 10}],
        "data": {"train": f"{tmp}/train.h5", "val": f"{tmp}/val.h5", "max-jitter": 0},
        "optimizer": {"name": "adam", "learning-rate": 0.01},
        "schedule": schedule,
        "runtime": {"seed": 1, "verbosity": "WARNING"}})


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    write_synthetic(folder / "train.h5", 64, INPUT, OUTPUT, 0, [1], seed=0)
    write_synthetic(folder / "val.h5", 32, INPUT, OUTPUT, 0, [1], seed=1)
    return folder


def fresh(source: Path, tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name in ("train.h5", "val.h5"):
        shutil.copy(source / name, tmp_path / name)
    return tmp_path


@pytest.fixture
def hook() -> Iterator[Callable[[Callable[[str, Path], None] | None], None]]:
    def install(fn: Callable[[str, Path], None] | None) -> None:
        atomic.fault_hook = fn

    yield install
    atomic.fault_hook = None


def _snapshots(folder: Path, into: Path, install: Callable) -> list[tuple[str, str, Path]]:
    """Run once, copying the folder at every write step: each copy is what a kill there leaves.

    At a "written" step the temporary file in the copy is cut to half its size, as a kill in the
    middle of writing it would leave it; the lock file stays, as a kill leaves it.
    """
    steps: list[tuple[str, str, Path]] = []

    def snapshot(stage: str, path: Path) -> None:
        copy = into / f"step{len(steps):02d}"
        shutil.copytree(folder, copy)
        if stage == "written":
            partial = copy / path.relative_to(folder)
            partial.write_bytes(partial.read_bytes()[: partial.stat().st_size // 2])
        steps.append((stage, path.name, copy))

    install(snapshot)
    train(load_config_text(config(folder), "cfg.json"))
    install(None)
    return steps


def test_a_kill_at_every_write_step_resumes_and_loses_at_most_one_epoch(source: Path, tmp_path: Path,
                                                                        hook: Callable) -> None:
    steps = _snapshots(fresh(source, tmp_path / "run"), tmp_path, hook)
    commits = [i for i, (stage, name, _) in enumerate(steps) if stage == "replaced" and name == STATE]
    assert len(commits) == EPOCHS and {name for _, name, _ in steps} >= {"run.keras", "run.checkpoint.keras"}
    delivery = next(i for i, (stage, name, _) in enumerate(steps) if stage == "replaced" and name == "delivery.json")
    assert [stage for stage, _, _ in steps[delivery + 1:]] == ["moved"] * 3  # model, checkpoint, history
    for step, (stage, name, folder) in enumerate(steps):
        where = (step, stage, name)
        ir = load_config_text(config(folder), "cfg.json")
        if step >= delivery:  # the run had delivered: the next run on the place finishes the moves
            with pytest.raises(SpecError, match="nothing to resume.*the run finished"):
                train(ir, resume=True)
            assert json.loads((folder / "run.history.json").read_text())["best-epoch"] >= 1, where
            assert keras.saving.load_model(folder / "run.keras", safe_mode=True), where
            assert not (folder / "run.backup").exists() and not (folder / "run.lock").exists(), where
            continue
        outputs = [p.name for p in folder.iterdir() if p.is_file() and p.name.startswith("run.")]
        assert outputs == ["run.lock"], where  # nothing delivered yet (the lock stays, as a kill leaves it)
        committed = sum(1 for c in commits if c <= step)  # epochs whose state was in place at the kill
        state = Backup(folder / "run.backup").load()
        if state is None:  # killed before the first epoch was committed
            assert committed == 0, where
            with pytest.raises(SpecError, match="nothing to resume"):
                train(ir, resume=True)
            continue
        assert state.epochs_done == committed and len(state.history["loss"]) == committed, where
        result = train(ir, resume=True)
        assert len(result.history["loss"]) == EPOCHS, where
        assert keras.saving.load_model(folder / "run.keras", safe_mode=True)
        assert keras.saving.load_model(folder / "run.checkpoint.keras")
        assert not (folder / "run.backup").exists()
        assert json.loads((folder / "run.history.json").read_text())["loss"] == result.history["loss"]
        assert not [p.name for p in folder.iterdir() if p.name.startswith(".run.")], where  # no leftovers


class _ScriptedValLoss(keras.callbacks.Callback):
    """Puts a chosen validation loss into the logs before any monitor reads them (and the per-head
    terms that BPReveal's counts-weight callback recomputes it from)."""

    def __init__(self, values: dict[int, float]):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None and epoch in self.values:
            value = self.values[epoch]
            for key in [k for k in logs if k.startswith("val_")]:  # the profile term is the whole loss
                logs[key] = value if key == "val_loss" or "multinomial_nll" in key else 0.0


def _scripted(monkeypatch: pytest.MonkeyPatch, values: dict[int, float]) -> None:
    """Make the run's first callback (the NaN guard) also script the validation loss."""
    from specdsl.training import callbacks

    script = _ScriptedValLoss(values)
    original = callbacks.StopOnNaN.on_epoch_end

    def on_epoch_end(self: keras.callbacks.Callback, epoch: int, logs: dict | None = None) -> None:
        script.on_epoch_end(epoch, logs)
        original(self, epoch, logs)

    monkeypatch.setattr(callbacks.StopOnNaN, "on_epoch_end", on_epoch_end)


class _Stop(keras.callbacks.Callback):
    def __init__(self, after: int):
        super().__init__()
        self.after = after

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch == self.after:
            raise Killed(f"after the commit of epoch {epoch}")


def test_a_resume_keeps_the_best_epoch_and_the_patience_counters(source: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = fresh(source, tmp_path)
    ir = load_config_text(config(folder, epochs=8, patience=2, plateau=1), "cfg.json")
    _scripted(monkeypatch, {0: 5.0, 1: 1.0, 2: 3.0, 3: 4.0, 4: 0.5})
    with pytest.raises(Killed):
        train(ir, extra_callbacks=[_Stop(2)])  # epoch 3 is worse than epoch 2: one epoch of patience used
    shutil.copy(folder / "run.backup" / "delivery" / "run.checkpoint.keras", folder / "before.keras")  # mid-run
    state = Backup(folder / "run.backup").load()
    assert state is not None and state.best_epoch == 1 and state.early["wait"] == 1
    rate = _FinalRate()
    result = train(ir, resume=True, extra_callbacks=[rate])
    # Epoch 4 (val 4.0) exhausts the patience carried over: a run that forgot it would go on to epoch 5.
    assert len(result.history["loss"]) == 4 and result.stopped_early
    assert result.history["val_loss"] == [5.0, 1.0, 3.0, 4.0]
    # The plateau counter went on too: the rate was halved after epoch 3 and again after epoch 4
    # (a forgotten counter would have taken 4.0 as a first best and left it at 0.005).
    assert result.history["learning_rate"][3] == pytest.approx(0.005) and rate.value == pytest.approx(0.0025)
    # The best epoch stayed epoch 2: the checkpoint from before the kill, the checkpoint after the
    # resume and the delivered model hold the same weights.
    models = [keras.saving.load_model(folder / name) for name in ("before.keras", "run.checkpoint.keras", "run.keras")]
    for weights in zip(*(m.get_weights() for m in models)):
        assert all((w == weights[0]).all() for w in weights)


class _FinalRate(keras.callbacks.Callback):
    value = 0.0

    def on_train_end(self, logs: dict | None = None) -> None:
        self.value = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


def test_a_full_disk_is_reported_and_leaves_a_resumable_run(source: Path, tmp_path: Path, hook: Callable,
                                                            capsys: pytest.CaptureFixture) -> None:
    folder = fresh(source, tmp_path)
    ir = load_config_text(config(folder), "cfg.json")
    writes = [0]

    def full_disk(stage: str, path: Path) -> None:
        if stage == "written" and path.name.startswith(".latest-"):
            writes[0] += 1
            if writes[0] == 2:  # the second epoch's backup
                raise OSError(errno.ENOSPC, "No space left on device")

    hook(full_disk)
    with pytest.raises(WriteError) as info:
        train(ir)
    hook(None)
    message = str(info.value)
    assert "No space left on device" in message and "run.backup" in message and "--resume" in message
    assert Backup(folder / "run.backup").load().epochs_done == 1
    result = train(ir, resume=True)
    assert len(result.history["loss"]) == EPOCHS


def test_too_little_free_space_is_found_before_writing(source: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = fresh(source, tmp_path)
    ir = load_config_text(config(folder, epochs=1), "cfg.json")
    real = shutil.disk_usage

    def tiny(path: str | Path) -> object:
        usage = real(path)
        return type(usage)(usage.total, usage.used, 1000)

    monkeypatch.setattr(shutil, "disk_usage", tiny)
    with pytest.raises(WriteError, match="not enough space"):
        train(ir)
    assert not (folder / "run.keras").exists()


def test_a_state_file_from_elsewhere_is_refused_clearly(source: Path, tmp_path: Path) -> None:
    folder = fresh(source, tmp_path)
    (folder / "run.backup").mkdir()
    (folder / "run.backup" / STATE).write_text("{}")
    with pytest.raises(SpecError, match="not one specdsl wrote"):
        train(load_config_text(config(folder), "cfg.json"), resume=True)


OUTPUTS = ("run.keras", "run.checkpoint.keras", "run.history.json")


def _outputs(folder: Path) -> tuple[bytes, ...]:
    return tuple((folder / name).read_bytes() for name in OUTPUTS)


def test_a_run_that_dies_leaves_the_previous_runs_outputs_together(source: Path, tmp_path: Path,
                                                                  hook: Callable) -> None:
    folder = fresh(source, tmp_path / "run")
    train(load_config_text(config(folder, epochs=1), "cfg.json"))
    assert not (folder / "run.lock").exists()  # a finished run leaves no lock
    before = _outputs(folder)
    steps = _snapshots(folder, tmp_path, hook)  # a second run, of two epochs, killed at every step
    after = _outputs(folder)
    assert len(json.loads(after[2])["loss"]) == EPOCHS and after != before
    for step, (stage, name, copy) in enumerate(steps):
        if stage == "moved" and name == "run.keras":  # half-way through the delivery
            assert main(["plot", str(copy / "run.history.json"), "-o", str(tmp_path / "p.png")]) == 0
            assert _outputs(copy) == after, "plot draws the history of the model beside it"
        finish_pending(copy / "run.history.json")  # what plot and the next run do first
        assert _outputs(copy) in (before, after), (step, stage, name)


def test_the_end_of_a_run_names_the_delivered_epoch(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture) -> None:
    folder = fresh(source, tmp_path)
    (folder / "cfg.json").write_text(config(folder, epochs=4, patience=1))
    _scripted(monkeypatch, {0: 1.0, 1: 5.0, 2: 6.0})
    assert main(["train", str(folder / "cfg.json")]) == 0
    assert "delivered: best val_loss 1 at epoch 1 of 2; early stopping restored it" in capsys.readouterr().out
    history = json.loads((folder / "run.history.json").read_text())
    assert (history["best-epoch"], history["monitor"], len(history["loss"])) == (1, "val_loss", 2)
    assert history["counts-loss-weight"] and history["config"]  # the keys other tools read stay
    delivered, checkpoint = (keras.saving.load_model(folder / name) for name in ("run.keras", "run.checkpoint.keras"))
    assert all((a == b).all() for a, b in zip(delivered.get_weights(), checkpoint.get_weights()))


def test_a_closed_pipe_stops_a_run_quietly_and_it_resumes(source: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from specdsl.training.progress import RichProgress

    folder = fresh(source, tmp_path)
    (folder / "cfg.json").write_text(config(folder, epochs=1))
    assert main(["train", str(folder / "cfg.json")]) == 0
    before = _outputs(folder)
    (folder / "cfg.json").write_text(config(folder, epochs=EPOCHS))
    shown = RichProgress.on_epoch_end

    def reader_left(self: RichProgress, epoch: int, logs: dict | None = None) -> None:
        if epoch == 1:
            raise BrokenPipeError(32, "Broken pipe")  # `specdsl train cfg.json 2>&1 | head -3`
        shown(self, epoch, logs)

    monkeypatch.setattr(RichProgress, "on_epoch_end", reader_left)
    assert main(["train", str(folder / "cfg.json")]) == EXIT_BROKEN_PIPE
    assert _outputs(folder) == before and not (folder / "run.lock").exists()
    monkeypatch.setattr(RichProgress, "on_epoch_end", shown)
    assert main(["train", str(folder / "cfg.json"), "--resume"]) == 0
    assert len(json.loads((folder / "run.history.json").read_text())["loss"]) == EPOCHS
