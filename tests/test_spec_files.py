"""Spec files: presets users write themselves, and the errors they can make in them."""

from __future__ import annotations

import pytest

from specdsl.api import analyse, check
from specdsl.errors import SpecError
from specdsl.language.presets import all_presets, get_preset

GOOD = '''# two models
family mine
param width = 32 "filters"

preset A "first" {
  input x: 200 x 4
  y = x | conv[$width@5]_mp[2]_gap
}
preset B {
  param width = 8
  input x: 100 x 4
  y = use A(x)
  output out x 2 = y | dense[1,act=sigmoid]
}
'''


def test_spec_file_presets_and_use(tmp_path) -> None:
    path = tmp_path / "m.spec"
    path.write_text(GOOD)
    a, b = check(str(path))
    assert a.total == 5 * 4 * 32 + 32
    assert b.total == 5 * 4 * 8 + 8 + 2 * 9  # B's width reaches the used preset
    assert set(b.output_shapes()) == {"out_1", "out_2"}


@pytest.mark.parametrize("text,message,line,column", [
    ('preset P {\n  input x: 10 x 4\n  y = x | conv[4@3]_gapp\n}\n', "unknown layer kind 'gapp'", 3, 21),
    ('preset P {\n  input x: 10 x 4\n  y = z | conv[4@3]\n}\n', "unknown tensor 'z'", 3, 7),
    ('preset P {\n  input x: 10 x 4\n  y = use Nope(x)\n}\n', "unknown preset 'Nope'", 3, 7),
    ('preset P {\n  input x: w x 4\n  y = x\n}\n', "unknown parameter 'w'", 2, 3),
    ('preset P {\n  inpt x: 10 x 4\n}\n', "did you mean 'input'?", 2, 8),
    ('preset P {\n  input x: 10 x 4\n  y = x | conv[4@30]\n}\n', "needs at least 30 positions", 3, 11),
    ('preset P {\n  input x: 10 x 4 : flot32\n  y = x\n}\n', "did you mean 'float32'?", 2, 21),
    ('preset P {\n  input x: 10 x 0\n  y = x\n}\n', "a dimension must be a whole number", 2, 17),
    ('preset P {\n  input x: 10 x 4\n  input x: 5 x 4\n  y = x\n}\n', "declared twice", 3, 3),
    ('preset P {\n  param a = 1\n  param a = 2\n  input x: 10 x 4\n}\n', "declared twice", 3, 3),
    ('preset P {\n  input x: 10 x 4\n}\npreset p {\n  input x: 10 x 4\n}\n', "defined twice", 4, 1),
    ('preset P {\n  input x: 10 x 4\n  output y = x | gap\n  output y = x | gmp\n}\n', "declared twice",
     1, 1),
])
def test_spec_file_errors_are_positioned(tmp_path, text, message, line, column) -> None:
    path = tmp_path / "bad.spec"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        check(str(path))
    err = info.value
    assert message in err.render()
    if line is not None:
        assert (err.span.line, err.span.column) == (line, column)
        assert err.span.source.name == str(path)


def test_every_preset_has_a_family_and_doc() -> None:
    for preset in all_presets():
        assert preset.family and preset.doc, preset.name


def test_unknown_preset_suggests_nearest() -> None:
    with pytest.raises(SpecError, match="unknown preset 'resnet1'") as info:
        get_preset("resnet1")
    assert "ResNet01" in info.value.hint


def test_bpnet_counts_and_lengths() -> None:
    from specdsl.language.lengths import check_lengths, input_for_output

    bpnet = get_preset("BPNet")
    assert analyse("BPNet").total == 127_299  # F=64, 9 layers, 25/75, one head of 2 tasks
    assert analyse("BPNet", {"tasks": 1}).total == 122_498
    assert analyse("BPNet", {"heads": 4, "input_filter_width": 7, "output_filter_width": 7}).total == 116_876
    assert input_for_output(bpnet, 1000).input_length == 3142
    assert input_for_output(bpnet, 1000, {"input_filter_width": 7, "output_filter_width": 7}).input_length == 3056
    with pytest.raises(SpecError, match="use input-length 3092"):
        check_lengths(bpnet, 3000, 1000, {"output_filter_width": 25})
