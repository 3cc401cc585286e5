"""Issue 7, "hardening the languages": every hostile input ends in the project's own error, at its position.

Unicode digits, huge numbers, deep nesting, long repeats, sizes Keras cannot build,
non-finite values, odd line breaks, long lines, other programs' configs, and the
length arithmetic of deep networks.  Everything here runs through the same code
paths as the CLI, in-process and without TensorFlow.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from specdsl.api import analyse
from specdsl.cli import main
from specdsl.config import load_config_text
from specdsl.errors import LimitExceeded, Source, SpecError, UnknownLayerKind, window
from specdsl.language.lengths import input_for_output, lengths_for_input
from specdsl.language.limits import MAX_BLOCKS, MAX_NESTING
from specdsl.language.model import resolve_target, spec_file_target
from specdsl.language.parsing import parse_chain
from specdsl.language.presets import get_preset
from specdsl.language.spec_files import parse_spec_file


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


# ---------------------------------------------------------------- targets


def test_a_long_architecture_string_is_never_taken_for_a_file(capsys) -> None:
    long = "_".join(["conv[8@3,pad=same]"] * 40)  # 759 characters: stat() would say "File name too long"
    code, err = cli(capsys, "check", long)
    assert code == 0, err
    assert spec_file_target(long) is None
    assert spec_file_target("my.spec") == ("my.spec", "")
    assert spec_file_target("dir/my.spec:Model") == ("dir/my.spec", "Model")
    assert spec_file_target("conv[8@3]") is None and spec_file_target("README.md") is None


def test_a_missing_spec_file_is_a_spec_error(capsys) -> None:
    code, err = cli(capsys, "check", "x" * 300 + ".spec")
    assert code == 2 and "Traceback" not in err and "cannot read" in err or "no such file" in err


def test_a_misspelt_preset_is_told_by_error_class_not_message() -> None:
    with pytest.raises(SpecError) as info:
        resolve_target("CnnL2h12")
    assert "did you mean 'CnnL2h128'" in (info.value.hint or "")
    with pytest.raises(UnknownLayerKind):
        parse_chain("cnv[3]")


# ---------------------------------------------------------------- digits and numbers


@pytest.mark.parametrize("text,column", [("conv[١٢٨@١١]", 6), ("fc[１２]", 4), ("mp[²]", 4)])
def test_only_ascii_digits_are_numbers(text: str, column: int) -> None:
    with pytest.raises(SpecError) as info:
        parse_chain(text)
    assert info.value.span.column == column and "^" in info.value.render()


@pytest.mark.parametrize("argv,caret", [
    (["params", "CnnL2h128", "--set", "dna_wlen=١٠٠١"], "--set:1:10:"),
    (["params", "CnnL2h128", "--input", "²x4"], "--input:1:1:"),
    (["params", "CnnL2h128", "--input", "1001x４"], "--input:1:6:"),
])
def test_unicode_digits_on_the_command_line_are_positioned_errors(capsys, argv, caret) -> None:
    code, err = cli(capsys, *argv)
    assert code == 2 and err.startswith(caret) and "^" in err


def test_a_config_value_with_unicode_digits_is_an_error() -> None:
    with pytest.raises(SpecError) as info:
        load_config_text('{"kind": "specdsl-train", "epochs": ١٠}', "c.json")
    assert info.value.span is not None and info.value.span.column == 37


def test_huge_integers_are_errors_not_value_errors() -> None:
    with pytest.raises(LimitExceeded, match="too long"):
        parse_chain("fc[" + "1" * 5000 + "]")
    with pytest.raises(SpecError) as info:
        load_config_text('{"kind": "specdsl-train", "seed": ' + "7" * 5000 + "}", "c.json")
    assert "too long" in info.value.render()


@pytest.mark.parametrize("argv", [["check", "do", "--set", "dropout=nan"], ["check", "do", "--set", "dropout=1e999"],
                                  ["check", "do", "--set", "dropout=inf"]])
def test_non_finite_rates_are_refused(capsys, argv) -> None:
    code, err = cli(capsys, *argv)
    assert code == 2 and "Traceback" not in err


def test_non_finite_config_numbers_are_refused() -> None:
    with pytest.raises(SpecError) as info:
        load_config_text('{"kind": "specdsl-train", "schedule": {"epochs": 1e999}}', "c.json")
    assert "1e999 is too large to be a number" in info.value.render()


# ---------------------------------------------------------------- nesting, repeats, sizes


@pytest.mark.parametrize("text", [
    "1x(" * 500 + "fc[1]" + ")" * 500,
    "each[" * 500 + "fc[1]" + "]" * 500,
    "1x(" * (MAX_NESTING + 1) + "do" + ")" * (MAX_NESTING + 1),
])
def test_deep_nesting_is_a_limit_error(text: str) -> None:
    with pytest.raises(LimitExceeded, match="nested more than") as info:
        parse_chain(text)
    assert info.value.span.column > 1


def test_nesting_up_to_the_limit_is_fine() -> None:
    text = "1x(" * (MAX_NESTING - 1) + "do" + ")" * (MAX_NESTING - 1)
    assert len(analyse(text).layers) == 1


def test_deeply_nested_config_is_a_limit_error() -> None:
    with pytest.raises(LimitExceeded):
        load_config_text('{"a": ' + "[" * 2000 + "]" * 2000 + "}", "c.json")


@pytest.mark.parametrize("text", ["1000000000x(fc[1])", "1000x(1000x(do))", f"{MAX_BLOCKS}x(do_do)"])
def test_repeats_beyond_the_block_limit_are_refused_before_expansion(text: str) -> None:
    with pytest.raises(LimitExceeded, match="blocks"):
        parse_chain(text)


def test_the_largest_allowed_expansion_analyses() -> None:
    graph = analyse(f"{MAX_BLOCKS}x(do)", None, {"": (10, 4)})
    assert len(graph.layers) == MAX_BLOCKS and graph.layers[-1].name == f"do{MAX_BLOCKS}"


@pytest.mark.parametrize("text", ["fc[1e30]", "conv[1e308@11]", "conv[100000000000@3]", "conv[2000000000@3]",
                                  "mp[2147483648]", "resb[1x4294967296]"])
def test_sizes_keras_cannot_build_are_refused_by_check(capsys, text: str) -> None:
    code, err = cli(capsys, "check", text)
    assert code == 2 and "too" in err and "^" in err and "Traceback" not in err


def test_an_input_beyond_the_size_limit_is_refused(capsys) -> None:
    code, err = cli(capsys, "check", "conv[8@3]", "--input", "99999999999x4")
    assert code == 2 and "--input:1:1:" in err


# ---------------------------------------------------------------- positions and rendering


def test_unbound_parameter_is_positioned() -> None:
    with pytest.raises(SpecError) as info:
        analyse("conv[8@3]_fc[$hidden]")
    assert (info.value.span.line, info.value.span.column) == (1, 14)


@pytest.mark.parametrize("odd", ["\x0b", "\x0c", "\x85", "\u2028", "\x1c"])
def test_odd_line_breaks_do_not_move_the_caret(odd: str) -> None:
    text = f'preset A "x{odd}y" {{\n  input x: 10 x 4\n  y = x | conv[4@3]_cnv\n}}\n'
    with pytest.raises(UnknownLayerKind) as info:
        parse_spec_file(text, "odd.spec")
    rendered = info.value.render().splitlines()
    assert rendered[0].startswith("odd.spec:3:")
    assert rendered[1].strip() == "y = x | conv[4@3]_cnv"
    assert rendered[1][rendered[2].index("^"):].startswith("cnv")


def test_a_long_line_is_shown_as_a_window_around_the_error() -> None:
    text = '{"kind": "specdsl-train", ' + ", ".join(f'"k{i}": {i}' for i in range(300)) + ', "x": tru}'
    with pytest.raises(SpecError) as info:
        load_config_text(text, "one-line.json")
    lines = info.value.render().splitlines()
    assert all(len(line) < 120 for line in lines[1:3])
    caret = lines[2].index("^")
    assert lines[1][caret:].startswith("tru")


def test_window_keeps_short_lines_and_marks_cuts() -> None:
    assert window("abc", 2, 1) == ("abc", 2, 1)
    shown, col, width = window("x" * 500, 400, 3)
    assert shown.startswith("…") and shown.endswith("…") and shown[col - 1] == "x" and width == 3


# ---------------------------------------------------------------- configs


def _bpreveal(program: str) -> dict:
    return {
        "trainTransformationModel": {"settings": {"solo-model-file": "s.model", "epochs": 1}, "heads": [],
                                     "train-data": "t.h5", "val-data": "v.h5"},
        "trainCombinedModel": {"settings": {"transformation-model": {}}, "heads": [],
                               "train-data": "t.h5", "val-data": "v.h5"},
        "makePredictions": {"settings": {"architecture": {"model-file": "m.model"}}, "bed-file": "a.bed"},
        "interpretFlat": {"genome": "g.fa", "bed-file": "a.bed", "model-file": "m", "profile-h5": "p.h5",
                          "counts-h5": "c.h5", "num-shuffles": 20},
        "prepareTrainingData": {"genome": "g.fa", "regions": "r.bed", "output-h5": "o.h5",
                                "reverse-complement": True, "heads": [{"bigwig-files": []}]},
        "prepareBed": {"heads": [{"bigwig-names": []}], "splits": {}, "genome": "g.fa"},
        "motifScan": {"scan-settings": {}, "seqlet-cutoff-json": "c.json"},
    }[program]


@pytest.mark.parametrize("program", ["trainTransformationModel", "trainCombinedModel", "makePredictions",
                                     "interpretFlat", "prepareTrainingData", "prepareBed", "motifScan"])
def test_other_bpreveal_programs_are_named(program: str) -> None:
    with pytest.raises(SpecError) as info:
        load_config_text(json.dumps(_bpreveal(program)), "c.json")
    assert info.value.message == (f"this looks like a {program} config; specdsl trains solo models from "
                                  "trainSoloModel configs")
    assert "did you mean" not in info.value.render()


def test_programs_table_is_data_and_leaves_solo_configs_alone() -> None:
    from specdsl.config.programs import PROGRAMS, foreign_program

    assert all(isinstance(name, str) and keys for name, keys in PROGRAMS)
    solo = {"settings": {"architecture": {"input-length": 3142}}, "train-data": "t", "val-data": "v",
            "heads": [{"head-name": "h", "counts-loss-weight": 1}], "verbosity": "INFO"}
    assert foreign_program(solo) is None


def test_counts_loss_frac_target_must_be_below_one() -> None:
    from specdsl.config import schema_json

    head = schema_json("bpreveal-solo")["properties"]["heads"]["items"]["properties"]["counts-loss-frac-target"]
    assert head["exclusiveMinimum"] == 0 and head["exclusiveMaximum"] == 1
    text = ('{"kind": "specdsl-train", "output-prefix": "o", "model": {"architecture": "conv[8@3]", '
            '"input-length": 100}, "data": {"train": "t.h5", "val": "v.h5"}, '
            '"heads": [{"head-name": "h", "num-tasks": 1, "profile-loss-weight": 1, '
            '"counts-loss-frac-target": FRAC}]}')
    with pytest.raises(SpecError) as info:
        load_config_text(text.replace("FRAC", "1.0"), "c.json")
    assert "< 1" in info.value.render()
    for ok in ("0.5", "0.999"):
        try:
            load_config_text(text.replace("FRAC", ok), "c.json")
        except SpecError as err:  # other checks may object, but never to the fraction
            assert "counts-loss-frac-target" not in err.render()


# ---------------------------------------------------------------- lengths


@pytest.mark.parametrize("layers,expected", [(9, 3142), (10, 5190), (11, 9286), (12, 17478), (16, 263238)])
def test_bpnet_lengths_at_any_depth_match_lengthcalc(layers: int, expected: int) -> None:
    bpnet = get_preset("BPNet")
    params = {"layers": layers}
    assert expected == 1000 + 25 + 75 + 2 ** (layers + 2) - 6  # BPReveal's lengthCalc
    assert input_for_output(bpnet, 1000, params).input_length == expected
    assert lengths_for_input(bpnet, expected, params).outputs == {"profile": 1000}


def test_raw_strings_and_strides_have_analytic_lengths() -> None:
    deep = resolve_target("conv[16@25]_dilres[10]_conv[2@75,act=linear]")
    assert input_for_output(deep, 1000).input_length == 5190
    strided = resolve_target("conv[8@25]_mp[3]_conv[3@5]")
    answer = input_for_output(strided, 100)
    assert answer.input_length == 336 and lengths_for_input(strided, 335).outputs != {"conv2_relu": 100}


def test_cli_length_for_deep_bpnet(capsys) -> None:
    assert main(["length", "BPNet", "--output-length", "1000", "--set", "layers=10"]) == 0
    assert "input-length 5190" in capsys.readouterr().out


# ---------------------------------------------------------------- module structure


def test_the_ir_imports_no_part_of_the_language() -> None:
    code = ("import sys, specdsl.language.ir; bad = [m for m in ('specdsl.language.registry', "
            "'specdsl.language.kinds', 'specdsl.language.lowering') if m in sys.modules]; "
            "sys.exit(str(bad) if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_error_source_lines_split_only_at_newlines() -> None:
    source = Source("s", "a\x0bb\r\nc\u2028d\ne")
    assert source.lines() == ["a\x0bb", "c\u2028d", "e"]


def test_the_config_length_check_handles_deep_bpnets() -> None:
    from test_config import SOLO

    deep = SOLO.replace('"layers": 9', '"layers": 10').replace('"output-filter-width": 25', '"output-filter-width": 75')
    good = deep.replace('"input-length": 3092', '"input-length": 5190')
    assert load_config_text(good, "deep.json").body.params_dict()["layers"] == 10
    with pytest.raises(SpecError) as info:
        load_config_text(deep, "deep.json")
    assert "so input-length must be 5190" in info.value.render()
