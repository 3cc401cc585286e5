"""Pure-Python analysis: exact counts, shapes, MACs, shape errors; never TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import pytest

from specdsl.api import analyse
from specdsl.errors import SpecError

# Trunk parameter counts derived from DeepCpG's code (reference/deepcpg.md §3) and, for
# CnnL2h128, RnnL1 and the assembled model, DeepCpG's own stored model.summary() output.
EXPECTED = {
    "CnnL1h128": 4_052_736, "CnnL1h256": 8_099_712, "CnnL2h128": 4_102_144, "CnnL2h256": 8_099_968,
    "CnnL3h128": 4_430_336, "CnnL3h256": 8_362_624, "CnnRnn01": 1_023_360,
    "ResNet01": 6_272 + 40_960 + 118_272 + 465_920 + 1_120_768,
    "ResConv01": 6_272 + 148_864 + 99_584 + 395_520 + 592_640 + 1_577_472,
    "RnnL1": 816_389 - 5 * 513, "JointL1h512": 328_192, "JointL2h512": 590_848, "JointL3h512": 853_504,
    "JointL0": 0, "DeepCpG": 5_509_381,
}


@pytest.mark.parametrize("name,count", sorted(EXPECTED.items()))
def test_preset_counts_match_deepcpg(name: str, count: int) -> None:
    assert analyse(name).total == count


def test_names_are_case_insensitive() -> None:
    assert analyse("cnnl2h128").total == analyse("CnnL2h128").total


def test_cnnl2h128_shapes_and_layers() -> None:
    g = analyse("CnnL2h128")
    rows = {n.name: n for n in g.layers}
    assert rows["dna_conv1"].shape == (991, 128) and rows["dna_conv1"].params == 5_760
    assert rows["dna_mp1"].shape == (247, 128)
    assert rows["dna_conv2"].params == 98_560 and rows["dna_mp2"].shape == (122, 256)
    assert rows["dna_fc1"].params == 3_997_824
    assert rows["dna_conv1"].macs == 991 * 11 * 4 * 128
    assert rows["dna_fc1"].spec == "fc[128]"


def test_residual_lengths_and_non_trainable() -> None:
    g = analyse("ResNet01")
    adds = [n for n in g.layers if n.prim == "add"]
    assert [a.shape[0] for a in adds] == [248, 248, 124, 124, 62, 62, 31]
    bn = [n for n in g.layers if n.prim == "batchnorm"]
    assert g.non_trainable == sum(n.non_trainable for n in bn) == sum(2 * n.shape[-1] for n in bn)


def test_settings_and_overrides() -> None:
    assert analyse("CnnL1h128", {"dna_wlen": 501}).total == 5_760 + (491 // 4) * 128 * 128 + 128
    g = analyse("do_fc[4]_do", {"dropout": 0.3}, {"": (10,)})
    assert [n.config["rate"] for n in g.layers if n.prim == "dropout"] == [0.3, 0.3]
    assert analyse("conv[$f@3]", {"f": 8}, {"": (20, 4)}).total == 3 * 4 * 8 + 8
    cpg = analyse("DeepCpG", {"cells": 3, "cpg_model": "FcAvg", "joint_model": "JointL0"})
    assert cpg.output_shapes() == {"cpg_1": (1,), "cpg_2": (1,), "cpg_3": (1,)}


def test_recurrent_counts_follow_keras3() -> None:
    # reset_after (Keras 3 default) keeps 2 bias vectors per gate; the Keras 2 GRU one.
    assert analyse("bgru[8]", inputs={"": (5, 3)}).total == 2 * 3 * 8 * (3 + 8 + 2)
    assert analyse("bgru[8,reset-after=no]", inputs={"": (5, 3)}).total == 2 * 3 * 8 * (3 + 8 + 1)
    assert analyse("lstm[8]", inputs={"": (5, 3)}).total == 4 * 8 * (3 + 8 + 1)


@pytest.mark.parametrize("text,inputs,message,column", [
    ("conv[128@11]_mp[4]_conv[256@300]", None, "needs at least 300 positions", 20),
    ("conv[8@3]_mp[2000]", None, "pools 2000 positions but its input has only 999", 11),
    ("conv[8@3]", {"": (2, 4)}, "needs at least 3 positions", 1),
    ("gap_conv[8@3]", None, "a 1-D convolution needs a sequence", 5),
    ("fc[256]_bgru[256]_do", None, "recurrent layer (GRU) needs a sequence", 9),
    ("resb[2x126]", None, "multiple of 4", 1),
    ("each[conv[4@3]]", None, "cannot be applied per position", 6),
])
def test_impossible_shapes_name_the_block(text, inputs, message, column) -> None:
    with pytest.raises(SpecError) as info:
        analyse(text, None, inputs)
    assert message in info.value.message
    assert info.value.span.column == column


def test_unknown_parameter_and_input_errors() -> None:
    with pytest.raises(SpecError, match="no parameter 'dna_wlne'") as info:
        analyse("CnnL2h128", {"dna_wlne": 3})
    assert "dna_wlen" in info.value.hint
    with pytest.raises(SpecError, match=r"uses \$f but no value"):
        analyse("conv[$f@3]")
    with pytest.raises(SpecError, match="has 3 inputs"):
        analyse("DeepCpG", None, {"": (10, 4)})


def test_analysis_never_imports_tensorflow() -> None:
    code = ("import sys; from specdsl.api import analyse, presets_table; presets_table(); "
            "analyse('DeepCpG'); from specdsl import cli; "
            "bad = [m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
