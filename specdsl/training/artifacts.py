"""Run outputs written so that a crash or a kill never leaves a truncated file."""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def default_file_mode() -> int:
    """The mode a plain ``open()`` would give (mkstemp's files are 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[str]:
    """A temporary path beside ``path``; on success it replaces ``path`` in one rename.

    A crash or an exception leaves the old file (or none), never a truncated one.
    """
    from ..errors import SpecError

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=suffix)
    except OSError as err:
        raise SpecError(f"cannot write here: {err.strerror}", file=str(path)) from None
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(path)


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
