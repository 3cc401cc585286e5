"""Choosing a head's targets among those a reader found, by name or regular expression.

DeepCpG's rule (``--output_names cpg/.*``, ``--nb_output``): a target is chosen when a
pattern matches it from its start (``re.match``), in the reader's order, up to a count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from specdsl.errors import SpecError, did_you_mean, quoted_list


def select_targets(patterns: Sequence[str], available: Sequence[str], *, limit: int | None, head: str,
                   path: str) -> list[str]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as err:
            raise SpecError(f"'{pattern}' is not a valid regular expression: {err}", path=path) from None
    chosen = [name for name in available if any(c.match(name) for c in compiled)]
    if limit is not None:
        chosen = chosen[:limit]
    if not chosen:
        near = did_you_mean(patterns[0], available) if patterns else None
        raise SpecError(f"head '{head}': no target in the data matches {quoted_list(patterns)}", path=path,
                        expected="one of " + (quoted_list(list(available), limit=10) or "(the files hold none)"),
                        hint=near)
    return chosen


def class_weights(labels: Sequence[int] | object, classes: int) -> tuple[float, ...]:
    """DeepCpG's class weights: inverse observed class frequencies, normalised to sum to 1."""
    import numpy as np

    values = np.asarray(labels, dtype=np.float64).ravel()
    values = values[np.isfinite(values) & (values >= 0)]
    if values.size == 0:
        return tuple([1.0 / classes] * classes)
    counts = np.bincount(np.rint(values).astype(np.int64).clip(0, classes - 1), minlength=classes)
    inverse = 1.0 / (counts / values.size + 1e-7)
    return tuple(float(w) for w in inverse / inverse.sum())
