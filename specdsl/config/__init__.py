"""The training-config language: read, validate and document training configs.

Config kinds are registry entries, one module each (:mod:`.kinds`, ``from_*.py``):
``bpreveal-solo`` (BPReveal's trainSoloModel config, verbatim) and
``specdsl-train`` (specdsl's own).  Every kind loads into the same :class:`TrainingIR`.
Nothing here imports TensorFlow or Keras.
"""

from __future__ import annotations

from specdsl.config.bnf import schema_bnf
from specdsl.config.kinds import config_kinds, schema_json, to_training_ir
from specdsl.config.load import load_config, load_config_text
from specdsl.config.reader import ArrayNode, Entry, Node, ObjectNode, ScalarNode, read_config_file, read_config_text
from specdsl.config.schemas import BPREVEAL_SOLO, SPECDSL_TRAIN
from specdsl.config.templates import init_template
from specdsl.config.validate import detect_kind, validate
from specdsl.training.ir import HeadIR, TrainingIR


def config_docs() -> str:
    """The text of docs/config.md (see :mod:`.docs`).

    Imported on call, so ``python -m specdsl.config.docs`` does not find its own
    module already loaded by this package.
    """
    from specdsl.config.docs import config_docs as render

    return render()


__all__ = [
    "config_kinds", "BPREVEAL_SOLO", "SPECDSL_TRAIN",
    "load_config", "load_config_text", "read_config_file", "read_config_text", "detect_kind", "validate",
    "schema_json", "schema_bnf", "init_template", "config_docs", "to_training_ir",
    "TrainingIR", "HeadIR", "Node", "ObjectNode", "ArrayNode", "ScalarNode", "Entry",
]
