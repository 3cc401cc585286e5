"""The layout: small modules, every package installed, the layer contracts kept, old models still load."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "specdsl"
DATA = Path(__file__).resolve().parent / "data"
MAX_LINES = 400


def test_no_module_is_over_400_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these modules (over {MAX_LINES} lines): {long}"


def test_every_package_is_listed_for_installation() -> None:
    """A package missing from pyproject's list is absent from a wheel and from a fresh editable install."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    present = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py")}
    assert present - listed == set(), "add to [tool.setuptools] packages"
    assert listed - present == {"specdsl.grammars", "specdsl.specs"}


def test_every_system_is_one_folder_that_registers_a_plugin() -> None:
    from specdsl.plugins import discover

    folders = {p.name for p in (PACKAGE / "systems").iterdir() if (p / "__init__.py").exists()}
    assert set(discover()) == folders == {"bpreveal", "deepcpg", "tranquillyzer", "capfinder", "workshop"}


def test_every_module_a_plugin_names_exists() -> None:
    """Plugins name their contributions as strings: a typo would surface only when that verb runs."""
    import importlib.util

    from specdsl.plugins import Plugin, discover

    fields = [f for f in Plugin.__dataclass_fields__ if f not in ("name", "system", "order")]
    for plugin in discover().values():
        names = [m for f in fields for m in getattr(plugin, f)]
        names += [module for _, module, _ in (plugin.system.verbs if plugin.system else ())]
        missing = [m for m in names if importlib.util.find_spec(m) is None]
        assert not missing, f"{plugin.name} names modules that do not exist: {missing}"


@pytest.mark.skipif(shutil.which("lint-imports", path=str(Path(sys.executable).parent)) is None,
                    reason="import-linter is not installed (pip install -e '.[test]')")
def test_the_layer_contracts_hold() -> None:
    """`lint-imports` with pyproject's contracts; a broken one names the import that breaks it."""
    done = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["crf", "attpool"])
def test_models_saved_before_the_layout_move_load_and_predict_the_same(name: str) -> None:
    """tests/data/pre_layout_*.keras were written by the code before the move: module paths that moved
    must not matter (custom objects are found by their registered names)."""
    import specdsl  # noqa: F401  (registers the custom objects)
    from specdsl.backend.keras_model import load_model

    model = load_model(DATA / f"pre_layout_{name}.keras")
    x = np.load(DATA / f"pre_layout_{name}_input.npy")
    got = model.predict(x, verbose=0)
    want = (np.load(DATA / "pre_layout_crf_output.npz")["arr_0"] if name == "crf"
            else np.load(DATA / "pre_layout_attpool_output.npy"))
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)
