"""Input gradients through the running Keras backend's own autodiff.

``keras.ops`` has no gradient op, so anything that needs ``d f / d x`` (DeepLIFT-SHAP's multipliers,
saliency) asks the framework under Keras directly: ``tf.GradientTape`` on TensorFlow, ``jax.grad``
on JAX, ``torch.autograd.grad`` on PyTorch.  This is the one module of specdsl that calls them, so
``specdsl.interpret`` stays written in ``keras.ops`` (an import-linter contract forbids frameworks
there).  Frameworks are imported inside the functions: importing this module is free.

``fn`` is any function of one backend tensor written in ``keras.ops`` or Keras layers (a model
call, a metric on its outputs); it returns per-row values whose **sum** is differentiated, so
rows stay independent as long as ``fn`` does not mix them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

#: ``fn(x) -> values`` or, with ``has_aux``, ``fn(x) -> (values, aux)``; values are summed.
Function = Callable[[Any], Any]


def input_gradients(fn: Function, x: np.ndarray, *, has_aux: bool = False, dtype: str | None = None) -> Any:
    """``d sum(fn(x)) / dx`` as a NumPy array of ``x``'s shape (and, with ``has_aux``, the aux
    outputs as NumPy: ``fn`` then returns ``(values, aux)`` with aux any nest of tensors).

    ``x`` is converted to a tensor of ``dtype`` (default: x's own dtype) on the backend's default
    device.  The model runs in inference mode only if ``fn`` calls it so (``training=False``).
    """
    from specdsl.backend.quiet import import_keras

    keras = import_keras()
    x = np.asarray(x, dtype=dtype or np.asarray(x).dtype)
    backend = keras.backend.backend()
    runner = {"tensorflow": _tensorflow, "jax": _jax, "torch": _torch}.get(backend)
    if runner is None:
        raise NotImplementedError(f"input gradients are not available on the {backend!r} Keras backend")
    grad, aux = runner(keras, fn, x, has_aux)
    return (grad, aux) if has_aux else grad


def float64_status() -> str:
    """How far float64 reaches on this backend: "exact" (TensorFlow); "partial" (PyTorch, JAX with
    x64): Keras 3's type promotion (``keras/src/backend/common/dtypes.py``, ``BIT64_TO_BIT32_DTYPE``,
    "aligned with JAX's default") computes ``ops.matmul``, so Dense layers, in float32 there;
    "unavailable" (JAX without ``JAX_ENABLE_X64``: every array is silently float32)."""
    from specdsl.backend.quiet import import_keras

    backend = import_keras().backend.backend()
    if backend == "tensorflow":
        return "exact"
    if backend == "jax":
        import jax

        return "partial" if jax.config.read("jax_enable_x64") else "unavailable"
    return "partial"


def _split(out: Any, has_aux: bool) -> tuple[Any, Any]:
    return out if has_aux else (out, None)


def _numpy(keras: Any, nest: Any) -> Any:
    return keras.tree.map_structure(lambda t: np.asarray(keras.ops.convert_to_numpy(t)), nest)


def _tensorflow(keras: Any, fn: Function, x: np.ndarray, has_aux: bool) -> tuple[np.ndarray, Any]:
    import tensorflow as tf

    xt = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        values, aux = _split(fn(xt), has_aux)
        total = tf.reduce_sum(values)
    grad = tape.gradient(total, xt)
    grad = tf.zeros_like(xt) if grad is None else grad  # fn does not depend on x
    return grad.numpy(), (_numpy(keras, aux) if has_aux else None)


def _jax(keras: Any, fn: Function, x: np.ndarray, has_aux: bool) -> tuple[np.ndarray, Any]:
    import jax
    import jax.numpy as jnp

    def total(xt: Any) -> tuple[Any, Any]:
        values, aux = _split(fn(xt), has_aux)
        return jnp.sum(values), aux

    grad, aux = jax.grad(total, has_aux=True)(jnp.asarray(x))
    return np.asarray(grad), (_numpy(keras, aux) if has_aux else None)


def _torch(keras: Any, fn: Function, x: np.ndarray, has_aux: bool) -> tuple[np.ndarray, Any]:
    import torch

    xt = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
    with torch.enable_grad():
        values, aux = _split(fn(xt), has_aux)
        total = torch.sum(values)
        grad = torch.autograd.grad(total, xt, allow_unused=True)[0] if total.requires_grad else None
    grad = torch.zeros_like(xt) if grad is None else grad
    return grad.detach().cpu().numpy(), (_numpy(keras, aux) if has_aux else None)


__all__ = ["Function", "float64_status", "input_gradients"]
