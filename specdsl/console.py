"""The one rich console every command prints through (rich is imported only when something is printed)."""

from __future__ import annotations

import sys
from typing import Any


def console(stderr: bool = False) -> Any:
    """A rich console; pipes and CI logs get a wide table rather than rich's 80-column default."""
    from rich.console import Console

    width = None if sys.stdout.isatty() else 200
    return Console(stderr=stderr, highlight=False, soft_wrap=False, emoji=False, width=width)


__all__ = ["console"]
