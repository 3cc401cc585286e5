"""``regression``: one linear output per target, MSE over observed (non-NaN) values."""

from __future__ import annotations

import math
from typing import Any

from specdsl.language.parsing import parse_chain
from specdsl.schema import Schema, constant, number, obj
from specdsl.training.heads import HeadKind, OutputSpec, ResolvedHead, layer_name, register
from specdsl.training.heads.binary import _targets_schema
from specdsl.training.heads.schema import PER_TARGET, head_name
from specdsl.training.heads.selection import select_targets
from specdsl.training.ir import HeadIR


class RegressionHead(HeadKind):
    name = "regression"
    doc = "one linear output per target; mean squared error over observed (non-NaN) values"

    def schema(self) -> Schema:
        return obj("regression head", "One linear output per target (NaN = unknown).", {
            "kind": constant("This head's kind.", self.name),
            "head-name": head_name(PER_TARGET, "level"),
            "targets": _targets_schema("target"),
            "loss-weight": number("Multiplies this head's losses.", minimum=0, default=1.0),
        })

    def resolve(self, head: HeadIR, index: int, available: dict[str, tuple[int, ...]]) -> ResolvedHead:
        chosen = select_targets(head.get("targets", (".*",)), list(available), limit=None, head=head.name,
                                path=head.path or "heads")
        outputs = []
        for target in chosen:
            width = math.prod(available[target]) if available[target] else 1
            outputs.append(OutputSpec(layer_name(target), target, target, parse_chain(f"dense[{width},l1=0,l2=0]")))
        return ResolvedHead(head, outputs, index)

    scores = True

    def score(self, rh: ResolvedHead, y_true: Any, y_pred: Any) -> dict[str, Any]:
        from specdsl.training.metrics import regression_metrics

        return regression_metrics(y_true.ravel(), y_pred.ravel())

    def compile_parts(self, rh: ResolvedHead) -> tuple[dict, dict, dict]:
        from specdsl.training.masked import MaskedMSE, ObservedMAE

        weight = float(rh.head.get("loss_weight", 1.0))
        return ({o.layer: MaskedMSE() for o in rh.outputs}, {o.layer: weight for o in rh.outputs},
                {o.layer: [ObservedMAE(name="mae")] for o in rh.outputs})


register(RegressionHead())
