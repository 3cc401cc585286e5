"""The architecture language's errors say what the user most likely did, at the place they did it."""

from __future__ import annotations

import pytest

from specdsl.api import analyse
from specdsl.cli import main
from specdsl.errors import ImpossibleShape, SpecError
from specdsl.language.parsing import parse_chain
from specdsl.language.spec_files import parse_spec_file


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def _caret_column(rendered: str) -> int:
    """1-based column of the first caret under the shown line (shown indented by four spaces)."""
    line = next(ln for ln in rendered.splitlines() if ln.strip().startswith("^"))
    return line.index("^") - 3


# ---------------------------------------------------------------- brackets


def test_arguments_in_parentheses_are_shown_in_square_brackets(capsys) -> None:
    code, err = cli(capsys, "params", "conv(64@19)")
    assert code == 2 and "Traceback" not in err
    assert "arguments go in square brackets: conv[64@19], not conv(64@19)" in err
    assert _caret_column(err) == 5  # the '('


def test_arguments_in_parentheses_later_in_a_string_and_in_a_spec_file() -> None:
    with pytest.raises(SpecError) as info:
        parse_chain("conv[8@3]_mp(4)_fc[2]")
    assert "mp[4]" in info.value.message and info.value.span.column == 13
    text = 'preset P "p" {\n  input dna: 100x4\n  x = dna | conv(8@3)_gap\n}\n'
    with pytest.raises(SpecError) as info:
        parse_spec_file(text, "my.spec")
    span = info.value.span
    assert "conv[8@3]" in info.value.message and (span.line, span.column) == (3, 17)


def test_a_repeat_keeps_its_parentheses() -> None:
    assert parse_chain("2x(conv[8@3]_mp[2])")  # still a repeat, not an error


def test_an_unclosed_bracket_is_reported_where_it_opens(capsys) -> None:
    code, err = cli(capsys, "params", "mp[4_conv[8@3]")
    assert code == 2
    assert "the '[' of mp[…] opened here is never closed" in err
    assert _caret_column(err) == 3
    assert "did you mean mp[4]_conv[8@3]?" in err


@pytest.mark.parametrize("text, column, fixed", [
    ("conv[8@3]_mp[2", 13, "conv[8@3]_mp[2]"),
    ("2x(conv[8@3]_mp[2]", 3, "2x(conv[8@3]_mp[2])"),
    ("2x(conv[8@3_mp[2])", 8, "2x(conv[8@3]_mp[2])"),  # the inner '[' is the one left open
])
def test_the_bracket_left_open_is_the_one_named(text: str, column: int, fixed: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_chain(text)
    assert "never closed" in info.value.message and info.value.span.column == column
    assert fixed in (info.value.hint or "")


def test_a_closed_bracket_with_a_bad_argument_keeps_its_own_error() -> None:
    with pytest.raises(SpecError) as info:
        parse_chain("mp[4 5]")
    assert "never closed" not in info.value.message and info.value.span.column == 6


# ---------------------------------------------------------------- inputs


def test_an_embedding_on_one_hot_input_hints_at_a_token_input(capsys) -> None:
    code, err = cli(capsys, "params", "emb[16,8]_conv[8@3]", "--input", "100x4")
    assert code == 2
    assert "integer tokens" in err and "--input 100" in err and "--input 100x4" not in err
    assert main(["params", "emb[16,8]_conv[8@3]", "--input", "100"]) == 0  # what the hint says works


def test_an_embedding_after_another_layer_is_told_to_come_first() -> None:
    with pytest.raises(ImpossibleShape) as info:
        analyse("conv[8@3]_emb[16,8]")
    assert "comes first" in (info.value.hint or "")


def test_a_channels_first_shape_that_fails_hints_at_length_by_channels(capsys) -> None:
    code, err = cli(capsys, "params", "conv[8@11]_mp[4]", "--input", "4x1000")
    assert code == 2
    assert "length × channels" in err and "1000x4" in err
    with pytest.raises(ImpossibleShape) as info:  # a named input of a preset
        analyse("CnnL1h128", None, {"dna": (4, 1001)})
    assert "input 'dna'" in info.value.hint and "1001x4" in info.value.hint


def test_a_clearly_swapped_shape_that_analyses_is_kept_with_a_note(capsys) -> None:
    graph = analyse("conv[8@3]_gap_fc[2]", None, {"": (4, 1000)})  # valid: never refused
    assert graph.inputs[0].shape == (4, 1000)
    assert "length × channels" in graph.note and "1000x4" in graph.note
    assert main(["params", "conv[8@3]_gap_fc[2]", "--input", "4x1000"]) == 0
    assert "note: inputs are length × channels" in capsys.readouterr().out


@pytest.mark.parametrize("spec, shape", [
    ("conv[8@3]_gap_fc[2]", (1000, 4)),
    ("each[fc[16]]_gap", (5, 50)),  # DeepCpG's CpG input: 5 cells of a 50-site window
    ("gru[8]", (10, 30)),
])
def test_shapes_that_are_not_swapped_get_no_note(spec: str, shape: tuple) -> None:
    assert "length × channels" not in analyse(spec, None, {"": shape}).note


def test_a_failure_the_swap_would_not_fix_gets_no_swap_hint() -> None:
    with pytest.raises(ImpossibleShape) as info:
        analyse("mp[40]", None, {"": (20, 30)})
    assert "length × channels" not in (info.value.hint or "")


# ---------------------------------------------------------------- length


@pytest.mark.parametrize("argv, params", [
    (["conv[8@3]_gap_fc[2]", "--input-length", "100"], "specdsl params 'conv[8@3]_gap_fc[2]'"),
    (["conv[8@3]_gap_fc[2]", "--output-length", "10"], "specdsl params 'conv[8@3]_gap_fc[2]'"),
    (["CnnL1h128", "--input-length", "1001"], "specdsl params CnnL1h128"),
    (["DeepCpG", "--output-length", "10"], "specdsl params DeepCpG"),  # three inputs, five vector outputs
    (["InhModel", "--output-length", "10"], "specdsl params InhModel"),  # flattens: no unknown length
])
def test_length_of_a_classifier_says_it_is_not_a_profile_model(capsys, argv: list[str], params: str) -> None:
    code, err = cli(capsys, "length", *argv)
    assert code == 2 and "Traceback" not in err
    assert "is not a profile model" in err
    assert params in err and "--json" in err and "--input" in err


def test_length_of_a_profile_model_still_answers(capsys) -> None:
    assert main(["length", "BPNet", "--output-length", "1000"]) == 0
    assert "input-length 3142" in capsys.readouterr().out
