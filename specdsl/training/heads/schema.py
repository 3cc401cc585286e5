"""The schema of a BPReveal head, shared verbatim by ``bpreveal-solo`` and ``specdsl-train`` (profile heads)."""

from __future__ import annotations

from specdsl.schema import WORDS, Schema, integer, number, obj, open_fraction, string

NAME_PATTERN = "^[A-Za-z0-9_.-]+$"  # Keras layer and metric names; no '/', spaces or brackets


# How output layers are named, said once for every head kind's ``head-name``: an output per target
# is named after its target however many targets the head has, so a model's outputs never change
# name with how many targets a pattern matched (and DeepCpG's tools find their cells by name).
PER_TARGET = ("The head's name, used in messages. Each output layer is named after its target "
              "(cpg/BS27_4_SER → cpg_BS27_4_SER), however many targets the head has.")
ONE_OUTPUT = "The head's name, used in messages and as its one output layer's name."


def head_name(doc: str, example: str) -> Schema:
    """A head's name: it becomes Keras layer and metric names, so letters, digits, _ . - only."""
    return {**string(doc, example=example), "pattern": NAME_PATTERN,
            WORDS: "a name of letters, digits, _ . and - (no '/', spaces or brackets)"}


def head_properties() -> dict[str, Schema]:
    """The keys of a BPReveal head, shared verbatim by ``bpreveal-solo`` and ``specdsl-train``."""
    return {
        "num-tasks": integer("How many tracks this head predicts (e.g. 2 for the + and - strands).", minimum=1,
                             example=2),
        "profile-loss-weight": number("Multiplies this head's profile (multinomial) loss, to balance heads with "
                                      "different coverage.", minimum=0, example=1),
        "counts-loss-weight": number("Multiplies this head's counts (MSE) loss (BPNet's lambda); needed even with "
                                     "one head because the counts loss is tiny next to the profile loss.",
                                     minimum=0, example=100, optional=True),
        "counts-loss-frac-target": open_fraction("Turns on adaptive counts-loss weighting: after each epoch the "
                                                 "counts weight is adjusted so that counts make up this fraction of "
                                                 "the head's loss; strictly between 0 and 1.", example=0.1,
                                                 optional=True),
        "head-name": head_name("The head's name, used in layer, metric and output names.", "oct4"),
    }


def bpreveal_head_schema(extra: dict[str, Schema] | None = None) -> Schema:
    return obj("head", "One output head: a profile over its tasks and one log-count.",
               {**(extra or {}), **head_properties()},
               one_or_both=("counts-loss-weight", "counts-loss-frac-target"),
               foreign={"use-bias-counts": "use-bias-counts belongs to BPReveal's combined-model heads, not to a "
                                           "solo model"})
