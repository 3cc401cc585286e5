"""Every table specdsl prints shows user text verbatim, on a terminal and piped.

Architecture strings carry square brackets (``act[gelu]``, ``bn[momentum=0.9]``) that rich would
read as markup and drop, so a model copied from a table would be a different model.  Each table
kind is rendered both ways and every cell must appear exactly as written.
"""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest

from specdsl.cli import main
from specdsl.console import Column, Printer, Table, styled

ARCH = "conv[64@3]_act[gelu]_do[rate=0.1]_bn[momentum=0.9]_mp[pool=2]"
BRACKETED = ["act[gelu]", "do[rate=0.1]", "bn[momentum=0.9]", "mp[pool=2]"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _render(item: object, terminal: bool) -> str:
    stream = _Terminal() if terminal else io.StringIO()
    Printer(stream=stream).print(item)
    return re.sub(r"\x1b\[[0-9;]*m", "", stream.getvalue())  # a terminal also gets colour codes


def _cells(table: Table) -> list[str]:
    return [c if isinstance(c, str) else c.plain for row in table.rows for c in row]


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "piped"])
def test_markup_like_text_is_printed_verbatim(terminal):
    table = Table(["name", Column("n", "right")], title="[bold]title[/bold]")
    table.add_row("act[gelu]", "1")
    table.add_row("[red]x[/red]", "22")
    out = _render(table, terminal)
    for text in ("[bold]title[/bold]", "act[gelu]", "[red]x[/red]"):
        assert text in out
    line = styled("total: ", ("bn[momentum=0.9]", "bold"))
    assert "total: bn[momentum=0.9]" in _render(line, terminal)


def test_piped_tables_are_plain_aligned_text():
    table = Table(["layer", Column("params", "right")], title="model")
    table.add_row("conv1", "832")
    table.add_row("bn1", "256")
    assert table.plain().splitlines() == ["model", "layer  params", "-----  ------", "conv1     832", "bn1       256"]
    assert "│" not in _render(table, terminal=False)


def _table_output(capsys, argv: list[str]) -> str:
    capsys.readouterr()
    assert main(argv) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("columns", [None, "400"], ids=["piped", "terminal-width"])
def test_params_table_keeps_every_argument(capsys, monkeypatch, columns):
    if columns:
        monkeypatch.setenv("COLUMNS", columns)  # a width asked for: rich renders the table
    else:
        monkeypatch.delenv("COLUMNS", raising=False)
    out = _table_output(capsys, ["params", ARCH, "--input", "100x4"])
    for text in BRACKETED:
        assert text in out
    spec_column = [row["spec"] for row in json.loads(_table_output(capsys, ["params", ARCH, "--input", "100x4",
                                                                            "--json"]))["layers"]]
    for text in spec_column:
        assert text in out


@pytest.mark.parametrize("columns", [None, "600"], ids=["piped", "terminal-width"])
def test_presets_table_matches_json(capsys, monkeypatch, columns):
    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    else:
        monkeypatch.delenv("COLUMNS", raising=False)
    out = _table_output(capsys, ["presets"])
    rows = json.loads(_table_output(capsys, ["presets", "--json"]))
    inh = next(r for r in rows if r["name"] == "InhModel")
    assert "bn[momentum=0.9]" in inh["spec"]
    for r in rows:
        if r["spec"] and len(r["spec"]) < 300:  # a short spec fits one cell line at this width
            assert r["spec"] in out, r["name"]


def test_space_points_are_distinct(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = _table_output(capsys, ["space", "conv[{16,32}@3]_act[{relu,gelu}]_do[rate=0.1]", "--input", "100x4"])
    assert "conv[16@3]_act[relu]_do[0.1]" in out and "conv[16@3]_act[gelu]_do[0.1]" in out
    assert "act[{relu,gelu}]" in out


def test_kinds_table_keeps_signatures(capsys, monkeypatch):
    from specdsl.language.kinds import all_kinds

    for columns in ("1000", None):
        if columns:
            monkeypatch.setenv("COLUMNS", columns)
        else:
            monkeypatch.delenv("COLUMNS")
        out = _table_output(capsys, ["kinds"])
        for kind in all_kinds().values():
            assert kind.signature() in out, kind.name


def test_prediction_and_evaluation_tables_keep_names():
    from specdsl.training.evaluation import Evaluation, evaluation_tables
    from specdsl.training.predictions import OutputInfo, Predictions, prediction_table

    binary = OutputInfo(layer="out[1]", name="drug[inh]", kind="binary")
    multi = OutputInfo(layer="cls", name="cap[m7G]", kind="multiclass", classes=("cap[0]", "cap[1]"))
    preds = Predictions(samples=["iso[1]", "iso[2]"], outputs=[binary, multi],
                        probabilities={"out[1]": np.array([[0.9], [0.1]]), "cls": np.array([[0.2, 0.8], [0.7, 0.3]])})
    ev = Evaluation(model="m[1]", outputs=[binary, multi], samples=2,
                    metrics={"drug[inh]": {"n": 2, "acc": 1.0}, "cap[m7G]": {"n": 2, "confusion": [[1, 0], [0, 1]]}})
    tables = [prediction_table(preds), *evaluation_tables(ev)]
    assert len(tables) == 3
    for table in tables:
        cells = _cells(table) + [c.header for c in table.columns]
        for terminal in (True, False):
            out = _render(table, terminal)
            for text in cells:
                if "[" in text:
                    assert text in out, (text, out)


def test_a_requested_width_is_kept(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = _table_output(capsys, ["presets"])
    assert "┃" in out  # a width was asked for: the rich table, folded to fit
    assert max(len(line) for line in out.splitlines()) <= 80
