"""One run per output place: a second run on the same prefix or out dir is refused, not interleaved.

Two runs writing one prefix overwrite each other's checkpoints and backups (and h5py's own
file locks fail with a message that names no file).  A run holds an exclusive ``flock`` on
``PREFIX.lock`` (``DIR/train.lock``) from before it reads a backup until its last artifact is
written.  The lock file stays (removing it would let a third run lock a fresh file while the
second still holds the old one); the lock itself dies with the process, even on a kill.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from specdsl.errors import SpecError


@contextlib.contextmanager
def run_lock(path: Path, key: str) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no locking
        yield
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise SpecError(f"cannot create the run lock: {err.strerror}", file=str(path), path=key) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SpecError("another run is writing to this output place right now", file=str(path), path=key,
                            hint="wait for it to finish, or give this run another output") from None
        yield
    finally:
        os.close(fd)  # releases the lock
