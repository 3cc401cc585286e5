"""The Lark front end both languages share: parsers, positions, nesting, syntax errors.

Architecture strings and spec files (:mod:`specdsl.language.parsing`) and training configs
(:mod:`specdsl.config.reader`) are all LALR grammars run by Lark.  What they have in
common lives here once: building a parser, mapping Lark's line/column (relative to
the text it was given) to a :class:`~specdsl.errors.Span` in the user's source,
naming expected tokens in plain words, refusing texts nested deeper than
:data:`~specdsl.language.limits.MAX_NESTING` before any recursive walk can overflow the
stack, and turning a Lark exception into the project's one error family.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from specdsl.errors import LimitExceeded, Source, Span, SpecError
from specdsl.language.limits import MAX_NESTING
from specdsl.language.resources import data_dir

#: The escapes a quoted text may hold (JSON's), as error messages list them.
STRING_ESCAPES = '\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX'

At = tuple[int, int]  # where the parsed text starts in its source (1-based line, column)
START: At = (1, 1)


@cache
def lark_parser(grammar: str, start: str = "start") -> Lark:
    """The LALR parser of ``grammars/<grammar>`` from rule ``start``, built once per process (and cached on
    disk by Lark).  One parser per start rule, so ``parse(text)`` never needs to name it."""
    return Lark.open(str(data_dir("grammars") / grammar), parser="lalr", propagate_positions=True,
                     maybe_placeholders=True, cache=True, start=start)


# ---------------------------------------------------------------- positions


def shifted(source: Source, at: At, line: int, col: int, end_line: int | None = None,
            end_col: int | None = None) -> Span:
    """A span given relative to a text that starts at ``at`` inside ``source``."""
    base_line, base_col = at

    def shift(ln: int, c: int) -> tuple[int, int]:
        return ln + base_line - 1, c + (base_col - 1 if ln == 1 else 0)

    l0, c0 = shift(line, col)
    if end_line is None or end_col is None:
        return Span(source, l0, c0)
    l1, c1 = shift(end_line, end_col)
    return Span(source, l0, c0, l1, c1)


def token_span(source: Source, tok: Token, at: At = START) -> Span:
    return shifted(source, at, tok.line, tok.column, tok.end_line, tok.end_column)


def tree_span(source: Source, tree: Tree, at: At = START) -> Span:
    m = tree.meta
    return shifted(source, at, m.line, m.column, m.end_line, m.end_column)


def end_span(source: Source, text: str, at: At = START) -> Span:
    """Just after the last character of ``text`` that is not blank (where 'ends too early' points)."""
    body = text.rstrip()
    line = body.count("\n") + 1
    col = len(body) - (body.rfind("\n") + 1) + 1
    return shifted(source, at, line, col)


# ---------------------------------------------------------------- nesting


def open_brackets(parser: Lark, source: Source, text: str, at: At, openers: Iterable[str],
                  closers: Iterable[str]) -> list[Token]:
    """The brackets still open at the end of ``text``; raises at the first one nested too deep.

    A linear scan of the tokens, run before parsing: every later walk of the tree
    is recursive, and Python's stack ends near a thousand frames.  A text that does
    not lex is left to the parser, which reports it.
    """
    opening, closing = frozenset(openers), frozenset(closers)
    stack: list[Token] = []
    try:
        for tok in parser.lex(text):
            if tok.type in opening:
                stack.append(tok)
                if len(stack) > MAX_NESTING:
                    raise LimitExceeded(f"brackets are nested more than {MAX_NESTING} deep",
                                    span=token_span(source, tok, at),
                                    expected=f"at most {MAX_NESTING} levels of brackets inside each other")
            elif tok.type in closing and stack:
                stack.pop()
    except LarkError:
        pass
    return stack


# ---------------------------------------------------------------- syntax errors


def describe_expected(parser: Lark, names: Iterable[str], words: Mapping[str, str],
                      groups: Iterable[tuple[frozenset[str], str]] = ()) -> str:
    """Terminal names in plain words: ``'(' , a number or the end of the text``.

    ``groups`` collapse a set of terminals into one phrase when all of them are
    expected (a config's six ways to start a value read "a value").
    """
    names = set(names)
    head: list[str] = []
    for members, word in groups:
        if members <= names:
            names -= members
            head.append(word)
    rest: set[str] = set()
    for name in names:
        if name in words:
            rest.add(words[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            rest.add(name.lower())
            continue
        rest.add(f"'{pattern.value}'" if pattern.type == "str" else name.lower())
    out = head + sorted(rest)
    if not out:
        return "something else"
    return out[0] if len(out) == 1 else ", ".join(out[:-1]) + " or " + out[-1]


def syntax_error(parser: Lark, err: UnexpectedInput, source: Source, text: str, at: At,
                 words: Mapping[str, str], *, expected: Iterable[str] | None = None,
                 groups: Iterable[tuple[frozenset[str], str]] = (), ends: str = "the text ends too early",
                 bare: Iterable[str] = ()) -> SpecError:
    """A Lark error as a positioned SpecError; callers add their language's hints.

    ``bare`` names token types shown without quotes (a config's "quoted text" and numbers).
    """
    names = set(expected) if expected is not None else set(
        getattr(err, "expected", None) or getattr(err, "allowed", None) or ())
    described = describe_expected(parser, names, words, groups)
    line, col = getattr(err, "line", 1) or 1, getattr(err, "column", 1) or 1
    if isinstance(err, UnexpectedCharacters):
        return SpecError(f"unexpected character '{err.char}'", span=shifted(source, at, line, col, line, col + 1),
                         expected=described)
    token = getattr(err, "token", None)
    if isinstance(err, UnexpectedEOF) or token is None or token.type == "$END":
        return SpecError(ends, span=end_span(source, text, at), expected=described)
    shown = f"unexpected {token}" if token.type in set(bare) else f"unexpected '{token}'"
    return SpecError(shown, span=token_span(source, token, at), expected=described)


__all__ = ["STRING_ESCAPES", "At", "START", "lark_parser", "shifted", "token_span", "tree_span", "end_span",
           "open_brackets", "describe_expected", "syntax_error"]
