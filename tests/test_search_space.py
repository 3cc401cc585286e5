"""Search spaces in the language: syntax, round trips, names, exact sizes, order, binding, pruning, Capfinder.

Everything here is pure Python (no TensorFlow); the tuners are tested in test_search_run.py.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import subprocess
import sys

import pytest

from specdsl.cli import main
from specdsl.errors import SpecError
from specdsl.language.ir import Hyper, Repeat
from specdsl.language.parsing import parse_chain
from specdsl.language.printer import format_chain
from specdsl.language.spaces.points import list_points
from specdsl.language.spaces.space import Space
from specdsl.language.spec_files import parse_spec_file
from specdsl.systems.capfinder.presets import SHIPPED_CNN_LSTM

SPACES = [
    "conv[{32,64,128}@{3,5,7}]_mp[2]_fc[{16..64:16}]_do[{0.1~0.5}]",
    "{1..4}x(conv[{32,64}@{3,5,7},pad=same]_mp[2])_gap",
    "{0..3}x(fc[8])",
    "fc[{$units: 32..128:32}]_do[{$rate:0.1..0.5:0.1}]_fc[$units]",
    "dense[4,act={relu,GELU,hard-sigmoid}]_do[{1e-4~1e-2:log}]",
    "conv[8@3,bn={yes,no},pad={same,valid}]",
    "resb[{1..3}x{128,256}|2x64]",
    "{$blocks: 1..3}x(conv[8@3,pad=same])_$blocks x(conv[{4,8}@3,pad=same])",
    "each[{0..2}x(fc[{8,16}])]_bgru[{4,8}]",
    "conv[{1..3}@{$k: 3,5}]",
    "{1..2}x(conv[{$f: 8,16}@3]_conv[$f@5])",
    "do[{0,0.5}]_do[{0..0.75:0.25}]",
]


# ------------------------------------------------------------------ syntax


@pytest.mark.parametrize("text", SPACES)
def test_space_syntax_round_trips(text: str) -> None:
    ir = parse_chain(text)
    printed = format_chain(ir)
    assert parse_chain(printed) == ir
    assert format_chain(parse_chain(printed)) == printed


def test_canonical_forms() -> None:
    assert format_chain(parse_chain("fc[{ $units : 32 .. 128 : 32 }]")) == "fc[{$units:32..128:32}]"
    assert format_chain(parse_chain("do[{1e-4 ~ 1e-2 : LOG}]")) == "do[{0.0001~0.01:log}]"
    assert format_chain(parse_chain("dense[4,act={Relu,GELU}]")) == "dense[4,act={relu,gelu}]"
    assert format_chain(parse_chain("conv[8@3]_$n x(fc[2])")) == "conv[8@3]_$n x(fc[2])"
    depth = parse_chain("{1..4}x(fc[8])").items[0]
    assert isinstance(depth, Repeat) and isinstance(depth.times, Hyper)


def test_searched_parameter_in_a_spec_file_round_trips() -> None:
    (preset,) = parse_spec_file('param lr = {1e-4~1e-2:log} "learning rate"\n'
                                'preset P "d" {\n  input x: 10 x 4\n  y = x | conv[{$f:8,16}@3]_fc[$f]\n}\n', "p.spec")
    assert isinstance(preset.params[0].default, Hyper)
    space = Space.from_preset(preset)
    assert space.size == 2 and space.extras.keys() == {"lr"} and space.continuous == ["lr"]


@pytest.mark.parametrize("text,message,column", [
    ("conv[{32,6.5}@3]", "must be a whole number, not 6.5", 6),
    ("conv[{1~3}@3]", "continuous range {a~b} cannot give it values", 6),
    ("do[{0.1..0.5}]", "needs a step for a range of fractions", 4),
    ("conv[{32..16}@3]", "empty range", 6),
    ("conv[8@3,pad={same,valud}]", "cannot be 'valud'", 14),
    ("conv[{32,32}@3]", "has the value 32 twice", 6),
    ("do[{0.1~0.5:lug}]", "'lug' is not a way to sample a range", 13),
    ("conv[{32,64@3]", "unexpected '@'", 12),
    ("{1~3}x(fc[3])", "continuous range", 1),
    ("each[{fc[3]}]", "unexpected '['", 9),
    ("do[{1e-3~1e-1:log}]_do[{0~1}]", "must be < 1", 24),
])
def test_bad_space_syntax_is_reported_at_the_caret(text: str, message: str, column: int) -> None:
    with pytest.raises(SpecError) as info:
        parse_chain(text)
    assert message in info.value.message
    assert info.value.span.column == column
    assert "^" in info.value.render()


def test_bad_space_on_the_command_line_exits_2(capsys) -> None:
    assert main(["space", "conv[{32,6.5}@3]"]) == 2
    err = capsys.readouterr().err
    assert "must be a whole number, not 6.5" in err and "^^^^^^^^" in err


# ------------------------------------------------------------------ names and sizes


def test_names_come_from_positions_copies_and_explicit_names() -> None:
    space = Space.of("conv[{8,16}@3]_{1..3}x(conv[{8,16}@{3,5}]_mp[2])_fc[{$units:4,8}]", input_shapes={"": (64, 4)})
    assert [n for n, _ in space.axes] == [
        "conv1.filters", "repeat1", "conv2.filters_1", "conv2.kernel_1", "conv2.filters_2", "conv2.kernel_2",
        "conv2.filters_3", "conv2.kernel_3", "units"]
    assert space.size == 2 * sum(4 ** d for d in (1, 2, 3)) * 2
    assert "when repeat1 ≥ 2" in dict(space.axes)["conv2.filters_2"]


def test_a_name_is_shared_within_its_scope() -> None:
    shared = Space.of("conv[{$f:8,16}@3,pad=same]_conv[$f@5,pad=same]", input_shapes={"": (20, 4)})
    assert shared.size == 2
    bound = format_chain(shared.bind({"f": 16}).nodes[0].chain)
    assert bound == "conv[16@3,pad=same]_conv[16@5,pad=same]"
    per_copy = Space.of("{1..2}x(conv[{$f:8,16}@3,pad=same]_conv[$f@5,pad=same])", input_shapes={"": (20, 4)})
    assert [n for n, _ in per_copy.axes] == ["repeat1", "f_1", "f_2"]
    assert per_copy.size == 2 + 4
    outside = Space.of("conv[{$f:8,16}@3]_{1..2}x(conv[$f@3])", input_shapes={"": (20, 4)})
    assert outside.size == 2 * 2


def test_exact_sizes_by_hand() -> None:
    def size(text: str) -> int:
        return Space.of(text, input_shapes={"": (1000, 4)}).size

    assert size("conv[{32,64,128}@{3,5,7}]_fc[{16..64:16}]") == 3 * 3 * 4
    assert size("{0..3}x(fc[8])") == 4  # a searched count over a body without choices
    assert size("2x(fc[{8,16}])") == 4  # a fixed repeat: each copy its own choice
    assert size("{1..3}x(conv[{8,16}@3,pad=same]_{0..2}x(conv[{4,8}@3,pad=same]))") == sum(
        (2 * sum(2 ** m for m in range(3))) ** d for d in (1, 2, 3))
    # a shared count: the sizes sum over its values
    assert size("{$b:1..3}x(conv[{4,8}@3,pad=same])_$b x(conv[{4,8}@5,pad=same])") == sum(
        2 ** b * 2 ** b for b in (1, 2, 3))
    assert size("resb[{1..3}x{128,256}]") == 6
    assert size("do[{0.1~0.5}]_fc[{4,8}]") == 2  # continuous axes are not counted


def test_bounds_may_be_parameters() -> None:
    space = Space.of("{1..$layers}x(conv[{8..$widest:8}@3,pad=same])", {"layers": 3, "widest": 32},
                     input_shapes={"": (50, 4)})
    assert space.size == 4 + 16 + 64
    with pytest.raises(SpecError, match="empty range"):
        Space.of("fc[{8..$widest:8}]", {"widest": 4})
    with pytest.raises(SpecError, match="searched choice, so it cannot bound"):
        Space.of("fc[{$a:4,8}]_fc[{1..$a}]")


def test_names_declared_twice_or_colliding_are_errors() -> None:
    with pytest.raises(SpecError, match=r"\$f is declared twice"):
        Space.of("fc[{$f:4,8}]_fc[{$f:4,8}]")
    with pytest.raises(SpecError, match="given to two choices"):
        Space.of("fc[{$repeat1:4,8}]_{1..2}x(fc[3])")
    with pytest.raises(SpecError, match="sets a repeat count"):
        Space.of("fc[2]_do[{$n:0.1,0.2}]_$n x(fc[2])")


# ------------------------------------------------------------------ order, binding, sampling


def test_points_are_numbered_like_nested_loops_last_axis_fastest() -> None:
    space = Space.of("conv[{8,16}@{3,5,7}]_fc[{4,8}]", input_shapes={"": (30, 4)})
    expected = [dict(zip(["conv1.filters", "conv1.kernel", "fc1.units"], combo))
                for combo in itertools.product([8, 16], [3, 5, 7], [4, 8])]
    assert [space.point(i) for i in range(space.size)] == expected
    assert space.default_point() == expected[0]
    with pytest.raises(IndexError):
        space.point(space.size)


def test_depth_points_come_count_by_count_first_copy_slowest() -> None:
    space = Space.of("{1..2}x(fc[{4,8}])", input_shapes={"": (10,)})
    points = [space.point(i) for i in range(space.size)]
    assert points == [
        {"repeat1": 1, "fc1.units_1": 4}, {"repeat1": 1, "fc1.units_1": 8},
        {"repeat1": 2, "fc1.units_1": 4, "fc1.units_2": 4}, {"repeat1": 2, "fc1.units_1": 4, "fc1.units_2": 8},
        {"repeat1": 2, "fc1.units_1": 8, "fc1.units_2": 4}, {"repeat1": 2, "fc1.units_1": 8, "fc1.units_2": 8}]
    assert [format_chain(space.bind(p).nodes[0].chain) for p in points[2:4]] == ["fc[4]_fc[4]", "fc[4]_fc[8]"]


def test_every_point_is_distinct_and_sampling_stays_inside() -> None:
    space = Space.of("{$b:1..2}x(fc[{4,8}])_{0..2}x(fc[{2,3}]_do[{0,0.5}])_$b x(fc[6])", input_shapes={"": (10,)})
    seen = {json.dumps(space.point(i), sort_keys=True) for i in range(space.size)}
    assert len(seen) == space.size == (2 + 4) * (1 + 4 + 16)
    rng = random.Random(3)
    for _ in range(50):
        assert json.dumps(space.sample(rng), sort_keys=True) in seen


def test_binding_checks_values_and_names() -> None:
    space = Space.of("fc[{4,8}]_do[{0.1..0.5:0.1}]", input_shapes={"": (10,)})
    assert format_chain(space.bind({"do1.rate": 0.30000000000000004}).nodes[0].chain) == "fc[4]_do[0.3]"
    with pytest.raises(SpecError, match="is not one of"):
        space.bind({"fc1.units": 5})
    with pytest.raises(SpecError, match="no axis 'fc1.unit'") as info:
        space.bind({"fc1.unit": 4})
    assert "fc1.units" in info.value.hint


def test_a_named_choice_can_be_fixed_with_set() -> None:
    space = Space.of("fc[{$units:4,8,16}]_fc[{2,3}]", {"units": 8})
    assert space.size == 2 and space.default_point()["units"] == 8
    with pytest.raises(SpecError, match="is not one of"):
        Space.of("fc[{$units:4,8,16}]", {"units": 5})


# ------------------------------------------------------------------ points, pruning, budget


def test_impossible_points_are_pruned_and_counted() -> None:
    space = Space.of("conv[8@{3,30}]_mp[{2,16}]_fc[2]", input_shapes={"": (12, 4)})
    listing = list_points(space, 10)
    assert listing.scanned == 4 and listing.pruned == 3 and len(listing.points) == 1
    assert listing.points[0].spec == "conv[8@3]_mp[2]_fc[2]"
    assert any("needs at least 30 positions" in r for r in listing.reasons)


def test_parameter_budget_filters_points() -> None:
    space = Space.of("fc[{4,64,256}]", input_shapes={"": (100,)})
    listing = list_points(space, 10, max_params=1_000)
    assert [p.params for p in listing.points] == [404] and listing.over_budget == 2


def test_space_command_lists_axes_size_and_points_without_tensorflow(tmp_path) -> None:
    code = ("import sys, io, contextlib; from specdsl.cli import main; out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out): rc = main(['space', 'cnn_lstm', '--json', '--limit', '3'])\n"
            "assert rc == 0, rc\n"
            "bad = [m for m in ('tensorflow', 'keras', 'jax', 'keras_tuner') if m in sys.modules]\n"
            "assert not bad, bad\nprint(out.getvalue())")
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    report = json.loads(done.stdout)
    assert report["size"] == CNN_LSTM_SIZE and len(report["points"]) == 3
    assert report["points"][0]["params"] == 9_300 and report["extras"] == ["learning_rate"]


def test_space_command_text(capsys) -> None:
    assert main(["space", "conv[8@{3,30}]_fc[{2,4}]", "--input", "12x4", "-n", "5", "--max-params", "300"]) == 0
    out = capsys.readouterr().out
    assert "4 points" in out and "2 pruned for impossible shapes" in out and "1 over 300 params" in out
    assert "conv[8@3]_fc[2]" in out and "conv[8@3]_fc[4]" not in out


def test_params_of_a_space_is_its_default_point(capsys) -> None:
    assert main(["params", "fc[{4,8}]_fc[2]", "--input", "10"]) == 0
    out = capsys.readouterr().out
    assert "search space of 2 points; this is its default point" in out and "total params: 54" in out


def test_a_preset_used_by_another_cannot_be_a_space(tmp_path) -> None:
    spec = tmp_path / "s.spec"
    spec.write_text('preset Inner "d" {\n  input x: 10 x 4\n  y = x | conv[{4,8}@3]\n}\n'
                    'preset Outer "d" {\n  input x: 10 x 4\n  y = use Inner(x)\n}\n')
    with pytest.raises(SpecError, match="cannot be analysed here"):
        Space.of(f"{spec}:Outer").graph({})


# ------------------------------------------------------------------ Capfinder's presets

# Capfinder's cnn_lstm at target_length 500: a first conv layer (2 filters × 3 kernels × 5 dropouts),
# 0–6 more (4 × 3 × 5 each), a first LSTM (2 units × 5 dropouts), 0–7 more (4 × 5), the dense layer
# (8 widths × 5 dropouts) and 3 learning rates.
CNN_LSTM_SIZE = (30 * sum(60 ** d for d in range(7))) * (10 * sum(20 ** d for d in range(8))) * 40 * 3

SHIPPED = SHIPPED_CNN_LSTM  # Capfinder 0.4.3's shipped classifier


def test_cnn_lstm_space_size_is_exact() -> None:
    space = Space.of("cnn_lstm", params={"target_length": 500, "num_classes": 4})
    assert space.size == CNN_LSTM_SIZE == 2_301_418_533_361_553_470_116_000
    assert len(space.axes) == 42 and space.extras.keys() == {"learning_rate"}


def test_capfinders_shipped_classifier_is_a_point_of_cnn_lstm() -> None:
    space = Space.of("cnn_lstm", params={"target_length": 500, "num_classes": 4})
    graph = space.graph(SHIPPED)
    assert graph.total == 349_380 and graph.non_trainable == 1_152
    assert format_chain(space.bind(SHIPPED).nodes[0].chain) == (
        "conv[64@3,pad=same]_mp[2]_do[0.1]_bn_conv[128@7,pad=same]_mp[2]_do[0.5]_bn_conv[32@3,pad=same]_mp[2]"
        "_do[0.1]_bn_lstm[64]_do[0.3]_bn_lstm[128]_do[0.4]_bn_lstm[128]_do[0.4]_bn_lstm[32]_do[0.1]_bn"
        "_fc[32]_do[0.5]")
    assert [n.config["sequences"] for n in graph.layers if n.prim == "rnn"] == [True, True, True, False]


@pytest.mark.parametrize("length,convs,lstms", [(500, 7, 8), (1000, 8, 9), (64, 5, 6)])
def test_cnn_lstm_bounds_follow_target_length(length: int, convs: int, lstms: int) -> None:
    axes = dict(Space.of("cnn_lstm", params={"target_length": length}).axes)
    assert axes["more_conv_layers"].startswith(f"{{0..{convs - 1}}}")
    assert axes["more_lstm_layers"].startswith(f"{{0..{lstms - 1}}}")
    assert convs == int(math.log2(length)) - 1


@pytest.mark.parametrize("name,size,continuous", [
    ("attention_cnn_lstm", 6_180_234_140_232_000, []),
    ("encoder", 191_365_120, ["mlp_dropout", "learning_rate"]),
    ("resnet", 6_447_240_354_816, ["learning_rate"]),
])
def test_the_other_capfinder_spaces(name: str, size: int, continuous: list[str]) -> None:
    space = Space.of(name, params={"target_length": 500, "num_classes": 4})
    assert space.size == size and space.continuous == continuous
    rng = random.Random(0)
    for _ in range(20):  # every sampled point builds at this length
        graph = space.graph(space.sample(rng))
        assert graph.output_shapes() == {"classes": (4,)}


def test_encoder_projects_its_input_and_shares_block_choices() -> None:
    space = Space.of("encoder", params={"target_length": 100})
    point = {**space.default_point(), "model_dim": 64, "num_transformer_blocks": 2, "num_heads": 2}
    graph = space.graph(point)
    assert graph.layers[0].prim == "dense" and graph.layers[0].shape == (100, 64)
    heads = {n.config["heads"] for n in graph.layers if n.prim == "mha"}
    assert heads == {2} and sum(n.prim == "mha" for n in graph.layers) == 2


def test_resnet_blocks_per_stage_are_one_choice_for_every_stage() -> None:
    space = Space.of("resnet", params={"target_length": 500})
    point = {**space.default_point(), "more_blocks_per_stage": 3, "more_stages": 2}
    graph = space.graph(point)
    adds = [n for n in graph.layers if n.prim == "add"]
    assert len(adds) == 3 * 4  # 3 stages of 4 blocks
    assert [a.shape[0] for a in adds[::4]] == [250, 125, 63]
