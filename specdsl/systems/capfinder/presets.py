"""Capfinder's four classifiers (adnaniazi/capfinder 0.4.3) as search spaces in the language.

Capfinder classifies the cap of an RNA read from a nanopore signal window of ``target_length``
samples (input ``target_length × 1``, one softmax over ``num_classes`` cap classes).  Each model
type is a KerasTuner hypermodel; here each is a preset whose ``{…}`` choices are its search
space, with Capfinder's bounds at the configured ``target_length`` (reference:
shared/reference/capfinder_tranquillyzer.md §A1).  The bounds need arithmetic on
``target_length`` (``int(log2 L) − 1`` convolution layers …), which spec files do not have, so
the presets are written by code, like :mod:`.tranquillyzer`.

What differs from Capfinder, on purpose (docs/capfinder.md lists them with the reasons):

* Capfinder's bounds that depend on *other choices* (how many LSTMs the pooled length allows,
  how wide the dense layer may be for the last LSTM's width) are static here: their widest
  value at this ``target_length``, so the space holds every Capfinder point and a few more.
* Capfinder registers each layer's choices under one name per layer index; copies of a
  repeat here take the repeat's copy number (``filters_3``), which coincides for ``cnn_lstm``.
* ``encoder`` projects the 1-channel signal to ``model_dim`` channels first: Capfinder's layer
  normalisation over a single channel outputs a constant.  It does not multiply the blocks'
  output by Capfinder's mask ``cast(inputs == 0)``, which is 1 only at zero padding and so
  zeroes every real sample.
* ``attention_cnn_lstm`` always pools (Capfinder skips the pooling of a layer whose input has at
  most 2 steps, which at ``target_length`` ≥ 96 never happens).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from specdsl.language.builders import Builder, register, whole
from specdsl.language.ir import ParamDecl

PARAMS = (
    ParamDecl("target_length", 500, "signal samples per read (Capfinder's target_length; the input is "
                                    "target_length × 1)"),
    ParamDecl("num_classes", 4, "cap classes of the softmax output"),
)
DROP = "0.1..0.5:0.1"  # Capfinder's hp.Float(0.1, 0.5, step=0.1), every value included


def _bound(name: str, v: Mapping[str, Any]) -> tuple[int, int]:
    length = whole(name, "target_length", v["target_length"], 8, "Capfinder's smallest models need 8 samples")
    classes = whole(name, "num_classes", v["num_classes"], 2)
    return length, classes


def _kernels(length: int) -> str:
    """Capfinder's kernel choices for a layer whose input has ``length`` steps: odd widths 3 … min(7, length)."""
    return ",".join(str(k) for k in range(3, max(3, min(7, length)) + 1, 2))


def _body(inputs: int, chain: str, classes: int, extra: str = "") -> str:
    return (f"{extra}  input signal: {inputs} x 1\n"
            f"  body = signal | {chain}\n"
            f"  output classes = body | dense[{classes},act=softmax]\n")


