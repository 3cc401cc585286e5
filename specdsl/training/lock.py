"""One run per output place: a second run on the same prefix or out dir is refused, not interleaved.

Two runs writing one prefix overwrite each other's checkpoints and backups (and h5py's own
file locks fail with a message that names no file).  A run holds an exclusive ``flock`` on
``PREFIX.lock`` (``DIR/train.lock``) from before it reads a backup until its last artifact is
written; the lock itself dies with the process, even on a kill.

The holder deletes the lock file before it lets go, so a finished run leaves no empty
``.lock`` behind.  A process that opened the file just before it was deleted gets the lock on
a file that is no longer there; it sees that (the path names another file, or none) and locks
the file now at the path instead, so two runs can never each hold "the" lock.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from specdsl.errors import SpecError


@contextlib.contextmanager
def run_lock(path: Path, key: str, *, wait: bool = False) -> Iterator[None]:
    """Hold the lock at ``path`` (``key``: the config key messages name); ``wait`` blocks instead of
    refusing while another process holds it (for a short step such as completing a delivery)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no locking
        yield
        return
    fd = _acquire(Path(path), key, wait, fcntl)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # still held: whoever opened this file meanwhile will find it gone
        os.close(fd)  # releases the lock


def _acquire(path: Path, key: str, wait: bool, fcntl: Any) -> int:
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise SpecError(f"cannot create the run lock: {err.strerror}", file=str(path), path=key) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            raise SpecError("another run is writing to this output place right now", file=str(path), path=key,
                            hint="wait for it to finish, or give this run another output") from None
        if _same_file(fd, path):
            return fd
        os.close(fd)  # its holder finished and deleted it: lock the file at the path now


def _same_file(fd: int, path: Path) -> bool:
    try:
        here = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (here.st_dev, here.st_ino)
