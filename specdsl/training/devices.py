"""Which devices a run trains on, and the distribution over them.

Kept apart from the run so the rule (which devices, one or several, how the batch is split)
is one place for every head kind and reader.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def training_devices(runtime: Any, console: Any = None) -> Iterator[list[str]]:
    """Build and compile the model inside this context; it yields the devices used."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    strategy = tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    with strategy.scope():
        yield [d.name for d in gpus] or ["CPU"]
