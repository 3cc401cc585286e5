"""Run a Keras functional model on stacked (example, reference) rows with DeepLIFT's rules in place.

The model's own graph is executed layer by layer (Keras' ``Function._run_through_graph``, which
``Functional.call`` uses too) with each layer swapped for its DeepLIFT version:

- **linear** layers (convolutions and dense layers without an activation, adds, crops, paddings,
  average pooling, flatten/reshape, concatenation, dropout and batch normalisation at inference)
  run unchanged: on the stacked tensor they already act on each row alone, and their gradient
  is their multiplier;
- a layer with a nonlinear ``activation`` (Conv1D(activation="relu"), Dense(...), Activation
  layers, Keras' ReLU/LeakyReLU/ELU/Softmax/PReLU layers) is split into its pre-activation (the
  layer called with its activation set to linear, restored afterwards) and a rule from
  :mod:`.deeplift_rules` (rescale; softmax's exact decomposition);
- MaxPooling1D and GlobalMaxPooling1D (channels last) get DeepLIFT's max rule, and
  LayerNormalization (without ``rms_scaling``) its exact decomposition;
- a nested functional model (or built Sequential) is walked the same way;
- **anything else** (LSTM, GRU, Bidirectional, MultiHeadAttention, specdsl's
  AttentionPooling and CRF, Multiply, custom layers) runs unchanged: its multiplier is its
  gradient at the example, i.e. it is *treated as linear*, and :class:`Walk` names it, since
  DeepLIFT's sum-to-delta only holds approximately through it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras

from specdsl.errors import SpecError
from specdsl.interpret import deeplift_rules as rules

LINEAR_LAYERS = (
    "InputLayer", "Add", "Subtract", "Average", "Concatenate", "Cropping1D", "Cropping2D", "ZeroPadding1D",
    "ZeroPadding2D", "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "Flatten", "Reshape", "Permute", "RepeatVector", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
    "GaussianDropout", "GaussianNoise", "AlphaDropout", "ActivityRegularization", "BatchNormalization", "Identity",
    "UpSampling1D",
)
#: Layers computing ``activation(linear(x))``: the linear part runs as is, the activation gets a rule.
ACTIVATED_LAYERS = (
    "Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
)
#: Layers that are an elementwise activation themselves (called on their input).
ACTIVATION_LAYERS = ("ReLU", "LeakyReLU", "ELU", "PReLU")


def _classes(names: tuple[str, ...]) -> tuple[type, ...]:
    return tuple(getattr(keras.layers, n) for n in names if hasattr(keras.layers, n))


_LINEAR, _ACTIVATED, _ACTIVATION = _classes(LINEAR_LAYERS), _classes(ACTIVATED_LAYERS), _classes(ACTIVATION_LAYERS)


@dataclass
class Walk:
    """What the run did: the rule each nonlinear layer got, the layers treated as linear."""

    rules: dict[str, str] = field(default_factory=dict)
    treated_as_linear: dict[str, str] = field(default_factory=dict)  # name → layer class

    def note(self, name: str, rule: str) -> None:
        self.rules.setdefault(name, rule)


def functional(model: Any) -> Any:
    """The functional graph to walk (a built Sequential's inner one), or SpecError saying why none."""
    inner = getattr(model, "_functional", None) if isinstance(model, keras.Sequential) else model
    if inner is None or not hasattr(inner, "_run_through_graph") or not hasattr(inner, "_nodes_by_depth"):
        raise SpecError(f"DeepLIFT-SHAP walks a model's layer graph, but {type(model).__name__} "
                        f"'{getattr(model, 'name', '?')}' has none (a subclassed model, or an unbuilt Sequential)",
                        hint="build it as a functional model (specdsl builds every model so) or give the "
                             "Sequential an Input")
    return inner


def output_layer(model: Any, index: int) -> Any:
    """The layer that produces output ``index`` of the model."""
    history = getattr(functional(model).outputs[index], "_keras_history", None)
    return None if history is None else history.operation


def run(model: Any, inputs: list[Any], pairs: int, walk: Walk, logit_layers: frozenset[str] = frozenset(),
        prefix: str = "") -> list[Any]:
    """The model's outputs (flat list) on stacked inputs, every layer replaced by its DeepLIFT rule."""
    return _walk(model, inputs, lambda op, args, kwargs, name: _apply(op, args, kwargs, pairs, walk, logit_layers,
                                                                      name), prefix)


def run_plain(model: Any, inputs: list[Any], logit_layers: frozenset[str] = frozenset(), prefix: str = "") -> list[Any]:
    """The model's outputs (flat list) with every layer as it is, except that the ``logit_layers``
    stop before their final activation: the function gradient methods differentiate, the same
    one DeepLIFT-SHAP explains, at one row per input."""
    def apply(op: Any, args: tuple, kwargs: dict, name: str) -> Any:
        if name in logit_layers and isinstance(op, _ACTIVATED):
            return _pre_activation(op, args, kwargs)
        if name in logit_layers and isinstance(op, (keras.layers.Activation, keras.layers.Softmax)):
            return args[0]
        return op(*args, **kwargs)
    return _walk(model, inputs, apply, prefix)


def _walk(model: Any, inputs: list[Any], apply: Callable[[Any, tuple, dict, str], Any], prefix: str) -> list[Any]:
    graph = functional(model)

    def operation_fn(op: Any) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if "training" in getattr(op, "_call_context_args", ()):
                kwargs["training"] = False
            return apply(op, args, kwargs, prefix + op.name)
        return call

    return keras.tree.flatten(graph._run_through_graph(inputs, operation_fn=operation_fn))


def _walkable(op: Any) -> bool:
    """A nested model whose own graph can be walked (a functional model or a built Sequential)."""
    if not isinstance(op, keras.Model):
        return False
    try:
        functional(op)
    except SpecError:
        return False
    return True


def _linear_activation(fn: Any) -> bool:
    return fn is None or fn is keras.activations.linear or getattr(fn, "__name__", "") == "linear"


def _pre_activation(layer: Any, args: tuple, kwargs: dict) -> Any:
    """The layer's output with its activation set to linear (restored even if the call fails)."""
    saved = layer.activation
    layer.activation = keras.activations.linear
    try:
        return layer(*args, **kwargs)
    finally:
        layer.activation = saved


def _activate(fn: Any, pre: Any, pairs: int, walk: Walk, name: str, axis: int = -1,
              derivative: Any = None, label: str | None = None) -> Any:
    label = label or getattr(fn, "__name__", type(fn).__name__)
    if label == "softmax":
        walk.note(name, "softmax (exact: exp, sum, Shapley division)")
        return rules.softmax(pre, pairs, axis)
    analytic = derivative is not None
    if derivative is None:
        derivative, analytic = rules.derivative_of(fn)
    walk.note(name, f"rescale({label})" + ("" if analytic else ", derivative by central difference"))
    return rules.rescale(fn, derivative, pre, pairs)


def _activation_layer(layer: Any, x: Any, pairs: int, walk: Walk, name: str) -> Any:
    """A ReLU/LeakyReLU/ELU/PReLU layer as an elementwise function, with its derivative where known."""
    kind = type(layer).__name__
    if kind == "ReLU" and layer.max_value is None and not layer.negative_slope and not layer.threshold:
        return _activate(keras.activations.relu, x, pairs, walk, name)
    if kind == "LeakyReLU":
        slope = float(layer.negative_slope)
        return _activate(layer, x, pairs, walk, name, derivative=lambda v: rules.step(v, slope), label="leaky_relu")
    if kind == "ELU":
        alpha = float(layer.alpha)
        return _activate(layer, x, pairs, walk, name, label="elu",
                         derivative=lambda v: rules.step(v, alpha * keras.ops.exp(keras.ops.minimum(v, 0))))
    return _activate(layer, x, pairs, walk, name, label=kind)


def _apply(op: Any, args: tuple, kwargs: dict, pairs: int, walk: Walk, logit_layers: frozenset[str],
           name: str) -> Any:
    if _walkable(op):
        inputs = args[0] if len(args) == 1 else list(args)
        outputs = run(op, keras.tree.flatten(inputs), pairs, walk, frozenset(), name + "/")
        return outputs[0] if len(outputs) == 1 else outputs
    if isinstance(op, _LINEAR):
        return op(*args, **kwargs)
    if isinstance(op, _ACTIVATED):
        if _linear_activation(op.activation):
            return op(*args, **kwargs)
        pre = _pre_activation(op, args, kwargs)
        return pre if name in logit_layers else _activate(op.activation, pre, pairs, walk, name)
    if isinstance(op, keras.layers.Activation):
        if _linear_activation(op.activation) or name in logit_layers:
            return args[0]
        return _activate(op.activation, args[0], pairs, walk, name)
    if isinstance(op, keras.layers.Softmax) and isinstance(op.axis, int) and not kwargs.get("mask"):
        return args[0] if name in logit_layers else _activate(keras.activations.softmax, args[0], pairs, walk,
                                                              name, op.axis)
    if isinstance(op, _ACTIVATION):
        return _activation_layer(op, args[0], pairs, walk, name)
    pooled = _max_pool(op, args, pairs, walk, name)
    if pooled is not None:
        return pooled
    if isinstance(op, keras.layers.LayerNormalization) and not op.rms_scaling and len(args) == 1:
        walk.note(name, "layer norm (rescale for the square and 1/√, Shapley for the product: exact)")
        return _layer_norm(op, args[0], pairs)
    walk.treated_as_linear[name] = type(op).__name__
    return op(*args, **kwargs)


def _layer_norm(op: Any, x: Any, pairs: int) -> Any:
    ndim = len(x.shape)
    axes = sorted(a % ndim for a in ([op.axis] if isinstance(op.axis, int) else op.axis))
    shape = [x.shape[a] if a in axes else 1 for a in range(ndim)]

    def shaped(weight: Any) -> Any:
        return keras.ops.reshape(keras.ops.cast(weight, x.dtype), shape)

    return rules.layer_norm(x, pairs, axes, float(op.epsilon), shaped(op.gamma) if op.scale else None,
                            shaped(op.beta) if op.center else None)


def _max_pool(op: Any, args: tuple, pairs: int, walk: Walk, name: str) -> Any:
    if getattr(op, "data_format", "channels_last") != "channels_last" or len(args) != 1:
        return None
    x = args[0]
    if isinstance(op, keras.layers.MaxPooling1D):
        walk.note(name, "max rule")
        return rules.max_pool(x, pairs, int(op.pool_size[0]), int(op.strides[0]), op.padding)
    if isinstance(op, keras.layers.GlobalMaxPooling1D):
        walk.note(name, "max rule")
        out = rules.max_pool(x, pairs, int(x.shape[1]), 1, "valid", keep_axis=op.keepdims)
        return out
    return None


__all__ = ["ACTIVATED_LAYERS", "ACTIVATION_LAYERS", "LINEAR_LAYERS", "Walk", "functional", "output_layer", "run",
           "run_plain"]
