"""Data errors found while ``tf.data`` streams, surfaced as the reader raised them.

A reader that finds bad data mid-epoch (a NaN, a corrupted gzip chunk) runs inside a
``tf.py_function``; TensorFlow wraps whatever it raises into its own error, with a traceback
that names no file.  The reader records its :class:`~specdsl.errors.SpecError` here before
raising, and the run re-raises the recorded error when the fit fails, so the user sees the
file, dataset and row.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from specdsl.errors import SpecError

_lock = threading.Lock()
_recorded: list[SpecError] = []


def record(err: SpecError) -> SpecError:
    """Keep ``err`` for :func:`surfaced`; returns it so a reader can ``raise record(SpecError(...))``."""
    with _lock:
        _recorded.append(err)
    return err


@contextlib.contextmanager
def surfaced() -> Iterator[None]:
    """Around a fit: a failure caused by a recorded data error is reported as that error."""
    with _lock:
        _recorded.clear()
    try:
        yield
    except Exception:
        with _lock:
            first = _recorded[0] if _recorded else None
            _recorded.clear()
        if first is None:
            raise
        raise first from None


__all__ = ["record", "surfaced"]
