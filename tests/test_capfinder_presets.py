"""Capfinder's four classifiers as spaces: every point counts exactly as Keras builds it, the
attention pooling and ResNet block kinds compute what Capfinder's layers compute, and a model
with attention pooling saves and reloads with ``safe_mode=True`` after ``import specdsl``."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest

from specdsl.api import analyse
from specdsl.language.spaces.space import Space

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.slow

PRESETS = ("cnn_lstm", "attention_cnn_lstm", "encoder", "resnet")


def points(space: Space, seed: int, n: int) -> list[dict]:
    """The default point and ``n`` random points whose shapes are possible."""
    from specdsl.errors import SpecError

    rng, found = random.Random(seed), [space.default_point()]
    while len(found) < n + 1:
        values = space.sample(rng)
        try:
            space.graph(values)
        except SpecError:
            continue
        found.append(values)
    return found


@pytest.mark.parametrize("name", PRESETS)
def test_every_point_counts_as_keras_builds_it(name: str) -> None:
    from specdsl.backend.keras_model import build_keras_model

    space = Space.of(name, params={"target_length": 64, "num_classes": 3})
    for values in points(space, seed=PRESETS.index(name), n=2):
        graph = space.graph(values)
        model = build_keras_model(graph)
        assert model.count_params() == graph.total, values
        assert model.input_shape == (None, 64, 1) and model.output_shape == (None, 3)


def test_attention_pooling_is_capfinders_formula() -> None:
    from specdsl.backend.attention_pool import AttentionPooling

    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    layer = AttentionPooling()
    out = keras.ops.convert_to_numpy(layer(x))
    w, b = (keras.ops.convert_to_numpy(v) for v in (layer.w, layer.b))
    scores = np.tanh(x @ w + b)[..., 0]
    weights = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out, (x * weights[..., None]).sum(axis=1), rtol=1e-5)
    pooled = analyse("attpool", inputs={"": (5, 3)})
    assert pooled.total == 3 + 5 and list(pooled.output_shapes().values()) == [(3,)]  # w: D × 1, b: T × 1


def test_resblock_counts_two_convolutions_a_projection_and_three_batch_norms() -> None:
    graph = analyse("resblock[8@5,stride=2]", inputs={"": (20, 4)})
    convs = (5 * 4 * 8 + 8) + (5 * 8 * 8 + 8) + (4 * 8 + 8)
    assert graph.total == convs + 3 * 4 * 8 and graph.non_trainable == 3 * 2 * 8
    assert list(graph.output_shapes().values()) == [(10, 8)]


def test_a_model_with_attention_pooling_reloads_after_import_specdsl(tmp_path) -> None:
    from specdsl.backend.keras_model import build_keras_model

    space = Space.of("attention_cnn_lstm", params={"target_length": 32, "num_classes": 2})
    model = build_keras_model(space.graph(space.default_point()))
    path = tmp_path / "attention.keras"
    model.save(path)
    x = np.random.default_rng(1).normal(size=(3, 32, 1)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", keras.ops.convert_to_numpy(model(x, training=False)))
    script = (
        "import sys, numpy as np, keras\n"
        "path, folder = sys.argv[1], sys.argv[2]\n"
        "try:\n    keras.saving.load_model(path, safe_mode=True)\n    print('plain keras loaded it')\n"
        "except Exception:\n    print('plain keras refused')\n"
        "import specdsl\n"
        "m = keras.saving.load_model(path, safe_mode=True)\n"
        "y = keras.ops.convert_to_numpy(m(np.load(folder + '/x.npy'), training=False))\n"
        "print('same' if np.allclose(y, np.load(folder + '/y.npy'), rtol=1e-5, atol=1e-6) else 'different')\n")
    done = subprocess.run([sys.executable, "-c", script, str(path), str(tmp_path)], capture_output=True, text=True,
                          check=True)
    assert done.stdout.splitlines()[-2:] == ["plain keras refused", "same"], done.stdout + done.stderr
