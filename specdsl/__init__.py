"""specdsl: architecture strings and training configs → Keras 3 models and runs.

Importing the package is cheap: TensorFlow and Keras load only when a model is built.
It still registers every custom Keras object specdsl defines, so a model using them loads
with plain ``keras.saving.load_model(path, safe_mode=True)`` after ``import specdsl``: the
registration runs now if Keras is already imported, else right after Keras is first
imported (see :mod:`specdsl.backend.custom_objects`).  ``register_custom_objects()`` does it
explicitly.
"""

from specdsl.backend.custom_objects import register_custom_objects, register_when_keras_loads
from specdsl.backend.selection import prefer_installed
from specdsl.version import __version__  # noqa: E402

prefer_installed()  # a JAX- or PyTorch-only install: Keras would otherwise reach for TensorFlow
register_when_keras_loads()

__all__ = ["__version__", "register_custom_objects"]
