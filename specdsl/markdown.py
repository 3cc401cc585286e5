"""Markdown for generated pages: tables and the small formatting every page and every system's notes share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def number(value: int | None) -> str:
    """Thousands separators, as the CLI prints counts."""
    return "?" if value is None else f"{value:,}"


def cell(text: str) -> str:
    """Make text safe inside a Markdown table cell (a bare | would split the cell)."""
    return text.replace("|", "\\|").replace("\n", " ")


def code(text: str) -> str:
    return f"`{text}`" if text else ""


def dims(shape: Sequence[int | None]) -> str:
    return "x".join("?" if d is None else str(d) for d in shape)


def table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> list[str]:
    """A GitHub-flavoured Markdown table; ``align`` is one letter per column (l/r)."""
    align = align or "l" * len(header)
    rule = ["---:" if a == "r" else "---" for a in align]
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


__all__ = ["cell", "code", "dims", "number", "table"]
