"""Config text → positioned values.

Validation must point at the exact key or value a user got wrong, so the reader
keeps a span for every value and every key instead of handing back bare dicts.
Nothing is evaluated: a config is data (``grammars/config.lark``: JSON plus
``#``/``//`` comments and trailing commas).  Duplicate keys are collected as
errors rather than silently letting the last one win, as ``json.loads`` does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from specdsl.errors import Source, Span, SpecError, SpecErrors
from specdsl.language.frontend import START, STRING_ESCAPES, lark_parser, open_brackets, syntax_error, token_span
from specdsl.language.literals import number_value

PathStep = Union[str, int]


# ---------------------------------------------------------------- positioned values


@dataclass(frozen=True, eq=False)
class Node:
    """A value read from a config, with the span of its text."""

    span: Span

    @property
    def value(self) -> Any:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def to_python(self) -> Any:
        """The plain value (dicts, lists, str, int, float, bool, None), positions dropped."""
        raise NotImplementedError  # pragma: no cover

    def place(self, err: SpecError) -> SpecError:
        """``err`` placed at its key path in this document (what the training engine calls through the IR)."""
        return place(err, self)

    def child(self, step: PathStep) -> Node | None:
        """The value under a key or index, or None (scalars have no children)."""
        return None


@dataclass(frozen=True, eq=False)
class ScalarNode(Node):
    """A string, number, true, false or null."""

    scalar: str | int | float | bool | None

    @property
    def value(self) -> str | int | float | bool | None:
        return self.scalar

    def to_python(self) -> Any:
        return self.scalar


@dataclass(frozen=True, eq=False)
class Entry:
    """One ``"key": value`` pair; the key keeps its own span for unknown-key errors."""

    key: str
    key_span: Span
    node: Node


@dataclass(frozen=True, eq=False)
class ObjectNode(Node):
    """A ``{...}``.  Duplicate keys keep their first value (the reader reports the rest)."""

    entries: tuple[Entry, ...]

    @property
    def value(self) -> dict[str, Node]:
        out: dict[str, Node] = {}
        for e in self.entries:
            out.setdefault(e.key, e.node)
        return out

    def entry(self, key: str) -> Entry | None:
        return next((e for e in self.entries if e.key == key), None)

    def key_span(self, key: str) -> Span | None:
        e = self.entry(key)
        return e.key_span if e else None

    def child(self, step: PathStep) -> Node | None:
        e = self.entry(step) if isinstance(step, str) else None
        return e.node if e else None

    def to_python(self) -> dict[str, Any]:
        return {k: v.to_python() for k, v in self.value.items()}


@dataclass(frozen=True, eq=False)
class ArrayNode(Node):
    """A ``[...]``."""

    items: tuple[Node, ...]

    @property
    def value(self) -> tuple[Node, ...]:
        return self.items

    def child(self, step: PathStep) -> Node | None:
        if isinstance(step, int) and 0 <= step < len(self.items):
            return self.items[step]
        return None

    def to_python(self) -> list[Any]:
        return [item.to_python() for item in self.items]


def locate(root: Node, path: Sequence[PathStep]) -> Node:
    """The node at ``path``, or the deepest one that exists on the way there."""
    node = root
    for step in path:
        nxt = node.child(step)
        if nxt is None:
            break
        node = nxt
    return node


def format_path(path: Sequence[PathStep]) -> str | None:
    """``settings.architecture.filters``, ``heads[0].num-tasks``: how errors name a key."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out or None


# ---------------------------------------------------------------- parsing


_GRAMMAR = "config.lark"
_OPENERS, _CLOSERS = ("LBRACE", "LBRACKET"), ("RBRACE", "RBRACKET")


def _parser() -> Lark:
    return lark_parser(_GRAMMAR)


