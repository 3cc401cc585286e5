"""DeepCpG's documentation table and notebook counts, as data, with the rounding arithmetic that reads them.

These are facts about DeepCpG (reference/deepcpg.md), not about specdsl: docs/presets.md
compares them with the exact counts of the presets in the section :func:`presets_section`
writes (the plugin lists this module under ``docs_notes``).
"""

from __future__ import annotations

from specdsl.errors import SpecError
from specdsl.language.analysis import analyse
from specdsl.language.ir import Preset
from specdsl.language.lowering import LayerGraph
from specdsl.language.printer import format_chain
from specdsl.language.report import chain_input_shape
from specdsl.markdown import cell as _cell
from specdsl.markdown import code as _code
from specdsl.markdown import dims as _dims
from specdsl.markdown import number as _n
from specdsl.markdown import table as _table

#: DeepCpG's documentation table (docs/source/models.rst, as stored in seeds/003), with
#: its rounded counts and its spec strings as printed (reST escapes removed).
DEEPCPG_DOCS_TABLE: tuple[tuple[str, int, str], ...] = (
    ("CnnL1h128", 4_100_000, "conv[128@11]_mp[4]_fc[128]_do"),
    ("CnnL1h256", 8_100_000, "conv[128@11]_mp[4]_fc[256]_do"),
    ("CnnL2h128", 4_100_000, "conv[128@11]_mp[4]_conv[256@3]_mp[2]_fc[128]_do"),
    ("CnnL2h256", 8_100_000, "conv[128@11]_mp[4]_conv[256@3]_mp[2]_fc[256]_do"),
    ("CnnL3h128", 4_400_000, "conv[128@11]_mp[4]_conv[256@3]_mp[2]_conv[512@3]_mp[2]_fc[128]_do"),
    ("CnnL3h256", 8_300_000, "conv[128@11]_mp[4]_conv[256@3]_mp[2]_conv[512@3]_mp[2]_fc[128]_do"),
    ("CnnRnn01", 1_100_000, "conv[128@11]_pool[4]_conv[256@7]_pool[4]_bgru[256]_do"),
    ("ResNet01", 1_700_000, "conv[128@11]_mp[2]_resb[2x128|2x256|2x512|1x1024]_gap_do"),
    ("ResNet02", 2_000_000, "conv[128@11]_mp[2]_resb[3x128|3x256|3x512|1x1024]_gap_do"),
    ("ResConv01", 2_800_000, "conv[128@11]_mp[2]_resc[2x128|1x256|1x256|1x512]_gap_do"),
    ("ResAtrous01", 2_000_000, "conv[128@11]_mp[2]_resa[3x128|3x256|3x512|1x1024]_gap_do"),
    ("FcAvg", 54_000, "fc[512]_gap"),
    ("RnnL1", 810_000, "fc[256]_bgru[256]_do"),
    ("RnnL2", 1_100_000, "fc[256]_bgru[128]_bgru[256]_do"),
    ("JointL0", 0, ""),
    ("JointL1h512", 524_000, "fc[512]"),
    ("JointL2h512", 786_000, "fc[512]_fc[512]"),
    ("JointL3h512", 1_000_000, "fc[512]_fc[512]_fc[512]"),
)

#: Why a docs string reads differently from ours (reference/deepcpg.md §4).
STRING_NOTES: dict[str, str] = {
    "CnnL3h256": "typo: the docs print `fc[128]`; DeepCpG's code and docstring use 256 units, and the docs' "
                 "own count (8.3 M) is that of `fc[256]`",
    "CnnRnn01": "the docs write `pool[4]` (specdsl reads it as `mp[4]`, an alias) and the GRU without its "
                "Keras 2 layout",
    "ResNet01": "the docs leave out the stem's batch normalisation (`bn=yes`) and the projection shortcuts "
                "(built by `resb` itself)",
    "ResNet02": "as ResNet01",
    "ResConv01": "as ResNet01; its shortcuts are kernel-3 convolutions, built by `resc`",
    "ResAtrous01": "same string: ResAtrous01's stem has no batch normalisation; the dilations 1, 2, 4 are "
                   "implied by `resa`",
    "FcAvg": "the CpG `fc` is per cell (DeepCpG's TimeDistributed), `each[fc[512]]` here; the docs also leave "
             "out the trailing dropout that DeepCpG's code adds",
    "RnnL1": "per-cell `fc` is `each[fc[256]]`; the GRU is DeepCpG's Keras 2 GRU (`reset-after=no`)",
    "RnnL2": "as RnnL1",
    "JointL1h512": "the docs leave out the dropout after each `fc` (and the ReLU, which `fc` includes)",
    "JointL2h512": "as JointL1h512",
    "JointL3h512": "as JointL1h512",
}

