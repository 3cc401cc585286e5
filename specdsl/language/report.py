"""Parameter / MAC reports: plain data first (for --json), rendering second."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from specdsl.language.ir import Concat, Preset, Ref
from specdsl.language.lowering import LayerGraph
from specdsl.language.primitives import PRIMITIVES, Shape, format_shape
from specdsl.language.printer import format_chain

if TYPE_CHECKING:
    from specdsl.console import Printer


def layer_type(prim: str, config: dict | None = None) -> str:
    """The Keras class name users see in ``model.summary()``."""
    if prim == "input":
        return "InputLayer"
    if prim == "rnn" and config:
        return "Bidirectional" if config["bidirectional"] else config["cell"].upper()
    return PRIMITIVES[prim].keras_class


def graph_report(graph: LayerGraph) -> dict[str, Any]:
    """Everything ``specdsl params --json`` prints; analysis only, no TensorFlow."""
    layers = []
    for node in graph.layers:
        layers.append({
            "name": node.name,
            "type": layer_type(node.prim, node.config),
            "kind": node.kind,
            "output_shape": list(node.shape),
            "params": node.params,
            "trainable": node.trainable,
            "non_trainable": node.non_trainable,
            "macs": node.macs,
            "spec": node.spec,
            "line": node.span.line if node.span else None,
            "column": node.span.column if node.span else None,
        })
    return {
        "model": graph.name,
        "total": graph.total,
        "trainable": graph.trainable,
        "non_trainable": graph.non_trainable,
        "macs": graph.macs,
        "inputs": {n.name: {"shape": list(n.shape), "dtype": n.dtype} for n in graph.inputs},
        "outputs": {k: list(v) for k, v in graph.output_shapes().items()},
        "settings": {k: v for k, v in graph.settings.items()},
        "layers": layers,
        **({"note": graph.note} if graph.note else {}),
    }


def preset_summary(preset: Preset, graph: LayerGraph | None) -> dict[str, Any]:
    chain = preset.main_chain()
    return {
        "name": preset.name,
        "family": preset.family,
        "inputs": {n.name: list(n.shape) for n in graph.inputs} if graph else {},
        "params": graph.total if graph else None,
        "spec": format_chain(chain) if chain else "",
        "doc": preset.doc,
    }


def human(n: int | None) -> str:
    if n is None:
        return "?"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.2f}{unit}"
    return str(n)


TABLE_ROWS = 400  # a table longer than this shows its head and tail (every layer is in --json)


def render_graph_report(report: dict[str, Any], out: Printer) -> None:
    """The layer table and its totals: every cell verbatim (``act[gelu]`` stays ``act[gelu]``)."""
    from specdsl.console import Column, Table, styled

    table = Table([Column("layer", wrap=False), Column("type", wrap=False), Column("output shape", wrap=False),
                   Column("params", "right", wrap=False), Column("MACs", "right", wrap=False), Column("from spec")],
                  title=f"{report['model']}")
    for name, info in report["inputs"].items():
        table.add_row(name, "InputLayer", format_shape(tuple(info["shape"])), "0", "0", f"input ({info['dtype']})")
    layers = report["layers"]
    skipped = max(0, len(layers) - TABLE_ROWS)
    shown = layers if not skipped else layers[:TABLE_ROWS // 2] + layers[-TABLE_ROWS // 2:]
    for i, row in enumerate(shown):
        if skipped and i == TABLE_ROWS // 2:
            table.add_row(f"… {skipped:,} more layers", "", "", "", "", styled(("all of them: --json", "dim")))
        where = styled(row["spec"], (f"  @{row['line']}:{row['column']}", "dim")) if row["line"] else row["spec"]
        table.add_row(row["name"], row["type"], format_shape(tuple(row["output_shape"])),
                      f"{row['params']:,}", human(row["macs"]), where)
    macs = report["macs"]
    outs = ", ".join(f"{k} {format_shape(tuple(v))}" for k, v in report["outputs"].items())
    ins = ", ".join(f"{k} {format_shape(tuple(v['shape']))}" for k, v in report["inputs"].items())
    out.print(
        table,
        styled("total params: ", (f"{report['total']:,}", "bold"),
               f"  (trainable {report['trainable']:,}, non-trainable {report['non_trainable']:,}; "
               f"{report['total'] * 4 / 1024 ** 2:.2f} MiB as float32)"),
        styled(f"MACs per example: {'unknown (a length is ?)' if macs is None else f'{macs:,} ({human(macs)})'}",
               ("  (1 MAC = one multiply-accumulate; FLOPs ≈ 2 × MACs)", "dim")),
        f"inputs: {ins}   outputs: {outs}",
    )
    if report.get("note"):
        out.print(f"note: {report['note']}")


def chain_input_shape(preset: Preset, graph: LayerGraph) -> Shape | None:
    """The shape the preset's main architecture string reads (after any concat)."""
    chain = preset.main_chain()
    node = next((n for n in reversed(preset.nodes) if n.chain is chain), None)
    if node is None:
        return None
    if isinstance(node.source, Ref):
        return next((i.shape for i in graph.inputs if i.name == node.source.name), None)
    if isinstance(node.source, Concat):
        return next((n.shape for n in graph.layers if n.kind == "concat"), None)
    return None