class _Builder:
    """Lark tree → nodes, collecting duplicate-key and bad-escape errors as it goes."""

    def __init__(self, source: Source):
        self.source = source
        self.problems: list[SpecError] = []
        self.path: list[PathStep] = []

    def node(self, item: Tree | Token) -> Node:
        if isinstance(item, Token):
            return ScalarNode(token_span(self.source, item), self.scalar(item))
        m = item.meta
        span = Span(self.source, m.line, m.column, m.end_line, m.end_column)
        if item.data == "array":
            values = [c for c in item.children if c is not None and not _is_punct(c)]
            items = []
            for i, c in enumerate(values):
                self.path.append(i)
                items.append(self.node(c))
                self.path.pop()
            return ArrayNode(span, tuple(items))
        return ObjectNode(span, tuple(self.entries(item)))

    def entries(self, tree: Tree) -> Iterator[Entry]:
        first: dict[str, Span] = {}
        for pair in tree.children:
            if not isinstance(pair, Tree):
                continue
            key_tok, _colon, value = pair.children
            key, key_span = self.string(key_tok), token_span(self.source, key_tok)
            self.path.append(key)
            if key in first:
                self.problems.append(SpecError(
                    f"the key '{key}' is given twice", span=key_span, path=format_path(self.path),
                    hint=f"it is first given at line {first[key].line}, column {first[key].column}; "
                         "keep one of them"))
            else:
                first[key] = key_span
            node = self.node(value)
            self.path.pop()
            yield Entry(key, key_span, node)

    def scalar(self, tok: Token) -> Any:
        if tok.type == "STRING":
            return self.string(tok)
        if tok.type == "NUMBER":
            try:
                return number_value(str(tok), token_span(self.source, tok))
            except SpecError as err:  # too long or not finite: report it with the other problems
                err.path = format_path(self.path)
                self.problems.append(err)
                return 0
        return {"TRUE": True, "FALSE": False, "NULL": None}[tok.type]

    def string(self, tok: Token) -> str:
        try:
            return json.loads(str(tok), strict=False)
        except json.JSONDecodeError as err:
            col = tok.column + err.pos
            bad = str(tok)[err.pos:err.pos + 2]
            span = Span(self.source, tok.line, col, tok.line, col + 2)
            self.problems.append(SpecError(
                f"'{bad}' is not a valid escape in quoted text", span=span,
                path=format_path(self.path), expected=STRING_ESCAPES,
                hint="write a backslash as \\\\ (or use '/' in file names)"))
            return str(tok)[1:-1]


def _is_punct(item: Tree | Token) -> bool:
    return isinstance(item, Token) and item.type in ("COMMA", "LBRACKET", "RBRACKET", "LBRACE", "RBRACE")


def parse_document(source: Source) -> tuple[Node, list[SpecError]]:
    """Parse ``source``; syntax errors raise, duplicate keys and bad escapes come back as a list.

    Returning the soft problems instead of raising lets :func:`load_config` report
    them together with every validation error in one go.
    """
    if not source.text.strip():
        raise SpecError("the config file is empty", file=source.name, expected="an object: { ... }")
    parser = _parser()
    open_brackets(parser, source, source.text, START, _OPENERS, _CLOSERS)
    try:
        tree = parser.parse(source.text)
    except UnexpectedInput as err:
        raise _syntax_error(source, err) from None
    builder = _Builder(source)
    return builder.node(tree.children[0]), builder.problems


def parse_value(source: Source, column: int) -> tuple[Node, list[SpecError]]:
    """The value written from ``column`` to the end of one-line ``source`` (a command-line option's
    ``PATH=VALUE``), positioned in that source; syntax errors raise, soft problems come back."""
    text = " " * (column - 1) + source.text[column - 1:]  # blanks keep Lark's columns those of the source
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(Source(source.name, text, source.option), err) from None
    builder = _Builder(source)
    return builder.node(tree.children[0]), builder.problems


def read_config_text(text: str, name: str = "<config>") -> Node:
    """Read config text into positioned values; any syntax problem raises a SpecError."""
    node, problems = parse_document(Source(name, text))
    if problems:
        raise problems[0] if len(problems) == 1 else SpecErrors(problems)
    return node


