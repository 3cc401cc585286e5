"""In-silico mutagenesis against brute force, its windows, batching and attribution formula."""

from __future__ import annotations

import numpy as np
import pytest

from specdsl.errors import SpecError
from specdsl.interpret.ism import ism, ism_attributions, ism_scores

LENGTH, TARGETS = 12, 2


def random_batch(n: int, length: int = LENGTH, seed: int = 0) -> np.ndarray:
    return np.eye(4, dtype=np.float32)[np.random.default_rng(seed).integers(0, 4, (n, length))]


def linear(targets: int = TARGETS, seed: int = 1):
    """A NumPy model with position-base interactions (a product term), exact in float64."""
    w = np.random.default_rng(seed).normal(size=(LENGTH * 4, targets))

    def predict(x: np.ndarray) -> np.ndarray:
        flat = x.reshape(len(x), -1).astype(np.float64)
        out = flat @ w + (flat[:, :8] @ w[:8]) * (flat[:, -8:] @ w[-8:])
        return out[:, 0] if targets == 1 else out
    return predict


def brute_force(predict, X: np.ndarray) -> np.ndarray:
    """One forward pass per sequence and position, all four bases, identity edits included."""
    out = []
    for x in X:
        per_position = []
        for p in range(X.shape[1]):
            mutants = np.repeat(x[None], 4, axis=0)
            mutants[:, p] = np.eye(4, dtype=X.dtype)
            per_position.append(predict(mutants))
        out.append(np.stack(per_position))
    return np.stack(out)


@pytest.fixture(scope="module")
def keras_predict():
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((LENGTH, 4)), keras.layers.Conv1D(8, 5, padding="same", activation="relu"),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(TARGETS)])
    return lambda x: keras.ops.convert_to_numpy(model(x, training=False))


@pytest.mark.slow
def test_ism_matches_brute_force_on_a_keras_model(keras_predict):
    X = random_batch(3)
    X[1, 5] = 0.0  # an N row: all four bases are edits there
    y0, y_hat = ism(keras_predict, X, batch_size=16)
    assert y0.shape == (3, TARGETS) and y_hat.shape == (3, LENGTH, 4, TARGETS)
    np.testing.assert_allclose(y0, keras_predict(X), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(y_hat, brute_force(keras_predict, X), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ism(keras_predict, X, batch_size=5)[1], y_hat, rtol=1e-6, atol=1e-6)


def test_identity_edits_are_y0_without_a_pass():
    X = random_batch(4)
    X[2, 7] = 0.25  # an N as a uniform row: no identity edit there
    seen: list[np.ndarray] = []

    def predict(x: np.ndarray) -> np.ndarray:
        seen.append(x.copy())
        return linear()(x)
    y0, y_hat = ism(predict, X, batch_size=10)
    base = X.argmax(axis=2)
    for i in range(4):
        for p in range(LENGTH):
            if (i, p) != (2, 7):
                np.testing.assert_array_equal(y_hat[i, p, base[i, p]], y0[i])
    edits = np.concatenate(seen[1:])  # seen[0] is the pass on X itself
    assert len(edits) == 4 * LENGTH * 3 + 1  # three per clean position, four at the N
    assert not any(np.array_equal(e, X[i]) for e in edits for i in range(4))
    np.testing.assert_allclose(y_hat, brute_force(linear(), X), rtol=1e-12)


def test_windows_and_batch_sizes_do_not_change_results():
    X = random_batch(5, seed=2)
    y0, full = ism(linear(), X, batch_size=7)
    for start, end in ((0, None), (3, 9), (11, 12), (0, 1)):
        w0, window = ism(linear(), X, start=start, end=end, batch_size=4)
        np.testing.assert_allclose(w0, y0, rtol=1e-12)
        np.testing.assert_allclose(window, full[:, start:end], rtol=1e-12)
    for batch_size in (1, 3, 1000):
        np.testing.assert_allclose(ism(linear(), X, batch_size=batch_size)[1], full, rtol=1e-12)


def test_batches_are_bounded_and_filled_across_sequences():
    X = random_batch(6)
    sizes: list[int] = []

    def predict(x: np.ndarray) -> np.ndarray:
        sizes.append(len(x))
        assert x.dtype == np.float32
        return linear()(x)
    ism(predict, X, batch_size=25, start=2, end=6)  # 6 sequences × 4 positions × 3 edits = 72
    assert sizes == [6, 25, 25, 22]


def test_scores_are_mean_subtracted_differences_times_x():
    X = random_batch(3, seed=3)
    y0, y_hat = ism(linear(), X, start=2, end=10)
    diff = y_hat - y0[:, None, None, :]
    expected = (diff - diff.mean(axis=2, keepdims=True)).mean(axis=3)
    hypothetical = ism_scores(linear(), X, start=2, end=10, hypothetical=True)
    np.testing.assert_allclose(hypothetical, expected, rtol=1e-12)
    np.testing.assert_allclose(hypothetical.sum(axis=2), 0.0, atol=1e-12)
    np.testing.assert_allclose(ism_scores(linear(), X, start=2, end=10), expected * X[:, 2:10], rtol=1e-12)
    one = diff[..., 1] - diff[..., 1].mean(axis=2, keepdims=True)
    np.testing.assert_allclose(ism_attributions(y0, y_hat, X[:, 2:10], target=1, hypothetical=True), one)
    single = ism_scores(linear(targets=1), X)  # (B,) predictions
    assert single.shape == (3, LENGTH, 4)


def test_errors():
    X = random_batch(2)
    with pytest.raises(SpecError, match="negative") as err:
        ism(linear(), X, end=-1)
    assert "end=None" in err.value.hint
    with pytest.raises(SpecError, match=r"\[5, 5\) is not inside"):
        ism(linear(), X, start=5, end=5)
    with pytest.raises(SpecError, match=r"\[0, 13\)"):
        ism(linear(), X, end=13)
    with pytest.raises(SpecError, match=r"\(N, L, 4\)"):
        ism(linear(), X[0])
    with pytest.raises(SpecError, match="batch_size"):
        ism(linear(), X, batch_size=0)
    with pytest.raises(SpecError, match="gave shape \\(2, 2, 1\\)"):
        ism(lambda x: linear()(x)[..., None], X)
    with pytest.raises(SpecError, match="target 2 is not one of the model's 2 targets"):
        ism_scores(linear(), X, target=2)
    with pytest.raises(SpecError, match="one value per sequence"):
        ism_scores(linear(targets=1), X, target=0)
