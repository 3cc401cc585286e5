"""A run's data as ``fit`` takes it: the reader's batches of the fields the model and its heads use,
arranged as ``(inputs, targets)`` under the model's input and output names."""

from __future__ import annotations

from typing import Any

from specdsl.training.plan import Plan


def field_batches(plan: Plan, role: str, shuffle: bool, seed: int) -> Any:
    """The reader's NumPy batches of the fields the model reads and its heads are trained on."""
    fields = [inp.field for inp in plan.ir.inputs] + [o.field for o in plan.outputs]
    return plan.reader.batches(plan, role, list(dict.fromkeys(fields)), shuffle=shuffle, seed=seed)


def keras_pairs(plan: Plan) -> Any:
    """Fields → ``(inputs, targets)`` as ``fit`` takes them (works on NumPy and framework tensors)."""
    inputs = {inp.field: inp.name for inp in plan.ir.inputs}
    targets = {o.field: o.layer for o in plan.outputs}
    single = len(inputs) == 1

    def split(fields: dict[str, Any]) -> tuple[Any, Any]:
        x = {name: fields[f] for f, name in inputs.items()}
        y = {layer: fields[f] for f, layer in targets.items()}
        # Keras 3 refuses a dict of targets for a model with a single output: give that one bare
        return (next(iter(x.values())) if single else x), (next(iter(y.values())) if len(y) == 1 else y)

    return split


__all__ = ["field_batches", "keras_pairs"]
