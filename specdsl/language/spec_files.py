"""Spec files: ``family``, ``param``, ``preset``, ``input``, ``output``, ``use`` and ``concat`` statements → presets.

The architecture strings inside them are read by :mod:`.parsing`; this module reads the file around them.
"""

from __future__ import annotations

import math
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from specdsl.errors import Source, Span, SpecError, did_you_mean
from specdsl.language.frontend import (
    STRING_ESCAPES,
    lark_parser,
    token_span,
    tree_span,
)
from specdsl.language.ir import (
    Chain,
    Choice,
    Concat,
    Heads,
    Hyper,
    InputDecl,
    Node,
    ParamDecl,
    Preset,
    Range,
    Ref,
    Use,
    Var,
)
from specdsl.language.literals import number_value

# Plain words for every terminal, so no message ever shows an internal token name.
from specdsl.language.parsing import _WORDS, _ChainReader, _syntax_error, parse_chain  # noqa: F401
from specdsl.language.registry import Arg, check_hyper


def _literal(source: Source, tok: Token) -> Any:
    if tok.type == "NUMBER":
        return number_value(str(tok), token_span(source, tok))
    if tok.type == "STRING":
        return _unquote(source, tok)
    if tok.type == "SPACE":
        return parse_space(str(tok), source, (tok.line, tok.column))
    return str(tok)


def parse_space(text: str, source: Source | None = None, at: tuple[int, int] = (1, 1)) -> Hyper:
    """Parse one search space ``{…}`` on its own: a spec file's ``param lr = {1e-4~1e-2:log}``, or a
    training hyperparameter given to :func:`specdsl.search.run_search`."""
    source = source or Source("<space>", text)
    parser = lark_parser("arch.lark", "space_only")
    try:
        tree = parser.parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(err, source, text, at, "arch.lark") from None
    hyper = _ChainReader(text, source, at).hyper(tree.children[0])
    kinds = {type(o) for o in (hyper.domain.options if isinstance(hyper.domain, Choice) else ())} - {Var}
    if len(kinds - {int, float}) > 0 and len(kinds) > 1:
        raise SpecError("a searched parameter mixes numbers and words", span=hyper.span,
                        expected="all numbers, or all words")
    if isinstance(hyper.domain, Choice):
        return hyper
    bounds = [hyper.domain.low, hyper.domain.high] + ([hyper.domain.step] if isinstance(hyper.domain, Range) else [])
    whole = isinstance(hyper.domain, Range) and all(isinstance(b, (int, Var)) for b in bounds)
    return check_hyper(None, Arg("value", "int" if whole else "float", doc="searched parameter", minimum=-math.inf),
                       hyper, hyper.span)


def _unquote(source: Source, tok: Token | None) -> str:
    """A quoted text's value: JSON escapes are decoded, any other character (a control one too) stays."""
    if tok is None:
        return ""
    import json

    try:
        return json.loads(str(tok), strict=False)
    except json.JSONDecodeError as err:
        span = token_span(source, tok)
        col = span.column + err.pos
        raise SpecError(f"'{str(tok)[err.pos:err.pos + 2]}' is not a valid escape in quoted text",
                        span=Span(source, span.line, col, span.line, col + 2),
                        expected=STRING_ESCAPES) from None


