"""Layer graph → Keras 3 functional model.

The graph is already checked and named, so this is a literal walk: one Keras layer
per graph node, built with the stock layer classes (no ``Lambda``), which is what
lets a saved ``.keras`` file load with ``safe_mode=True`` in a fresh process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from specdsl.backend.custom_objects import SERIALIZABLE_MODULES
from specdsl.errors import SpecError
from specdsl.language.lowering import LayerGraph
from specdsl.language.primitives import PRIMITIVES


def build_keras_model(graph: LayerGraph) -> Any:
    from specdsl.backend.quiet import import_keras

    keras = import_keras()

    tensors: dict[str, Any] = {}
    inputs = []
    for node in graph.inputs:
        x = keras.Input(shape=node.shape, dtype=node.dtype, name=node.name)
        tensors[node.name] = x
        inputs.append(x)
    outputs_set = set(graph.outputs)
    policy = keras.config.dtype_policy()
    for node in graph.layers:
        try:
            tensors[node.name] = _build_layer(keras, node, tensors, node.name in outputs_set, policy)
        except Exception as err:  # out of memory, or a size Keras refuses: the user's spec, not a bug
            reason = (str(err).strip().splitlines() or [type(err).__name__])[0][:300]
            raise SpecError(f"Keras cannot build {node.spec or node.name} (layer {node.name}): "
                            f"{type(err).__name__}: {reason}", span=node.span,
                            hint="the layer is probably too large for this machine's memory; make it smaller") from None
    outputs = [tensors[o] for o in graph.outputs]
    name = "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in graph.name) or "model"
    return keras.Model(inputs=inputs if len(inputs) > 1 else inputs[0],
                       outputs=outputs if len(outputs) > 1 else outputs[0], name=name)


def _crf(keras: Any, cfg: dict, name: str) -> Any:
    from specdsl.backend.crf import CRF

    return CRF(name=name)


def _attention_pooling(keras: Any, cfg: dict, name: str) -> Any:
    from specdsl.backend.attention_pool import AttentionPooling

    return AttentionPooling(name=name)


#: Primitives whose layer is one of specdsl's own (the language names them; the backend makes them).
CUSTOM_LAYERS: dict[str, Callable[[Any, dict, str], Any]] = {"crf": _crf, "attpool": _attention_pooling}


def _make(keras: Any, prim: Any, cfg: dict, name: str) -> Any:
    make = prim.make or CUSTOM_LAYERS[prim.name]
    return make(keras, cfg, name)


def _build_layer(keras: Any, node: Any, tensors: dict[str, Any], is_output: bool, policy: Any) -> Any:
    """Make one Keras layer and call it on its inputs' tensors."""
    prim = PRIMITIVES[node.prim]
    if is_output and policy.name.startswith("mixed"):
        # Output layers compute in float32 under mixed precision, so a softmax over
        # thousands of positions and the losses never see float16 logits.
        keras.config.set_dtype_policy("float32")
        try:
            layer = _make(keras, prim, node.config, node.name)
        finally:
            keras.config.set_dtype_policy(policy)
    else:
        layer = _make(keras, prim, node.config, node.name)
    args = [tensors[i] for i in node.inputs]
    return prim.call(layer, args) if prim.call is not None else layer(args[0])


def save_model(model: Any, path: str | Path) -> Path:
    """Save atomically: a crash mid-write never leaves a truncated ``.keras`` file."""
    from specdsl.atomic import atomic_path

    path = Path(path)
    if path.suffix != ".keras":
        raise SpecError(f"the output file must end in .keras, not '{path.name}'", file=str(path))
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)
    return path


def load_model(path: str | Path) -> Any:
    """Load a ``.keras`` file with ``safe_mode=True``: nothing in it is executed.

    specdsl's serializable objects (training losses and metrics, BPReveal's loss names) are
    registered first (:mod:`.custom_objects`; the backend does not depend on training code by
    import), so a trained model loads in a fresh process with its compile state.  Their bare
    names are passed as ``custom_objects`` too, for files saved by Keras ≤ 3.6.
    """
    from specdsl.backend.custom_objects import legacy_custom_objects
    from specdsl.backend.quiet import import_keras

    keras = import_keras()
    legacy = legacy_custom_objects()

    import zipfile

    path = Path(path)
    if not path.is_file():
        raise SpecError("no such file" if not path.exists() else "is a folder, not a model file", file=str(path))
    if not zipfile.is_zipfile(path):
        raise SpecError("not a .keras model archive", file=str(path),
                        expected="a file written by model.save(...keras) or specdsl compile/train")
    try:
        model = keras.saving.load_model(path, custom_objects=legacy, safe_mode=True)
    except (ValueError, OSError, TypeError) as err:
        raise SpecError(f"cannot load this model safely: {err}", file=str(path)) from None
    bind_losses(model, getattr(model, "loss", None))  # a checkpoint's compile state
    return model


def bind_losses(model: Any, losses: Any) -> None:
    """Bind the losses (a dict, list or one loss) that read a layer's weights, the CRF's, to ``model``."""
    values = losses.values() if isinstance(losses, dict) else losses if isinstance(losses, (list, tuple)) else [losses]
    for loss in values:
        if hasattr(loss, "bind"):
            loss.bind(model)

__all__ = ["SERIALIZABLE_MODULES", "bind_losses", "build_keras_model", "load_model", "save_model"]