#: DeepCpG's stored ``model.summary()`` output (examples/notebooks/basics/index.ipynb in
#: cangermueller/deepcpg), the only counts DeepCpG itself ever printed.
NOTEBOOK_TOTALS = {"CnnL2h128": 4_102_789, "RnnL1": 816_389, "DeepCpG": 5_509_381}
NOTEBOOK_LAYERS = {"CnnL2h128": (5_760, 98_560, 3_997_824), "RnnL1": (25_856, 787_968),
                   "JointL2h512": (328_192, 262_656)}
NOTEBOOK_CELLS = 5


def _round_sig(n: int, digits: int = 2, truncate: bool = False) -> int:
    """``n`` to ``digits`` significant figures (rounded half up, or truncated)."""
    if n == 0:
        return 0
    scale = 10 ** max(len(str(abs(n))) - digits, 0)
    q = n // scale if truncate else (n + scale // 2) // scale
    return q * scale


def _percent(a: int, b: int) -> str:
    return "—" if b == 0 else f"{(a - b) / b * 100:+.1f}%"


def _signed(n: int) -> str:
    return f"{n:+,}" if n else "0"


def _how_rounded(docs: int, exact: int) -> str:
    if docs == exact:
        return "exact"
    for digits in (2, 3):
        if _round_sig(exact, digits) == docs:
            return f"rounded ({digits} s.f.)"
        if _round_sig(exact, digits, truncate=True) == docs:
            return f"truncated ({digits} s.f.)"
    return "neither"


def _heads(graph: LayerGraph, cells: int) -> int:
    """Parameters of ``cells`` sigmoid heads (Dense(1)) on the graph's single output."""
    (width,) = [s[-1] for s in graph.output_shapes().values()]
    return cells * (width + 1)


def _param_layers(graph: LayerGraph) -> tuple[int, ...]:
    return tuple(n.params for n in graph.layers if n.params)


def _ground_truth_lines(graphs: dict[str, LayerGraph]) -> list[str]:
    rows = []
    for name in ("CnnL2h128", "RnnL1"):
        g = graphs[name]
        ours = g.total + _heads(g, NOTEBOOK_CELLS)
        width = list(g.output_shapes().values())[0][-1]
        how = f"{name} {_n(g.total)} + {NOTEBOOK_CELLS} heads × ({width} + 1)"
        truth = NOTEBOOK_TOTALS[name]
        rows.append([f"{name} with {NOTEBOOK_CELLS} output heads", _n(truth), _n(ours), _cell(how),
                     "yes" if ours == truth else "**NO**"])
    g = graphs["DeepCpG"]
    s = g.settings
    truth = NOTEBOOK_TOTALS["DeepCpG"]
    rows.append([f"assembled model ({s['dna_model']} + {s['cpg_model']} + {s['joint_model']}, {s['cells']} cells)",
                 _n(truth), _n(g.total), "preset `DeepCpG` with its defaults", "yes" if g.total == truth else "**NO**"])
    for name, layers in NOTEBOOK_LAYERS.items():
        ours_layers = _param_layers(graphs[name])
        rows.append([f"{name}: layers with weights", " / ".join(_n(x) for x in layers),
                     " / ".join(_n(x) for x in ours_layers), "per layer, in order",
                     "yes" if ours_layers == layers else "**NO**"])
    return _table(["what", "DeepCpG notebook", "specdsl", "computed as", "equal"], rows, "lrrll")


def _gru_lines(presets: dict[str, tuple[Preset, LayerGraph]]) -> list[str]:
    rows = []
    for name, (preset, graph) in presets.items():
        chain = preset.main_chain()
        text = format_chain(chain) if chain else ""
        if "reset-after=no" not in text:
            continue
        keras3 = text.replace(",reset-after=no", "")
        shape = chain_input_shape(preset, graph)
        g3 = analyse(keras3, None, {"": shape})
        rows.append([name, _n(graph.total), _n(g3.total), _signed(g3.total - graph.total)])
    return _table(["preset", "Keras 2 GRU (`reset-after=no`, ours)", "Keras 3 GRU (default)", "difference"],
                  rows, "lrrr")


