"""Section 3 of docs/language.md: every layer kind, from the layer registry, with a computed example."""

from __future__ import annotations

from specdsl.api import analyse
from specdsl.docgen.common import _cell, _code, _keras_layers, _n, _shape, _table
from specdsl.errors import SpecError
from specdsl.language.kinds import all_kinds
from specdsl.language.lowering import LayerGraph
from specdsl.language.primitives import Shape
from specdsl.language.printer import format_scalar
from specdsl.language.registry import REQUIRED, Arg, Kind

#: makes generation raise, so its author notices and adds an entry here.
EXAMPLE_INPUTS: dict[str, Shape] = {
    "each": (5, 100),  # five cells of 100 features, as in DeepCpG's CpG model
    "dilres": (2114, 64),  # nine dilated layers eat 2·(2+4+…+512) = 2,044 positions
    "crf": (1000, 6),  # six label scores per position of a read of 1,000 bases
}


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


def _ordinal(i: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(i, f"{i}th")


def _positions(kind: Kind) -> dict[str, str]:
    """Where each positional argument sits, e.g. filters → '1st (F of F@K)'."""
    where: dict[str, str] = {}
    for i, pos in enumerate(kind.positional, start=1):
        if isinstance(pos, tuple):
            letters = kind.signature().split(", ")[i - 1]
            where[pos[0]] = f"{_ordinal(i)}, {letters[0]} of {letters}"
            where[pos[1]] = f"{_ordinal(i)}, {letters[-1]} of {letters}"
        else:
            where[pos] = _ordinal(i)
    return where


def _written_forms(kind: Kind) -> str:
    sig = kind.signature()
    keywords = [a.name for a in kind.args if a.name not in _positions(kind)]
    forms = []
    if not any(a.required for a in kind.args):
        forms.append(f"`{kind.name}`")
    if sig:
        forms.append(f"`{kind.name}[{sig}]`")
    if keywords:
        first = f"{sig}, " if sig else ""
        forms.append(f"`{kind.name}[{first}{keywords[0]}=…]`")
    return ", ".join(forms)


def _example_graph(kind: Kind) -> tuple[str, Shape, LayerGraph]:
    text = kind.example or kind.name
    shape = EXAMPLE_INPUTS.get(kind.name)
    try:
        graph = analyse(text, None, {"": shape} if shape else None)
    except SpecError as err:
        raise RuntimeError(
            f"the example of kind '{kind.name}' ({text}) does not analyse: {err.message}; "
            "fix the example or add an input shape to specdsl.docgen.EXAMPLE_INPUTS"
        ) from None
    return text, graph.inputs[0].shape, graph

def _kinds_section() -> list[str]:
    kinds = all_kinds()
    lines = [
        "## 3. Layer kinds",
        "",
        f"{len(kinds)} kinds, from the layer registry (`specdsl kinds` prints the same list). Each example's",
        "shape, parameters and MACs are computed by the analysis; *Keras layers* are what the block builds.",
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
    text, shape, graph = _example_graph(kind)
    out_shapes = ", ".join(_shape(s) for s in graph.output_shapes().values())
    lines = [f"### {kind.name}", "", kind.doc[0].upper() + kind.doc[1:] + ".", ""]
    lines.append(f"* **Written:** {_written_forms(kind)}")
    if kind.aliases:
        lines.append("* **Aliases:** " + ", ".join(f"`{a}`" for a in kind.aliases))
    if kind.shorthands:
        parts = []
        for word, fixed in kind.shorthands.items():
            args = ",".join(f"{k}={format_scalar(v)}" if i else format_scalar(v)
                            for i, (k, v) in enumerate(fixed.items()))
            parts.append(f"`{word}` = `{kind.name}[{args}]`")
        lines.append("* **Shorthands** (take no arguments): " + ", ".join(parts))
    traits = []
    if kind.pointwise:
        traits.append("allowed inside `each[...]` (acts on one position's features)")
    if kind.recurrent:
        traits.append("recurrent")
    if kind.input_dtype != "float32":
        traits.append(f"a model that starts with it is fed `{kind.input_dtype}`")
    if traits:
        lines.append("* **Traits:** " + "; ".join(traits))
    macs = "unknown" if graph.macs is None else _n(graph.macs)
    frozen = f" ({_n(graph.non_trainable)} non-trainable)" if graph.non_trainable else ""
    lines.append(
        f"* **Example:** `{text}` on an input of shape {_shape(shape)} gives {out_shapes}, "
        f"{_n(graph.total)} parameters{frozen}, {macs} MACs; Keras layers: {_keras_layers(graph)}"
    )
    lines.append("")
    if kind.args:
        where = _positions(kind)
        rows = [[f"`{arg.name}`", where.get(arg.name, "keyword"), _cell(arg.doc), _type_text(arg),
                 _default_text(arg)] for arg in kind.args]
        lines += _table(["argument", "position", "meaning", "values", "default"], rows)
    else:
        lines.append("No arguments.")
    lines.append("")
    return lines