class _SpecReader:
    def __init__(self, source: Source):
        self.source = source

    def source_expr(self, tree: Tree | Token) -> Any:
        if isinstance(tree, Token):
            return Ref(str(tree), token_span(self.source, tree))
        span = tree_span(self.source, tree)
        if tree.data == "ref":
            return Ref(str(tree.children[0]), span)
        if tree.data == "concat":
            return Concat(tuple(str(t) for t in tree.children if isinstance(t, Token)), span)
        if tree.data == "use":
            callee, *args = tree.children
            name: str | Var = Var(callee[1:]) if callee.type == "VAR" else str(callee)
            return Use(name, tuple(self.source_expr(a) for a in args), span)
        raise AssertionError(tree.data)

    def chain(self, tok: Token | None) -> Chain:
        if tok is None:
            return Chain()
        text = str(tok).rstrip()
        return parse_chain(text, self.source, (tok.line, tok.column))

    def shape(self, tree: Tree) -> tuple:
        dims = []
        for d in tree.children:
            if not isinstance(d, Token) or d.type == "TIMES":
                continue
            if d.type == "NUMBER" and not (str(d).isdigit() and int(str(d)) >= 1):
                raise SpecError(f"a dimension must be a whole number ≥ 1, not {d}", span=token_span(self.source, d),
                                expected="e.g. 1001 x 4, a parameter name, or ? for any length")
            dims.append(None if d.type == "QMARK" else _literal(self.source, d))
        return tuple(dims)

    def presets(self, tree: Tree) -> list[Preset]:
        family, file_params, out = "", [], []
        for item in tree.children:
            if not isinstance(item, Tree):
                continue
            if item.data == "family":
                family = str(item.children[0])
            elif item.data == "param":
                file_params.append(self.param(item))
            elif item.data == "preset":
                preset = self.preset(item, family, list(file_params))
                if any(p.name.lower() == preset.name.lower() for p in out):
                    raise SpecError(f"preset '{preset.name}' is defined twice in this file", span=preset.span)
                out.append(preset)
        return out

    def param(self, tree: Tree) -> ParamDecl:
        name, value, doc = tree.children
        return ParamDecl(str(name), _literal(self.source, value), _unquote(self.source, doc),
                         tree_span(self.source, tree))

    def preset(self, tree: Tree, family: str, params: list[ParamDecl]) -> Preset:
        name_tok, doc_tok, *body = tree.children
        doc = _unquote(self.source, doc_tok)
        inputs, nodes, outputs, heads = [], [], [], []
        own_params: set[str] = set()
        for stmt in body:
            if not isinstance(stmt, Tree):
                continue
            kind = stmt.data
            if kind == "family":
                family = str(stmt.children[0])
            elif kind == "doc":
                doc = _unquote(self.source, stmt.children[0])
            elif kind == "param":
                decl = self.param(stmt)
                if decl.name in own_params:
                    raise SpecError(f"parameter '{decl.name}' is declared twice in {name_tok}", span=decl.span)
                own_params.add(decl.name)
                params = [p for p in params if p.name != decl.name] + [decl]  # a preset overrides its file
            elif kind == "input":
                name, shape, dtype = stmt.children
                if dtype is not None and str(dtype) not in INPUT_DTYPES:
                    raise SpecError(f"input '{name}': unknown type '{dtype}'", span=token_span(self.source, dtype),
                                    expected="one of " + ", ".join(INPUT_DTYPES),
                                    hint=did_you_mean(str(dtype), INPUT_DTYPES))
                if any(i.name == str(name) for i in inputs):
                    raise SpecError(f"input '{name}' is declared twice", span=tree_span(self.source, stmt))
                inputs.append(InputDecl(str(name), self.shape(shape), str(dtype) if dtype else "float32",
                                        tree_span(self.source, stmt)))
            elif kind == "assign":
                name, src, _pipe, chain = stmt.children
                nodes.append(Node(str(name), self.source_expr(src), self.chain(chain), tree_span(self.source, stmt)))
            elif kind == "output":
                outputs.extend(str(t) for t in stmt.children if isinstance(t, Token))
            elif kind == "heads":
                name, _times, count, src, _pipe, chain = stmt.children
                times = _literal(self.source, count) if count is not None else 1
                heads.append(Heads(str(name), times, self.source_expr(src), self.chain(chain),
                                   tree_span(self.source, stmt)))
        return Preset(str(name_tok), family, doc, tuple(params), tuple(inputs), tuple(nodes), tuple(outputs),
                      tuple(heads), tree_span(self.source, tree))


def parse_spec_file(text: str, name: str) -> list[Preset]:
    """Parse a ``.spec`` file into its presets."""
    source = Source(name, text)
    parser = lark_parser("spec.lark")
    try:
        tree = parser.parse(text if text.endswith("\n") else text + "\n")
    except UnexpectedInput as err:
        error = _syntax_error(err, source, text, (1, 1), "spec.lark")
        words = source.line_text(error.span.line).split()
        if words and not error.hint:  # a misspelt statement keyword reads as a name
            error.hint = did_you_mean(words[0], _STATEMENT_KEYWORDS)
        raise error from None
    return _SpecReader(source).presets(tree)


INPUT_DTYPES = ("float32", "float16", "bfloat16", "int32", "int64", "uint8", "bool")
_STATEMENT_KEYWORDS = ("family", "param", "preset", "input", "output", "doc", "use", "concat")
