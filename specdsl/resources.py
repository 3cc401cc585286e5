"""Where the grammars and preset specs live, in a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def data_dir(name: str) -> Path:
    """``grammars`` or ``specs``: the top-level folder in a checkout, else the packaged copy."""
    local = _CHECKOUT / name
    if local.is_dir():
        return local
    packaged = Path(__file__).resolve().parent / name
    if packaged.is_dir():
        return packaged
    raise FileNotFoundError(f"specdsl installation is missing its {name}/ folder")
