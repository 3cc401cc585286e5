"""Test-only stand-in for a Capfinder search space until :mod:`specdsl.search` is merged.

It offers what :mod:`specdsl.systems.capfinder.tune` uses of ``Space`` (``size``, ``axes``,
``default_point``, ``bind``, ``graph``) for one fixed architecture string of the existing
language — roughly the default point of Capfinder's ``cnn_lstm`` space (one convolution of 32
filters of width 3, max pooling, dropout and batch normalisation, one LSTM of 32 units, a dense
layer of 16) — so the pipeline's ETL, final training, evaluation and artifacts are tested now.
It is never shipped as the Capfinder preset.
"""

from __future__ import annotations

from typing import Any

import pytest

CNN_LSTM_LIKE = "conv[32@3,pad=same]_mp[2]_do[0.1]_bn_lstm[32]_do[0.1]_bn_fc[16]_do[0.1]"
SMALL = "conv[16@7,pad=same]_mp[4]_conv[32@5,pad=same]_mp[4]_gmp_fc[32]"


class StandInSpace:
    """One point: ``arch`` over a signal input of ``target_length`` × 1."""

    def __init__(self, arch: str, target_length: int, num_classes: int):
        self.arch, self.target_length, self.num_classes = arch, target_length, num_classes
        self.size = 1
        self.axes: tuple[Any, ...] = ()

    def default_point(self) -> dict[str, Any]:
        return {}

    def bind(self, values: dict[str, Any]) -> Any:
        from specdsl.language.adhoc import adhoc_preset

        return adhoc_preset(self.arch, shape=(self.target_length, 1), input_name="signal", node_name="body")

    def graph(self, values: dict[str, Any], input_shapes: dict[str, tuple[int, ...]]) -> Any:
        from dataclasses import replace

        from specdsl.language.analysis import build_graph
        from specdsl.language.ir import Heads, Ref
        from specdsl.language.parsing import parse_chain

        head = Heads("cap", 1, Ref("body"), parse_chain(f"dense[{self.num_classes},act=softmax]"))
        return build_graph(replace(self.bind(values), heads=(head,)), {}, input_shapes)


def use_standin(monkeypatch: pytest.MonkeyPatch, arch: str = SMALL) -> None:
    """Make the pipeline's ``make_space`` return the stand-in for ``arch``."""
    from specdsl.systems.capfinder import tune

    monkeypatch.setattr(tune, "make_space", lambda model_type, target_length, num_classes:
                        StandInSpace(arch, target_length, num_classes))
