"""BPReveal's registered loss names, so models trained by BPReveal load in specdsl.

BPReveal (``src/losses.py``, reference ``bpreveal.md`` "Saved models") compiles its models with
two plain functions registered as ``@register_keras_serializable(package="bpreveal", …)``; a
``.keras`` file therefore names them only as ``bpreveal>multinomialNll`` and
``bpreveal>reweightableMse`` (module ``bpreveal.losses``), and loading it anywhere without them
fails with ``Could not locate function 'bpreveal>multinomialNll'``.  Registering functions under
the same names lets ``keras.saving.load_model(path, safe_mode=True)`` load such a file with its
compile state after ``import specdsl``; nothing is executed from the file.

The math is specdsl's own (:func:`~specdsl.training.losses.multinomial_nll`,
:func:`~specdsl.training.losses.log_counts_mse`); only the names are BPReveal's, and so are the
function names, so the metrics of a loaded model are logged under BPReveal's keys
(``…_multinomial_nll``, ``…_reweightable_mse``).

The counts weight λ is not in the file
--------------------------------------
BPReveal's ``reweightableMse`` is a closure made by ``weightedMse(λ)`` over a ``tf.Variable``;
Keras serializes a function by its registered name alone, so λ is lost on save (BPReveal's own
``utils.loadModel`` substitutes ``dummyMse``, which returns NaN).  Here the loaded counts loss
is the plain MSE (λ = 1), so evaluating a loaded model gives finite, comparable numbers; a
specdsl training that starts from such a model compiles its own losses with the config's λ.
"""

from __future__ import annotations

from typing import Any

import keras

# The submodule, not its names: this module may be imported while ``losses`` is still
# executing (registration right after ``import keras``, see specdsl.backend.custom_objects).
from specdsl.training import losses as _losses


@keras.saving.register_keras_serializable(package="bpreveal", name="multinomialNll")
def multinomialNll(trueCounts: Any, logits: Any) -> Any:  # noqa: N802, N803 - BPReveal's names
    """BPReveal's profile loss: per-region multinomial NLL over positions × tasks (batch-averaged by Keras)."""
    return _losses.multinomial_nll(trueCounts, logits)


@keras.saving.register_keras_serializable(package="bpreveal", name="reweightableMse")
def reweightableMse(yTrue: Any, yPred: Any) -> Any:  # noqa: N802, N803 - BPReveal's names
    """BPReveal's counts loss with λ = 1 (λ is not saved in the file; see the module docstring)."""
    return _losses.log_counts_mse(yTrue, yPred)


#: What files of Keras ≤ 3.6, which saved a registered function by its bare name, call them.
LEGACY_NAMES = {"multinomialNll": multinomialNll, "reweightableMse": reweightableMse}

__all__ = ["LEGACY_NAMES", "multinomialNll", "reweightableMse"]
