"""Length arithmetic (BPReveal's lengthCalc, for any architecture): input ↔ output length.

Pure analysis: the graph is lowered for trial input lengths, so the answer is right
for every layer kind (valid convolutions, dilations, crops, pools) without a formula
per architecture.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import SpecError
from .ir import Preset
from .model import build_graph


@dataclass(frozen=True)
class LengthAnswer:
    input_name: str
    input_length: int
    outputs: dict[str, int]

    @property
    def receptive_field(self) -> int | None:
        """Bases of input that one output position sees (valid, stride-1 models)."""
        lengths = set(self.outputs.values())
        return self.input_length - lengths.pop() + 1 if len(lengths) == 1 else None


def _sequence_input(preset: Preset, params: Mapping[str, Any]) -> tuple[str, int]:
    graph = build_graph(preset, params)
    seqs = [n for n in graph.inputs if len(n.shape) == 2]
    if len(seqs) != 1:
        raise SpecError(f"{preset.name} does not have exactly one sequence input", span=preset.span)
    return seqs[0].name, seqs[0].shape[1]


def lengths_for_input(preset: Preset, input_length: int, params: Mapping[str, Any] | None = None) -> LengthAnswer:
    params = dict(params or {})
    name, channels = _sequence_input(preset, params)
    graph = build_graph(preset, params, {name: (input_length, channels)})
    outs = {k: v[0] for k, v in graph.output_shapes().items() if len(v) == 2 and v[0] is not None}
    if not outs:
        raise SpecError(f"{preset.name} has no output with a length (only vectors)", span=preset.span)
    return LengthAnswer(name, input_length, outs)


def input_for_output(preset: Preset, output_length: int, params: Mapping[str, Any] | None = None) -> LengthAnswer:
    """The smallest input length whose profile outputs are exactly ``output_length`` long."""
    if output_length < 1:
        raise SpecError(f"an output length must be ≥ 1, not {output_length}")

    def out_len(n: int) -> int | None:
        try:
            return min(lengths_for_input(preset, n, params).outputs.values())
        except SpecError as err:
            if "impossible shape" in err.message:
                return None
            raise

    lo, hi = 1, max(2, output_length)
    while (out_len(hi) or 0) < output_length:
        lo, hi = hi, hi * 2
        if hi > 10_000_000:
            raise SpecError(f"no input length up to 10,000,000 gives an output of {output_length}",
                            hint="the network trims more than that; check its depth (e.g. layers)")
    while lo < hi:  # smallest n with out_len(n) >= output_length
        mid = (lo + hi) // 2
        if (out_len(mid) or 0) >= output_length:
            hi = mid
        else:
            lo = mid + 1
    answer = lengths_for_input(preset, lo, params)
    if min(answer.outputs.values()) != output_length:
        raise SpecError(
            f"no input length gives an output of exactly {output_length}",
            hint=f"input {lo} gives {min(answer.outputs.values())}",
        )
    return answer


def check_lengths(preset: Preset, input_length: int, output_length: int,
                  params: Mapping[str, Any] | None = None, path: str | None = None) -> None:
    """Reject a config whose lengths disagree with its architecture, naming the fitting length."""
    got = lengths_for_input(preset, input_length, params)
    if set(got.outputs.values()) != {output_length}:
        fit = input_for_output(preset, output_length, params)
        raise SpecError(
            f"input-length {input_length} gives an output of {min(got.outputs.values())}, "
            f"not output-length {output_length}",
            path=path,
            hint=f"for output-length {output_length} use input-length {fit.input_length}; "
                 f"or keep input-length {input_length} with output-length {min(got.outputs.values())}",
        )
