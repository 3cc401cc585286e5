"""docs/language.md: the user's guide to architecture strings and spec files.

The prose is hand-written (it explains); every number in it (shapes, parameters,
MACs, the limits) is computed when the page is generated.  Whether the examples
still parse and the documented counting rules still hold is checked by
``tests/test_docs.py``, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

from specdsl.api import analyse, presets_table
from specdsl.docgen.common import (
    GENERATED_NOTE,
    _cell,
    _code,
    _dims,
    _keras_layer,
    _n,
    _preset_source,
    _shape,
    _table,
)
from specdsl.docgen.kinds import _kinds_section
from specdsl.docgen.search_spaces import search_section
from specdsl.language.adhoc import DEFAULT_SETTINGS
from specdsl.language.kinds import all_kinds
from specdsl.language.limits import MAX_BLOCKS, MAX_LAYERS, MAX_NESTING, MAX_NUMBER_CHARS, MAX_SIZE
from specdsl.language.primitives import Shape
from specdsl.language.printer import format_scalar
from specdsl.language.resources import data_dir


@dataclass(frozen=True)
class FormulaCheck:
    """A counting rule as the docs state it, with an example the page computes (tests/test_docs.py
    checks that the analysis still agrees with the rule written out by hand)."""

    layer: str
    params: str
    macs: str
    example: str
    shape: Shape


def formula_checks() -> list[FormulaCheck]:
    return [
        FormulaCheck("Conv1D (`conv`)", "K·C·F + F (no bias: K·C·F)", "L_out·K·C·F",
                     "conv[128@11,act=linear]", (1001, 4)),
        FormulaCheck("Dense (`fc`, `dense`)", "C·U + U", "positions·C·U", "dense[64]", (10, 32)),
        FormulaCheck("BatchNormalization (`bn`)", "4C, of which 2C (moving mean, variance) non-trainable", "0",
                     "bn", (10, 64)),
        FormulaCheck("LayerNormalization (`ln`)", "2C", "0", "ln", (10, 64)),
        FormulaCheck("GRU, Keras 3 (`reset-after=yes`, default)", "3U·(C + U + 2) per direction",
                     "T·3U·(C + U) per direction", "gru[32]", (10, 16)),
        FormulaCheck("GRU, Keras 2 standalone (`reset-after=no`)", "3U·(C + U + 1) per direction",
                     "T·3U·(C + U) per direction", "bgru[32,reset-after=no]", (10, 16)),
        FormulaCheck("LSTM", "4U·(C + U + 1) per direction", "T·4U·(C + U) per direction", "blstm[32]", (10, 16)),
        FormulaCheck("Embedding (`emb`)", "V·D", "0", "emb[6,64]", (1000,)),
        FormulaCheck("MultiHeadAttention (`mha`)", "4·D·H·k + 3·H·k + D", "4·T·D·H·k + 2·T²·H·k",
                     "mha[4,32]", (50, 64)),
        FormulaCheck("CRF (`crf`)", "N² + 2N (transitions, start and end scores)",
                     "T·N² (the Viterbi recursion; training's forward algorithm costs as much again)",
                     "crf[mask=none]", (100, 6)),
        FormulaCheck("pooling, dropout, activation, flatten, crop, add, concat", "0", "0",
                     "mp[4]_do_relu_flat", (1001, 4)),
    ]


#: The examples the syntax section shows (tests/test_docs.py analyses every one).
SYNTAX_EXAMPLES = {
    "cnn": "conv[128@11]_mp[4]_conv[256@3]_mp[2]_fc[128]_do",
    "kw": "conv[64@7,pad=same,bn=yes,act=gelu]",
    "stages": "conv[128@11,bn=yes]_mp[2]_resb[2x128|2x256|2x512|1x1024]_gap_do",
    "nested": "each[fc[256]_do]_bgru[256]",
    "repeat": "emb[6,64]_3x(conv[64@3,pad=same]_bn)_blstm[128]",
    "var": "conv[$filters@11]_mp[4]_fc[$hidden]_do",
}


def _syntax_section() -> list[str]:
    examples = SYNTAX_EXAMPLES
    settings: dict[str, list[str]] = {}
    for kind in all_kinds().values():
        for arg in kind.args:
            if arg.setting:
                settings.setdefault(arg.setting, []).append(f"`{kind.name}` ({arg.name})")
    setting_rows = [
        [f"`{name}`", _code(format_scalar(default)), ", ".join(settings.get(name, [])) or "—"]
        for name, default in DEFAULT_SETTINGS
    ]
    do_demo = analyse("fc[64]_do_fc[8]_do[0.1]", {"dropout": 0.3}, {"": (32,)})
    rates = [n.config["rate"] for n in do_demo.layers if n.prim == "dropout"]
    lines = [
        "## 2. Syntax",
        "",
        "### Blocks",
        "",
        "An architecture string is a list of **blocks joined by `_`**, applied left to right. A block is a layer",
        "kind's keyword, alone (`do`, `gap`, `bn`) or with arguments in square brackets (`conv[128@11]`).",
        "Keywords are case-insensitive (`CONV[128@11]` works); most kinds have aliases (`pool` = `maxpool` = `mp`,",
        "`dropout` = `do`) and some have shorthands that fix an argument (`relu` = `act[relu]`). Spaces and tabs",
        "inside a string are ignored, so quote strings on the command line:",
        "",
        "```sh",
        f"specdsl params '{examples['cnn']}'",
        "```",
        "",
        "### Arguments",
        "",
        "Arguments are separated by commas. **Positional** arguments come first, in the order of the kind's",
        "signature (shown for every kind below); **`key=value`** arguments follow, in any order. A positional",
        "argument after a `key=value` one is an error, and so is giving an argument twice. Arguments in `( )`",
        "(`conv(64@19)`) are an error that shows them in `[ ]`, and a `[` or `(` never closed is shown at itself.",
        "",
        "* **Numbers**: `128`, `0.25`, `1e-4`. Whole-number arguments reject fractions.",
        "* **Words**: choices such as `pad=same` or `act=gelu`, and yes/no flags (`bn=yes`; also `true`/`false`,",
        "  `on`/`off`, `1`/`0`). Words are case-insensitive.",
        "* **`F@K` pairs**: two positional values written as one, e.g. `conv[128@11]` is 128 filters of width 11.",
        f"* **Keywords**: `{examples['kw']}` (64 filters of width 7, length-preserving padding,",
        "  batch normalisation before a GELU).",
        "",
        "### Stages",
        "",
        "The residual kinds take **stages** `NxF|NxF|…`: each stage is N units whose output width is F, and `|`",
        "separates stages. The first unit of every stage halves the length (stride 2). For example",
        "",
        "```",
        examples["stages"],
        "```",
        "",
        "is DeepCpG's ResNet01: four stages of 2, 2, 2 and 1 bottleneck units of width 128, 256, 512 and 1024.",
        "",
        "### Nested strings",
        "",
        "An argument can itself be an architecture string, written inside the brackets: `each[fc[256]]` applies",
        "`fc[256]` to every position (every cell) with shared weights, like Keras' `TimeDistributed`.",
        f"`{examples['nested']}` is a per-cell dense layer and dropout followed by a bidirectional GRU across cells.",
        "Only kinds that act on the last axis may appear inside `each[...]` (marked *per position* below).",
        "",
        "### Repetition",
        "",
        "`Nx(blocks)` repeats a group of blocks N times: `3x(conv[64@3]_bn)` is",
        "`conv[64@3]_bn_conv[64@3]_bn_conv[64@3]_bn`. Groups nest, and every copy gets its own weights and its",
        "own layer names. The count must be a whole number (not a `$parameter`).",
        "",
        "```",
        examples["repeat"],
        "```",
        "",
        "### `$parameter` references",
        "",
        "Any argument value, either side of `F@K`, and either side of a stage may be a `$name` reference. A bare",
        "string's references are bound on the command line with `--set name=value` (or `params=` from Python);",
        "inside a spec file they refer to the preset's `param`s. An unbound reference is an error that names it.",
        "",
        "```sh",
        f"specdsl params '{examples['var']}' --set filters=64 --set hidden=32",
        "```",
        "",
        "In a stage, a `$name` count needs a space before the `x` (`$n x128`), or the `x` would be read as part",
        "of the name.",
        "",
        "### Model-wide settings: `dropout`, `l1`, `l2`",
        "",
        "Some arguments take their default from a **model-wide setting** when they are not written: DeepCpG",
        "writes a bare `do` and sets the rate once with `--dropout`, and puts the same L1/L2 kernel penalty on",
        "every convolution, dense and recurrent kernel. A setting is any preset parameter (or `--set` value) with",
        "that name;",
        "bare strings have all three, defaulting to 0. A value written in the block always wins: with",
        f"`--set dropout=0.3`, `fc[64]_do_fc[8]_do[0.1]` gets the rates {rates[0]:g} and {rates[1]:g}.",
        "",
        *_table(["setting", "default for a bare string", "arguments that take it"], setting_rows),
        "",
        "### Inputs of a bare string",
        "",
        "A bare architecture string gets one input named `input`: a 1001×4 one-hot DNA window, or 1000 integer",
        "tokens when the string starts with a kind that reads tokens (`emb`). Give another shape with",
        "`--input 500x4` (`?` for a length known only at run time, e.g. `--input ?x4`). Shapes are length ×",
        "channels: a one-hot window of 1,000 bases is `1000x4`; `4x1000` gets a hint saying so (a note when the",
        "model still analyses). Embeddings read a token input, a length only: `--input 1000`.",
        "",
        "### The token input and the CRF",
        "",
        "One kind reads two tensors: `crf` takes the label scores from the block before it and, unless written",
        "`crf[mask=none]`, the model's integer input, whose token 0 marks padding (reads are right-padded to the",
        "longest of their batch). Convolutions drop Keras masks, so the padding is read from the tokens",
        "themselves, wherever the CRF sits; a model with no integer input, or several, is an error that says",
        "so. Its output holds, per position, the N label scores and then the Viterbi label (−1 at padding).",
        "See [labelling.md](labelling.md) for the CRF, its loss and the `labels` head.",
        "",
        "### Numbers, targets and limits",
        "",
        "Only the ASCII digits `0`–`9` are digits: `conv[١٢٨@١١]` or `--input ²x4` is an error with a caret,",
        "never 128 or 2. A number must be finite (`1e999`, `nan` and `inf` are errors) and is at most",
        f"{MAX_NUMBER_CHARS} characters long. The same rules hold in spec files, configs and `--set` values.",
        "",
        "A command-line target is a **spec file** exactly when it ends in `.spec` or has the form",
        "`PATH.spec:NAME`; otherwise it is a preset name or an architecture string, whatever its length, and",
        "is never looked up on disk.",
        "",
        "Every text and model stays within these limits (from `specdsl/limits.py`); beyond one, the error",
        "points at the block, number or bracket that crossed it:",
        "",
        *_table(["what", "limit"], [
            ["brackets and parentheses inside each other (`each[each[…]]`, `2x(3x(…))`, a config's `{[…]}`)",
             f"at most {MAX_NESTING}"],
            ["blocks after every `Nx(…)` is expanded (nested strings included)", f"at most {MAX_BLOCKS:,}"],
            ["Keras layers of one model", f"at most {MAX_LAYERS:,}"],
            ["every size (filters, units, kernel, pool, stage width, repeat count, dimension, length)",
             f"below {MAX_SIZE:,} (2³¹)"],
            ["parameters of one layer", f"below {MAX_SIZE:,} (2³¹)"],
            ["characters of one number", f"at most {MAX_NUMBER_CHARS}"],
        ]),
        "",
        "Analysis time grows linearly with the number of blocks (100,000 blocks take about a second), and a",
        "model Keras still cannot build (memory) is reported as an error naming the layer, never a traceback.",
        "",
        "### Formal grammar",
        "",
        "The whole syntax, from `grammars/arch.lark` (Lark, LALR). The grammar knows no layer keyword: names and",
        "arguments are checked against the layer registry, so adding a kind never changes it.",
        "",
        "```lark",
        (data_dir("grammars") / "arch.lark").read_text(encoding="utf-8").rstrip(),
        "```",
        "",
    ]
    return lines

def _spec_section() -> list[str]:
    deepcpg = next(p for p, _ in presets_table() if p.name == "DeepCpG")
    return [
        "## 4. Spec files",
        "",
        "Named presets live in `.spec` files (the built-in ones in `specs/`, one file per family). A spec file",
        "declares parameters and presets; a preset is a small graph of named tensors whose edges are",
        "architecture strings. `specdsl params FILE.spec` analyses a file's only preset, `FILE.spec:NAME` picks",
        "one, and a bare preset name finds a built-in preset.",
        "",
        "Statements end at a new line or `;`. `#` starts a comment. Texts are in double quotes.",
        "",
        *_table(["statement", "meaning"], [[_cell(c) for c in row] for row in [
            ["`family NAME [\"doc\"]`", "the family of the presets that follow (e.g. `deepcpg-dna`)"],
            ["`param NAME = VALUE [\"doc\"]`",
             "a parameter with its default: a number or a word (e.g. a preset name). Parameters before the "
             "first preset belong to every preset in the file; one inside a preset overrides it there. "
             "`--set NAME=VALUE` changes it; a parameter named `dropout`, `l1` or `l2` is also the model-wide "
             "setting of that name"],
            ["`preset NAME [\"doc\"] { … }`", "a named model; preset names are looked up case-insensitively"],
            ["`doc \"…\"`", "(inside a preset) the preset's description"],
            ["`input NAME: SHAPE [: DTYPE]`",
             "a model input. SHAPE is dimensions joined by `x`: numbers, parameter names (`dna_wlen x 4`) or "
             "`?` for a length known only at run time. DTYPE defaults to `float32` (`int32` for tokens)"],
            ["`NAME = SOURCE | CHAIN`",
             "a tensor: SOURCE, then the architecture string after `|` (to the end of the line). "
             "`NAME = SOURCE` alone just names it"],
            ["`concat(a, b, …)`", "SOURCE: the named tensors joined on the last axis"],
            ["`use PRESET(src, …)`",
             "SOURCE: another preset's graph inlined on these tensors (one per input of that preset); a preset "
             "of the same file is found first, then the built-in ones. It takes "
             "the caller's values of the parameters both declare. `use $param(…)` picks the preset by a "
             "parameter, so `--set dna_model=ResNet01` swaps a part"],
            ["`output NAME [x COUNT] = SOURCE | CHAIN`",
             "COUNT identical output heads (a number or a parameter), named `NAME_1` … `NAME_COUNT` "
             "(just `NAME` when COUNT is 1 or absent), each with its own weights"],
            ["`output a, b`", "which named tensors are outputs. Without any `output`, the last tensor is"],
        ]]),
        "",
        "The assembled DeepCpG model, from `specs/deepcpg.spec`, uses most of them:",
        "",
        "```",
        _preset_source(deepcpg),
        "```",
        "",
        "### Your spec files in training configs",
        "",
        "`specdsl presets my_models.spec` lists a file's presets (in the same table and `--json` shape as the",
        "built-in list, which it then leaves out). A `specdsl-train` config trains one of them with",
        "`\"architecture\": \"my_models.spec:PromCnn\"`, `{\"preset\": \"my_models.spec:PromCnn\", \"params\": {…}}`,",
        "or, listing the file once, by its bare name:",
        "",
        "```json",
        '{"kind": "specdsl-train", "spec-files": ["my_models.spec"],',
        ' "model": {"architecture": {"preset": "PromCnn", "params": {"filters": 32}}}, …}',
        "```",
        "",
        "Spec file paths in a config are relative to the config file's folder. A listed file's preset wins",
        "over a built-in one of the same name; the config's heads replace the preset's own `output`s. See",
        "[config.md](config.md#presets-from-your-own-spec-files) for the rules and the errors.",
        "",
        "The grammar, from `grammars/spec.lark`:",
        "",
        "```lark",
        (data_dir("grammars") / "spec.lark").read_text(encoding="utf-8").rstrip(),
        "```",
        "",
    ]


def _conventions_section() -> list[str]:
    rows = []
    for check in formula_checks():
        graph = analyse(check.example, None, {"": check.shape})
        rows.append([check.layer, _cell(check.params), _cell(check.macs), f"`{_cell(check.example)}`",
                     _dims(check.shape), _n(graph.total), _n(graph.macs)])
    return [
        "## 5. Shapes, parameters and MACs",
        "",
        "`specdsl params` and `specdsl check` compute these in pure Python from the lowered layer graph, without",
        "importing TensorFlow, and the numbers equal what Keras reports (tests compare them with",
        "`model.count_params()` for every preset).",
        "",
        "* **Shapes** leave out the batch axis. `?` is a length known only at run time; everything downstream",
        "  of it that depends on it is `?` too. With `pad=valid` a convolution gives",
        "  `⌊(L − dil·(K−1) − 1) / stride⌋ + 1` positions and a pooling `⌊(L − P) / stride⌋ + 1`; `pad=same`",
        "  (and a convolution's `pad=causal`) gives `⌈L / stride⌉`. A length too short for a kernel or a pool is",
        "  an error that names the block.",
        "* **Parameters** follow Keras 3: a layer's count is its trainable weights plus its non-trainable ones",
        "  (batch normalisation's moving mean and variance). Kernel penalties (`l1`, `l2`) add no parameters.",
        "* **MACs** are multiply-accumulates per example: one per weight use, so FLOPs ≈ 2 × MACs.",
        "  Activations, pooling, normalisation, dropout and additions count 0. When a length is `?`, the MACs",
        "  of the layers that depend on it are unknown and so is the total.",
        "",
        "The rules, each checked against the analysis by the test suite (C input channels, F filters,",
        "K kernel width, U units, T or L sequence length, V vocabulary, D model width, H heads, k key width,",
        "N labels):",
        "",
        *_table(["layer", "parameters", "MACs", "example", "input", "params", "MACs"], rows,
                "llllrrr"),
        "",
        "Two Keras conventions are easy to miss. A Keras 3 GRU keeps two bias vectors per gate",
        "(`reset_after=True`, the cuDNN layout), while the standalone Keras 2 GRU that DeepCpG was trained with",
        "keeps one: `bgru[256,reset-after=no]` counts (and builds) the latter. Batch normalisation has 4",
        "values per channel, of which 2 are not trainable; `specdsl params` reports both totals.",
        "",
    ]


def language_markdown() -> str:
    """The user's guide to the architecture-string and spec-file languages."""
    graph = analyse("CnnL2h128")
    rows = [[f"`{n.name}`", _keras_layer(n), _shape(n.shape), _n(n.params), _n(n.macs),
             _code(_cell(n.spec))] for n in graph.layers]
    lines = [
        GENERATED_NOTE,
        "",
        "# The architecture language",
        "",
        "specdsl reads two small languages: **architecture strings** such as",
        "`conv[128@11]_mp[4]_conv[256@3]_mp[2]_fc[128]_do`, the notation of DeepCpG's documentation made",
        "executable, and **spec files** that name such strings as presets and wire them into multi-input models.",
        "Both compile to the same intermediate representation, which is analysed (shapes, exact parameter",
        "counts, MACs) without TensorFlow and built as a Keras 3 functional model.",
        "",
        "1. [A first example](#1-a-first-example)",
        "2. [Syntax](#2-syntax)",
        "3. [Layer kinds](#3-layer-kinds)",
        "4. [Spec files](#4-spec-files)",
        "5. [Shapes, parameters and MACs](#5-shapes-parameters-and-macs)",
        "6. [Search spaces](#6-search-spaces)",
        "",
        "## 1. A first example",
        "",
        "```sh",
        "specdsl params 'conv[128@11]_mp[4]_conv[256@3]_mp[2]_fc[128]_do'   # or: specdsl params CnnL2h128",
        "```",
        "",
        "reads: 128 filters of width 11 (then a ReLU), max-pool by 4, 256 filters of width 3, max-pool by 2,",
        "a 128-unit dense layer (it flattens the sequence first), dropout. This is DeepCpG's recommended DNA",
        "model `CnnL2h128`; on its 1001×4 input the analysis gives:",
        "",
        *_table(["layer", "Keras layer", "output shape", "params", "MACs", "from the spec"], rows, "lllrrl"),
        "",
        f"{_n(graph.total)} parameters and {_n(graph.macs)} MACs per example. Layer names are stable and come",
        "from the spec (kind and running number, prefixed by the tensor's name in a preset), so saved weights,",
        "summaries and error messages all point back at the block that made them.",
        "",
        *_syntax_section(),
        *_kinds_section(),
        *_spec_section(),
        *_conventions_section(),
        *search_section(),
    ]
    return "\n".join(lines).rstrip() + "\n"
