"""The delivered model's scores on the validation data, from the one metrics module.

After a run, heads that score their outputs (binary, multiclass, regression: see
:meth:`HeadKind.score`) are evaluated once more on the validation set with
:mod:`specdsl.training.metrics` — the same code ``specdsl deepcpg eval`` and reports use — so the
numbers in the history are observed-labels-only and comparable across tools.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from specdsl.training.heads import head_kind


def validation_scores(model: Any, val_ds: Any, plan: Any) -> dict[str, dict[str, Any]]:
    """{output display name: metrics} for every output whose head kind scores it; {} without one."""
    scored = [rh for rh in plan.heads if head_kind(rh.head.kind).scores]
    if val_ds is None or not scored:
        return {}
    names = list(model.output_names)
    truth: dict[str, list[np.ndarray]] = {n: [] for n in names}
    preds: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for x, y in val_ds:
        out = model.predict_on_batch(x)
        out = out if isinstance(out, (list, tuple)) else [out]
        if isinstance(out, dict):  # pragma: no cover - functional models return lists
            out = [out[n] for n in names]
        for name, p in zip(names, out):
            preds[name].append(np.asarray(p))
            truth[name].append(np.asarray(y[name] if isinstance(y, dict) else y))  # one output: bare targets
    report: dict[str, dict[str, Any]] = {}
    for rh in scored:
        kind = head_kind(rh.head.kind)
        for o in rh.outputs:
            report[o.display] = kind.score(rh, _joined(truth[o.layer], -1), _joined(preds[o.layer], -1))
    return report


def _joined(batches: list[np.ndarray], pad: float) -> np.ndarray:
    """Batches joined along the examples; batches of reads padded to different lengths are padded
    to the longest (labels −1, i.e. not scored)."""
    if len({b.shape[1:] for b in batches}) <= 1:
        return np.concatenate(batches)
    longest = max(b.shape[1] for b in batches)
    return np.concatenate([np.pad(b, [(0, 0), (0, longest - b.shape[1])] + [(0, 0)] * (b.ndim - 2),
                                  constant_values=pad) for b in batches])
