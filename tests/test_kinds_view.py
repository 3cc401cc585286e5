"""``specdsl kinds KIND``: one kind's arguments and a computed example, from its registry entry."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from specdsl.api import analyse
from specdsl.cli import main
from specdsl.language.ir import Repeat
from specdsl.language.kind_view import example_graph
from specdsl.language.kinds import all_kinds
from specdsl.language.parsing import parse_chain


def _kinds_in(chain) -> set[str]:
    found = set()
    for item in chain.items:
        if isinstance(item, Repeat):
            found |= _kinds_in(item.body)
        else:
            found.add(item.kind)
    return found


@pytest.mark.parametrize("name", sorted(all_kinds()))
def test_every_kind_has_an_example_that_uses_it_and_analyses(name: str) -> None:
    kind = all_kinds()[name]
    assert kind.example, f"{name} has no example in its registry entry"
    assert name in _kinds_in(parse_chain(kind.example))
    graph = example_graph(kind)  # pure Python: the analysis the command shows
    assert graph.outputs and graph.total >= 0
    if kind.example_input:
        assert graph.inputs[0].shape == kind.example_input


def test_kinds_conv_shows_arguments_and_its_computed_example(capsys) -> None:
    assert main(["kinds", "conv"]) == 0
    out = capsys.readouterr().out
    for text in ("conv — 1-D convolution", "conv[F@K]", "filters", "1st, F of F@K", "kernel=…",
                 "one of valid, same, causal", "required", "0, or the model's l1 setting", "number of filters F"):
        assert text in out, text
    graph = analyse("conv[128@11]", None, {"": (1001, 4)})
    assert "specdsl params 'conv[128@11]' --input 1001x4" in out
    assert f"{graph.total:,} parameters" in out and "(991, 128)" in out


def test_an_alias_or_shorthand_shows_its_kind(capsys) -> None:
    assert main(["kinds", "mp"]) == 0
    assert capsys.readouterr().out.startswith("mp — max pooling")
    assert main(["kinds", "MaxPool"]) == 0
    out = capsys.readouterr().out
    assert "MaxPool is an alias of mp" in out and "mp — max pooling" in out
    assert main(["kinds", "relu"]) == 0
    assert "relu is a shorthand for act[relu]" in capsys.readouterr().out


def test_an_unknown_kind_is_exit_2_with_a_suggestion(capsys) -> None:
    assert main(["kinds", "cnov"]) == 2
    captured = capsys.readouterr()
    assert "unknown layer kind 'cnov'" in captured.err and "did you mean 'conv'?" in captured.err
    assert "Traceback" not in captured.err and not captured.out


def test_kinds_json_for_one_kind_and_for_all(capsys) -> None:
    assert main(["kinds", "emb", "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["kind"] == "emb" and [a["name"] for a in view["arguments"]] == ["vocab", "dim", "mask"]
    example = view["example"]
    graph = analyse(example["spec"])
    assert example["input"] == [1000] and example["input_dtype"] == "int32"  # a token input: a length only
    assert example["params"] == graph.total and example["outputs"] == {"emb1": [1000, 64]}
    assert main(["kinds", "--json"]) == 0
    views = json.loads(capsys.readouterr().out)
    assert [v["kind"] for v in views] == list(all_kinds())


def test_the_table_stays_and_points_at_one_kind(capsys) -> None:
    assert main(["kinds"]) == 0
    out = capsys.readouterr().out
    assert "layer kinds" in out and "specdsl kinds KIND" in out


def test_kinds_imports_no_framework() -> None:
    code = ("import sys; from specdsl.cli import main; main(['kinds', 'conv']); main(['kinds', '--json']); "
            "bad = [m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules]; assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