def write_cnn_lstm(v: Mapping[str, Any]) -> str:
    """Conv1D → MaxPool(2) → Dropout → BN per layer, LSTM → Dropout → BN per layer, dense head."""
    length, classes = _bound("cnn_lstm", v)
    convs = int(math.log2(length)) - 1
    lstms = int(math.log2(length // 2)) + 1  # widest: the pooled length after one convolution
    chain = (f"conv[{{$filters_0: 32,64}}@{{$kernel_size_0: {_kernels(length)}}},pad=same]_mp[2]"
             f"_do[{{$dropout_0: {DROP}}}]_bn")
    if convs > 1:
        chain += (f"_{{$more_conv_layers: 0..{convs - 1}}}x(conv[{{$filters: 32..128:32}}@"
                  f"{{$kernel_size: {_kernels(length // 2)}}},pad=same]_mp[2]_do[{{$dropout: {DROP}}}]_bn)")
    chain += f"_lstm[{{$lstm_units_0: 32,64}}]_do[{{$lstm_dropout_0: {DROP}}}]_bn"
    if lstms > 1:
        chain += (f"_{{$more_lstm_layers: 0..{lstms - 1}}}x(lstm[{{$lstm_units: 32..128:32}}]"
                  f"_do[{{$lstm_dropout: {DROP}}}]_bn)")
    chain += f"_fc[{{$dense_units: 16..128:16}}]_do[{{$dense_dropout: {DROP}}}]"
    return _body(length, chain, classes, "  param learning_rate = {0.01,0.001,0.0001} \"Adam's learning rate\"\n")


def write_attention_cnn_lstm(v: Mapping[str, Any]) -> str:
    """Like cnn_lstm (at most 5 convolutions and 3 LSTMs, wider layers deeper), every LSTM returns its
    sequence, and additive attention pooling (``attpool``) makes the vector the dense head reads."""
    length, classes = _bound("attention_cnn_lstm", v)
    convs = min(int(math.log2(length)) - 1, 5)
    lstms = min(int(math.log2(length // 2)) + 1, 3)

    def conv(tag: str, filters: str, steps: int) -> str:
        return (f"conv[{{$filters{tag}: {filters}}}@{{$kernel_size{tag}: {_kernels(steps)}}},pad=same]_mp[2]"
                f"_do[{{$dropout{tag}: {DROP}}}]_bn")

    chain = conv("_0", "32,64", length)
    if convs > 1:
        deeper = conv("_1", "32..128:32", length // 2)
        if convs > 2:
            deeper += f"_{{$more_conv_layers: 0..{convs - 2}}}x({conv('_deep', '32..256:32', length // 4)})"
        chain += f"_{{$conv_layer_1: 0,1}}x({deeper})"

    def lstm(i: int, units: str) -> str:
        return f"lstm[{{$lstm_units_{i}: {units}}},seq=yes]_do[{{$lstm_dropout_{i}: {DROP}}}]_bn"

    tail = ""
    for i, units in reversed(list(enumerate(("32,64", "32..128:32", "32..256:32")[:lstms]))):
        tail = lstm(i, units) + (f"_{{$lstm_layer_{i + 1}: 0,1}}x({tail})" if tail else "")
    chain += f"_{tail}_attpool_fc[{{$dense_units: 16..256:16}}]_do[{{$dense_dropout: {DROP}}}]"
    return _body(length, chain, classes, "  param learning_rate = {0.01,0.001,0.0001} \"Adam's learning rate\"\n")


def write_encoder(v: Mapping[str, Any]) -> str:
    """Transformer encoder blocks (post-norm residual attention and a 1×1-convolution feed-forward part)
    over an input projection, global average pooling, an MLP head."""
    length, classes = _bound("encoder", v)
    block = ("res[mha[$num_heads,$head_size,rate=$dropout]_do[$dropout]_ln[eps=1e-6]]"
             "_res[conv[$ff_dim@1]_do[$dropout]_conv[$model_dim@1,act=linear]_ln[eps=1e-6]]")
    chain = (f"dense[{{$model_dim: 32..256:32}}]_{{$num_transformer_blocks: 1..8}}x({block})_gap"
             "_fc[{$mlp_units_0: 32..256:32}]_do[$mlp_dropout]"
             "_{$more_mlp_layers: 0..2}x(fc[{$mlp_units: 32..256:32}]_do[$mlp_dropout])")
    params = ("  param num_heads = {1..8} \"attention heads of every block\"\n"
              "  param head_size = {32..256:32} \"key width per head\"\n"
              "  param ff_dim = {32..512:32} \"filters of the feed-forward part's first 1×1 convolution\"\n"
              f"  param dropout = {{{DROP}}} \"dropout in the blocks (attention, after it, feed-forward)\"\n"
              "  param mlp_dropout = {0.1~0.5} \"dropout after every MLP layer\"\n"
              "  param learning_rate = {0.0001~0.01:log} \"Adam's learning rate\"\n")
    return _body(length, chain, classes, params)


def write_resnet(v: Mapping[str, Any]) -> str:
    """A stem (conv → BN → ReLU → max-pool 3/2), 2–4 stages of 2–4 ResNet basic blocks (``resblock``; the
    first block of every stage after the first halves the length), global average pooling, a dense head."""
    length, classes = _bound("resnet", v)
    stem = ("conv[{$initial_filters: 32..128:32}@{$initial_kernel: 3,5,7},pad=same,bn=yes]"
            "_mp[3,stride=2,pad=same]")
    first = ("resblock[{$filters_stage_0: 64..256:64}@{$kernel_stage_0_block_0: 3,5,7}]"
             "_{$more_blocks_per_stage: 1..3}x(resblock[$filters_stage_0@{$kernel_stage_0_block: 3,5,7}])")
    later = ("{$more_stages: 1..3}x(resblock[{$filters_stage: 64..256:64}@{$kernel_block_0_of_stage: 3,5,7},"
             "stride=2]_$more_blocks_per_stage x(resblock[$filters_stage@{$kernel_of_stage: 3,5,7}]))")
    chain = f"{stem}_{first}_{later}_gap_fc[{{$dense_units: 32..256:32}}]_do[{{$dropout: 0..0.5:0.1}}]"
    return _body(length, chain, classes, "  param learning_rate = {0.0001~0.01:log} \"Adam's learning rate\"\n")


# The point of the cnn_lstm space that is Capfinder 0.4.3's shipped cnn_lstm-classifier.keras (349,380
# parameters at target_length 500, four classes), read layer by layer (reference §A1).
SHIPPED_CNN_LSTM: dict[str, Any] = dict(
    more_conv_layers=2, filters_0=64, kernel_size_0=3, dropout_0=0.1, filters_1=128, kernel_size_1=7, dropout_1=0.5,
    filters_2=32, kernel_size_2=3, dropout_2=0.1, more_lstm_layers=3, lstm_units_0=64, lstm_dropout_0=0.3,
    lstm_units_1=128, lstm_dropout_1=0.4, lstm_units_2=128, lstm_dropout_2=0.4, lstm_units_3=32, lstm_dropout_3=0.1,
    dense_units=32, dense_dropout=0.5)

MODULE = "specdsl/systems/capfinder/presets.py"
for name, doc, writer in (
    ("cnn_lstm", "Capfinder's CNN-LSTM cap classifier (its default; the shipped model is one point): a search "
                 "space over convolution and LSTM depths and widths", write_cnn_lstm),
    ("attention_cnn_lstm", "Capfinder's CNN-LSTM with attention pooling over the LSTM sequence: a search space",
     write_attention_cnn_lstm),
    ("encoder", "Capfinder's transformer-encoder classifier, with an input projection: a search space", write_encoder),
    ("resnet", "Capfinder's 1-D ResNet classifier: a search space over stages, blocks, widths and kernels",
     write_resnet),
):
    register(Builder(name, "capfinder", doc, PARAMS, writer, module=MODULE))
