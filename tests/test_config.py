"""Training configs: BPReveal's trainSoloModel configs verbatim, specdsl's own kind, every error at once."""

from __future__ import annotations

import subprocess
import sys

import pytest

from specdsl.config import (
    BPREVEAL_SOLO,
    SPECDSL_TRAIN,
    TrainingIR,
    detect_kind,
    load_config,
    load_config_text,
    read_config_text,
)
from specdsl.errors import SpecError, SpecErrors
from specdsl.training.ir import InputIR, OptimizerIR

# Shaped like the seed's trainSoloModel example (BPReveal's schema test config: 9 layers, widths 25/25,
# 3092 → 1000), with every key of the seed's BNF and schema, and '#' comments as BPReveal users write them.
SOLO = """\
# trainSoloModel configuration
{
    "settings": {
        "output-prefix": "models/solo",
        "epochs": 200,
        "max-jitter": 100,
        "early-stopping-patience": 11,   # a bit more than twice the plateau patience
        "batch-size": 64,
        "learning-rate": 0.004,
        "learning-rate-plateau-patience": 5,
        "architecture": {
            "architecture-name": "bpnet",
            "input-length": 3092,
            "output-length": 1000,
            "model-name": "solo",
            "model-args": "",
            "filters": 64,
            "layers": 9,
            "input-filter-width": 25,
            "output-filter-width": 25
        }
    },
    "train-data": "input/train.h5",
    "val-data": "input/val.h5",
    "heads": [
        {
            "num-tasks": 2,
            "profile-loss-weight": 1,
            "counts-loss-weight": 100,
            "counts-loss-frac-target": 0.1,
            "head-name": "oct4"
        },
        {
            # only the adaptive target: BPReveal picks the starting weight
            "num-tasks": 1,
            "profile-loss-weight": 0.5,
            "counts-loss-frac-target": 0.05,
            "head-name": "sox2"
        },
        {
            "num-tasks": 2,
            "profile-loss-weight": 2,
            "counts-loss-weight": 30.5,
            "head-name": "nanog"
        }
    ],
    "verbosity": "INFO"
}
"""

TRAIN = """\
{
    "kind": "specdsl-train",
    "output-prefix": "models/run1",
    "model": {"architecture": "conv[64@25]_dilres[9]", "input-length": 3142},
    "heads": [{"head-name": "oct4", "num-tasks": 2, "profile-loss-weight": 1, "counts-loss-weight": 100}],
    "data": {"train": "train.h5", "val": "val.h5"}
}
"""


def errors_of(text: str, kind: str | None = None) -> list[SpecError]:
    with pytest.raises(SpecErrors) as info:
        load_config_text(text, "cfg.json", kind)
    return info.value.errors


