"""What DeepLIFT-SHAP explains: one scalar per example, computed from the model's outputs.

A target sees both halves of a batch, the outputs on the examples and on their references, and
returns ``(f(x), f(r))`` per pair: a metric may depend on the explained example itself, as
BPReveal's profile metric does, and then the function explained for example x is a fixed
``f_x``, applied to the references too (the completeness check compares against
``f_x(x) − f_x(r)``).  Builders:

- :func:`profile_target`: BPReveal's "weighted mean-normed logits" ``Σ softmax(sg(m))·m``, ``m``
  the mean-subtracted flattened logits of the chosen tasks of a ``(B, Lout, T)`` profile output.
  The weights ``w_x = softmax(m(x))`` come from the explained sequence's own logits and are held
  constant, so ``f_x(z) = Σ w_x·m(z)`` is *linear* in the logits; its value at x is BPReveal's
  ``input_predictions``.
- :func:`counts_target`: a counts output's scalar, ``output[:, 0]`` (BPReveal's counts metric).
- :func:`class_target`: one unit of a classifier output.  By default it explains the unit's
  **logit** (the pre-activation of a final sigmoid; for a final softmax, the logit minus the mean
  logit): DeepLIFT's recommendation (Shrikumar et al. 2017, §3.6).  Through a final sigmoid the
  rescale rule only multiplies every contribution of an example by one number, ``Δp/Δz``, which
  shrinks to zero for confident predictions and makes examples incomparable; a softmax is
  unchanged by adding one number to every logit, so only logit differences carry meaning.
  ``logit=False`` explains the probability instead (through the sigmoid/softmax rules).
- :func:`cell_target`: a DeepCpG cell, the sigmoid output ``cpg/<cell>`` of a multi-output model.
- :func:`output_target`: any column of any output, as it is.
- a plain callable ``fn(outputs) -> (B,)`` (the outputs as the model returns them) is applied to
  both halves; an ``int`` is a column of a single-output model (tangermeme's ``target``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from specdsl.errors import SpecError, did_you_mean

Tensor = Any
#: ``(outputs on examples, outputs on references) -> (f(x), f(r))``, each output a flat list of tensors.
PairFunction = Callable[[list[Tensor], list[Tensor]], tuple[Tensor, Tensor]]


@dataclass(frozen=True)
class BoundTarget:
    """A target resolved against one model: the pair function and the output layers whose final
    activation is skipped (their logits are explained)."""

    pair: PairFunction
    logit_layers: frozenset[str]
    description: str


@dataclass(frozen=True)
class Target:
    """A target not yet tied to a model (outputs named by index or name)."""

    bind: Callable[[Any], BoundTarget]
    description: str


def output_names(model: Any) -> list[str]:
    """The model's output names (a Sequential's are its inner functional model's)."""
    from specdsl.interpret.deeplift_graph import functional

    return list(functional(model).output_names)


def _output_index(model: Any, output: int | str) -> int:
    names = output_names(model)
    if isinstance(output, bool) or not isinstance(output, (int, str)):
        raise SpecError(f"an output is named by its index or name, not {output!r}")
    if isinstance(output, int):
        if not -len(names) <= output < len(names):
            raise SpecError(f"the model has {len(names)} output(s); there is no output {output}",
                            expected=", ".join(f"{i} ({n})" for i, n in enumerate(names)))
        return output % len(names)
    from specdsl.training.heads import layer_name

    for candidate in (output, layer_name(output)):
        if candidate in names:
            return names.index(candidate)
    raise SpecError(f"the model has no output named '{output}'", expected=", ".join(names),
                    hint=did_you_mean(output, names))


def _final_activation(model: Any, index: int) -> tuple[str | None, str | None]:
    """(name of the output's layer, its final activation's name) when it is sigmoid or softmax."""
    from specdsl.interpret.deeplift_graph import output_layer

    layer = output_layer(model, index)
    fn = getattr(layer, "activation", None)
    label = getattr(fn, "__name__", None)
    if type(layer).__name__ == "Softmax":
        label = "softmax"
    return (layer.name, label) if label in ("sigmoid", "softmax") else (None, None)


def _column(out: Tensor, index: int) -> Tensor:
    from keras import ops

    flat = ops.reshape(out, (ops.shape(out)[0], -1))
    return flat[:, index]


def output_target(output: int | str = 0, index: int = 0) -> Target:
    """Column ``index`` of output ``output`` (flattened per example), exactly as the model gives it."""
    def bind(model: Any) -> BoundTarget:
        k = _output_index(model, output)
        return BoundTarget(lambda xs, rs: (_column(xs[k], index), _column(rs[k], index)), frozenset(),
                           f"output {output_names(model)[k]!r}[{index}]")
    return Target(bind, f"output {output!r}[{index}]")


