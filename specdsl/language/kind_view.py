"""One layer kind as a user reads it: ``specdsl kinds KIND`` and the kind sections of docs/language.md.

Everything comes from the kind's registry entry: how it is written, where each argument goes
and what it takes, and its example, analysed here (its output shapes and parameters are
computed, never written down), so the command, the docs and the analysis cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from specdsl.language.analysis import build_graph
from specdsl.language.kinds import all_kinds, lookup
from specdsl.language.lowering import LayerGraph
from specdsl.language.primitives import format_shape
from specdsl.language.registry import Arg, Kind
from specdsl.language.scalars import format_scalar
from specdsl.markdown import dims

if TYPE_CHECKING:
    from specdsl.console import Printer


def _ordinal(i: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(i, f"{i}th")


def positions(kind: Kind) -> dict[str, str]:
    """Where each positional argument sits, e.g. filters → '1st, F of F@K'."""
    where: dict[str, str] = {}
    for i, pos in enumerate(kind.positional, start=1):
        if isinstance(pos, tuple):
            letters = kind.signature().split(", ")[i - 1]
            where[pos[0]] = f"{_ordinal(i)}, {letters[0]} of {letters}"
            where[pos[1]] = f"{_ordinal(i)}, {letters[-1]} of {letters}"
        else:
            where[pos] = _ordinal(i)
    return where


def written_forms(kind: Kind) -> list[str]:
    """The ways to write the kind: bare (when nothing is required), positional, with a keyword."""
    sig = kind.signature()
    keywords = [a.name for a in kind.args if a.name not in positions(kind)]
    forms = []
    if not any(a.required for a in kind.args):
        forms.append(kind.name)
    if sig:
        forms.append(f"{kind.name}[{sig}]")
    if keywords:
        forms.append(f"{kind.name}[{f'{sig}, ' if sig else ''}{keywords[0]}=…]")
    return forms


def shorthand_forms(kind: Kind) -> dict[str, str]:
    """Each shorthand and what it stands for: relu → act[relu]."""
    out = {}
    for word, fixed in kind.shorthands.items():
        args = ",".join(f"{k}={format_scalar(v)}" if i else format_scalar(v) for i, (k, v) in enumerate(fixed.items()))
        out[word] = f"{kind.name}[{args}]"
    return out


def traits(kind: Kind, code: Callable[[str], str] = str) -> list[str]:
    """What else a user may rely on; ``code`` marks the words that are written as code (docs use backticks)."""
    out = []
    if kind.pointwise:
        out.append(f"allowed inside {code('each[...]')} (acts on one position's features)")
    if kind.recurrent:
        out.append("recurrent")
    if kind.input_dtype != "float32":
        out.append(f"a model that starts with it is fed {code(kind.input_dtype)}")
    return out


def example_graph(kind: Kind) -> LayerGraph:
    """The kind's example analysed on the input it names (by default an architecture string's)."""
    from specdsl.language.adhoc import adhoc_preset

    return build_graph(adhoc_preset(kind.example or kind.name, shape=kind.example_input or None))


def _argument(kind: Kind, arg: Arg, where: dict[str, str]) -> dict[str, Any]:
    return {
        "name": arg.name, "position": where.get(arg.name), "named": f"{arg.name}=…", "type": arg.type,
        "values": arg.describe(), "choices": list(arg.choices), "required": arg.required,
        "default": None if arg.required else arg.default, "setting": arg.setting, "meaning": arg.doc,
    }


def kind_view(kind: Kind, asked: str = "") -> dict[str, Any]:
    """Everything ``specdsl kinds KIND --json`` prints (``asked``: the word looked up, an alias maybe)."""
    graph = example_graph(kind)
    source = graph.inputs[0]
    text = kind.example or kind.name
    view: dict[str, Any] = {
        "kind": kind.name, "aliases": list(kind.aliases), "shorthands": shorthand_forms(kind), "doc": kind.doc,
        "written": written_forms(kind), "traits": traits(kind),
        "arguments": [_argument(kind, a, positions(kind)) for a in kind.args],
        "example": {
            "spec": text, "input": list(source.shape), "input_dtype": source.dtype,
            "command": f"specdsl params '{text}' --input {dims(source.shape)}",
            "outputs": {k: list(v) for k, v in graph.output_shapes().items()},
            "params": graph.total, "trainable": graph.trainable, "non_trainable": graph.non_trainable,
            "macs": graph.macs,
        },
    }
    if asked and asked.lower() != kind.name:
        view["asked"] = asked
    return view


def find_kind_view(word: str) -> dict[str, Any]:
    """The view of the kind ``word`` names (its name, an alias or a shorthand, any case); an unknown
    word is the language's own unknown-kind error, with a did-you-mean."""
    return kind_view(lookup(word)[0], word)


def all_kind_views() -> list[dict[str, Any]]:
    return [kind_view(kind) for kind in all_kinds().values()]


def _default_shown(argument: dict[str, Any]) -> str:
    if argument["required"]:
        text = "required"
    elif argument["default"] is None:
        text = "—"
    else:
        text = format_scalar(argument["default"])
    return text + (f", or the model's {argument['setting']} setting" if argument["setting"] else "")


def render_kind_view(view: dict[str, Any], out: Printer) -> None:
    """The view for a person: what the kind is, how to write it, its arguments, its example."""
    from specdsl.console import Column, Table, styled

    lines: list[Any] = []
    if view.get("asked"):
        fixed = view["shorthands"].get(view["asked"].lower())
        lines.append(f"{view['asked']} is {'a shorthand for ' + fixed if fixed else 'an alias of ' + view['kind']}")
    lines.append(styled((view["kind"], "bold"), f" — {view['doc']}"))
    lines.append("written: " + ", ".join(view["written"]))
    if view["aliases"]:
        lines.append("aliases: " + ", ".join(view["aliases"]))
    if view["shorthands"]:
        lines.append("shorthands (no arguments): " + ", ".join(f"{w} = {f}" for w, f in view["shorthands"].items()))
    if view["traits"]:
        lines.append("traits: " + "; ".join(view["traits"]))
    items: list[Any] = [*lines, ""]
    if view["arguments"]:
        table = Table(["argument", "position", "by name", "values", Column("default"), "meaning"],
                      title="arguments (positional first, then name=value in any order)")
        for a in view["arguments"]:
            table.add_row(a["name"], a["position"] or "—", a["named"], a["values"], _default_shown(a), a["meaning"])
        items.append(table)
    else:
        items.append("no arguments")
    ex = view["example"]
    outs = ", ".join(f"{k} {format_shape(tuple(v))}" for k, v in ex["outputs"].items())
    frozen = f" ({ex['non_trainable']:,} non-trainable)" if ex["non_trainable"] else ""
    items += [
        "",
        styled(("example: ", "bold"), ex["spec"], f" on an input of {dims(ex['input'])} ({ex['input_dtype']})"),
        f"  {ex['command']}",
        f"  → output {outs}; {ex['params']:,} parameters{frozen}",
    ]
    out.print(*items)


__all__ = ["all_kind_views", "example_graph", "find_kind_view", "kind_view", "positions", "render_kind_view",
           "shorthand_forms", "traits", "written_forms"]
