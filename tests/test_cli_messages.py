"""Messages for mistakes on the command line: did-you-mean for verbs and options, hints in the language."""

from __future__ import annotations

import pytest

from specdsl.cli import main


def _error(argv: list[str], capsys) -> str:
    """The message of a command line that must fail with status 2 (argparse's own exit included)."""
    try:
        status = main(argv)
    except SystemExit as stop:
        status = stop.code
    err = capsys.readouterr().err
    assert status == 2, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("argv,wanted", [
    (["param"], "did you mean 'params'?"),
    (["params", "conv[8@3]", "--inptu", "100x4"], "unknown option --inptu; did you mean '--input'?"),
    (["params", "--inptu", "100x4"], "unknown option --inptu; did you mean '--input'?"),
    (["make-data", "deepcpgg"], "did you mean 'deepcpg'?"),
    (["deepcpgg", "train"], "did you mean 'deepcpg'?"),
    (["deepcpg", "trian"], "did you mean 'train'?"),
    (["deepcpg", "train", "--nb_epoks", "3"], "did you mean '--nb_epoch'?"),
])
def test_a_misspelt_verb_or_option_gets_a_did_you_mean(argv, wanted, capsys) -> None:
    assert wanted in _error(argv, capsys)


def test_an_unknown_option_is_named_before_the_argument_it_left_missing(capsys) -> None:
    err = _error(["deepcpg", "train", "--dna_modle", "CnnL2h128"], capsys)
    assert "unknown option --dna_modle" in err and "did you mean '--dna_model'?" in err
    assert "required" not in err


def test_abbreviations_and_values_that_look_like_options_still_work(capsys) -> None:
    assert main(["params", "conv[8@3]", "--inp", "20x4", "--json"]) == 0
    assert main(["params", "conv[8@3]", "-i20x4", "--json"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("argv,flag", [
    (["params", "conv[8@3]", "--input", "100x4", "--input", "200x4"], "--input"),
    (["params", "conv[8@3]", "-i", "x=100x4", "-i", "x=200x4"], "--input"),
    (["make-data", "deepcpg", "--out", "d", "--regions", "5"], "--regions"),
    (["make-data", "--train", "t.h5", "--out", "d", "--input-length", "9", "--output-length", "5"], "--out"),
    (["make-data", "capfinder", "--out", "c", "--cel", "3"], "--cells"),  # an abbreviation is the option it begins
])
def test_an_option_that_would_be_dropped_or_overridden_is_refused(argv, flag, capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    err = _error(argv, capsys)
    assert err.startswith(f"{flag}: "), err
    assert not any(tmp_path.iterdir())  # nothing written
