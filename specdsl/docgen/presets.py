"""docs/presets.md: every preset with its exact counts, and where DeepCpG's own table differs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from specdsl.api import analyse, presets_table
from specdsl.docgen.common import (
    GENERATED_NOTE,
    _cell,
    _code,
    _dims,
    _n,
    _preset_source,
    _shape,
    _spec_file,
    _table,
)
from specdsl.language.builders import find_builder
from specdsl.language.ir import Preset
from specdsl.language.printer import format_chain, format_scalar

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
    from specdsl.plugins import modules

    for notes in modules("docs_notes"):  # systems' sections (DeepCpG's documentation table against its code)
        lines += notes.presets_section(presets, graphs)
    return "\n".join(lines).rstrip() + "\n"
