"""One batch of DeepLIFT-SHAP pairs: the model in the asked precision, the stacked run, the gradient.

Imported when :func:`specdsl.interpret.deeplift.deep_lift_shap` runs (it imports Keras).

float64
    Rounding in float32 leaves convergence deltas of ~1e-6 that say nothing about the rules.  For
    ``dtype="float64"`` the model is rebuilt from its config with every floating dtype (layer
    policies, float inputs) set to float64 and given the same weights: its deltas are ~1e-12,
    which separates rounding from a layer without a rule.  Integer inputs (tokens) stay integers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from specdsl.backend.gradients import float64_status, input_gradients
from specdsl.backend.quiet import import_keras
from specdsl.errors import SpecError
from specdsl.interpret import deeplift_graph
from specdsl.interpret.deeplift_targets import Target

_FLOATS = ("float16", "bfloat16", "float32", "float64", "mixed_float16", "mixed_bfloat16")


def _retyped(config: Any, dtype: str) -> Any:
    """The config with every floating ``dtype`` (a name or a DTypePolicy) replaced by ``dtype``."""
    if isinstance(config, list):
        return [_retyped(c, dtype) for c in config]
    if not isinstance(config, dict):
        return config
    out = {}
    for key, value in config.items():
        if key == "dtype" and isinstance(value, str) and value in _FLOATS:
            out[key] = dtype
        elif key == "dtype" and isinstance(value, dict) and value.get("class_name", "").endswith("DTypePolicy"):
            name = value.get("config", {}).get("name")
            out[key] = dtype if name in _FLOATS else value
        else:
            out[key] = _retyped(value, dtype)
    return out


def model_in(model: Any, dtype: str) -> Any:
    """``model`` itself when it computes in ``dtype`` throughout, else a copy rebuilt in ``dtype``."""
    keras = import_keras()
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if all(getattr(layer, "compute_dtype", dtype) == dtype for layer in layers) and all(
            w.dtype == dtype for w in model.weights if "float" in str(w.dtype)):
        return model
    try:
        clone = model.__class__.from_config(_retyped(model.get_config(), dtype))
        clone.set_weights(model.get_weights())
    except Exception as err:  # a layer whose config does not round-trip
        raise SpecError(f"cannot rebuild the model in {dtype} for DeepLIFT-SHAP: {type(err).__name__}: {err}"[:500],
                        hint="interpret in the model's own precision (dtype='float32')") from None
    return clone


def _precision_notes(dtype: str) -> tuple[str, ...]:
    if dtype != "float64":
        return ()
    status = float64_status()
    backend = import_keras().backend.backend()
    if status == "unavailable":
        raise SpecError("dtype='float64' on JAX needs 64-bit arrays, which JAX turns off by default "
                        "(every float64 array would silently be float32)",
                        hint="start Python with JAX_ENABLE_X64=1 in the environment, or use dtype='float32'")
    if status == "partial":
        return (f"float64 on {backend}: Keras 3 computes matrix products (Dense layers) in float32 on this "
                "backend, so deltas stay ~1e-7; TensorFlow computes everything in float64 (~1e-12)",)
    return ()


def _one_per_example(values: Any, p: int) -> None:
    if tuple(values.shape) != (p,):
        raise SpecError(f"the attribution target gives shape {tuple(values.shape)} for {p} examples; "
                        "it must give one number per example")


class Runner:
    """Holds the model (in ``dtype``), the bound target, the other inputs; runs batches of pairs."""

    def __init__(self, model: Any, target: Target, dtype: str, sequence_input: int | str, args: list[np.ndarray],
                 n: int):
        self.notes = _precision_notes(dtype)
        self.model = model_in(model, dtype)
        self.dtype = dtype
        self.target = target.bind(self.model)
        self.walk = deeplift_graph.Walk()
        graph = deeplift_graph.functional(self.model)
        names = [t.name for t in graph.inputs]
        layer_names = [getattr(t, "_keras_history", None) and t._keras_history.operation.name for t in graph.inputs]
        if isinstance(sequence_input, str):
            matches = [i for i, (a, b) in enumerate(zip(names, layer_names)) if sequence_input in (a, b)]
            if not matches:
                raise SpecError(f"the model has no input named '{sequence_input}'", expected=", ".join(layer_names))
            self.index = matches[0]
        elif -len(names) <= sequence_input < len(names):
            self.index = sequence_input % len(names)
        else:
            raise SpecError(f"the model has {len(names)} input(s); there is no input {sequence_input}")
        if len(args) != len(names) - 1:
            raise SpecError(f"the model has {len(names)} inputs: the sequences and {len(names) - 1} other(s), "
                            f"but {len(args)} other input array(s) were given (args)",
                            expected="one array (N, …) per other input, in the model's input order")
        for a in args:
            if len(a) != n:
                raise SpecError(f"an other input has {len(a)} rows for {n} sequences")
        self.args = args
        self.input_dtypes = [getattr(t, "dtype", dtype) for t in graph.inputs]

    def pairs(self, x: np.ndarray, r: np.ndarray, examples: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Multipliers (P, L, A) and the target on x and on r (P,) for P pairs of examples ``examples``."""
        keras = import_keras()
        ops = keras.ops
        p = len(x)
        others = [np.concatenate([a[examples], a[examples]]) for a in self.args]

        def fn(stacked: Any) -> Any:
            half = ops.concatenate([stacked[:p], ops.stop_gradient(stacked[p:])], axis=0)
            inputs, rest = [], iter(others)
            for i, kind in enumerate(self.input_dtypes):
                inputs.append(half if i == self.index else ops.convert_to_tensor(next(rest), dtype=kind))
            outs = deeplift_graph.run(self.model, inputs, p, self.walk, self.target.logit_layers)
            vx, vr = self.target.pair([o[:p] for o in outs], [o[p:] for o in outs])
            _one_per_example(vx, p)
            return vx, (vx, vr)

        stacked = np.concatenate([x, r]).astype(self.dtype)
        grad, (vx, vr) = input_gradients(fn, stacked, has_aux=True)
        return grad[:p], np.asarray(vx, np.float64), np.asarray(vr, np.float64)

    def _plain_inputs(self, stacked: Any, rows: np.ndarray) -> list[Any]:
        """The model's inputs for the plain graph: ``stacked`` sequences, the other inputs of ``rows``."""
        ops = import_keras().ops
        inputs, rest = [], iter([a[rows] for a in self.args])
        for i, kind in enumerate(self.input_dtypes):
            inputs.append(stacked if i == self.index else ops.convert_to_tensor(next(rest), dtype=kind))
        return inputs

    def path_gradients(self, x: np.ndarray, r: np.ndarray, examples: np.ndarray, alphas: np.ndarray,
                       weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``Σ_k weights[k]·∇f_x(r + alphas[k]·(x − r))`` (P, L, A), with f_x(x) and f_x(r) (P,), for P
        pairs: integrated gradients by quadrature, or the plain gradient (``alphas = weights = [1]``).

        One pass of the unmodified graph (logit layers stopped before their activation) over
        ``[x; r; path points]``; x and r rows are held constant and only give the target's values,
        so a profile metric's weights are x's own at every path point, and the function whose
        change the scores add up to is the one DeepLIFT-SHAP explains."""
        ops = import_keras().ops
        p, steps = len(x), len(alphas)
        path = (r[None] + alphas[:, None, None, None] * (x - r)[None]).reshape(-1, *x.shape[1:])
        row_weights = np.repeat(np.asarray(weights, self.dtype), p)
        rows = np.concatenate([examples, examples, np.tile(examples, steps)])

        def fn(stacked: Any) -> Any:
            held = ops.concatenate([ops.stop_gradient(stacked[:2 * p]), stacked[2 * p:]], axis=0)
            outs = deeplift_graph.run_plain(self.model, self._plain_inputs(held, rows), self.target.logit_layers)
            at_x, at_r, on_path = [o[:p] for o in outs], [o[p:2 * p] for o in outs], [o[2 * p:] for o in outs]
            vx, vr = self.target.pair(at_x, at_r)
            _, vz = self.target.pair([ops.concatenate([o] * steps, axis=0) for o in at_x], on_path)
            _one_per_example(vx, p)
            return vz * ops.convert_to_tensor(row_weights), (vx, vr)

        stacked = np.concatenate([x, r, path]).astype(self.dtype)
        grad, (vx, vr) = input_gradients(fn, stacked, has_aux=True)
        mult = grad[2 * p:].reshape(steps, p, *x.shape[1:]).sum(axis=0)
        return mult, np.asarray(vx, np.float64), np.asarray(vr, np.float64)

    def gradients(self, x: np.ndarray, examples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``∇f_x(x)`` (P, L, A) and ``f_x(x)`` (P,): one pass of the unmodified graph."""
        ops = import_keras().ops
        p = len(x)

        def fn(stacked: Any) -> Any:
            outs = deeplift_graph.run_plain(self.model, self._plain_inputs(stacked, examples), self.target.logit_layers)
            vx, _ = self.target.pair(outs, [ops.stop_gradient(o) for o in outs])
            _one_per_example(vx, p)
            return vx, vx

        grad, vx = input_gradients(fn, x.astype(self.dtype), has_aux=True)
        return grad, np.asarray(vx, np.float64)

    def values(self, x: np.ndarray) -> np.ndarray:
        """The target on ``x`` alone (P,), forward only, each example its own reference (so a profile
        metric takes its weights from the sequence itself): what ISM compares mutants by.  The same
        graph as :meth:`pairs`, so logit layers are skipped exactly as DeepLIFT-SHAP skips them."""
        if self.args:
            raise SpecError("target values are computed for models whose only input is the sequence")
        ops = import_keras().ops
        p = len(x)
        stacked = ops.convert_to_tensor(np.concatenate([x, x]).astype(self.dtype))
        outs = deeplift_graph.run(self.model, [stacked], p, self.walk, self.target.logit_layers)
        vx, _ = self.target.pair([o[:p] for o in outs], [o[p:] for o in outs])
        return np.asarray(ops.convert_to_numpy(vx), np.float64).reshape(p)


__all__ = ["Runner", "model_in"]
