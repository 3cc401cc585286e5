"""Text → IR.  Lark (LALR, positions kept) for the syntax; the layer registry for meaning.

Parsing happens in two steps so that a bare word can mean different things in
different places: the Lark tree becomes a *raw* tree (names, numbers, nested
strings), and resolution against the registry turns it into IR blocks, checking
every argument and reporting the exact span of anything wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedEOF, UnexpectedInput

from specdsl.errors import LimitExceeded, Source, Span, SpecError, UnknownLayerKind, did_you_mean
from specdsl.language.frontend import (
    At,
    lark_parser,
    open_brackets,
    shifted,
    syntax_error,
    token_span,
    tree_span,
)
from specdsl.language.hyper import COUNT_WORDS
from specdsl.language.ir import (  # noqa: F401  (used here and re-exported)
    Block,
    Chain,
    Choice,
    Hyper,
    Interval,
    Range,
    Repeat,
    Var,
    block_count,
    most_copies,
)
from specdsl.language.kinds import lookup
from specdsl.language.limits import MAX_BLOCKS
from specdsl.language.literals import number_value
from specdsl.language.registry import Arg, Kind, check_hyper, check_value

# Plain words for every terminal, so no message ever shows an internal token name.
_WORDS = {
    "SEP": "'_' between blocks", "LBRACKET": "'['", "RBRACKET": "']'", "LPAR": "'('", "RPAR": "')'",
    "COMMA": "','", "EQUALS": "'='", "AT": "'@'", "BAR": "'|'", "TIMES": "'x'",
    "NAME": "a layer or argument name", "NUMBER": "a number", "VAR": "a $parameter",
    "$END": "the end of the text", "IDENT": "a name", "STRING": "a \"quoted text\"", "CHAIN": "an architecture string",
    "PIPE": "'|'", "QMARK": "'?'", "_NL": "a new line", "SEMICOLON": "';'",
    "LBRACE": "'{'", "RBRACE": "'}'", "COLON": "':'", "DOTS": "'..'", "TILDE": "'~'", "SPACE": "a search space {…}",
}


def _syntax_error(err: UnexpectedInput, source: Source, text: str, at: At, grammar: str,
                  unclosed: Sequence[Token] = ()) -> SpecError:
    """A Lark error in either language, said as what the user most likely did when the architecture
    language can tell: arguments in ``( )`` instead of ``[ ]``, or a bracket that ``unclosed`` (the
    brackets still open at the end of ``text``) shows is never closed."""
    error = syntax_error(lark_parser(grammar), err, source, text, at, _WORDS)
    token = getattr(err, "token", None)
    at_end = isinstance(err, UnexpectedEOF) or getattr(token, "type", None) == "$END"
    if grammar == "arch.lark" and not at_end and isinstance(token, Token) and token.type == "LPAR":
        better = _parenthesised_arguments(source, text, at, token)
        if better is not None:
            return better
    if grammar == "arch.lark" and unclosed:
        where = len(text) if at_end or not isinstance(token, Token) else token.start_pos
        better = _never_closed(source, text, at, where, set(getattr(err, "expected", None) or ()))
        if better is not None:
            return better
    if "']'" in (error.expected or "") and at_end:
        error.hint = "a '[' was opened and never closed"
    return error


_CLOSER = {"LBRACKET": ("RBRACKET", "]"), "LPAR": ("RPAR", ")")}


def _tokens(text: str) -> list[Token]:
    """The tokens of (a prefix of) an architecture string; [] where it does not lex."""
    try:
        return list(lark_parser("arch.lark").lex(text))
    except LarkError:
        return []


def _parses(text: str) -> bool:
    try:
        lark_parser("arch.lark").parse(text)
    except LarkError:
        return False
    return True


def _parenthesised_arguments(source: Source, text: str, at: At, lpar: Token) -> SpecError | None:
    """``conv(64@19)``: a name followed by '(' means arguments written in the wrong brackets."""
    before = _tokens(text[:lpar.start_pos])
    if not before or before[-1].type != "NAME":
        return None
    name = before[-1]
    depth, end = 0, None
    for tok in _tokens(text)[len(before):]:
        depth += {"LPAR": 1, "RPAR": -1}.get(tok.type, 0)
        if depth == 0:
            end = tok.start_pos
            break
    written = text[name.start_pos:end + 1] if end is not None else f"{name}(…"
    fixed = f"{name}[{text[lpar.start_pos + 1:end]}]" if end is not None else f"{name}[…]"
    try:
        expected = _describe_signature(lookup(str(name))[0])
    except UnknownLayerKind:
        expected = "a layer's arguments in [ ], e.g. conv[128@11] or mp[4]"
    return SpecError(f"arguments go in square brackets: {fixed}, not {written}", span=token_span(source, lpar, at),
                     expected=expected,
                     hint="( ) only groups repeated blocks, as in 2x(conv[64@3]_mp[2])")


def _never_closed(source: Source, text: str, at: At, where: int, expected: set[str]) -> SpecError | None:
    """The bracket open where the parser stopped, when the parser wanted its closer there and the
    text never closes it: the error belongs at that bracket, not at whatever came next."""
    stack: list[Token] = []
    for tok in _tokens(text[:where]):
        if tok.type in _CLOSER:
            stack.append(tok)
        elif tok.type in ("RBRACKET", "RPAR") and stack:
            stack.pop()
    if not stack or _CLOSER[stack[-1].type][0] not in expected:
        return None
    opener = stack[-1]
    closer = _CLOSER[opener.type][1]
    before = _tokens(text[:opener.start_pos])
    owner = f" of {before[-1]}[…]" if opener.type == "LBRACKET" and before and before[-1].type == "NAME" else ""
    fixed = (text[:where].rstrip() + closer + text[where:]).strip()
    hint = (f"did you mean {fixed}?" if len(fixed) <= 200 and _parses(fixed)
            else f"close it with '{closer}' where its contents end")
    return SpecError(f"the '{opener}'{owner} opened here is never closed", span=token_span(source, opener, at),
                     expected=f"a '{closer}' to close it", hint=hint)


# ---------------------------------------------------------------- raw trees


@dataclass
class RawBlock:
    name: str
    args: list[tuple[str | None, Any, Span]]
    span: Span
    name_span: Span
    text: str


@dataclass
class RawRepeat:
    times: Any
    body: RawChain
    span: Span


@dataclass
class RawChain:
    items: list[RawBlock | RawRepeat]
    span: Span


@dataclass
class RawPair:
    first: Any
    second: Any


class _ChainReader:
    """Turns an arch.lark tree into raw objects, keeping spans in the enclosing source."""

    def __init__(self, text: str, source: Source, at: tuple[int, int]):
        self.text, self.source, self.at = text, source, at

    def span_of(self, node: Tree | Token) -> Span:
        if isinstance(node, Token):
            return token_span(self.source, node, self.at)
        return tree_span(self.source, node, self.at)

    def chain(self, tree: Tree) -> RawChain:
        items = [self.item(c) for c in tree.children if isinstance(c, Tree)]
        return RawChain(items, self.span_of(tree))

    def item(self, tree: Tree) -> RawBlock | RawRepeat:
        if tree.data == "repeat":
            times, _, _, body, _ = tree.children
            return RawRepeat(self.value(times), self.chain(body), self.span_of(tree))
        name_tok = tree.children[0]
        args: list[tuple[str | None, Any, Span]] = []
        if len(tree.children) > 1 and tree.children[2] is not None:
            for arg in tree.children[2].children:
                if not isinstance(arg, Tree):
                    continue
                if arg.data == "kwarg":
                    key, _, value = arg.children
                    args.append((str(key), self.value(value), self.span_of(arg)))
                else:
                    args.append((None, self.value(arg.children[0]), self.span_of(arg)))
        m = tree.meta
        text = self.text[m.start_pos:m.end_pos]
        return RawBlock(str(name_tok), args, self.span_of(tree), self.span_of(name_tok), text)

    def scalar(self, tok: Token) -> Any:
        if tok.type == "VAR":
            return Var(tok[1:], self.span_of(tok))
        return number_value(str(tok), self.span_of(tok))

    def value(self, node: Tree | Token) -> Any:
        if isinstance(node, Token):
            return self.scalar(node)
        if node.data == "pair":
            return RawPair(self.value(node.children[0]), self.value(node.children[2]))
        if node.data == "stages":
            return tuple((self.value(s.children[0]), self.value(s.children[2]))
                         for s in node.children if isinstance(s, Tree))
        if node.data == "chain":
            return self.chain(node)
        if node.data == "space":
            return self.hyper(node)
        raise AssertionError(node.data)

    def hyper(self, tree: Tree) -> Hyper:
        """``{…}``: a choice, a range or an interval, named by ``$name:`` or by its position."""
        _, name_tok, _, domain, _ = tree.children
        punctuation = ("COMMA", "DOTS", "TILDE", "COLON")
        parts = [c for c in domain.children if isinstance(c, Token) and c.type not in punctuation]
        if domain.data == "choice":
            made: Any = Choice(tuple(str(t).lower() if t.type == "NAME" else self.scalar(t) for t in parts))
        elif domain.data == "range":
            made = Range(*(self.scalar(t) for t in parts))
        else:
            low, high, *mode = parts
            if mode and str(mode[0]).lower() != "log":
                raise SpecError(f"'{mode[0]}' is not a way to sample a range", span=self.span_of(mode[0]),
                                expected="{low~high} (uniform) or {low~high:log} (uniform in the logarithm)")
            made = Interval(self.scalar(low), self.scalar(high), bool(mode))
        return Hyper(made, str(name_tok)[1:] if name_tok is not None else "", self.span_of(tree))


# ---------------------------------------------------------------- resolution


def _describe_signature(kind: Kind) -> str:
    return f"{kind.name}[{kind.signature()}]" + (f", e.g. {kind.example}" if kind.example else "")


def _too_many_blocks(count: int, span: Span | None) -> LimitExceeded:
    return LimitExceeded(f"this expands to {count:,} blocks, more than the limit of {MAX_BLOCKS:,}", span=span,
                         expected=f"at most {MAX_BLOCKS:,} blocks after every Nx(...) is expanded")


#: What a repeat count is checked as (searched or bound from a parameter, zero copies are allowed).
REPEAT_COUNT = Arg("count", "int", doc="repeat count", minimum=0)


def resolve_chain(raw: RawChain) -> Chain:
    items: list[Block | Repeat] = []
    for item in raw.items:
        if isinstance(item, RawRepeat):
            times = item.times
            if isinstance(times, Hyper):
                times = check_hyper(None, REPEAT_COUNT, times, item.span)
            elif not isinstance(times, Var) and (not isinstance(times, int) or times < 1):
                raise SpecError(f"a repeat count must be a whole number ≥ 1, not {times}", span=item.span,
                                expected="Nx(blocks), e.g. 2x(conv[64@3]_bn); $name x(…) for a parameter, "
                                         f"{{1..4}}x(…) for a searched count ({COUNT_WORDS})")
            repeat = Repeat(times, resolve_chain(item.body), item.span)
            copies = most_copies(times)
            if copies * block_count(repeat.body) > MAX_BLOCKS:
                raise _too_many_blocks(copies * block_count(repeat.body), item.span)
            items.append(repeat)
        else:
            items.append(resolve_block(item))
    chain = Chain(tuple(items), raw.span)
    if block_count(chain) > MAX_BLOCKS:
        raise _too_many_blocks(block_count(chain), raw.span)
    return chain


def _convert(kind: Kind, argname: str, value: Any, span: Span) -> Any:
    arg = kind.arg(argname)
    if isinstance(value, RawPair):
        raise SpecError(f"{kind.name}: argument '{argname}' cannot be written as a pair with '@'", span=span,
                        expected=arg.describe())
    if isinstance(value, Hyper) and arg.type == "chain":
        raise SpecError(f"{kind.name}: argument '{argname}' is an architecture string, which a search space {{…}} "
                        "cannot choose", span=value.span or span, expected=arg.describe(),
                        hint="put the {…} inside the string, e.g. each[fc[{64,128}]]")
    if isinstance(value, RawChain):
        if arg.type == "chain":
            return resolve_chain(value)
        if len(value.items) == 1 and isinstance(value.items[0], RawBlock) and not value.items[0].args:
            value = value.items[0].name  # a bare word such as relu or same
        else:
            raise SpecError(f"{kind.name}: argument '{argname}' cannot be an architecture string", span=span,
                            expected=arg.describe())
    return check_value(kind, arg, value, span)


def resolve_block(raw: RawBlock) -> Block:
    kind, fixed = lookup(raw.name, raw.name_span)
    args: dict[str, Any] = dict(fixed)
    slots = list(kind.positional)
    seen_keyword = False
    for key, value, span in raw.args:
        if key is None:
            if seen_keyword:
                raise SpecError(f"{kind.name}: a positional argument cannot follow key=value arguments", span=span,
                                expected=_describe_signature(kind))
            if fixed:
                raise SpecError(f"'{raw.name}' is a shorthand for {kind.name}[{raw.name}] and takes no arguments",
                                span=span, expected=f"just '{raw.name}', or {kind.name}[...]")
            if not slots:
                raise SpecError(f"{kind.name} takes no positional arguments", span=span,
                                expected=(f"key=value arguments ({', '.join(kind.arg_names())})" if kind.args
                                          else f"just '{raw.name}' with no brackets"))
            slot = slots.pop(0)
            if isinstance(slot, tuple):
                if not isinstance(value, RawPair):
                    raise SpecError(f"{kind.name} expects {slot[0]}@{slot[1]}, not '{span.text() or value}'",
                                    span=span, expected=_describe_signature(kind))
                args[slot[0]] = check_value(kind, kind.arg(slot[0]), value.first, span)
                args[slot[1]] = check_value(kind, kind.arg(slot[1]), value.second, span)
            else:
                args[slot] = _convert(kind, slot, value, span)
        else:
            seen_keyword = True
            if key not in kind.arg_names():
                raise SpecError(f"{kind.name} has no argument '{key}'", span=span,
                                expected="one of " + ", ".join(kind.arg_names()) if kind.args else "no arguments",
                                hint=did_you_mean(key, kind.arg_names()))
            if key in args:
                raise SpecError(f"{kind.name}: argument '{key}' is given twice", span=span)
            args[key] = _convert(kind, key, value, span)
    for arg in kind.args:
        if arg.required and arg.name not in args:
            raise SpecError(f"{raw.name} is missing its argument '{arg.name}' ({arg.doc})", span=raw.span,
                            expected=_describe_signature(kind))
    ordered = tuple((a.name, args[a.name]) for a in kind.args if a.name in args)
    return Block(kind.name, ordered, raw.span, raw.text)


def parse_chain(text: str, source: Source | None = None, at: tuple[int, int] = (1, 1)) -> Chain:
    """Parse an architecture string into an IR chain (errors positioned in ``source``)."""
    source = source or Source("<spec>", text)
    parser = lark_parser("arch.lark")
    if not text.strip():
        raise SpecError("the architecture string is empty", span=shifted(source, at, 1, 1, 1, 2),
                        expected="blocks joined by '_', e.g. conv[128@11]_mp[4]_fc[128]_do")
    unclosed = open_brackets(parser, source, text, at, ("LBRACKET", "LPAR"), ("RBRACKET", "RPAR"))
    try:
        tree = parser.parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(err, source, text, at, "arch.lark", unclosed) from None
    return resolve_chain(_ChainReader(text, source, at).chain(tree.children[0]))
