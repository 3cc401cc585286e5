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
