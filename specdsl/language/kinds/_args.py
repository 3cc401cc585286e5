"""Argument definitions shared by several kinds (one definition, many users)."""

from specdsl.language.registry import ACTIVATIONS, Arg

L1 = Arg("l1", "float", 0.0, "L1 penalty on the kernel", minimum=0.0, setting="l1")
L2 = Arg("l2", "float", 0.0, "L2 penalty on the kernel", minimum=0.0, setting="l2")
BIAS = Arg("bias", "bool", True, "learn a bias vector")
PAD = Arg("pad", "choice", "valid", "padding: valid shrinks the sequence, same keeps its length",
          choices=("valid", "same", "causal"))


def act(default: str) -> Arg:
    return Arg("act", "choice", default, "activation applied after the layer", choices=ACTIVATIONS)


def regularised(ctx) -> dict:
    return {"l1": ctx["l1"], "l2": ctx["l2"]}
