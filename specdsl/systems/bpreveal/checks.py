"""Cross-field checks of BPReveal's ``trainSoloModel`` configs (the ``bpreveal-solo`` kind)."""

from __future__ import annotations

from specdsl.config.checks import Check, register_check, scalar_at, unique_head_names
from specdsl.config.reader import Node, format_path
from specdsl.config.schemas import BPREVEAL_SOLO
from specdsl.errors import SpecError


def _bpnet_lengths(root: Node) -> list[SpecError]:
    """Check the lengths by analysing the BPNet preset itself, not a copy of its formula."""
    from specdsl.language.lengths import input_for_output, lengths_for_input
    from specdsl.language.presets import get_preset

    base = ["settings", "architecture"]
    names = ("input-length", "output-length", "input-filter-width", "output-filter-width", "layers", "filters")
    nodes = [scalar_at(root, base + [n], int) for n in names]
    if any(n is None for n in nodes):
        return []
    inp, out, ifw, ofw, layers, filters = (int(n.value) for n in nodes)  # type: ignore[union-attr]
    if layers > 40 or min(inp, out, ifw, ofw, filters) < 1:
        return []  # the schema reports those
    bpnet = get_preset("BPNet")
    params = {"filters": 1, "layers": layers, "input_filter_width": ifw, "output_filter_width": ofw,
              "input_length": inp}
    try:
        got = min(lengths_for_input(bpnet, inp, params).outputs.values())
    except SpecError:
        got = None
    if got == out:
        return []
    try:
        fit = f"so input-length must be {input_for_output(bpnet, out, params).input_length}"
    except SpecError:
        fit = "and no input length gives exactly that output"
    made = f"gives an output of {got}" if got is not None else "is too short for the network"
    return [SpecError(
        f"input-length {inp} does not fit output-length {out}: with input-filter-width {ifw}, "
        f"output-filter-width {ofw} and {layers} layers, input-length {inp} {made}, {fit}",
        span=nodes[0].span, path=format_path(base + ["input-length"]),  # type: ignore[union-attr]
        hint="BPReveal itself would only fail at the first batch with a shape error")]


register_check(Check("Head names are all different.", (BPREVEAL_SOLO,), unique_head_names))
register_check(Check("input-length − output-length = input-filter-width + output-filter-width + 2^(layers+2) − 6 "
                     "(BPReveal's lengthCalc).", (BPREVEAL_SOLO,), _bpnet_lengths))
