"""``multiclass``: one softmax output over named classes, integer labels (−1 = unknown, masked).

Loss = Σ m·c·CE / max(1, Σ m) with optional inverse-frequency class weights c, as for
``binary``; accuracy counts observed labels only.
"""

from __future__ import annotations

from typing import Any

from specdsl.errors import SpecError
from specdsl.language.parsing import parse_chain
from specdsl.schema import Schema, boolean, constant, list_of, number, obj, string
from specdsl.training.heads import HeadKind, OutputSpec, ResolvedHead, layer_name, register
from specdsl.training.heads.schema import ONE_OUTPUT, head_name
from specdsl.training.heads.selection import class_weights, select_targets
from specdsl.training.ir import HeadIR


class MulticlassHead(HeadKind):
    name = "multiclass"
    doc = "one softmax output over named classes; integer labels, −1 masked; optional class weights"

    def schema(self) -> Schema:
        return obj("multiclass head", "One softmax output over named classes (labels 0..K−1; −1 = unknown).", {
            "kind": constant("This head's kind.", self.name),
            "head-name": head_name(ONE_OUTPUT, "cap"),
            "target": string("The label field in the data.", example="cap_class"),
            "classes": list_of(string("A class name.", example="cap0"), "The class names, in label order.",
                               min_items=2),
            "class-weights": boolean("Weight each class by its inverse frequency in the training data.",
                                     default=False),
            "loss-weight": number("Multiplies this head's loss.", minimum=0, default=1.0),
        })

    def resolve(self, head: HeadIR, index: int, available: dict[str, tuple[int, ...]]) -> ResolvedHead:
        target = select_targets([head.get("target")], list(available), limit=1, head=head.name,
                                path=head.path or "heads")[0]
        classes = len(head.get("classes"))
        if classes < 2:
            raise SpecError(f"head '{head.name}' needs at least 2 classes", path=head.path)
        chain = parse_chain(f"dense[{classes},act=softmax,l1=0,l2=0]")
        return ResolvedHead(head, [OutputSpec(layer_name(head.name), head.name, target, chain)], index)

    def prepare(self, heads: list[ResolvedHead], plan: Any) -> None:
        for rh in heads:
            out = rh.outputs[0]
            k = len(rh.head.get("classes"))
            labels = plan.reader.labels(plan.ir, out.field)
            bad = labels[(labels >= k)]
            if bad.size:
                raise SpecError(f"head '{rh.head.name}': label {int(bad[0])} in '{out.field}' is not a class "
                                f"index (0..{k - 1})", path=rh.head.path,
                                hint="list every class under classes, in label order")
            rh.state["class_weights"] = class_weights(labels, k) if rh.head.get("class_weights", False) else None

    scores = True

    def score(self, rh: ResolvedHead, y_true: Any, y_pred: Any) -> dict[str, Any]:
        from specdsl.training.metrics import multiclass_metrics

        return multiclass_metrics(y_true.ravel(), y_pred.reshape(len(y_pred), -1), list(rh.head.get("classes")))

    def after_run(self, heads: list[ResolvedHead], plan: Any, paths: Any, history: dict[str, Any]) -> list[Any]:
        """The workshop's accuracy and loss pictures, named by learning rate and dropout."""
        from specdsl.training.curves import classifier_curves

        return classifier_curves(self.name, plan, paths, history)

    def compile_parts(self, rh: ResolvedHead) -> tuple[dict, dict, dict]:
        from specdsl.training.masked import MaskedSparseCrossentropy, ObservedSparseAccuracy

        out = rh.outputs[0]
        return ({out.layer: MaskedSparseCrossentropy(class_weights=rh.state.get("class_weights"))},
                {out.layer: float(rh.head.get("loss_weight", 1.0))},
                {out.layer: [ObservedSparseAccuracy(name="acc")]})


register(MulticlassHead())