def _docs_strings_lines(presets: dict[str, tuple[Preset, LayerGraph]]) -> list[str]:
    rows = []
    for name, _docs_count, docs_text in DEEPCPG_DOCS_TABLE:
        preset, graph = presets[name]
        chain = preset.main_chain()
        ours = format_chain(chain) if chain else ""
        if not docs_text:
            continue
        shape = chain_input_shape(preset, graph)
        try:
            read = analyse(docs_text, None, {"": shape})
            result, diff = _n(read.total), _signed(read.total - graph.total)
        except SpecError as err:
            result, diff = "error: " + err.message, "—"
        rows.append([name, _code(_cell(docs_text)), _code(_cell(ours)), _dims(shape or ()), _cell(result),
                     diff, _cell(STRING_NOTES.get(name, "same model" if docs_text == ours else ""))])
    return _table(["preset", "DeepCpG docs string", "specdsl preset string", "input", "docs string, analysed",
                   "vs. preset", "why"], rows, "llllrrl")


def _counts_lines(presets: dict[str, tuple[Preset, LayerGraph]]) -> tuple[list[str], dict[str, str]]:
    rows = []
    for name, docs_count, _text in DEEPCPG_DOCS_TABLE:
        exact = presets[name][1].total
        rows.append([name, _n(docs_count), _n(exact), _signed(docs_count - exact), _percent(docs_count, exact),
                     _n(_round_sig(exact)), _how_rounded(docs_count, exact)])
    table = _table(["preset", "DeepCpG docs", "specdsl (exact)", "docs − exact", "relative",
                    "exact, 2 s.f.", "docs figure is"], rows, "lrrrrrl")
    facts: dict[str, str] = {}
    fcavg = presets["FcAvg"][1]
    with_heads = fcavg.total + _heads(fcavg, NOTEBOOK_CELLS)
    facts["fcavg"] = (
        f"FcAvg's 54,000 (the prose repeats \"only 54000 parameters\") is not its body, {_n(fcavg.total)}: it "
        f"fits the body plus {NOTEBOOK_CELLS} sigmoid heads, {_n(with_heads)} (→ {_n(_round_sig(with_heads))}). "
        "No other row includes heads: RnnL1's 810,000 is its body alone."
    )
    # The joint rows: find the input width that reproduces them.
    docs_joint = [c for n, c, _ in DEEPCPG_DOCS_TABLE if n.startswith("JointL") and c]
    nobias = [1024 * 512 + k * 512 * 512 for k in range(3)]
    biased = [analyse(n, {"features": 1024}).total for n in ("JointL1h512", "JointL2h512", "JointL3h512")]
    ours = [presets[n][1].total for n in ("JointL1h512", "JointL2h512", "JointL3h512")]
    width = presets["JointL1h512"][1].inputs[0].shape[0]
    facts["joint"] = (
        f"The joint rows ({' / '.join(_n(c) for c in docs_joint)}) are not the joint models on DeepCpG's "
        f"default {width}-wide input (CnnL2h128's 128 + RnnL1's 512 features): {' / '.join(_n(c) for c in ours)}. "
        f"They fit a 1024-wide input with the biases left out, 1024·512 + k·512·512 = "
        f"{' / '.join(_n(c) for c in nobias)}; with biases a 1024-wide input gives {' / '.join(_n(c) for c in biased)} "
        "(`specdsl params JointL2h512 --set features=1024`)."
    )
    rnn = presets["CnnRnn01"][1]
    kinds: dict[str, list[str]] = {}
    for name, docs_count, _text in DEEPCPG_DOCS_TABLE:
        kinds.setdefault(_how_rounded(docs_count, presets[name][1].total).split(" ")[0], []).append(name)
    facts["rounding"] = (
        f"{len(kinds.get('rounded', [])) + len(kinds.get('truncated', []))} of the {len(DEEPCPG_DOCS_TABLE) - 1} "
        "non-empty rows are the exact count cut to two significant figures, but not consistently: most are "
        f"rounded, {' and '.join(kinds.get('truncated', []))} truncated. The others "
        f"({', '.join(kinds.get('neither', []))}) differ by more than rounding:"
    )
    facts["cnnrnn"] = (
        f"CnnRnn01's 1,100,000 is {_percent(1_100_000, rnn.total)} off its exact {_n(rnn.total)}, more than "
        "rounding explains, and neither GRU layout accounts for it (see the GRU table below); we know of no "
        "reading of DeepCpG's code that gives 1.1 M."
    )
    return table, facts


