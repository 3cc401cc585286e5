"""Import Keras without TensorFlow's C++ start-up chatter.

TensorFlow ≥ 2.17 prints absl/XLA lines on import that ``TF_CPP_MIN_LOG_LEVEL``
no longer silences (tensorflow/tensorflow#100442).  When the user asked for quiet
(level ≥ 2, which the CLI sets unless ``--debug``), file descriptor 2 is pointed at
/dev/null for the duration of the import only; Python exceptions are unaffected.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def _fd2_silenced() -> Iterator[None]:
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras() -> Any:
    """Keras on the backend chosen by :mod:`specdsl.backend.selection` (``KERAS_BACKEND``, else the
    first installed), so an install with JAX or PyTorch alone never reaches for TensorFlow."""
    if "keras" in sys.modules:
        return sys.modules["keras"]
    from specdsl.backend.selection import use_backend

    use_backend("auto")
    quiet = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0") >= "2"
    with _fd2_silenced() if quiet else contextlib.nullcontext():
        import keras
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_physical_devices("GPU")  # device discovery logs here, once
    return keras
