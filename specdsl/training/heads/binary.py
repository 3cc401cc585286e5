"""``binary``: one sigmoid output per target (DeepCpG's ``cpg/<cell>`` outputs, drug resistance calls).

A missing label (−1 or NaN) gets weight 0 and does not count in the mean:
loss = Σ m·c·BCE / max(1, Σ m) over the batch, m = 1 where observed, c = the class weight
(DeepCpG's inverse class frequencies, on by default).  Keras 3's default reduction divides by
every element, which would shrink the loss of sparsely observed cells; this does not.
Metrics (accuracy, AUC) count observed labels only.
"""

from __future__ import annotations

from typing import Any

from specdsl.language.parsing import parse_chain
from specdsl.schema import Schema, boolean, constant, integer, list_of, number, obj, string
from specdsl.training.heads import HeadKind, OutputSpec, ResolvedHead, layer_name, register
from specdsl.training.heads.schema import PER_TARGET, head_name
from specdsl.training.heads.selection import class_weights, select_targets
from specdsl.training.ir import HeadIR


def _targets_schema(what: str) -> Schema:
    return list_of(string(f"A {what} name in the data, or a regular expression matched from its start "
                          "(DeepCpG's --output_names).", example="cpg/.*"),
                   f"Which {what}s this head predicts.")


class BinaryHead(HeadKind):
    name = "binary"
    doc = "one sigmoid output per target; missing labels (−1, NaN) masked; class-weighted BCE"

    def schema(self) -> Schema:
        return obj("binary head", "One sigmoid output per target (0/1 labels; −1 or NaN = unknown).", {
            "kind": constant("This head's kind.", self.name),
            "head-name": head_name(PER_TARGET, "cpg"),
            "targets": _targets_schema("target"),
            "max-targets": integer("At most this many targets (DeepCpG's --nb_output).", minimum=1, optional=True,
                                   example=10),
            "class-weights": boolean("Weight each class by its inverse frequency in the training data "
                                     "(DeepCpG's default).", default=True),
            "loss-weight": number("Multiplies this head's losses.", minimum=0, default=1.0),
        })

    def resolve(self, head: HeadIR, index: int, available: dict[str, tuple[int, ...]]) -> ResolvedHead:
        chosen = select_targets(head.get("targets", (".*",)), list(available), limit=head.get("max_targets"),
                                head=head.name, path=head.path or "heads")
        chain = parse_chain("dense[1,act=sigmoid,l1=0,l2=0]")
        return ResolvedHead(head, [OutputSpec(layer_name(t), t, t, chain) for t in chosen], index)

    def prepare(self, heads: list[ResolvedHead], plan: Any) -> None:
        for rh in heads:
            weights = {}
            for out in rh.outputs:
                labels = plan.reader.labels(plan.ir, out.field)
                observed = labels[(labels >= 0)]
                rh.state.setdefault("stats", {})[out.display] = {
                    "observed": int(observed.size), "total": int(labels.size),
                    "mean": float(observed.mean()) if observed.size else float("nan")}
                if rh.head.get("class_weights", True):
                    weights[out.layer] = class_weights(observed, 2)
            rh.state["class_weights"] = weights

    scores = True

    def score(self, rh: ResolvedHead, y_true: Any, y_pred: Any) -> dict[str, Any]:
        from specdsl.training.metrics import binary_metrics

        return binary_metrics(y_true.ravel(), y_pred.ravel())

    def after_run(self, heads: list[ResolvedHead], plan: Any, paths: Any, history: dict[str, Any]) -> list[Any]:
        """The workshop's accuracy and loss pictures, named by learning rate and dropout."""
        from specdsl.training.curves import classifier_curves

        return classifier_curves(self.name, plan, paths, history)

    def compile_parts(self, rh: ResolvedHead) -> tuple[dict, dict, dict]:
        from specdsl.training.masked import MaskedBinaryCrossentropy, ObservedAUC, ObservedBinaryAccuracy

        losses, weights, metrics = {}, {}, {}
        for out in rh.outputs:
            losses[out.layer] = MaskedBinaryCrossentropy(class_weights=rh.state["class_weights"].get(out.layer))
            weights[out.layer] = float(rh.head.get("loss_weight", 1.0))
            metrics[out.layer] = [ObservedBinaryAccuracy(name="acc"), ObservedAUC(name="auc")]
        return losses, weights, metrics


register(BinaryHead())
