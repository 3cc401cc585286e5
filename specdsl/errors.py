"""One error family for everything a user can get wrong.

Every user-facing failure (bad syntax, unknown layer or preset, impossible shape,
invalid config value, missing file) is a :class:`SpecError`.  It carries where the
problem is (file, line, column, the offending span) so the CLI can print the line
with a caret under it, and exits 2 without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """A piece of text the user wrote: a spec file, a config file or a CLI string."""

    name: str
    text: str

    def lines(self) -> list[str]:
        """The lines as the parsers count them: only "\\n" ends a line (and a "\\r" before it is dropped).

        ``str.splitlines`` also breaks at \\x0b, \\x0c, \\x1c-\\x1e, \\x85 and \\u2028, which Lark
        does not, so a caret would land on the wrong line.
        """
        return [line[:-1] if line.endswith("\r") else line for line in self.text.split("\n")]

    def line_text(self, line: int) -> str:
        lines = self.lines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


@dataclass(frozen=True)
class Span:
    """A 1-based line/column range inside a :class:`Source`."""

    source: Source
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None  # exclusive

    def text(self) -> str:
        """The exact text the span covers (single-line spans only)."""
        if self.end_column is None or (self.end_line not in (None, self.line)):
            return ""
        return self.source.line_text(self.line)[self.column - 1 : self.end_column - 1]


@dataclass
class SpecError(Exception):
    """A problem in user input, reported with its position and a way forward."""

    message: str
    span: Span | None = None
    expected: str | None = None
    hint: str | None = None
    path: str | None = None  # config key path, e.g. settings.architecture.filters
    file: str | None = None  # a file name when there is no span (missing file)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.render()

    def headline(self) -> str:
        where = ""
        if self.span is not None:
            where = f"{self.span.source.name}:{self.span.line}:{self.span.column}: "
        elif self.file:
            where = f"{self.file}: "
        path = f"{self.path}: " if self.path else ""
        return f"{where}{path}{self.message}"

    def render(self) -> str:
        out = [self.headline()]
        if self.span is not None:
            line = self.span.source.line_text(self.span.line)
            if line:
                width = 1
                if self.span.end_column is not None and self.span.end_line in (None, self.span.line):
                    width = max(1, self.span.end_column - self.span.column)
                shown, column, width = window(line, self.span.column, width)
                out.append("    " + shown)
                out.append("    " + " " * (column - 1) + "^" * width)
        if self.expected:
            out.append(f"  expected: {self.expected}")
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)


#: Characters of a source line shown around a caret; a longer line (a one-line JSON config, a long
#: architecture string) is cut to a window around the error, marked with … at the cut ends.
WINDOW = 100
_INVISIBLE = dict.fromkeys([*range(0x20), 0x7F, 0x85, 0x2028, 0x2029], " ")


def window(line: str, column: int, width: int) -> tuple[str, int, int]:
    """``line`` cut to at most :data:`WINDOW` characters around ``column``; the caret's new column and width.

    Control characters are shown as spaces so that the caret keeps its column.
    """
    line = line.translate(_INVISIBLE)
    width = min(width, WINDOW // 2)
    if len(line) <= WINDOW:
        return line, column, width
    start = max(0, min(column - 1 - WINDOW // 3, len(line) - WINDOW))
    end = start + WINDOW
    shown = ("…" if start else "") + line[start:end] + ("…" if end < len(line) else "")
    return shown, column - start + (1 if start else 0), width


class UnknownName(SpecError):
    """A name that is not defined here: a layer kind, a preset, a parameter (callers may offer another)."""


class UnknownLayerKind(UnknownName):
    """A block's name is no layer kind, alias or shorthand."""


class ImpossibleShape(SpecError):
    """A layer cannot take the shape it is given (too short for a kernel, wrong rank, ...)."""

    too_short = False  # set when the input has too few positions (the fix is a longer input)


class LimitExceeded(SpecError):
    """A text or a model beyond one of the documented limits (:mod:`specdsl.language.limits`)."""


class SpecErrors(SpecError):
    """Several independent problems reported at once (configs report every error)."""

    def __init__(self, errors: Sequence[SpecError]):
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} error(s)")

    def render(self) -> str:
        return "\n".join(e.render() for e in self.errors)


def nearest(word: str, choices: Iterable[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    """Case-insensitive closest matches, returned in their original spelling."""
    by_lower: dict[str, str] = {}
    for c in choices:
        by_lower.setdefault(c.lower(), c)
    import difflib  # only when a suggestion is made: the fast verbs never pay its import

    hits = difflib.get_close_matches(word.lower(), list(by_lower), n=n, cutoff=cutoff)
    return [by_lower[h] for h in hits]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    hits = nearest(word, choices, n=1)
    return f"did you mean '{hits[0]}'?" if hits else None


def quoted_list(items: Iterable[str], limit: int = 8) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f", … ({len(items) - limit} more)" if len(items) > limit else "")


__all__ = ["Source", "Span", "SpecError", "SpecErrors", "UnknownName", "UnknownLayerKind", "ImpossibleShape",
           "LimitExceeded", "window", "nearest", "did_you_mean", "quoted_list"]
