"""Errors found after validation (data files, lengths, bindings) placed at the config key they concern.

The plan reports problems with a key path (``data.train``, ``heads[0]``); when the IR came
from a config file, the path is looked up in the positioned document so the message reads
``FILE:LINE:COL: data.train: …`` with a caret, like a schema error.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import SpecError, SpecErrors
from .reader import Node, PathStep, locate

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[PathStep]:
    return [int(index) if index else key for key, index in _STEP.findall(path)]


def place(err: SpecError, document: Node | None) -> SpecError:
    """``err`` with a span at its key in ``document`` (when it has a key path and no span yet)."""
    if isinstance(err, SpecErrors):
        for inner in err.errors:
            place(inner, document)
        return err
    if document is None or err.span is not None or not err.path:
        return err
    steps = parse_path(err.path)
    if not steps or document.child(steps[0]) is None:
        return err
    node: Any = locate(document, steps)
    if err.file:  # keep the data file's name: the span now names the config
        err.message = f"{err.file}: {err.message}"
        err.file = None
    err.span = node.span
    return err
