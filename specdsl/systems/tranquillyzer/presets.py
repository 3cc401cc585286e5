"""tranquillyzer's read annotator (huishenlab/tranquillyzer, ``scripts/train_new_model.py``).

The CNN-(Bi)LSTM-CRF that labels every base of a read with its segment (adapter, barcode, UMI,
cDNA, polyA/T), with tranquillyzer's parameter names and the defaults of its shipped
``training_params.tsv`` column ``10x3p_sc_ont``::

    tokens (A C G T N = 1..5, 0 = padding)
    → Embedding(vocab_size + 1, embedding_dim)
    → conv_layers × [Conv1D(conv_filters, conv_kernel_size, same, ReLU, L2) → BatchNorm → Dropout]
    → lstm_layers × [(Bi)LSTM(lstm_units, then lstm_units // 2; L2 on both kernels) → Dropout]
    → if attention_heads > 0: x + MultiHeadAttention(attention_heads, key width lstm_units)(x, x) → Dropout
    → Dense(num_labels, L2) → CRF, or a softmax when crf_layer is false

What differs from tranquillyzer, on purpose (docs/labelling.md): the embedding has
``vocab_size + 1`` rows (its ``Embedding(5)`` has no row for N = 5); the CRF reads the Dense
layer's scores directly (tf2crf adds a second Dense inside its CRF) and has start and end
scores; padding (token 0) is masked out of the CRF's loss and decoding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from specdsl.language.builders import Builder, flag, rate, register, whole
from specdsl.language.ir import ParamDecl
from specdsl.language.printer import format_scalar

NAME = "CnnLstmCrf"

PARAMS = (
    ParamDecl("vocab_size", 5, "read symbols, tokens 1..vocab_size (A C G T N = 5); the embedding has one more "
                               "row, for the padding token 0"),
    ParamDecl("embedding_dim", 128, "embedding dimension"),
    ParamDecl("conv_layers", 3, "convolution blocks (Conv1D → BatchNorm → Dropout); 0 for none"),
    ParamDecl("conv_filters", 128, "filters of every convolution"),
    ParamDecl("conv_kernel_size", 25, "kernel width of every convolution (length-preserving padding)"),
    ParamDecl("lstm_layers", 1, "LSTM blocks (LSTM → Dropout); 0 for convolutions + CRF only"),
    ParamDecl("lstm_units", 96, "units of the first LSTM (per direction); later ones have lstm_units // 2; "
                                "also the attention's key width"),
    ParamDecl("bidirectional", "yes", "bidirectional LSTMs (yes/no, TRUE/FALSE)"),
    ParamDecl("crf_layer", "yes", "a CRF over the label scores (yes), or a per-position softmax (no)"),
    ParamDecl("attention_heads", 0, "self-attention heads after the LSTMs, with a residual add; 0 for none"),
    ParamDecl("dropout_rate", 0.35, "dropout after every block (and inside the attention)"),
    ParamDecl("regularization", 0.01, "L2 penalty on the convolution, LSTM (input and recurrent) and dense kernels"),
    ParamDecl("num_labels", 6, "segment labels (10x3p: 5p, CBC, UMI, polyT, cDNA, 3p)"),
)


def _times(count: int, block: str) -> list[str]:
    if count == 0:
        return []
    return [block] if count == 1 else [f"{count}x({block})"]


def write(v: Mapping[str, Any]) -> str:
    """The preset's body for bound values (see the module docstring for the layout)."""
    vocab = whole(NAME, "vocab_size", v["vocab_size"], 1)
    dim = whole(NAME, "embedding_dim", v["embedding_dim"], 1)
    convs = whole(NAME, "conv_layers", v["conv_layers"], 0)
    filters = whole(NAME, "conv_filters", v["conv_filters"], 1)
    kernel = whole(NAME, "conv_kernel_size", v["conv_kernel_size"], 1)
    lstms = whole(NAME, "lstm_layers", v["lstm_layers"], 0)
    units = whole(NAME, "lstm_units", v["lstm_units"], 2 if lstms > 1 else 1,
                  f"with lstm_layers = {lstms} the later LSTMs have lstm_units // 2 units")
    both = flag(NAME, "bidirectional", v["bidirectional"])
    crf = flag(NAME, "crf_layer", v["crf_layer"])
    heads = whole(NAME, "attention_heads", v["attention_heads"], 0)
    drop = format_scalar(rate(NAME, "dropout_rate", v["dropout_rate"], below_one=True))
    l2 = format_scalar(rate(NAME, "regularization", v["regularization"]))
    labels = whole(NAME, "num_labels", v["num_labels"], 2)

    lstm = "blstm" if both else "lstm"
    chain = [f"emb[{vocab + 1},{dim}]"]
    chain += _times(convs, f"conv[{filters}@{kernel},pad=same,l2={l2}]_bn_do[{drop}]")
    chain += _times(min(lstms, 1), f"{lstm}[{units},seq=yes,l2={l2},rl2={l2}]_do[{drop}]")
    chain += _times(max(lstms - 1, 0), f"{lstm}[{units // 2},seq=yes,l2={l2},rl2={l2}]_do[{drop}]")
    if heads:
        chain.append(f"res[mha[{heads},{units},rate={drop}]]_do[{drop}]")
    output = f"dense[{labels},l2={l2}]_crf" if crf else f"dense[{labels},act=softmax,l2={l2}]"
    return (f"  input tokens: ? : int32\n"
            f"  body = tokens | {'_'.join(chain)}\n"
            f"  output labels = body | {output}\n")


register(Builder(
    NAME, "tranquillyzer",
    "tranquillyzer's read annotator: embedding, convolutions, (Bi)LSTMs, optional attention, a CRF per base",
    PARAMS, write, aliases=("CNN-LSTM-CRF",), module="specdsl/systems/tranquillyzer/presets.py",
))
