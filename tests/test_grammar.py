"""The architecture-string language: the seed's strings, round trips, and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specdsl.errors import SpecError
from specdsl.language.ir import Block
from specdsl.language.parsing import parse_chain
from specdsl.language.printer import format_chain

# Every specification string of DeepCpG's model tables, verbatim (typos included).
DEEPCPG_TABLE = [
    "conv[128@11]_mp[4]_fc[128]_do",
    "conv[128@11]_mp[4]_fc[256]_do",
    "conv[128@11]_mp[4]_conv[256@3]_mp[2]_fc[128]_do",
    "conv[128@11]_mp[4]_conv[256@3]_mp[2]_fc[256]_do",
    "conv[128@11]_mp[4]_conv[256@3]_mp[2]_conv[512@3]_mp[2]_fc[128]_do",
    "conv[128@11]_pool[4]_conv[256@7]_pool[4]_bgru[256]_do",
    "conv[128@11]_mp[2]_resb[2x128|2x256|2x512|1x1024]_gap_do",
    "conv[128@11]_mp[2]_resb[3x128|3x256|3x512|1x1024]_gap_do",
    "conv[128@11]_mp[2]_resc[2x128|1x256|1x256|1x512]_gap_do",
    "conv[128@11]_mp[2]_resa[3x128|3x256|3x512|1x1024]_gap_do",
    "fc[512]_gap",
    "fc[256]_bgru[256]_do",
    "fc[256]_bgru[128]_bgru[256]_do",
    "fc[512]",
    "fc[512]_fc[512]",
    "fc[512]_fc[512]_fc[512]",
]

MORE = [
    "each[fc[256]]_bgru[256,reset-after=no]_do",
    "emb[6,64,mask=yes]_2x(conv[64@7,pad=same]_bn_relu)_blstm[128,seq=yes]_mha[4,32]_ln_dense[7,act=softmax]",
    "conv[64@25]_dilres[9]_crop[10]",
    "conv[$filters@$width,dil=2,stride=1,l1=1e-4,l2=0.001]_ap[2,stride=1,pad=same]_gmp",
    "conv[16@3]_flat_dense[4]_do[0.25]_act[gelu]_sigmoid",
    "lstm[8]_gru[8]_bilstm[4]",
    "emb[6,16]_3x(conv[16@25,pad=same,l2=0.01]_bn_do[0.35])_blstm[8,seq=yes,l2=0.01,rl2=0.01]_do[0.35]"
    "_residual[mha[2,8,rate=0.35]]_do[0.35]_dense[6,l2=0.01]_crf",
    "gru[4,rl1=1e-05]_res[dense[4]_relu]_crf[mask=none]",
]


@pytest.mark.parametrize("text", DEEPCPG_TABLE + MORE)
def test_round_trip(text: str) -> None:
    ir = parse_chain(text)
    printed = format_chain(ir)
    assert parse_chain(printed) == ir
    assert format_chain(parse_chain(printed)) == printed


def test_aliases_share_one_ir() -> None:
    assert parse_chain("pool[4]") == parse_chain("mp[4]")
    assert parse_chain("relu") == parse_chain("act[relu]")
    assert format_chain(parse_chain("conv[8@3]_pool[4]_dropout")) == "conv[8@3]_mp[4]_do"


def test_stages_and_pairs_are_structured() -> None:
    block = parse_chain("resb[2x128|1x1024]").items[0]
    assert isinstance(block, Block) and block.get("stages") == ((2, 128), (1, 1024))
    conv = parse_chain("conv[128@11]").items[0]
    assert (conv.get("filters"), conv.get("kernel")) == (128, 11)
    assert parse_chain("do").items[0].args == ()  # the model's dropout setting decides


def test_spans_point_at_the_block() -> None:
    block = parse_chain("conv[128@11]_mp[4]").items[1]
    assert (block.span.line, block.span.column, block.span.end_column) == (1, 14, 19)
    assert block.written == "mp[4]"


# ------------------------------------------------------------------ fuzzing

ALPHABET = st.sampled_from(list("conv[]@_x|,=()$.-0123456789mpfcdoresbagl ") + ["conv", "mp[", "resb[", "2x128"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=30).map("".join))
def test_no_input_raises_anything_but_spec_error(text: str) -> None:
    try:
        ir = parse_chain(text)
    except SpecError as err:
        rendered = err.render().splitlines()
        assert err.span is not None  # every error in a string knows where it is
        assert rendered[0].startswith(f"<spec>:{err.span.line}:{err.span.column}: ")
        if err.span.source.line_text(err.span.line).strip():  # the line, then the caret under it
            assert len(rendered) >= 3 and rendered[2].strip().startswith("^")
        return
    assert parse_chain(format_chain(ir)) == ir


def _valid_block() -> st.SearchStrategy[str]:
    n = st.integers(1, 64)
    return st.one_of(
        st.builds(lambda f, k, d, p, a: f"conv[{f}@{k},dil={d},pad={p},act={a}]", n, st.integers(1, 9),
                  st.integers(1, 4), st.sampled_from(["valid", "same", "causal"]),
                  st.sampled_from(["relu", "linear", "gelu", "leaky-relu"])),
        st.builds(lambda p: f"mp[{p}]", st.integers(1, 4)),
        st.builds(lambda r: f"do[{r}]", st.floats(0, 0.9, allow_nan=False).map(lambda r: round(r, 3))),
        st.just("bn"), st.just("ln"), st.just("gap"), st.just("flat"), st.just("do"),
        st.builds(lambda u: f"bgru[{u},seq=yes]", n),
        st.builds(lambda s: f"resb[{s}]", st.lists(st.tuples(st.integers(1, 3), st.sampled_from([4, 8, 16])),
                                                    min_size=1, max_size=3)
                  .map(lambda ss: "|".join(f"{a}x{b}" for a, b in ss))),
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(_valid_block(), min_size=1, max_size=8).map("_".join))
def test_generated_valid_strings_round_trip(text: str) -> None:
    ir = parse_chain(text)
    assert parse_chain(format_chain(ir)) == ir