def presets_section(presets: dict[str, tuple[Preset, LayerGraph]], graphs: dict[str, LayerGraph]) -> list[str]:
    """docs/presets.md's section on DeepCpG's documentation table, every figure computed now."""
    counts, facts = _counts_lines(presets)
    return [
        "## Where DeepCpG's documentation table differs from the real models",
        "",
        "DeepCpG's documentation (`docs/source/models.rst`, the table users know) gives every model a spec",
        "string and a rounded parameter count. Neither comes from DeepCpG's code: no code parses the strings",
        "(they exist only in docstrings and docs), and no code prints the counts. specdsl's presets follow the code",
        "(`deepcpg/models/{dna,cpg,joint}.py`), so the two disagree in places. Everything in the tables below",
        "is computed when this page is generated; the prose names what the numbers show.",
        "",
        "### Ground truth: DeepCpG's own model summaries",
        "",
        "The only counts DeepCpG itself printed are the stored `model.summary()` outputs of its basics notebook",
        "(`examples/notebooks/basics/index.ipynb` in cangermueller/deepcpg), with 5 cells and their sigmoid",
        "output heads: **4,102,789** (CnnL2h128), **816,389** (RnnL1) and **5,509,381** (the joint model of",
        "both with JointL2h512). specdsl reproduces them exactly:",
        "",
        *_ground_truth_lines(graphs),
        "",
        "### Parameter counts",
        "",
        *counts,
        "",
        facts["rounding"],
        "",
        f"* {facts['cnnrnn']}",
        f"* {facts['fcavg']}",
        f"* {facts['joint']}",
        "",
        "### The docs' strings, read by specdsl",
        "",
        "Each docs string analysed as written, on the tensor its preset's string reads (CpG models: the two",
        "inputs joined per cell, 5 × 100), against the preset:",
        "",
        *_docs_strings_lines(presets),
        "",
        "### Keras 2 GRUs in the DeepCpG presets",
        "",
        "DeepCpG was trained with standalone Keras 2, whose GRU keeps one bias vector per gate. Keras 3's",
        "default GRU (`reset_after=True`) keeps two, so a plain `bgru[256]` has 2 × 3 × 256 more parameters.",
        "The DeepCpG presets write `reset-after=no` so that their counts, and the models they build, equal",
        "DeepCpG's notebook ground truth above (4,102,789 / 816,389 / 5,509,381):",
        "",
        *_gru_lines(presets),
        "",
        "### Known typos and omissions in DeepCpG's documentation",
        "",
        "1. **CnnL3h256 is printed as `…_fc[128]_do`**; the code (and the docstring) use `fc[256]`. The",
        "   preset follows the code.",
        "2. **\"JointL3h12\"**: the docs' closing recommendation means JointL3h512.",
        "3. **The joint counts fit a 1024-wide input without biases**, not the 640-wide default (computed",
        "   above).",
        "4. **FcAvg's string `fc[512]_gap` omits the trailing dropout** that DeepCpG's code adds (and its count",
        "   includes five output heads, above).",
        "5. **The residual strings omit the stem's batch normalisation and the shortcut convolutions.** The",
        "   presets write the stem BN (`conv[128@11,bn=yes]`; ResAtrous01 has none); the projection shortcuts",
        "   (1×1 in `resb`/`resa`, kernel 3 in `resc`) are part of the residual kinds.",
        "6. **The legend's `resb[x,y,z]`** (\"three bottleneck residual units of size x, y, z\") does not match",
        "   the strings in the same table, which have four `|`-separated stages `NxF` of N units of output width",
        "   F; the prose says \"three residual blocks\". The inner bottleneck width F/4 and the stride 2 of each",
        "   stage's first unit are implicit.",
        "7. **CnnRnn01 writes `pool[4]`** where every other string has `mp[4]`; the code uses the same",
        "   `MaxPooling1D(4)`. specdsl accepts `pool` as an alias of `mp` and prints `mp[4]`.",
        "8. **The CpG models' `fc` is per cell** (DeepCpG's `TimeDistributed` dense sub-model shared by all",
        "   cells). Read literally, `fc` flattens the cells and the GRU has no sequence left (the analysis",
        "   above says so); specdsl writes `each[fc[256]]`.",
        "9. **The GRUs are Keras 2 GRUs** (`reset-after=no`), which no string says; see the GRU table.",
        "10. The CNN strings leave out the `Flatten` before `fc`, and the joint strings the ReLU and dropout",
        "    after each `fc`; specdsl's `fc` flattens and activates by itself, and the presets write the `do`.",
        "",
    ]
