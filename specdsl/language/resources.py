"""Where the grammars and preset specs live, in a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # specdsl/
_CHECKOUT = _PACKAGE.parent


def data_dir(name: str) -> Path:
    """``grammars`` or ``specs``: the top-level folder in a checkout, else the packaged copy."""
    local = _CHECKOUT / name
    if local.is_dir():
        return local
    packaged = _PACKAGE / name
    if packaged.is_dir():
        return packaged
    raise FileNotFoundError(f"specdsl installation is missing its {name}/ folder")
