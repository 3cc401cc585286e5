"""One error family for everything a user can get wrong.

Every user-facing failure (bad syntax, unknown layer or preset, impossible shape,
invalid config value, missing file) is a :class:`SpecError`.  It carries where the
problem is (file, line, column, the offending span) so the CLI can print the line
with a caret under it, and exits 2 without a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """A piece of text the user wrote: a spec file, a config file or a CLI string.

    ``option`` marks the value of a command-line option (``name`` is the option, ``--set``): an
    error in it is named by the option and its text as typed, which the user can find on the
    command line, rather than by a line and column that mean nothing there.
    """

    name: str
    text: str
    option: bool = False

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
    notes: tuple[str, ...] = ()  # what could not be checked because of it (see :class:`Problems`)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.render()

    def headline(self) -> str:
        where = ""
        if self.span is not None and self.span.source.option:
            where = f"{self.span.source.name} {self.span.source.text}: "
        elif self.span is not None:
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
        out += [f"note: {n}" for n in self.notes]
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
    """Several independent problems reported at once (configs report every error).

    ``notes`` say what could not be checked because of them ("the heads against the model not
    checked: the architecture has errors"), once each, after the errors: a user who fixes every
    error listed is not surprised by a new kind of error on the next run.
    """

    def __init__(self, errors: Sequence[SpecError], notes: Sequence[str] = ()):
        self.errors = [inner for e in errors for inner in (e.errors if isinstance(e, SpecErrors) else [e])]
        gathered = [n for e in [*errors, *self.errors] for n in e.notes] + list(notes)
        for inner in self.errors:  # said once, after every error
            inner.notes = ()
        super().__init__(f"{len(self.errors)} errors", notes=tuple(dict.fromkeys(gathered)))

    def render(self) -> str:
        out = [e.render() for e in self.errors] + [f"note: {n}" for n in self.notes]
        if len(self.errors) > 1:
            out.append(f"{len(self.errors)} errors")
        return "\n".join(out)


class Problems:
    """Errors gathered from checks that do not depend on each other, so one run reports them all.

    A check that fails is recorded and the caller goes on with the next one; whatever depends
    on a failed check is skipped with a note (:meth:`skipped`), said once.  ``raise_any`` ends it:
    nothing, one error as itself, or a :class:`SpecErrors` with the notes.
    """

    def __init__(self, errors: Iterable[SpecError] = ()):
        self.errors: list[SpecError] = []
        self.notes: list[str] = []
        self.add(*errors)

    def add(self, *errors: SpecError) -> None:
        for err in errors:
            inner = err.errors if isinstance(err, SpecErrors) else [err]
            self.notes += [n for e in [err, *inner] for n in e.notes if n not in self.notes]
            for e in [err, *inner]:
                e.notes = ()
            self.errors += inner

    def attempt(self, check: Callable[..., T], *args: Any) -> T | None:
        """``check(*args)``, or None after recording the SpecError it raised (checks used here return a value)."""
        try:
            return check(*args)
        except SpecError as err:
            self.add(err)
            return None

    def skipped(self, what: str, because: str) -> None:
        note = f"{what} not checked: {because}"
        if note not in self.notes:
            self.notes.append(note)

    def raise_any(self) -> None:
        if len(self.errors) == 1:  # as itself, so a caller reads its path and span; the notes go with it
            only = self.errors[0]
            only.notes = tuple(dict.fromkeys([*only.notes, *self.notes]))
            raise only
        if self.errors:
            raise SpecErrors(self.errors, self.notes)


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


__all__ = ["Source", "Span", "SpecError", "SpecErrors", "Problems", "UnknownName", "UnknownLayerKind",
           "ImpossibleShape", "LimitExceeded", "window", "nearest", "did_you_mean", "quoted_list"]
