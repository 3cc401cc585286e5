"""Parsed spec files cached between processes: the same presets, never a stale entry, never an error of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from specdsl.language import spec_cache
from specdsl.language.spec_files import parse_spec_file

TEXT = 'family demo\n\npreset Tiny "a tiny model" {\n  input dna: 20 x 4\n  output y = dna | conv[4@3]_gmp\n}\n'


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SPECDSL_CACHE_DIR", str(folder))
    return folder


def test_a_cached_file_gives_the_presets_parsing_gives(cache: Path) -> None:
    first = spec_cache.parse_cached(TEXT, "demo.spec")
    assert list(cache.glob("spec-*.pickle")), "the parse was not stored"
    again = spec_cache.load(TEXT, "demo.spec")
    assert again == first == parse_spec_file(TEXT, "demo.spec")


def test_another_text_or_name_is_a_miss(cache: Path) -> None:
    spec_cache.parse_cached(TEXT, "demo.spec")
    assert spec_cache.load(TEXT.replace("conv[4@3]", "conv[8@3]"), "demo.spec") is None
    assert spec_cache.load(TEXT, "other.spec") is None


def test_a_damaged_entry_is_parsed_again(cache: Path) -> None:
    spec_cache.parse_cached(TEXT, "demo.spec")
    for entry in cache.glob("spec-*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert spec_cache.load(TEXT, "demo.spec") is None
    assert spec_cache.parse_cached(TEXT, "demo.spec")[0].name == "Tiny"


def test_an_unwritable_cache_folder_is_passed_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder would be")
    monkeypatch.setenv("SPECDSL_CACHE_DIR", str(blocker / "cache"))
    assert spec_cache.parse_cached(TEXT, "demo.spec")[0].name == "Tiny"
    monkeypatch.setenv("SPECDSL_CACHE_DIR", "off")
    assert spec_cache.cache_dir() is None and spec_cache.parse_cached(TEXT, "demo.spec")[0].name == "Tiny"


def test_params_of_a_cached_preset_imports_neither_lark_nor_tensorflow(cache: Path) -> None:
    code = ("import sys; from specdsl.cli import main; code = main(['params', 'CnnL2h128']); "
            "bad = [m for m in ('lark', 'tensorflow', 'keras', 'numpy', 'h5py') if m in sys.modules]; "
            "sys.exit(f'imported {bad}' if bad else code)")
    env = {**os.environ, "SPECDSL_CACHE_DIR": str(cache)}
    for run in ("cold", "warm"):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
        if run == "warm":
            assert done.returncode == 0, done.stderr[-2000:]
        assert "4,102,144" in done.stdout
