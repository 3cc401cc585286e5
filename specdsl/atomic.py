"""Every file specdsl writes is written here: to a temporary name beside it, then renamed.

A crash, a kill or an exception leaves the old file (or none), never a truncated one.
One module owns this so the rule cannot drift between models, histories, data chunks and reports.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


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
    from .errors import SpecError

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


__all__ = ["atomic_path", "atomic_write_text", "default_file_mode"]
