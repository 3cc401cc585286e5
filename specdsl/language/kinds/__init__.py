"""Every layer kind, one registry entry each, and the catalogue of them.

Importing this package registers every kind (one module per family); :func:`all_kinds`,
:func:`keywords` and :func:`lookup` read the registry of :mod:`specdsl.language.registry`
through it, so whoever asks for a kind has loaded them all, and the registry itself, which
the kinds import, imports none of them.
"""

from __future__ import annotations

from typing import Any

from specdsl.errors import Span, UnknownLayerKind, did_you_mean, quoted_list
from specdsl.language.kinds import core, recurrent, residual, sequence, tagging  # noqa: F401  (registers them)
from specdsl.language.registry import _LOOKUP, KINDS, Kind


def all_kinds() -> dict[str, Kind]:
    return KINDS


def keywords() -> list[str]:
    return sorted(_LOOKUP)


def lookup(word: str, span: Span | None = None) -> tuple[Kind, dict[str, Any]]:
    """Find a kind by keyword, alias or shorthand (case-insensitive)."""
    hit = _LOOKUP.get(word.lower())
    if hit is None:
        raise UnknownLayerKind(
            f"unknown layer kind '{word}'",
            span=span,
            expected="a layer kind: " + quoted_list(sorted(KINDS), limit=40),
            hint=did_you_mean(word, _LOOKUP) or "run 'specdsl kinds' to list every layer kind",
        )
    return hit


__all__ = ["all_kinds", "keywords", "lookup"]
