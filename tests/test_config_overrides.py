"""``--set PATH=VALUE`` changes any value of a config before it is checked (train and check), errors are shown at
the option; ``train --dry-run`` checks and shows the plan and writes nothing; the workshop's ``-lr``/``-dr`` are
``--set`` of the keys they stand for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specdsl.cli import main
from specdsl.config import load_config
from specdsl.config.overrides import parse_sets
from specdsl.errors import SpecError, SpecErrors

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workshop")
    assert main(["make-data", "workshop", "--out", str(root), "--isolates", "60", "--seed", "1"]) == 0
    return root


@pytest.fixture()
def config(data: Path, tmp_path: Path) -> Path:
    """The workshop's isoniazid example on the small data set, its outputs under ``tmp_path``."""
    text = (EXAMPLES / "workshop_inh.json").read_text().replace('"out/workshop/inh/', f'"{tmp_path}/inh/')
    path = tmp_path / "inh.json"
    path.write_text(text.replace("out/workshop", str(data)))
    return path


def test_set_changes_values_anywhere_in_the_config(config: Path) -> None:
    ir = load_config(config, overrides=parse_sets([
        "schedule.epochs=2", "optimizer.learning-rate=1e-4", "heads.0.loss-weight=2", "runtime.device=cpu",
        "model.architecture.params.dropout=0.1", f'data.train=["{load_config(config).data.train[0]}"]',
        "model.model-name=inh run 2"]))
    assert ir.schedule.epochs == 2 and ir.optimizer.learning_rate == 1e-4 and ir.runtime.device == "cpu"
    assert ir.heads[0].get("loss_weight") == 2 and ir.body.params_dict()["dropout"] == 0.1
    assert ir.model_name == "inh run 2"  # not JSON: taken as text
    assert ir.config["schedule"]["epochs"] == 2  # the stored config says what the run used
    assert load_config(config).schedule.epochs == 8  # the file is untouched


def _error(config: Path, *sets: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_config(config, overrides=parse_sets(sets))
    return info.value


def test_set_errors_are_shown_at_the_option(config: Path) -> None:
    text = _error(config, "schedule.epoch=2").render().splitlines()
    assert text[0] == "--set schedule.epoch=2: schedule: unknown key 'epoch'"
    assert text[1:3] == ["    schedule.epoch=2", "             ^^^^^"]
    assert "hint: did you mean 'epochs'?" in text[-1]
    value = _error(config, "optimizer.learning-rate=fast").render()
    assert value.startswith('--set optimizer.learning-rate=fast: optimizer.learning-rate: expected a number > 0')
    assert "\n                            ^^^^" in value
    for sets, words in ((["heads.3.loss-weight=2"], "--set heads.3.loss-weight=2: heads has 1 item, so there is "
                                                    "no item 3"),
                        (["schedule.epochs.n=1"], "schedule.epochs is the number 8, which has no key 'n'"),
                        (["schedule"], "--set schedule: expected PATH=VALUE")):
        assert words in _error(config, *sets).render(), sets


def test_every_bad_set_is_reported_with_the_config_s_other_errors(config: Path) -> None:
    err = _error(config, "schedule.epoch=2", "heads.0.kind=binray", "optimizer.learning-rate=0")
    assert isinstance(err, SpecErrors) and len(err.errors) == 3
    assert all(e.span is not None and e.span.source.name == "--set" for e in err.errors)


def test_check_takes_set_too(config: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["check", str(config), "--set", "schedule.batch-size=1000"]) == 2
    assert "fewer than the batch size 1000" in capsys.readouterr().err
    assert main(["check", str(config), "--set", "schedule.batch-size=4"]) == 0
    assert main(["check", str(config), "--input", "400x4"]) == 2
    assert "--input applies to specs" in capsys.readouterr().err


def test_dry_run_shows_the_plan_and_writes_nothing(config: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    capsys.readouterr()
    assert main(["train", str(config), "--dry-run", "--set", "schedule.batch-size=16"]) == 0
    out = capsys.readouterr().out
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert "total params: 57,105" in out and "isoniazid" in out  # the model table
    assert "36 training examples, 12 validation examples (1 batch)" in out
    assert "up to 8 epochs of 2 steps, batch size 16 (4 training examples left out of each epoch" in out
    assert "optimizer: adam, learning rate 0.001" in out and "backend tensorflow" in out
    assert f"model                   {tmp_path}/inh/INH-model.keras" in out
    assert f"{tmp_path}/inh/INH-model_LR:0.001-DR:0.2-ACC.png" in out
    assert out.rstrip().endswith("dry run: nothing was trained or written")
    assert main(["train", str(config), "--dry-run", "--resume"]) == 2


def test_workshop_lr_and_dr_are_set_of_their_keys(config: Path, capsys: pytest.CaptureFixture) -> None:
    from specdsl.systems.workshop.commands.common import with_settings

    aliased = with_settings(str(config), 0.002, 0.1)
    direct = load_config(config, overrides=parse_sets(["optimizer.learning-rate=0.002",
                                                       "model.architecture.params.dropout=0.1"]))
    assert aliased.optimizer == direct.optimizer and aliased.body.params == direct.body.params
    assert aliased.config == direct.config and json.dumps(aliased.config)
    capsys.readouterr()
    assert main(["workshop", "inh-model", "-lr", "5", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("-lr 5.0: optimizer.learning-rate: out of range: expected a number > 0 and ≤ 1")