def position(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based line and column of the nth occurrence of ``needle``."""
    at = -1
    for _ in range(nth):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


def where(err: SpecError) -> tuple[int, int]:
    return err.span.line, err.span.column


# ---------------------------------------------------------------- bpreveal-solo, verbatim


def test_seed_config_is_accepted_verbatim_into_the_training_ir() -> None:
    ir = load_config_text(SOLO, "solo.json")
    assert isinstance(ir, TrainingIR) and ir.kind == BPREVEAL_SOLO and ir.source == "solo.json"
    assert ir.body.preset.name == "BPNet" and ir.body.params_dict() == {
        "filters": 64, "layers": 9, "input_filter_width": 25, "output_filter_width": 25, "input_length": 3092}
    assert ir.inputs == (InputIR("sequence", (3092, 4), "float32", "sequence"),)
    assert [(h.kind, h.name) for h in ir.heads] == [("profile", "oct4"), ("profile", "sox2"), ("profile", "nanog")]
    assert [(h.get("num_tasks"), h.get("profile_loss_weight"), h.get("counts_loss_weight"),
             h.get("counts_loss_frac_target"), h.get("output_length")) for h in ir.heads] == [
        (2, 1.0, 100.0, 0.1, 1000), (1, 0.5, None, 0.05, 1000), (2, 2.0, 30.5, None, 1000)]
    assert (ir.data.reader, ir.data.train, ir.data.val, ir.data.get("max_jitter")) == (
        "bpreveal-h5", ("input/train.h5",), ("input/val.h5",), 100)
    assert (ir.output.place, ir.output.style) == ("models/solo", "prefix")
    assert (ir.schedule.epochs, ir.schedule.batch_size, ir.optimizer) == (200, 64, OptimizerIR("adam", 0.004))
    assert (ir.schedule.early_stopping_patience, ir.schedule.lr_plateau_patience) == (11, 5)
    assert (ir.runtime.verbosity, ir.model_name) == ("INFO", "solo")
    assert (ir.runtime.mixed_precision, ir.runtime.xla, ir.runtime.seed) == (False, False, None)
    assert ir.config["settings"]["architecture"]["filters"] == 64


def test_load_config_reads_a_file(tmp_path) -> None:
    path = tmp_path / "solo.json"
    path.write_text(SOLO)
    assert load_config(path).source == str(path)
    assert load_config(str(path)) == load_config_text(SOLO, str(path))


@pytest.mark.parametrize("level", ["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"])
def test_every_bpreveal_verbosity_is_accepted(level: str) -> None:
    assert load_config_text(SOLO.replace('"INFO"', f'"{level}"')).runtime.verbosity == level


def test_model_args_is_optional_and_kind_may_name_itself() -> None:
    ir = load_config_text(SOLO.replace('"model-args": "",', "").replace('"verbosity"', '"kind": "bpreveal-solo", '
                                                                                     '"verbosity"'))
    assert "model-args" not in ir.config["settings"]["architecture"] and ir.kind == BPREVEAL_SOLO


def test_a_head_needs_a_counts_weight_or_a_frac_target() -> None:
    text = SOLO.replace('"counts-loss-weight": 30.5,', "")
    [err] = errors_of(text)
    assert where(err) == position(text, "{", 6)  # the third head's object
    assert err.path == "heads[2]"
    assert err.message == "the head needs 'counts-loss-weight' or 'counts-loss-frac-target' (or both)"


# ---------------------------------------------------------------- every kind of error, positioned


@pytest.mark.parametrize("old, new, needle, path, message", [
    ('"epochs": 200', '"epochs": "64"', '"64"', "settings.epochs",
     'expected an integer ≥ 1, got the string "64"'),
    ('"filters": 64', '"filters": 64.0', "64.0", "settings.architecture.filters",
     "expected an integer ≥ 1, got the number 64.0"),
    ('"batch-size": 64', '"batch-size": 0', "0", "settings.batch-size",
     "out of range: expected an integer ≥ 1, got 0"),
    ('"learning-rate": 0.004', '"learning-rate": 1.5', "1.5", "settings.learning-rate",
     "out of range: expected a number > 0 and ≤ 1, got 1.5"),
    ('"learning-rate": 0.004', '"learning-rate": 0', "0", "settings.learning-rate",
     "out of range: expected a number > 0 and ≤ 1, got 0"),
    ('"counts-loss-frac-target": 0.1', '"counts-loss-frac-target": 2', "2", "heads[0].counts-loss-frac-target",
     "out of range: expected a number > 0 and < 1, got 2"),
    ('"architecture-name": "bpnet"', '"architecture-name": "resnet"', '"resnet"',
     "settings.architecture.architecture-name", 'expected "bpnet", got the string "resnet"'),
    ('"val-data": "input/val.h5"', '"val-data": ["a", "b"]', '["a"', "val-data", "expected a file name, got a list"),
    ('"head-name": "oct4"', '"head-name": ""', '""', "heads[0].head-name",
     "expected a name of letters, digits, _ . and - (no '/', spaces or brackets), got an empty string"),
    ('"verbosity": "INFO"', '"verbosity": 3', "3", "verbosity",
     'expected one of "CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", got the number 3'),
])
def test_value_errors_point_at_the_value(old: str, new: str, needle: str, path: str, message: str) -> None:
    text = SOLO.replace(old, new, 1)
    [err] = errors_of(text)
    line, column = position(text, new)
    assert (where(err), err.path, err.message) == ((line, column + new.index(needle)), path, message)
    assert "is not of type" not in err.render() and "is not valid under" not in err.render()


def test_error_renders_file_line_column_path_message_and_caret() -> None:
    text = SOLO.replace('"epochs": 200', '"epochs": "64"')
    [err] = errors_of(text)
    assert err.render().splitlines()[:3] == [
        'cfg.json:5:19: settings.epochs: expected an integer ≥ 1, got the string "64"',
        '            "epochs": "64",',
        "                      ^^^^",
    ]


def test_unknown_key_points_at_the_key_with_did_you_mean() -> None:
    text = SOLO.replace('"early-stopping-patience"', '"early-stoping-patience"')
    missing, unknown = errors_of(text)
    assert (where(unknown), unknown.path) == (position(text, '"early-stoping-patience"'), "settings")
    assert unknown.message == "unknown key 'early-stoping-patience'"
    assert unknown.hint == "did you mean 'early-stopping-patience'?"
    assert "early-stopping-patience" in unknown.expected
    # ...and the key it was meant to be is missing, reported at its object, pointing back at the typo
    assert (where(missing), missing.path) == (position(text, "{", 2), "settings")
    assert missing.message == "missing required key 'early-stopping-patience'"
    assert missing.hint == "is 'early-stoping-patience' at line 7 a misspelling of it?"


def test_missing_key_is_reported_at_the_enclosing_object() -> None:
    text = SOLO.replace('    "verbosity": "INFO"\n', "")  # leaves a trailing comma, which is fine
    [err] = errors_of(text)
    assert (where(err), err.path) == (position(text, "{"), None)
    assert err.message == "missing required key 'verbosity'"
    assert "one of" in err.hint and "How much the run logs" in err.hint
    assert err.headline().startswith(f"cfg.json:{position(text, '{')[0]}:1: missing required key")


def test_keys_of_other_bpreveal_programs_say_where_they_belong() -> None:
    text = SOLO.replace('"head-name": "oct4"', '"head-name": "oct4", "use-bias-counts": true')
    [err] = errors_of(text)
    assert err.message == "unknown key 'use-bias-counts'" and "combined-model" in err.hint


def test_enum_typo_gets_did_you_mean() -> None:
    [err] = errors_of(SOLO.replace('"INFO"', '"INF"'))
    assert err.hint == "did you mean 'INFO'?"


def test_every_error_is_reported_at_once_in_file_order() -> None:
    text = (SOLO.replace('"epochs": 200', '"epochs": -1')
            .replace('"batch-size": 64', '"batch-size": "64"')
            .replace('"filters": 64,', '"filters": 64, "filter": 3,')
            .replace('"head-name": "sox2"', '"head-name": "oct4"')
            .replace('"verbosity": "INFO"', '"verbosity": "INFO", "verbosity": "DEBUG"'))
    errs = errors_of(text)
    assert [(e.path, e.message.split(":")[0]) for e in errs] == [
        ("settings.epochs", "out of range"),
        ("settings.batch-size", 'expected an integer ≥ 1, got the string "64"'),
        ("settings.architecture", "unknown key 'filter'"),
        ("heads[1].head-name", "the head name 'oct4' is used twice"),
        ("verbosity", "the key 'verbosity' is given twice"),
    ]
    lines = [e.span.line for e in errs]
    assert lines == sorted(lines)
    rendered = SpecErrors(errs).render()
    assert rendered.count("cfg.json:") == 5


def test_bpnet_lengths_must_fit() -> None:
    text = SOLO.replace('"input-length": 3092', '"input-length": 3000')
    [err] = errors_of(text)
    assert (where(err), err.path) == (position(text, "3000"), "settings.architecture.input-length")
    assert "input-length must be 3092" in err.message


# ---------------------------------------------------------------- kind detection


def test_kind_detection_rule() -> None:
    assert detect_kind(read_config_text(SOLO)) == BPREVEAL_SOLO
    assert detect_kind(read_config_text('{"train-data": "x"}')) == BPREVEAL_SOLO
    assert detect_kind(read_config_text(TRAIN)) == SPECDSL_TRAIN
    assert detect_kind(read_config_text('{"kind": "bpreveal-solo"}')) == BPREVEAL_SOLO


@pytest.mark.parametrize("text, message, hint", [
    ('{"kind": "specdsl-trian"}', 'unknown config kind "specdsl-trian"', "did you mean 'specdsl-train'?"),
    ('{"kind": 3}', "the config kind must be a string, not the number 3", None),
    ('{"heads": []}', "cannot tell which kind of config this is", None),
    ("[1, 2]", "a config file holds one object { ... }, not a list", None),
])
def test_kind_detection_errors(text: str, message: str, hint: str | None) -> None:
    with pytest.raises(SpecError) as info:
        load_config_text(text)
    assert info.value.message == message and info.value.hint == hint and info.value.span is not None


def test_forcing_a_kind_validates_against_it() -> None:
    errs = errors_of(SOLO, SPECDSL_TRAIN)
    assert "missing required key 'kind'" in [e.message for e in errs]


def test_missing_file_is_a_spec_error_naming_the_file(tmp_path) -> None:
    with pytest.raises(SpecError) as info:
        load_config(tmp_path / "missing.json")
    assert info.value.file == str(tmp_path / "missing.json") and info.value.message == "no such file"


# ---------------------------------------------------------------- specdsl-train


def test_specdsl_train_applies_defaults() -> None:
    ir = load_config_text(TRAIN)
    assert ir.kind == SPECDSL_TRAIN
    assert ir.body.label == "conv[64@25]_dilres[9]" and ir.body.preset.main_chain() is not None
    assert [b.kind for b in ir.body.preset.main_chain().items] == ["conv", "dilres"]
    assert ir.inputs[0].shape == (3142, 4) and ir.heads[0].get("output_length") is None
    assert (ir.optimizer, ir.schedule.epochs, ir.schedule.batch_size) == (OptimizerIR("adam", 0.004), 200, 64)
    assert (ir.schedule.early_stopping_patience, ir.schedule.lr_plateau_patience, ir.data.get("max_jitter")) == (
        11, 5, 0)
    assert (ir.runtime.verbosity, ir.runtime.seed, ir.runtime.mixed_precision, ir.runtime.xla) == (
        "INFO", None, False, False)
    assert ir.config["schedule"] == {"epochs": 200, "batch-size": 64, "early-stopping-patience": 11,
                                     "learning-rate-plateau-patience": 5}


def test_specdsl_train_sections_and_preset() -> None:
    text = TRAIN.replace('"conv[64@25]_dilres[9]"', '{"preset": "BPNet", "params": {"filters": 32, "layers": 8}}')
    text = text.replace('"data": {"train": "train.h5", "val": "val.h5"}',
                        '"data": {"train": "t.h5", "val": "v.h5", "max-jitter": 64},\n'
                        '"optimizer": {"name": "sgd", "learning-rate": 0.01},\n'
                        '"schedule": {"epochs": 5},\n'
                        '"runtime": {"seed": 7, "mixed-precision": true, "xla": true, "verbosity": "DEBUG"}')
    ir = load_config_text(text)
    assert ir.body.preset.name == "BPNet" and ir.body.params_dict() == {"filters": 32, "layers": 8,
                                                                        "input_length": 3142}
    assert (ir.optimizer, ir.schedule.epochs, ir.data.get("max_jitter")) == (OptimizerIR("sgd", 0.01), 5, 64)
    assert (ir.runtime.seed, ir.runtime.mixed_precision, ir.runtime.xla, ir.runtime.verbosity) == (
        7, True, True, "DEBUG")


def test_architecture_string_errors_point_inside_the_string() -> None:
    text = TRAIN.replace("dilres[9]", "dilrez[9]")
    [err] = errors_of(text)
    assert (where(err), err.path) == (position(text, "dilrez"), "model.architecture")
    assert err.hint == "did you mean 'dilres'?"


def test_architecture_of_the_wrong_type() -> None:
    text = TRAIN.replace('"conv[64@25]_dilres[9]"', "64")
    [err] = errors_of(text)
    assert err.message == "expected an architecture string or a preset-architecture object, got the number 64"


def test_preset_problems_are_positioned() -> None:
    text = TRAIN.replace('"conv[64@25]_dilres[9]"', '{"preset": "BPNt", "params": {"filters": 32}, "layers": 3}')
    unknown_preset, unknown_key = errors_of(text)
    assert where(unknown_preset) == position(text, '"BPNt"') and unknown_preset.hint == "did you mean 'BPNet'?"
    assert where(unknown_key) == position(text, '"layers"') and unknown_key.path == "model.architecture"
    text = TRAIN.replace('"conv[64@25]_dilres[9]"', '{"preset": "BPNet", "params": {"filtres": 32, "x": [1]}}')
    bad_name, other, bad_value = errors_of(text)
    assert where(bad_name) == position(text, '"filtres"') and bad_name.hint == "did you mean 'filters'?"
    assert other.message == "preset BPNet has no parameter 'x'"
    assert bad_value.message == "expected an integer, a number, a string or true/false, got a list"
    assert (where(bad_value), bad_value.path) == (position(text, "[1]"), "model.architecture.params.x")


def test_specdsl_train_value_errors() -> None:
    text = TRAIN.replace('"data": {', '"runtime": {"xla": "yes"}, "optimizer": {"name": "adm"}, "data": {')
    xla, name = errors_of(text)
    assert (xla.path, xla.message) == ("runtime.xla", 'expected true or false, got the string "yes"')
    assert (name.path, name.hint) == ("optimizer.name", "did you mean 'adam'?")


def test_the_config_package_never_imports_tensorflow() -> None:
    code = ("import sys; from specdsl.config import load_config_text; "
            "from specdsl.config.starters import kind_template; "
            "load_config_text(kind_template('specdsl-train')); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
