"""Section 3 of docs/language.md: every layer kind, from the layer registry, with a computed example."""

from __future__ import annotations

from specdsl.docgen.common import _cell, _code, _keras_layers, _n, _shape, _table
from specdsl.errors import SpecError
from specdsl.language.kind_view import example_graph, positions, shorthand_forms, traits, written_forms
from specdsl.language.kinds import all_kinds
from specdsl.language.printer import format_scalar
from specdsl.language.registry import REQUIRED, Arg, Kind


def _default_text(arg: Arg) -> str:
    if arg.default is REQUIRED:
        text = "required"
    elif arg.default is None:
        text = "—"
    else:
        text = _code(format_scalar(arg.default))
    if arg.setting:
        text += f", or the model's `{arg.setting}` setting"
    return text


def _type_text(arg: Arg) -> str:
    """What may be written, in the registry's own words (the same text errors show)."""
    if arg.type == "stages":
        return "stages `NxF\\|NxF…`"
    if arg.type == "chain":
        return "an architecture string"
    return arg.describe()


def _written_forms(kind: Kind) -> str:
    return ", ".join(f"`{form}`" for form in written_forms(kind))


def _example(kind: Kind):
    try:
        return example_graph(kind)
    except SpecError as err:
        raise RuntimeError(
            f"the example of kind '{kind.name}' ({kind.example or kind.name}) does not analyse: {err.message}; "
            "fix its example, or give the input it needs as the kind's example_input"
        ) from None


def _kinds_section() -> list[str]:
    kinds = all_kinds()
    lines = [
        "## 3. Layer kinds",
        "",
        f"{len(kinds)} kinds, from the layer registry (`specdsl kinds` prints the same list, `specdsl kinds KIND`",
        "one kind with its example). Each example's shape, parameters and MACs are computed by the analysis;",
        "*Keras layers* are what the block builds.",
        "",
    ]
    rows = []
    for kind in kinds.values():
        other = ", ".join(f"`{a}`" for a in (*kind.aliases, *kind.shorthands))
        rows.append([f"[`{kind.name}`](#{kind.name})", other, _cell(_written_forms(kind)), _cell(kind.doc)])
    lines += _table(["kind", "aliases, shorthands", "written", "what it is"], rows)
    lines.append("")
    for kind in kinds.values():
        lines += _kind_section(kind)
    return lines


def _kind_section(kind: Kind) -> list[str]:
    graph = _example(kind)
    text, shape = kind.example or kind.name, graph.inputs[0].shape
    out_shapes = ", ".join(_shape(s) for s in graph.output_shapes().values())
    lines = [f"### {kind.name}", "", kind.doc[0].upper() + kind.doc[1:] + ".", ""]
    lines.append(f"* **Written:** {_written_forms(kind)}")
    if kind.aliases:
        lines.append("* **Aliases:** " + ", ".join(f"`{a}`" for a in kind.aliases))
    if kind.shorthands:
        parts = [f"`{word}` = `{fixed}`" for word, fixed in shorthand_forms(kind).items()]
        lines.append("* **Shorthands** (take no arguments): " + ", ".join(parts))
    if traits(kind):
        lines.append("* **Traits:** " + "; ".join(traits(kind, _code)))
    macs = "unknown" if graph.macs is None else _n(graph.macs)
    frozen = f" ({_n(graph.non_trainable)} non-trainable)" if graph.non_trainable else ""
    lines.append(
        f"* **Example:** `{text}` on an input of shape {_shape(shape)} gives {out_shapes}, "
        f"{_n(graph.total)} parameters{frozen}, {macs} MACs; Keras layers: {_keras_layers(graph)}"
    )
    lines.append("")
    if kind.args:
        where = positions(kind)
        rows = [[f"`{arg.name}`", where.get(arg.name, "keyword"), _cell(arg.doc), _type_text(arg),
                 _default_text(arg)] for arg in kind.args]
        lines += _table(["argument", "position", "meaning", "values", "default"], rows)
    else:
        lines.append("No arguments.")
    lines.append("")
    return lines
