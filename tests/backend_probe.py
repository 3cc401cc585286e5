"""One backend's view of a config's model: outputs, loss and one SGD step on one fixed batch.

Run as ``KERAS_BACKEND=B python tests/backend_probe.py FOLDER CONFIG…``.  The first run (the one
that finds no ``batch.npz`` in a config's folder) reads a training batch through the config's own
reader and saves it with the freshly built model's weights, and the model as a ``.keras`` file;
every run then loads them, so each backend sees the same numbers, and writes ``<backend>.npz``:
the outputs (inference mode), those of the ``.keras`` file loaded on this backend, the loss before
the step and every weight after one plain SGD step.  tests/test_backends.py compares them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

LEARNING_RATE = 0.01


def _numpy(value: object) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(value))


def _arrays(value: object, prefix: str) -> dict[str, np.ndarray]:
    if isinstance(value, dict):
        return {f"{prefix}{k}": _numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return {f"{prefix}{i}": _numpy(v) for i, v in enumerate(value)}
    return {f"{prefix}0": _numpy(value)}


def _first_batch(plan: object) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One training batch, in order, through the run's own reader and input/target binding."""
    from specdsl.training.run_batches import field_batches, keras_pairs

    x, y = keras_pairs(plan)(next(field_batches(plan, "train", shuffle=False, seed=0).run(0)))
    names = [i.name for i in plan.ir.inputs]
    layers = [o.layer for o in plan.outputs]
    x = x if isinstance(x, dict) else {names[0]: x}
    y = y if isinstance(y, dict) else {layers[0]: y}
    return {k: np.asarray(v) for k, v in x.items()}, {k: np.asarray(v) for k, v in y.items()}


def probe(config: str, folder: Path) -> None:
    """The numbers of one config's model on this process's backend (see the module doc)."""
    import keras

    from specdsl.backend.keras_model import bind_losses, build_keras_model, load_model
    from specdsl.config import load_config
    from specdsl.training.plan import make_plan
    from specdsl.training.run import _compile_parts

    keras.utils.set_random_seed(0)
    plan = make_plan(load_config(config))
    model = build_keras_model(plan.graph)
    losses, loss_weights, _ = _compile_parts(plan)
    bind_losses(model, losses)
    model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), loss=losses, loss_weights=loss_weights)
    folder.mkdir(parents=True, exist_ok=True)
    first = not (folder / "batch.npz").exists()
    if first:
        x, y = _first_batch(plan)
        np.savez(folder / "batch.npz", **_arrays(x, "x:"), **_arrays(y, "y:"))
        np.savez(folder / "weights.npz", *model.get_weights())
    batch = np.load(folder / "batch.npz")
    x = {k[2:]: batch[k] for k in batch.files if k.startswith("x:")}
    y = {k[2:]: batch[k] for k in batch.files if k.startswith("y:")}
    saved = np.load(folder / "weights.npz")
    model.set_weights([saved[f"arr_{i}"] for i in range(len(saved.files))])
    if first:  # the file a user trained on this backend, for the others to load
        model.save(folder / "model.keras")
    inputs = x if len(x) > 1 else next(iter(x.values()))
    targets = y if len(y) > 1 else next(iter(y.values()))
    outputs = model(inputs, training=False)
    loaded = load_model(folder / "model.keras")(inputs, training=False)
    loss = model.test_on_batch(inputs, targets)
    model.train_on_batch(inputs, targets)
    results = {**_arrays(outputs, "out:"), **_arrays(loaded, "loaded:"), "loss": np.asarray(loss),
               **{f"weight:{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}}
    np.savez(folder / f"{keras.backend.backend()}.npz", **results)


if __name__ == "__main__":  # FOLDER CONFIG…: one sub-folder of results per config, named after it
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for path in sys.argv[2:]:
        probe(path, Path(sys.argv[1]) / Path(path).stem)
