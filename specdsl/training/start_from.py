"""Starting a run from trained weights: DeepCpG's staged training and continuing a trained model.

Layers are matched by name.  BPReveal names its BPNet layers ``solo_initial_conv`` and
``solo_conv_{i}`` where specdsl's BPNet preset has ``body_conv1`` and ``body_dilres1_conv{i}``
(the output layers ``solo_profile_{head}`` / ``solo_logcounts_{head}`` are named alike), so a
model trained by BPReveal is translated by :data:`BPREVEAL_NAMES` and can start a specdsl run.
"""

from __future__ import annotations

import re
from typing import Any

from specdsl.errors import SpecError

# A whole trained model (``model.start-from``): its output layers are copied too.
WHOLE_MODEL = "model"

# BPReveal's BPNet layer names → specdsl's BPNet preset names.
BPREVEAL_NAMES: tuple[tuple[str, str], ...] = (
    (r"solo_initial_conv", "body_conv1"),
    (r"solo_conv_(\d+)", r"body_dilres1_conv\1"),
)


def specdsl_name(name: str) -> str:
    """The name a layer of a BPReveal model has in specdsl's BPNet (other names are kept)."""
    for pattern, replacement in BPREVEAL_NAMES:
        if re.fullmatch(pattern, name):
            return re.sub(pattern, replacement, name)
    return name


def start_from(model: Any, ir: Any, output_layers: set[str]) -> list[str]:
    """Copy weights by layer name from the trained models of ``ir.body.start_from``.

    A DeepCpG part model (``dna``, ``cpg``) gives its body: its output layers are not the joint
    model's.  A whole model (:data:`WHOLE_MODEL`) gives every layer it shares with this one.
    Returns the names of the layers copied.
    """
    from specdsl.backend.keras_model import load_model

    copied = []
    for part, path in ir.body.start_from:
        source = load_model(path)
        theirs = {specdsl_name(layer.name): layer for layer in source.layers if layer.weights}
        before = len(copied)
        for layer in model.layers:
            other = theirs.get(layer.name)
            if other is None or not layer.weights or (part != WHOLE_MODEL and layer.name in output_layers):
                continue
            if [w.shape for w in layer.weights] != [w.shape for w in other.weights]:
                raise SpecError(f"layer '{layer.name}' of the trained {part} has other shapes than in the model "
                                f"being trained ({[tuple(w.shape) for w in other.weights]} against "
                                f"{[tuple(w.shape) for w in layer.weights]})", file=path,
                                hint="train with the same architecture parameters (filters, widths, cells)")
            layer.set_weights(other.get_weights())
            copied.append(layer.name)
        if len(copied) == before:
            raise SpecError(f"no layer of the trained {part} matches the model being trained", file=path,
                            hint="the layers are matched by name; start from a model of the same architecture")
    return copied


__all__ = ["BPREVEAL_NAMES", "WHOLE_MODEL", "specdsl_name", "start_from"]
