"""The config reader: JSON with comments, positions of every key and value, syntax errors for people."""

from __future__ import annotations

import pytest

from specdsl.config import ArrayNode, ObjectNode, ScalarNode, read_config_file, read_config_text
from specdsl.errors import SpecError, SpecErrors

TEXT = """\
# a BPReveal-style comment
{
    "name": "oct4",   // and the other style
    "sizes": [1, 2.5, -3e2, true, false, null,],
    "nested": {"a": {"b": "x\\ty"}},
}
"""


def test_values_and_comments() -> None:
    root = read_config_text(TEXT)
    assert root.to_python() == {"name": "oct4", "sizes": [1, 2.5, -300.0, True, False, None],
                                "nested": {"a": {"b": "x\ty"}}}
    assert isinstance(root.to_python()["sizes"][0], int)


def test_every_key_and_value_keeps_its_position() -> None:
    root = read_config_text(TEXT, "cfg.json")
    assert isinstance(root, ObjectNode)
    assert (root.span.line, root.span.column) == (2, 1)
    assert (root.key_span("name").line, root.key_span("name").column) == (3, 5)
    name = root.value["name"]
    assert isinstance(name, ScalarNode)
    assert (name.span.line, name.span.column, name.span.end_column) == (3, 13, 19)
    assert name.span.text() == '"oct4"' and name.span.source.name == "cfg.json"
    sizes = root.value["sizes"]
    assert isinstance(sizes, ArrayNode) and (sizes.span.line, sizes.span.column) == (4, 14)
    assert [(n.span.column, n.span.text()) for n in sizes.items][:3] == [(15, "1"), (18, "2.5"), (23, "-3e2")]
    inner = root.value["nested"].value["a"]
    assert (inner.key_span("b").line, inner.key_span("b").column) == (5, 22)


def test_duplicate_key_is_an_error_at_the_second_key() -> None:
    with pytest.raises(SpecError) as info:
        read_config_text('{\n  "epochs": 1,\n  "epochs": 2\n}', "c.json")
    err = info.value
    assert err.headline() == "c.json:3:3: epochs: the key 'epochs' is given twice"
    assert "first given at line 2, column 3" in err.hint


def test_every_duplicate_is_reported() -> None:
    with pytest.raises(SpecErrors) as info:
        read_config_text('{"a": {"x": 1, "x": 2}, "b": 1, "b": 2}')
    assert [e.path for e in info.value.errors] == ["a.x", "b"]


def _syntax(text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        read_config_text(text, "c.json")
    return info.value


def test_missing_comma_has_a_caret_and_a_hint() -> None:
    err = _syntax('{\n  "a": 1\n  "b": 2\n}')
    assert err.render().splitlines() == [
        'c.json:3:3: unexpected "b"',
        '      "b": 2',
        "      ^^^",
        "  expected: ',' or '}'",
        "  hint: is a ',' missing before it?",
    ]


@pytest.mark.parametrize("text, where, message, hint", [
    ('{"a": True}', (1, 7), "unexpected character 'T'", "write true in lower case"),
    ("{'a': 1}", (1, 2), "unexpected character '''", "double quotes"),
    ('{"a": 1 + 2}', (1, 9), "unexpected character '+'", "nothing in them is evaluated"),
    ('{a: 1}', (1, 2), "unexpected character 'a'", 'text goes in double quotes: "a"'),
    ('{"a": }', (1, 7), "unexpected '}'", "a value is missing"),
    ('{"a": [1, 2\n', (1, 12), "the file ends too early", "'[' at line 1, column 7 is never closed"),
    ('{"a": "c:\\data"}', (1, 10), "'\\d' is not a valid escape in quoted text", "backslash"),
    ('{} {}', (1, 4), "unexpected '{'", None),
])
def test_syntax_errors_in_plain_words(text: str, where: tuple[int, int], message: str, hint: str | None) -> None:
    err = _syntax(text)
    assert (err.span.line, err.span.column) == where
    assert err.message == message
    assert (err.hint is None) if hint is None else (hint in err.hint)
    assert "^" in err.render()
    for internal in ("LBRACE", "RBRACE", "STRING", "NUMBER", "$END"):
        assert internal not in err.render()


def test_expected_words_are_exact_not_lalr_lookahead() -> None:
    # Lark's merged look-ahead would also offer ']' inside an object.
    assert _syntax('{"a": 1 "b": 2}').expected == "',' or '}'"
    assert _syntax('{"a" 1}').expected == "':'"
    assert _syntax('[').expected.startswith("a value (")


def test_empty_and_missing_files(tmp_path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    with pytest.raises(SpecError, match="the config file is empty"):
        read_config_file(empty)
    with pytest.raises(SpecError) as info:
        read_config_file(tmp_path / "nope.json")
    assert info.value.file == str(tmp_path / "nope.json") and info.value.span is None
    assert info.value.headline() == f"{tmp_path / 'nope.json'}: no such file"
