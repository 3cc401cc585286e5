"""Which Keras backend a run uses: ``runtime.backend``, ``--backend``, or ``KERAS_BACKEND``.

Keras fixes its backend when it is first imported, from ``KERAS_BACKEND`` (or
``~/.keras/keras.json``), so the choice is made before anything imports Keras, and a run
that asks for a backend other than the one this process already runs is refused rather than
trained on the wrong one.  ``auto`` keeps what the environment says and otherwise takes the
first installed of TensorFlow, JAX and PyTorch.  Nothing here imports a framework: whether
one is installed is asked of the import system.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

from specdsl.errors import SpecError

BACKENDS = ("tensorflow", "jax", "torch")
BACKEND_SETTINGS = ("auto", *BACKENDS)
BACKEND_PATH = "runtime.backend"
NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
_PACKAGE = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def installed(backend: str) -> bool:
    try:
        return importlib.util.find_spec(_PACKAGE[backend]) is not None
    except (ImportError, ValueError):  # a finder that refuses the package: not usable here
        return False


def install_hint(backend: str) -> str:
    return f"pip install 'specdsl[{backend}]'"


def _configured() -> str | None:
    """The backend the environment names: ``KERAS_BACKEND``, else Keras' config file when what it
    names is installed (Keras writes that file itself, with TensorFlow, the first time it loads)."""
    named = os.environ.get("KERAS_BACKEND")
    if named:
        return named
    config = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "keras.json"
    try:
        value = json.loads(config.read_text()).get("backend")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value in BACKENDS and installed(value) else None


def running() -> str | None:
    """The backend of the Keras already imported in this process, if any."""
    keras = sys.modules.get("keras")
    if keras is None:
        return None
    try:
        return str(keras.backend.backend())
    except AttributeError:  # pragma: no cover - a half-imported keras
        return None


def no_backend_error(path: str | None = None) -> SpecError:
    return SpecError("no Keras backend is installed: specdsl trains with TensorFlow, JAX or PyTorch", path=path,
                     hint=f"install one: {install_hint('jax')} (the smallest), {install_hint('tensorflow')} or "
                          f"{install_hint('torch')}")


def resolve(setting: str = "auto", path: str = BACKEND_PATH) -> str:
    """The backend ``setting`` means here; a SpecError at ``path`` when it cannot be had."""
    if setting not in BACKEND_SETTINGS:
        raise SpecError(f"unknown backend '{setting}'", path=path, expected=" or ".join(BACKEND_SETTINGS))
    now = running()
    if setting == "auto":
        if now is not None:
            return now
        named = _configured()
        if named is not None and named not in BACKENDS:  # only KERAS_BACKEND can hold an unknown one
            raise SpecError(f"KERAS_BACKEND is '{named}', not a backend specdsl trains with", path="KERAS_BACKEND",
                            expected=" or ".join(BACKENDS), hint="set it to one of those, or unset it")
        if named in BACKENDS:
            if not installed(named):  # only KERAS_BACKEND can name one that is missing
                raise SpecError(f"KERAS_BACKEND is '{named}', which is not installed", path="KERAS_BACKEND",
                                hint=f"{install_hint(named)}, or unset KERAS_BACKEND to use an installed backend")
            return named
        found = next((b for b in BACKENDS if installed(b)), None)
        if found is None:
            raise no_backend_error(path)
        return found
    if not installed(setting):
        raise SpecError(f"the {NAMES[setting]} backend is not installed", path=path, hint=install_hint(setting))
    if now is not None and now != setting:
        raise SpecError(f"this process already runs Keras on {NAMES.get(now, now)}; it cannot switch to "
                        f"{NAMES[setting]}", path=path, hint=f"run it in a new process, or set KERAS_BACKEND={setting}")
    return setting


def prefer_installed() -> None:
    """Where nothing names a backend and TensorFlow (Keras' own default) is missing, point Keras at
    the installed one, so ``import keras`` after ``import specdsl`` works on a JAX- or PyTorch-only
    install.  Asks the import system only; sets nothing when a choice exists already."""
    if running() is not None or _configured() is not None or installed("tensorflow"):
        return
    found = next((b for b in BACKENDS if installed(b)), None)
    if found is not None:
        os.environ["KERAS_BACKEND"] = found


def use_backend(setting: str = "auto", path: str = BACKEND_PATH) -> str:
    """Resolve ``setting`` and make it the backend Keras will load with (before Keras is imported)."""
    backend = resolve(setting, path)
    if running() is None:
        os.environ["KERAS_BACKEND"] = backend
    return backend


__all__ = ["BACKENDS", "BACKEND_PATH", "BACKEND_SETTINGS", "NAMES", "install_hint", "installed", "no_backend_error",
           "prefer_installed", "resolve", "running", "use_backend"]
