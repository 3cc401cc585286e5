"""Everything specdsl prints to a person goes through here, so user text is never eaten as markup.

Architecture strings are full of square brackets (``act[gelu]``, ``bn[momentum=0.9]``), which
rich reads as style tags and silently drops.  So the console never parses markup: styles are
given explicitly (:func:`styled`, ``style=``) and every cell is shown exactly as written.

Tables are specdsl's own :class:`Table`, rendered by :class:`Printer` two ways:

* on a terminal (or when ``COLUMNS`` asks for a width), with rich: boxes, styles, the terminal's width;
* piped or redirected, as plain aligned text at its natural width: no box drawing, no padding,
  nothing wrapped, so a row stays one line that ``grep``, ``awk`` and copy-paste can use.  rich is
  not even imported then, which keeps ``specdsl params … | less`` and scripts fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import IO, Any, NamedTuple


class Span(NamedTuple):
    """A piece of text with a rich style (``"bold"``, ``"dim"``); the text is never parsed."""

    text: str
    style: str = ""


class Line(tuple):
    """One printed line made of spans (see :func:`styled`)."""

    @property
    def plain(self) -> str:
        return "".join(span.text for span in self)

    def to_rich(self) -> Any:
        from rich.text import Text

        return Text.assemble(*((s.text, s.style) if s.style else s.text for s in self))


def styled(*parts: str | tuple[str, str] | Span) -> Line:
    """A line from plain strings and ``(text, style)`` pairs: ``styled("total: ", (n, "bold"))``."""
    return Line(p if isinstance(p, Span) else Span(p) if isinstance(p, str) else Span(*p) for p in parts)


Cell = str | Line


class Column(NamedTuple):
    header: str
    justify: str = "left"  # "left" or "right"
    wrap: bool = True  # on a terminal, may this column fold when the table is too wide?


class Table:
    """Rows of text under headed columns; user text in any cell is shown verbatim."""

    def __init__(self, columns: Sequence[Column | str], title: str | None = None, show_header: bool = True):
        self.columns = [c if isinstance(c, Column) else Column(c) for c in columns]
        self.title = title
        self.show_header = show_header
        self.rows: list[tuple[Cell, ...]] = []

    def add_row(self, *cells: Cell) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"a row of {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(cells)

    def plain(self) -> str:
        """The table as aligned text (two spaces between columns, a dashed rule under the header)."""
        texts = [[_plain(c) for c in row] for row in self.rows]
        heads = [c.header for c in self.columns]
        widths = [max([len(h) if self.show_header else 0] + [len(r[i]) for r in texts])
                  for i, h in enumerate(heads)]

        def line(cells: Sequence[str]) -> str:
            out = [cell.rjust(w) if col.justify == "right" else cell.ljust(w)
                   for cell, w, col in zip(cells, widths, self.columns)]
            return "  ".join(out).rstrip()

        lines = [self.title] if self.title else []
        if self.show_header:
            rule = ["-" * w for w in widths[:-1]] + ["-" * len(heads[-1])]  # a long last column: no long rule
            lines += [line(heads), line(rule)]
        lines += [line(r) for r in texts]
        return "\n".join(lines)

    def to_rich(self) -> Any:
        from rich.table import Table as RichTable
        from rich.text import Text

        table = RichTable(title=Text(self.title) if self.title else None, title_justify="left",
                          show_header=self.show_header)
        for col in self.columns:
            table.add_column(Text(col.header), justify=col.justify, no_wrap=not col.wrap,
                             overflow="fold")
        for row in self.rows:
            table.add_row(*(c.to_rich() if isinstance(c, Line) else Text(c) for c in row))
        return table


def _plain(item: Any) -> str:
    return item.plain if isinstance(item, Line) else str(item)


def _requested_width() -> int | None:
    try:
        width = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        return None
    return width if width > 0 else None


class Printer:
    """Prints strings, :func:`styled` lines and :class:`Table` s to stdout (or stderr)."""

    def __init__(self, stderr: bool = False, stream: IO[str] | None = None):
        self.stream = stream if stream is not None else (sys.stderr if stderr else sys.stdout)
        self.stderr = stderr
        isatty = getattr(self.stream, "isatty", None)
        self.fancy = bool(isatty and isatty()) or _requested_width() is not None
        self._rich: Any = None

    def print(self, *items: Cell | Table) -> None:
        """Each item on its own line(s)."""
        for item in items:
            if self.fancy:
                self._console().print(item.to_rich() if isinstance(item, (Table, Line)) else item)
            else:
                self.stream.write((item.plain() if isinstance(item, Table) else _plain(item)) + "\n")

    def _console(self) -> Any:
        if self._rich is None:
            self._rich = console(stderr=self.stderr, stream=self.stream)
        return self._rich


def console(stderr: bool = False, stream: IO[str] | None = None) -> Any:
    """A rich console that reads no markup or emoji codes in what it prints (training progress, logs)."""
    from rich.console import Console

    made = Console(file=stream, stderr=stderr, highlight=False, soft_wrap=True, markup=False, emoji=False,
                   width=_requested_width())
    made.on_broken_pipe = _broken_pipe  # rich would exit with status 1 itself; the command line ends quietly
    return made


def _broken_pipe() -> None:
    """A reader that left (``specdsl … | head``) is reported as itself, so that one handler, in
    :func:`specdsl.cli.main`, ends every command alike."""
    import errno

    raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def printer(stderr: bool = False) -> Printer:
    return Printer(stderr=stderr)


def print_lines(lines: Iterable[Cell], stderr: bool = False) -> None:
    printer(stderr).print(*lines)


__all__ = ["Column", "Line", "Printer", "Span", "Table", "console", "print_lines", "printer", "styled"]
