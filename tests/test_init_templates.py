"""``specdsl init``: a template per task, each of which passes ``specdsl check`` once its data exist."""

from __future__ import annotations

import pytest
from backend_only_probe import shrunk

from specdsl.cli import main
from specdsl.config.kinds import config_kinds
from specdsl.config.starters import all_starters, default_starter

STARTERS = list(all_starters())
SMALL = {"--regions": "64", "--val-regions": "64", "--isolates": "120", "--reads": "40", "--num-reads": "200",
         "--sites": "600"}  # the same commands on less data: check needs files, not their size


def _shrunk(command: str) -> list[str]:
    return shrunk(command, SMALL)


@pytest.mark.parametrize("name", STARTERS)
def test_every_template_passes_check_once_the_data_its_header_names_exist(name, tmp_path, monkeypatch,
                                                                           capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", name, "-o", "config.json"]) == 0
    text = (tmp_path / "config.json").read_text()
    commands = [line[len("#     specdsl "):] for line in text.splitlines() if line.startswith("#     specdsl ")]
    assert commands == list(all_starters()[name].data)  # the header says how to make the data, whole
    for command in commands:
        assert main(_shrunk(command)) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["check", "config.json"]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.startswith("ok: config.json")


def test_a_template_starts_from_its_task_not_from_a_profile_model(capsys) -> None:
    assert main(["init", "specdsl-train", "--template", "classifier"]) == 0
    classifier = capsys.readouterr().out
    assert main(["init", "classifier"]) == 0
    assert capsys.readouterr().out == classifier
    active = [line for line in classifier.splitlines() if not line.lstrip().startswith("#")]
    assert any('"reader": "sequence-labels"' in line for line in active)
    assert any('"kind": "binary"' in line for line in active)
    assert not any('"kind": "profile"' in line or "BPNet" in line for line in active)


def test_keys_that_change_a_run_only_when_present_are_commented_out(capsys) -> None:
    assert main(["init", "specdsl-train"]) == 0
    text = capsys.readouterr().out
    for key in ("start-from", "learning-rate-decay", "lr-schedule"):  # a file the user lacks; two exclusive rules
        assert f'# "{key}": ' in text and f'\n        "{key}": ' not in text


def test_every_config_kind_has_a_template_with_the_data_it_needs() -> None:
    assert {s.kind for s in all_starters().values()} == set(config_kinds())
    assert all(default_starter(kind) is not None for kind in config_kinds())


def test_an_unknown_template_names_the_ones_there_are(capsys) -> None:
    assert main(["init", "specdsl-train", "--template", "capfinder"]) == 2  # a template of another kind
    err = capsys.readouterr().err
    assert "unknown template 'capfinder' for specdsl-train configs" in err and "classifier" in err
    try:
        main(["init", "specdsl-train", "--template", "clasifier"])
    except SystemExit as stop:
        assert stop.code == 2
    assert "did you mean 'classifier'?" in capsys.readouterr().err
