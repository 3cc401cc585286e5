"""BPReveal's other programs and the keys that give their configs away.

specdsl trains solo models from ``trainSoloModel`` configs.  A user who passes the
config of another BPReveal program (they look alike: JSON with ``settings``,
``heads``, ``verbosity``) should be told which program it belongs to, not be
given "did you mean" hints about keys.  Each entry lists key paths that only that
program's schema has (``src/schematools/*.schema`` in mmtrebuchet/bpreveal);
``heads[]`` means "in any head".  The table is data: adding a program is a line.
"""

from __future__ import annotations

from collections.abc import Sequence

#: (program, key paths of which any one identifies it); checked in this order.
PROGRAMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("trainTransformationModel", ("settings.solo-model-file", "settings.profile-architecture",
                                  "settings.counts-architecture")),
    # A head's use-bias-counts alone is not enough: a solo config with that one stray key gets the
    # schema's own hint about it instead.
    ("trainCombinedModel", ("settings.transformation-model",)),
    ("makePredictions", ("bed-file+settings", "fasta-file+settings", "settings.architecture.model-file")),
    ("interpretPisa", ("task-id", "bed-file+head-id+output-h5")),
    ("interpretFlat", ("profile-h5", "counts-h5", "profile-task-ids", "num-shuffles")),
    ("prepareBed", ("splits", "resize-mode", "remove-overlaps", "heads[].bigwig-names")),
    ("prepareTrainingData", ("reverse-complement", "regions", "heads[].bigwig-files",
                             "heads[].revcomp-task-order")),
    ("motifSeqletCutoffs", ("seqlets-tsv", "modisco-h5", "modisco-contrib-h5", "quantile-json")),
    ("motifScan", ("scan-settings", "seqlet-cutoff-json")),
    ("addNoise", ("input-h5", "output-size-ratio", "profile-mutation-types")),
    ("makePisaFigure", ("graph-configs", "plot-configs")),
)


#: The programs specdsl runs itself, and the command that does.
RUN_WITH: dict[str, str] = {"makePredictions": "specdsl bpreveal make-predictions"}


def _has(value: object, path: Sequence[str]) -> bool:
    if not path:
        return True
    step, rest = path[0], path[1:]
    if step.endswith("[]"):
        items = value.get(step[:-2]) if isinstance(value, dict) else None
        return isinstance(items, list) and any(_has(item, rest) for item in items)
    return isinstance(value, dict) and step in value and _has(value[step], rest)


def matches(config: object, signature: str) -> bool:
    """Whether a plain config value has every ``+``-joined key path of ``signature``."""
    return all(_has(config, part.split(".")) for part in signature.split("+"))


def foreign_program(config: object) -> tuple[str, str] | None:
    """``(program, the key paths that gave it away)`` for another BPReveal program's config, or None."""
    for program, signatures in PROGRAMS:
        for sig in signatures:
            if matches(config, sig):
                return program, sig
    return None


__all__ = ["PROGRAMS", "RUN_WITH", "foreign_program", "matches"]
