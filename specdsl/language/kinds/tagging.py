"""Sequence labelling (tagging): the linear-chain CRF over per-position label scores."""

from __future__ import annotations

from typing import Any

from specdsl.language.registry import Arg, Kind, register


def _token_input(ctx: Any) -> Any:
    """The model's integer input, whose 0s are padding (the CRF's mask)."""
    tokens = [node for node in ctx.graph.inputs if node.dtype.startswith(("int", "uint"))]
    if len(tokens) != 1:
        found = "none" if not tokens else ", ".join(node.name for node in tokens)
        raise ctx.fail(f"mask=tokens needs the model to have exactly one integer (token) input, but it has {found}",
                       hint="give the model a token input (input NAME: ? : int32, or start with emb[...]), "
                            "or write crf[mask=none] to count every position")
    node = tokens[0]
    return ctx.input_tensor(node)


def lower_crf(ctx, x):
    if len(x.shape) != 2:
        from specdsl.language.primitives import format_shape

        raise ctx.fail(f"needs a sequence of label scores (length × labels), but its input is {format_shape(x.shape)}",
                       hint="put a per-position dense layer with one unit per label before it, e.g. dense[6]_crf")
    inputs = [x] if ctx["mask"] == "none" else [x, _token_input(ctx)]
    return ctx.add("crf", inputs)


register(Kind(
    "crf", "linear-chain CRF over the L label scores of every position (L×L transitions, start and end scores); "
           "gives the scores and the Viterbi label",
    lower_crf,
    args=(Arg("mask", "choice", "tokens",
              "tokens: positions whose token (the model's integer input) is 0 are padding; none: every position "
              "counts", choices=("tokens", "none")),),
    example="crf[mask=none]", example_input=(1000, 6),  # six label scores per position of a 1,000-base read
))
