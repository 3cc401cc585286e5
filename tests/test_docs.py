"""The generated reference pages (docs/language.md, docs/presets.md) never drift from the code.

They are rendered from the layer registry, the grammars and the preset spec files by
:mod:`specdsl.docgen`; a kind, argument, preset or count that changes without
``python -m specdsl.docgen`` being run fails here, with the command to fix it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from specdsl import docgen
from specdsl.language.kinds import all_kinds
from specdsl.systems.deepcpg import docs_notes as deepcpg_notes

DOCS = Path(__file__).resolve().parent.parent / "docs"
REGENERATE = "out of date: run `python -m specdsl.docgen` and commit docs/"


@pytest.fixture(scope="module")
def language() -> str:
    return docgen.language_markdown()


@pytest.fixture(scope="module")
def presets() -> str:
    return docgen.presets_markdown()


def test_language_md_is_generated(language: str) -> None:
    assert (DOCS / "language.md").read_text(encoding="utf-8") == language, REGENERATE


def test_presets_md_is_generated(presets: str) -> None:
    assert (DOCS / "presets.md").read_text(encoding="utf-8") == presets, REGENERATE


def test_every_kind_alias_and_argument_is_documented(language: str) -> None:
    for kind in all_kinds().values():
        assert f"\n### {kind.name}\n" in language, kind.name
        assert f"[`{kind.name}`](#{kind.name})" in language, kind.name
        for word in (*kind.aliases, *kind.shorthands):
            assert f"`{word}`" in language, word
        section = language.split(f"\n### {kind.name}\n", 1)[1].split("\n### ", 1)[0]
        for arg in kind.args:
            assert f"| `{arg.name}` |" in section, (kind.name, arg.name)


def test_presets_page_has_exact_counts_and_deepcpg_ground_truth(presets: str) -> None:
    row = next(line for line in presets.splitlines() if line.startswith("| **CnnL2h128** |"))
    assert "| 4,102,144 |" in row
    for truth in ("4,102,789", "816,389", "5,509,381"):
        assert truth in presets
    ground = presets.split("### Ground truth", 1)[1].split("\n### ", 1)[0]
    assert "**NO**" not in ground and ground.count("| yes |") == 6
    assert "JointL3h12" in presets and "pool[4]" in presets and "resb[x,y,z]" in presets


def test_seed_table_is_covered() -> None:
    from specdsl.language.presets import find_preset

    for name, _count, _text in deepcpg_notes.DEEPCPG_DOCS_TABLE:
        assert find_preset(name) is not None, name


def test_rounding_helpers() -> None:
    assert deepcpg_notes._round_sig(4_052_736) == 4_100_000
    assert deepcpg_notes._round_sig(8_362_624, truncate=True) == 8_300_000
    assert deepcpg_notes._how_rounded(1_700_000, 1_752_192) == "truncated (2 s.f.)"
    assert deepcpg_notes._how_rounded(524_000, 328_192) == "neither"


def test_generation_needs_no_tensorflow(tmp_path: Path) -> None:
    code = (
        "import sys; from specdsl import docgen; docgen.language_markdown(); docgen.presets_markdown(); "
        "bad = [m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules]; "
        "sys.exit(f'imported {bad}' if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_check_mode_reports_stale_files(tmp_path: Path) -> None:
    assert docgen.main(["--out", str(tmp_path), "--check"]) == 1
    assert docgen.main(["--out", str(tmp_path)]) == 0
    assert docgen.main(["--out", str(tmp_path), "--check"]) == 0


# The counting rules docs/language.md states, written out by hand: the analysis must still agree with them.
HAND_COUNTS = {
    "conv[128@11,act=linear]": (11 * 4 * 128 + 128, 991 * 11 * 4 * 128),
    "dense[64]": (32 * 64 + 64, 10 * 32 * 64),
    "bn": (4 * 64, 0),
    "ln": (2 * 64, 0),
    "gru[32]": (3 * 32 * (16 + 32 + 2), 10 * 3 * 32 * 48),
    "bgru[32,reset-after=no]": (2 * 3 * 32 * (16 + 32 + 1), 2 * 10 * 3 * 32 * 48),
    "blstm[32]": (2 * 4 * 32 * (16 + 32 + 1), 2 * 10 * 4 * 32 * 48),
    "emb[6,64]": (6 * 64, 0),
    "mha[4,32]": (4 * 64 * 4 * 32 + 3 * 4 * 32 + 64, 4 * 50 * 64 * 128 + 2 * 50 * 50 * 128),
    "crf[mask=none]": (6 * 6 + 2 * 6, 100 * 6 * 6),
    "mp[4]_do_relu_flat": (0, 0),
}


def test_documented_counting_rules_hold() -> None:
    from specdsl.api import analyse
    from specdsl.docgen.language import formula_checks

    checks = formula_checks()
    assert {c.example for c in checks} == set(HAND_COUNTS)
    for check in checks:
        graph = analyse(check.example, None, {"": check.shape})
        assert (graph.total, graph.macs) == HAND_COUNTS[check.example], check.layer


def test_every_syntax_example_analyses() -> None:
    from specdsl.api import analyse
    from specdsl.docgen.language import SYNTAX_EXAMPLES

    for key, text in SYNTAX_EXAMPLES.items():
        shape = {"": (5, 100)} if key == "nested" else None
        assert analyse(text, {"filters": 64, "hidden": 32} if key == "var" else None, shape).total >= 0


def test_the_limits_are_documented(language: str) -> None:
    from specdsl.language.limits import MAX_BLOCKS, MAX_NESTING, MAX_SIZE

    assert f"at most {MAX_NESTING}" in language and f"at most {MAX_BLOCKS:,}" in language
    assert f"below {MAX_SIZE:,}" in language


def test_the_readme_names_every_reader_head_kind_and_config_kind() -> None:
    from specdsl.config.kinds import config_kinds
    from specdsl.training.heads import all_head_kinds
    from specdsl.training.readers import all_readers

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How training is put together")[1].split("\n## ")[0]
    for name in [*all_readers(), *all_head_kinds()]:
        assert f"`{name}`" in section, name
    for kind in config_kinds():
        assert kind in readme, kind
