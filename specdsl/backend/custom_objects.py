"""Register specdsl's serializable Keras objects without making ``import specdsl`` import Keras.

Two promises pull against each other.  A model that uses specdsl's objects (its masked losses,
BPReveal's loss names) must load with plain ``keras.saving.load_model(path, safe_mode=True)``
after ``import specdsl``; and ``import specdsl`` must stay free of TensorFlow, because the fast
verbs (``presets``, ``params``, ``check``) never pay its import (seconds).  Keras offers no lazy
or entry-point registration, so this module bridges the two:

* :func:`register_custom_objects` imports every module of :data:`SERIALIZABLE_MODULES`, whose
  ``@keras.saving.register_keras_serializable`` decorators do the registering.  It is
  idempotent and public (``specdsl.register_custom_objects()``) for code that wants it explicit.
* :func:`register_when_keras_loads` (called by ``import specdsl``) registers at once when Keras
  is already imported; otherwise it puts a one-shot finder on ``sys.meta_path`` that lets the
  normal finders locate ``keras`` and runs the registration right after the ``keras`` package
  has executed, i.e. before any ``keras.saving.load_model`` can run.  The finder removes
  itself once Keras has executed and changes nothing else about how Keras is imported.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import warnings
from collections.abc import Sequence
from typing import Any

#: Modules whose import registers custom Keras objects (``@register_keras_serializable``).
SERIALIZABLE_MODULES = ("specdsl.backend.crf", "specdsl.backend.attention_pool", "specdsl.training.losses",
                        "specdsl.training.masked", "specdsl.training.bpreveal_objects", "specdsl.training.crf")


def register_custom_objects() -> None:
    """Register every serializable object specdsl defines (imports Keras; safe to call again)."""
    for module in SERIALIZABLE_MODULES:
        importlib.import_module(module)


def legacy_custom_objects() -> dict[str, Any]:
    """Objects files of older Keras versions name without their package (``multinomialNll``).

    Keras ≤ 3.6 saved a registered function by its bare name; those files load when these are
    passed as ``custom_objects`` (what :func:`specdsl.backend.keras_model.load_model` does).
    """
    register_custom_objects()
    found: dict[str, Any] = {}
    for module in SERIALIZABLE_MODULES:
        found.update(getattr(sys.modules[module], "LEGACY_NAMES", {}))
    return found


def _register_quietly() -> None:
    """Registration inside ``import keras``: a failure warns rather than breaking the user's import."""
    try:
        register_custom_objects()
    except Exception as err:  # any failure here must not break the user's `import keras`
        warnings.warn(f"specdsl could not register its Keras objects ({type(err).__name__}: {err}); "
                      "call specdsl.register_custom_objects() to see why", RuntimeWarning, stacklevel=2)


class _AfterKerasImport:  # a meta-path finder (only find_spec is needed; importlib.abc costs an import)
    """Finds nothing itself: it asks the other finders for ``keras`` and wraps that loader's
    ``exec_module`` so the registration follows the package's execution.  It stays on
    ``sys.meta_path`` until Keras has executed: TensorFlow asks ``find_spec("keras")`` only to
    see whether Keras is installed, and that spec is never executed."""

    def __init__(self) -> None:
        self._asking = False

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: Any = None) -> Any:
        if fullname != "keras" or self._asking:
            return None
        import importlib.util

        self._asking = True
        try:
            spec = importlib.util.find_spec("keras")
        finally:
            self._asking = False
        loader = getattr(spec, "loader", None)
        run = getattr(loader, "exec_module", None)
        if run is None:
            return spec  # an unusual loader: load_model and register_custom_objects() still register

        def exec_then_register(module: Any) -> None:
            run(module)
            _remove_finder()
            _register_quietly()

        with contextlib.suppress(AttributeError):  # a loader with slots: registration stays explicit
            loader.exec_module = exec_then_register  # this spec's loader instance only
        return spec


def _remove_finder() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _AfterKerasImport)]


def register_when_keras_loads() -> None:
    """Register now if Keras is loaded, else as soon as it is (see the module docstring)."""
    keras = sys.modules.get("keras")
    if keras is not None:
        if not getattr(getattr(keras, "__spec__", None), "_initializing", False):
            _register_quietly()
        return
    if not any(isinstance(f, _AfterKerasImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterKerasImport())


__all__ = ["SERIALIZABLE_MODULES", "legacy_custom_objects", "register_custom_objects", "register_when_keras_loads"]
