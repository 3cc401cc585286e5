"""Training: BPReveal-compatible data pipeline, losses and the adaptive counts-loss weight.

Importing this package is free: names are loaded from their submodules on first use, so
``specdsl.training.check_dataset`` needs only h5py, and TensorFlow/Keras load only with
``make_dataset``, the losses or the callback.

* :mod:`specdsl.formats.bpreveal_h5` — check ``prepareTrainingData`` HDF5 files (``check_dataset``,
  ``summarize_counts``, ``solo_output_names``); :mod:`.profile_stream` streams them (``make_dataset``);
* :mod:`specdsl.formats.synthetic_profiles` — write synthetic files with planted motifs (``write_synthetic``);
* :mod:`.losses` — ``MultinomialNLL``, ``ReweightableMSE``, ``solo_losses``;
* :mod:`.adaptive` — ``AdaptiveCountsLossWeight``, ``AdaptiveHead``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "specdsl.formats.bpreveal_h5": ("CountsSummary", "Layout", "check_dataset", "head_dataset", "solo_output_names",
                                    "summarize_counts"),
    "specdsl.training.profile_stream": ("make_dataset",),
    "specdsl.formats.synthetic_profiles": ("Motif", "default_motifs", "write_synthetic"),
    "specdsl.training.losses": ("MultinomialNLL", "ReweightableMSE", "SoloLosses", "counts_losses_of",
                                "log_counts_mse", "log_gamma", "multinomial_nll", "refresh_compiled_steps",
                                "solo_losses"),
    "specdsl.training.adaptive": ("AdaptiveCountsLossWeight", "AdaptiveHead", "HISTORY_KEY", "next_weight"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'specdsl.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
