"""Run outputs written so that a crash or a kill never leaves a truncated file."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from specdsl.atomic import atomic_path, atomic_write_text, default_file_mode

__all__ = ["atomic_path", "atomic_write_text", "default_file_mode", "json_safe", "write_history"]


def json_safe(value: Any) -> Any:
    """Numbers, lists and dicts only; NaN and infinities become null (valid JSON)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def write_history(path: str | Path, history: dict[str, Any]) -> Path:
    return atomic_write_text(path, json.dumps(json_safe(history), indent=4) + "\n")