def read_source(path: str | Path) -> Source:
    """The text of a config file, or a SpecError naming the file (missing, unreadable, not UTF-8)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpecError("no such file", file=str(path)) from None
    except UnicodeDecodeError:
        raise SpecError("the file is not UTF-8 text", file=str(path)) from None
    except OSError as err:
        raise SpecError(f"cannot read the file: {err.strerror or err}", file=str(path)) from None
    return Source(str(path), text)


def read_config_file(path: str | Path) -> Node:
    """Read a config file into positioned values (see :func:`read_config_text`)."""
    source = read_source(path)
    return read_config_text(source.text, source.name)


# ---------------------------------------------------------------- syntax errors in plain words

_WORDS = {
    "LBRACE": "'{'", "RBRACE": "'}'", "LBRACKET": "'['", "RBRACKET": "']'", "COMMA": "','", "COLON": "':'",
    "STRING": 'a "quoted text"', "NUMBER": "a number", "TRUE": "true", "FALSE": "false", "NULL": "null",
    "$END": "the end of the file",
}
_VALUE_START = frozenset({"LBRACE", "LBRACKET", "STRING", "NUMBER", "TRUE", "FALSE", "NULL"})
_A_VALUE = 'a value ("text", a number, true, false, null, {...} or [...])'
_PYTHON_WORDS = {"True": "true", "False": "false", "None": "null"}


_GROUPS = ((_VALUE_START, _A_VALUE),)


def _unclosed(source: Source) -> Token | None:
    """The innermost '{' or '[' still open at the end of the text (for 'ends too early')."""
    stack = open_brackets(_parser(), source, source.text, START, _OPENERS, _CLOSERS)
    return stack[-1] if stack else None


def _character_hint(source: Source, err: UnexpectedCharacters) -> str | None:
    rest = source.text[err.pos_in_stream:]
    word = re.match(r"[A-Za-z_][A-Za-z0-9_]*", rest)
    if word and word.group() in _PYTHON_WORDS:
        return f"write {_PYTHON_WORDS[word.group()]} in lower case: configs are JSON, not Python"
    if word:
        return f'text goes in double quotes: "{word.group()}"'
    if err.char == "'":
        return 'text goes in double quotes: "like this"'
    if err.char in "+-*/()":
        return "configs are data and nothing in them is evaluated: write the number itself"
    if err.char == ".":
        return "write numbers with a digit on both sides of the point, e.g. 0.5"
    return None


def _accepted(source: Source, err: UnexpectedInput) -> set[str]:
    """Exactly the terminals the parser could take at the error.

    LALR states merge look-aheads, so Lark's own ``expected`` can list a ']' inside
    an object; replaying the text up to the error with the interactive parser
    asks the real question instead.
    """
    fallback = set(getattr(err, "expected", None) or getattr(err, "allowed", None) or ())
    try:
        ip = getattr(err, "interactive_parser", None)
        if ip is None:
            ip = _parser().parse_interactive(source.text[:err.pos_in_stream])
            ip.exhaust_lexer()
        return set(ip.accepts()) or fallback
    except LarkError:
        return fallback


def _syntax_error(source: Source, err: UnexpectedInput) -> SpecError:
    expected = _accepted(source, err)
    error = syntax_error(_parser(), err, source, source.text, START, _WORDS, expected=expected, groups=_GROUPS,
                         ends="the file ends too early", bare=("STRING", "NUMBER"))
    if isinstance(err, UnexpectedCharacters):
        error.hint = _character_hint(source, err)
        return error
    token = getattr(err, "token", None)
    if not isinstance(err, UnexpectedToken) or token is None or token.type == "$END":
        opener = _unclosed(source)
        if opener is not None:
            error.hint = f"the '{opener}' at line {opener.line}, column {opener.column} is never closed"
        return error
    if "COMMA" in expected and token.type in _VALUE_START:
        error.hint = "is a ',' missing before it?"
    elif expected == {"STRING", "RBRACE"} or expected == {"STRING"}:
        error.hint = 'keys are quoted text: "key": value'
    elif token.type in ("RBRACE", "RBRACKET") and _VALUE_START <= expected:
        error.hint = "a value is missing"
    return error


# ---------------------------------------------------------------- errors placed at their key

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[PathStep]:
    return [int(index) if index else key for key, index in _STEP.findall(path)]


def place(err: SpecError, document: Node | None) -> SpecError:
    """``err`` with a span at its key in ``document`` (when it has a key path and no span yet)."""
    if isinstance(err, SpecErrors):
        for inner in err.errors:
            place(inner, document)
        return err
    if document is None or err.span is not None or not err.path:
        return err
    steps = parse_path(err.path)
    if not steps or document.child(steps[0]) is None:
        return err
    node: Any = locate(document, steps)
    if err.file:  # keep the data file's name: the span now names the config
        err.message = f"{err.file}: {err.message}"
        err.file = None
    err.span = node.span
    return err