def counts_target(output: int | str = 1) -> Target:
    """A counts head's log-count, ``output[:, 0]``: BPReveal's counts metric
    (``model.outputs[heads + head_id]``; output 1 for a one-head BPNet)."""
    return output_target(output, 0)


def class_target(output: int | str = 0, index: int = 0, *, logit: bool = True) -> Target:
    """Unit ``index`` of a classifier output: its logit (default) or, ``logit=False``, its probability."""
    def bind(model: Any) -> BoundTarget:
        from keras import ops

        k = _output_index(model, output)
        layer, activation = _final_activation(model, k) if logit else (None, None)
        name = output_names(model)[k]
        if activation == "softmax":
            def centred(out: Tensor) -> Tensor:
                return _column(out - ops.mean(out, axis=-1, keepdims=True), index)
            return BoundTarget(lambda xs, rs: (centred(xs[k]), centred(rs[k])), frozenset({layer}),
                               f"logit {index} of {name!r} minus the mean logit")
        what = "logit" if activation == "sigmoid" else "value"
        return BoundTarget(lambda xs, rs: (_column(xs[k], index), _column(rs[k], index)),
                           frozenset({layer}) if layer else frozenset(), f"{what} {index} of {name!r}")
    return Target(bind, f"class {index} of output {output!r}")


def cell_target(cell: str, *, logit: bool = True) -> Target:
    """A DeepCpG cell's methylation output (``cpg/<cell>``, one sigmoid unit), by its logit by default."""
    def bind(model: Any) -> BoundTarget:
        names = output_names(model)
        for candidate in (cell, f"cpg/{cell}"):
            try:
                return class_target(candidate, 0, logit=logit).bind(model)
            except SpecError:
                continue
        raise SpecError(f"the model has no output for cell '{cell}'", expected=", ".join(names),
                        hint=did_you_mean(cell, names))
    return Target(bind, f"cell {cell!r}")


def profile_target(output: int | str = 0, tasks: Sequence[int] | None = None) -> Target:
    """BPReveal's profile metric ``Σ softmax(sg(m))·m`` of a ``(B, Lout, T)`` logits output, on
    ``tasks`` (default all); the softmax weights are the explained example's own."""
    def bind(model: Any) -> BoundTarget:
        from keras import ops

        k = _output_index(model, output)

        def normed(out: Tensor) -> Tensor:
            if tasks is not None:
                out = ops.take(out, list(tasks), axis=-1)
            flat = ops.reshape(out, (ops.shape(out)[0], -1))
            return flat - ops.mean(flat, axis=-1, keepdims=True)

        def pair(xs: list[Tensor], rs: list[Tensor]) -> tuple[Tensor, Tensor]:
            mx, mr = normed(xs[k]), normed(rs[k])
            weights = ops.stop_gradient(ops.softmax(mx, axis=-1))
            return ops.sum(weights * mx, axis=-1), ops.sum(weights * mr, axis=-1)

        chosen = "all tasks" if tasks is None else f"tasks {list(tasks)}"
        return BoundTarget(pair, frozenset(), f"profile metric of {output_names(model)[k]!r} ({chosen})")
    return Target(bind, f"profile metric of output {output!r}")


def callable_target(fn: Callable[[Any], Tensor]) -> Target:
    """``fn(outputs) -> (B,)`` on the outputs as the model returns them (one tensor or a list)."""
    def bind(model: Any) -> BoundTarget:
        single = len(output_names(model)) == 1

        def apply(outs: list[Tensor]) -> Tensor:
            return fn(outs[0] if single else outs)
        return BoundTarget(lambda xs, rs: (apply(xs), apply(rs)), frozenset(), getattr(fn, "__name__", "a function"))
    return Target(bind, getattr(fn, "__name__", "a function"))


def as_target(target: Target | int | Callable[[Any], Tensor]) -> Target:
    """A :class:`Target` from what ``deep_lift_shap`` accepts."""
    if isinstance(target, Target):
        return target
    if isinstance(target, int) and not isinstance(target, bool):
        return output_target(0, target)
    if callable(target):
        return callable_target(target)
    raise SpecError(f"a DeepLIFT-SHAP target is a Target, a column index or a function of the outputs, "
                    f"not {target!r}", hint="e.g. profile_target(0), counts_target(1), class_target(0, 3)")


__all__ = ["BoundTarget", "PairFunction", "Target", "as_target", "callable_target", "cell_target", "class_target",
           "counts_target", "output_target", "profile_target"]
