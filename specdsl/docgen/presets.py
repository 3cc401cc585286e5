"""docs/presets.md: every preset with its exact counts, and where DeepCpG's own table differs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..api import analyse, presets_table
from ..builders import find_builder
from ..errors import SpecError
from ..ir import Preset
from ..lowering import LayerGraph
from ..printer import format_chain, format_scalar
from .common import (
    GENERATED_NOTE,
    _cell,
    _code,
    _dims,
    _n,
    _preset_source,
    _shape,
    _spec_file,
    _table,
    chain_input_shape,
)
from .deepcpg_notes import (
    DEEPCPG_DOCS_TABLE,
    NOTEBOOK_CELLS,
    NOTEBOOK_LAYERS,
    NOTEBOOK_TOTALS,
    STRING_NOTES,
    _heads,
    _how_rounded,
    _param_layers,
    _percent,
    _round_sig,
    _signed,
)


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


TYPICAL_LENGTH = 1000  # positions of an input whose length is known only at run time, for MACs


def _is_graph(preset: Preset) -> bool:
    """A preset that one architecture string does not describe (several tensors, heads, uses)."""
    return len(preset.nodes) != 1 or bool(preset.heads) or bool(preset.outputs)


def _param_table(params: Sequence[Any]) -> list[str]:
    rows = [[f"`{p.name}`", _code(format_scalar(p.default)), _cell(p.doc)] for p in params]
    return _table(["parameter", "default", "meaning"], rows)


def presets_markdown() -> str:
    """Every preset with its exact counts, and where DeepCpG's own table differs."""
    table = presets_table()
    presets = {p.name: (p, g) for p, g in table}
    graphs = {p.name: g for p, g in table}
    rows = []
    for preset, graph in table:
        chain = preset.main_chain()
        ins = ", ".join(f"{n.name} {_dims(n.shape)}" + ("" if n.dtype == "float32" else f" ({n.dtype})")
                        for n in graph.inputs)
        link = f"[{preset.name}](#{preset.name.lower()})"
        if not _is_graph(preset):
            spec = _code(_cell(format_chain(chain))) if chain else "(no layers)"
        elif chain:
            spec = f"{_code(_cell(format_chain(chain)))} and more, see {link}"
        else:
            spec = f"a graph, see {link}"
        rows.append([f"**{preset.name}**", preset.family, ins, _n(graph.total), _n(graph.macs), spec,
                     _cell(preset.doc)])
    lines = [
        GENERATED_NOTE,
        "",
        "# Presets",
        "",
        f"specdsl ships {len(table)} named presets, written as spec files in `specs/` (see",
        "[the language guide](language.md#4-spec-files)), except "
        + ", ".join(f"[{p.name}](#{p.name.lower()})" for p, _ in table if p.builder)
        + ", which code writes from its parameters. Counts are exact: they equal Keras' `count_params()`",
        "for the built model (tests enforce it), and include non-trainable batch-normalisation statistics.",
        "MACs are multiply-accumulates per example (FLOPs ≈ 2 × MACs). `specdsl presets` prints this table and",
        "`specdsl params NAME` the per-layer detail; `--set` changes a parameter, e.g.",
        "`specdsl params CnnL2h128 --set dna_wlen=501`.",
        "",
        *_table(["preset", "family", "inputs", "params", "MACs", "architecture string", "what it is"], rows,
                "lllrrll"),
        "",
        "## Parameters",
        "",
    ]
    families: dict[str, list[Preset]] = {}
    for preset, _graph in table:
        families.setdefault(preset.family, []).append(preset)
    for family, members in families.items():
        names = ", ".join(p.name for p in members)
        lines += [f"### {family}", ""]
        shared = {tuple((p.name, p.default, p.doc) for p in m.params) for m in members}
        if len(shared) == 1:
            lines += [f"Presets: {names}.", "", *_param_table(members[0].params), ""]
        else:
            for member in members:
                lines += [f"**{member.name}**", "", *_param_table(member.params), ""]
        for member in members:
            if _is_graph(member):
                g = graphs[member.name]
                outs = ", ".join(f"{k} {_shape(v)}" for k, v in g.output_shapes().items())
                doc = member.doc
                macs = f"{_n(g.macs)} MACs"
                if g.macs is None:  # a length known only at run time: the MACs of a typical one
                    fixed = {n.name: tuple(TYPICAL_LENGTH if d is None else d for d in n.shape) for n in g.inputs}
                    macs = f"{_n(analyse(member.name, None, fixed).macs)} MACs per read of {TYPICAL_LENGTH:,} positions"
                if member.builder:
                    module = find_builder(member.builder).module
                    source = (f"It is written from its parameters by `{module}` (its layer counts and switches "
                              "need code, which spec files do not have); with the defaults:")
                else:
                    source = f"Its definition in `specs/{_spec_file(member)}`:"
                lines += [
                    f"#### {member.name}",
                    "",
                    doc[0].upper() + doc[1:] + ". With its defaults it has "
                    f"{_n(g.total)} parameters ({_n(g.trainable)} trainable), {macs}, and the outputs "
                    f"{outs}. {source}",
                    "",
                    "```",
                    _preset_source(member),
                    "```",
                    "",
                ]
    counts, facts = _counts_lines(presets)
    lines += [
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
    return "\n".join(lines).rstrip() + "\n"
