"""The model-loading policy: ``import specdsl`` registers every custom object, without importing Keras.

A model compiled with specdsl's masked losses and metrics loads with plain
``keras.saving.load_model(path, safe_mode=True)`` in a fresh process after ``import specdsl``,
whichever of specdsl and Keras is imported first; without specdsl it does not (the objects are
specdsl's), and ``import specdsl`` alone still imports neither Keras nor TensorFlow.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from specdsl.backend.custom_objects import SERIALIZABLE_MODULES


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)


def test_import_specdsl_imports_no_keras_and_registers_when_keras_comes() -> None:
    code = textwrap.dedent("""
        import sys
        import specdsl
        heavy = [m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow', 'jax')]
        assert not heavy, heavy
        import keras
        for name in ('specdsl>MaskedBinaryCrossentropy', 'specdsl>MultinomialNLL', 'specdsl>ObservedAUC',
                     'bpreveal>multinomialNll', 'bpreveal>reweightableMse'):
            assert keras.saving.get_registered_object(name) is not None, name
        print('ok')
    """)
    run = _run(code)
    assert run.returncode == 0 and run.stdout.strip().endswith("ok"), run.stderr[-2000:]


def test_every_serializable_module_is_registered() -> None:
    """A new module with ``register_keras_serializable`` must be listed, or the policy breaks silently."""
    root = Path(__file__).resolve().parents[1] / "specdsl"
    registering = {".".join(p.relative_to(root.parent).with_suffix("").parts) for p in root.rglob("*.py")
                   if "register_keras_serializable(" in p.read_text() and p.name != "custom_objects.py"}
    assert registering == set(SERIALIZABLE_MODULES)


@pytest.fixture(scope="module")
def masked_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import keras

    from specdsl.training.masked import MaskedBinaryCrossentropy, ObservedAUC, ObservedBinaryAccuracy

    inp = keras.Input((12, 4), name="dna")
    out = keras.layers.Dense(3, activation="sigmoid", name="cpg")(keras.layers.Flatten()(inp))
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss=MaskedBinaryCrossentropy(class_weights=[1.0, 2.0]),
                  metrics=[ObservedBinaryAccuracy(name="acc"), ObservedAUC(name="auc")])
    path = tmp_path_factory.mktemp("masked") / "masked.keras"
    model.save(path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("first", ["specdsl", "keras"])
def test_fresh_process_loads_specdsl_losses_with_plain_keras(masked_model: Path, first: str) -> None:
    second = "keras" if first == "specdsl" else "specdsl"
    code = textwrap.dedent(f"""
        import sys
        import {first}
        import {second}
        m = keras.saving.load_model(sys.argv[1], safe_mode=True)
        print(type(m.loss).__name__, m.loss.class_weights)
    """)
    run = _run(code, str(masked_model))
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "MaskedBinaryCrossentropy [1.0, 2.0]"


@pytest.mark.slow
def test_without_specdsl_the_specdsl_objects_are_unknown(masked_model: Path) -> None:
    run = _run("import sys, keras; keras.saving.load_model(sys.argv[1], safe_mode=True)", str(masked_model))
    assert run.returncode != 0 and "MaskedBinaryCrossentropy" in run.stderr
