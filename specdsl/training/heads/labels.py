"""``labels``: one label per position of a read (sequence labelling, tranquillyzer's segments).

Targets are (length,) integer labels per example, −1 at padding (a batch is padded to its
longest read).  The head adds a per-position dense layer with one unit per class, then

* ``decoder: crf`` (default): a linear-chain CRF (:class:`specdsl.backend.crf.CRF`) whose
  padding comes from the token input (token 0).  Loss: the CRF's negative log-likelihood per
  read, averaged over reads (:class:`specdsl.training.crf.CRFNegLogLikelihood`); metric:
  per-base accuracy of the Viterbi path;
* ``decoder: softmax``: a per-position softmax.  Loss: cross-entropy averaged over the
  labelled positions of the batch (:class:`specdsl.training.masked.MaskedSparseCrossentropy`);
  metric: per-base accuracy of the arg-max.

Both count unpadded positions only (label ≥ 0).
"""

from __future__ import annotations

from typing import Any

from specdsl.errors import SpecError
from specdsl.language.parsing import parse_chain
from specdsl.language.printer import format_scalar
from specdsl.schema import Schema, choice, constant, list_of, number, obj, string
from specdsl.training.heads import HeadKind, OutputSpec, ResolvedHead, layer_name, register
from specdsl.training.heads.schema import ONE_OUTPUT, head_name
from specdsl.training.heads.selection import select_targets
from specdsl.training.ir import HeadIR

DECODERS = ("crf", "softmax")


def labels_chain(classes: int, decoder: str = "crf", l2: float = 0.0) -> str:
    """The layers the head adds after the body, as an architecture string."""
    penalty = f"l1=0,l2={format_scalar(float(l2))}"
    if decoder == "crf":
        return f"dense[{classes},{penalty}]_crf"
    return f"dense[{classes},act=softmax,{penalty}]"


class LabelsHead(HeadKind):
    name = "labels"
    doc = "one label per position (a CRF or a softmax over classes); −1 marks padding; per-base accuracy"

    def schema(self) -> Schema:
        return obj("labels head", "One label per position of a read (labels 0..K−1 per position; −1 = padding).", {
            "kind": constant("This head's kind.", self.name),
            "head-name": head_name(ONE_OUTPUT, "labels"),
            "target": string("The per-position label field in the data.", example="labels"),
            "classes": {**list_of(string("A class (segment) name.", example="cDNA"),
                                  "The class names, in label order.", min_items=2),
                        "examples": [["5p", "CBC", "UMI", "polyT", "cDNA", "3p"]]},
            "decoder": choice("crf: a linear-chain CRF decodes the most likely label path (tranquillyzer's "
                              "crf_layer TRUE); softmax: each position on its own.", list(DECODERS), default="crf"),
            "l2": number("L2 penalty on the per-position dense layer's kernel (tranquillyzer's regularization).",
                         minimum=0, default=0.0),
            "loss-weight": number("Multiplies this head's loss.", minimum=0, default=1.0),
        })

    def resolve(self, head: HeadIR, index: int, available: dict[str, tuple[int, ...]]) -> ResolvedHead:
        target = select_targets([head.get("target")], list(available), limit=1, head=head.name,
                                path=head.path or "heads")[0]
        shape = tuple(available[target])
        if len(shape) != 1:
            raise SpecError(f"head '{head.name}' needs one label per position, but '{target}' has shape "
                            f"{shape} per example", path=head.path or "heads",
                            expected="a label field of shape (length,)")
        classes = len(head.get("classes"))
        if classes < 2:
            raise SpecError(f"head '{head.name}' needs at least 2 classes", path=head.path)
        decoder = head.get("decoder", "crf")
        if decoder not in DECODERS:
            raise SpecError(f"head '{head.name}': unknown decoder '{decoder}'", path=head.path,
                            expected="crf or softmax")
        chain = parse_chain(labels_chain(classes, decoder, float(head.get("l2", 0.0))))
        return ResolvedHead(head, [OutputSpec(layer_name(head.name), head.name, target, chain)], index)

    def check_body(self, rh: ResolvedHead, shape: tuple) -> None:
        if len(shape) != 2:
            raise SpecError(f"head '{rh.head.name}' (labels) needs the architecture to end in a sequence "
                            f"(length × features), but it ends in shape {shape}", path=rh.head.path or "heads",
                            hint="keep the sequence: convolutions with pad=same, recurrent layers with seq=yes, "
                                 "no pooling or flattening")

    scores = True

    def score(self, rh: ResolvedHead, y_true: Any, y_pred: Any) -> dict[str, Any]:
        import numpy as np

        from specdsl.training.metrics import multiclass_metrics

        y_pred = np.asarray(y_pred)
        if rh.head.get("decoder", "crf") == "crf":
            calls = np.rint(y_pred[..., -1]).astype(np.int64)
        else:
            calls = y_pred.argmax(axis=-1)
        y = np.asarray(y_true).reshape(-1)
        calls = calls.reshape(-1)
        keep = y >= 0
        return multiclass_metrics(y[keep], calls[keep], list(rh.head.get("classes")))

    def compile_parts(self, rh: ResolvedHead) -> tuple[dict, dict, dict]:
        out = rh.outputs[0]
        weight = {out.layer: float(rh.head.get("loss_weight", 1.0))}
        if rh.head.get("decoder", "crf") == "crf":
            from specdsl.training.crf import CRFNegLogLikelihood, ViterbiAccuracy

            return {out.layer: CRFNegLogLikelihood(out.layer)}, weight, {out.layer: [ViterbiAccuracy(name="acc")]}
        from specdsl.training.masked import MaskedSparseCrossentropy, ObservedSparseAccuracy

        return {out.layer: MaskedSparseCrossentropy()}, weight, {out.layer: [ObservedSparseAccuracy(name="acc")]}


register(LabelsHead())
