"""The Keras 3 CRF against brute force: every label path of small reads enumerated.

log Z, the negative log-likelihood, its gradient (central differences of the enumerated
NLL) and the Viterbi path; padding that changes nothing; the loss averaged over reads
(also under two replicas); the layer saved and reloaded with ``safe_mode=True`` decoding
identically; float32 inside under mixed precision; TensorFlow and JAX agreeing.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from specdsl.backend.crf import CRF, decode, log_partition, negative_log_likelihood, sequence_score, viterbi  # noqa: E402
from specdsl.training.crf import CRFNegLogLikelihood, ViterbiAccuracy  # noqa: E402

ops = keras.ops
TOLERANCE = 1e-5  # relative; float32 sums of a few terms


def weights(labels: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(labels, labels)), rng.normal(size=labels), rng.normal(size=labels))


def brute(u: np.ndarray, n: int, a: np.ndarray, s: np.ndarray, e: np.ndarray) -> dict[tuple[int, ...], float]:
    """S(y) of every label path of a read's first n positions (float64)."""
    paths = {}
    for y in itertools.product(range(u.shape[-1]), repeat=n):
        if not y:
            continue
        paths[y] = (s[y[0]] + e[y[-1]] + sum(u[t, y[t]] for t in range(n))
                    + sum(a[y[t - 1], y[t]] for t in range(1, n)))
    return paths


def brute_log_z(u: np.ndarray, n: int, a: np.ndarray, s: np.ndarray, e: np.ndarray) -> float:
    scores = np.array(list(brute(u, n, a, s, e).values()))
    return float(np.log(np.exp(scores - scores.max()).sum()) + scores.max()) if n else 0.0


def brute_nll(u, y, n, a, s, e) -> float:
    if n == 0:
        return 0.0
    return brute_log_z(u, n, a, s, e) - brute(u, n, a, s, e)[tuple(int(v) for v in y[:n])]


def batch(length: int, labels: int, lengths: list[int], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    u = rng.normal(size=(len(lengths), length, labels))
    mask = np.arange(length)[None, :] < np.array(lengths)[:, None]
    y = np.where(mask, rng.integers(0, labels, size=mask.shape), -1)
    return u, mask, y


def np32(x) -> np.ndarray:
    return ops.convert_to_numpy(x)


CASES = [(1, 2, [1, 0]), (3, 3, [3, 2, 1, 0]), (4, 2, [4, 1, 3]), (5, 3, [5, 4, 2])]


@pytest.mark.parametrize("length,labels,lengths", CASES)
def test_log_z_nll_and_viterbi_equal_brute_force(length: int, labels: int, lengths: list[int]) -> None:
    u, mask, y = batch(length, labels, lengths, seed=length * 10 + labels)
    a, s, e = weights(labels, seed=labels)
    f32 = [x.astype("float32") for x in (u, a, s, e)]
    log_z = np32(log_partition(f32[0], mask, *f32[1:]))
    nll = np32(negative_log_likelihood(f32[0], np.maximum(y, 0), mask, *f32[1:]))
    path = np32(viterbi(f32[0], mask, *f32[1:]))
    for b, n in enumerate(lengths):
        assert log_z[b] == pytest.approx(brute_log_z(u[b], n, a, s, e), rel=TOLERANCE, abs=1e-5)
        assert nll[b] == pytest.approx(brute_nll(u[b], y[b], n, a, s, e), rel=TOLERANCE, abs=1e-5)
        paths = brute(u[b], n, a, s, e)
        best = max(paths, key=paths.get) if n else ()
        assert tuple(path[b, :n]) == best
        assert (path[b, n:] == -1).all()
    # the score of the true path, on its own
    score = np32(sequence_score(f32[0], np.maximum(y, 0), mask, *f32[1:]))
    for b, n in enumerate(lengths):
        want = brute(u[b], n, a, s, e)[tuple(y[b, :n])] if n else 0.0
        assert score[b] == pytest.approx(want, rel=TOLERANCE, abs=1e-5)


def test_gradient_of_the_nll_equals_central_differences_of_brute_force() -> None:
    import tensorflow as tf

    length, labels, lengths = 3, 3, [3, 2]
    u, mask, y = batch(length, labels, lengths, seed=7)
    a, s, e = weights(labels, seed=8)
    variables = [tf.Variable(x.astype("float32")) for x in (u, a, s, e)]
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(negative_log_likelihood(variables[0], np.maximum(y, 0), mask, *variables[1:]))
    grads = [g.numpy() for g in tape.gradient(total, variables)]

    def total_nll(u_, a_, s_, e_) -> float:
        return sum(brute_nll(u_[b], y[b], n, a_, s_, e_) for b, n in enumerate(lengths))

    h = 1e-5
    for which, (value, grad) in enumerate(zip((u, a, s, e), grads)):
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            args_plus = [x.copy() for x in (u, a, s, e)]
            args_minus = [x.copy() for x in (u, a, s, e)]
            args_plus[which][index] += h
            args_minus[which][index] -= h
            numeric[index] = (total_nll(*args_plus) - total_nll(*args_minus)) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5)
    # padded positions get no gradient
    assert np.all(grads[0][1, 2:] == 0)


def test_padding_changes_nothing() -> None:
    labels = 3
    u, mask, y = batch(4, labels, [4, 2, 3], seed=3)
    a, s, e = [x.astype("float32") for x in weights(labels, seed=4)]
    u = u.astype("float32")
    extra = 5
    # the padding's scores are garbage: they must not matter
    u_pad = np.concatenate([u, np.random.default_rng(9).normal(size=(3, extra, labels)).astype("float32") * 50], 1)
    mask_pad = np.concatenate([mask, np.zeros((3, extra), bool)], 1)
    y_pad = np.concatenate([y, -np.ones((3, extra), int)], 1)
    np.testing.assert_allclose(np32(log_partition(u_pad, mask_pad, a, s, e)), np32(log_partition(u, mask, a, s, e)),
                               rtol=1e-6)
    np.testing.assert_allclose(np32(negative_log_likelihood(u_pad, np.maximum(y_pad, 0), mask_pad, a, s, e)),
                               np32(negative_log_likelihood(u, np.maximum(y, 0), mask, a, s, e)), rtol=1e-6)
    short, long = np32(viterbi(u, mask, a, s, e)), np32(viterbi(u_pad, mask_pad, a, s, e))
    assert (long[:, :4] == short).all() and (long[:, 4:] == -1).all()
    # a token 0 inside a read ends it there (the mask is made a prefix)
    holed = mask.copy()
    holed[0, 1] = False
    np.testing.assert_allclose(np32(log_partition(u, holed, a, s, e))[0],
                               np32(log_partition(u[:1, :1], mask[:1, :1], a, s, e))[0], rtol=1e-6)


def tagger(labels: int = 3, seed: int = 0) -> keras.Model:
    """tokens → embedding → per-position dense → CRF, the CRF masked by the tokens."""
    keras.utils.set_random_seed(seed)
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(6, 8, name="emb")(tokens)
    x = keras.layers.Dense(labels, name="scores")(x)
    out = CRF(name="labels")([x, tokens])
    return keras.Model(tokens, out)


def reads(count: int, length: int, labels: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Tokens 1..5 with right padding; the label of a base is its token mod ``labels`` (learnable)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, length + 1, size=count)
    tokens = rng.integers(1, 6, size=(count, length))
    tokens = np.where(np.arange(length)[None] < lengths[:, None], tokens, 0).astype("int32")
    y = np.where(tokens > 0, tokens % labels, -1).astype("int32")
    return tokens, y


def test_layer_output_is_the_scores_and_the_viterbi_path_masked_by_the_tokens() -> None:
    model = tagger()
    tokens, _ = reads(6, 9, 3, seed=1)
    out = model.predict(tokens, verbose=0)
    assert out.shape == (6, 9, 4) and out.dtype == np.float32
    crf = model.get_layer("labels")
    expected = np32(crf.decode(out[..., :-1], tokens != 0))
    assert (out[..., -1] == expected).all()
    assert ((out[..., -1] < 0) == (tokens == 0)).all()
    assert (decode(model, tokens) == expected).all()
    from specdsl.api import decode as api_decode

    assert (api_decode(model, tokens) == expected).all()
    assert model.count_params() == 6 * 8 + (8 * 3 + 3) + 3 * 3 + 2 * 3


def test_loss_is_the_nll_averaged_over_reads_and_the_metric_counts_unpadded_bases() -> None:
    model = tagger()
    loss = CRFNegLogLikelihood("labels").bind(model)
    tokens, y = reads(5, 7, 3, seed=2)
    out = model.predict(tokens, verbose=0)
    crf = model.get_layer("labels")
    per_read = np32(crf.negative_log_likelihood(out[..., :-1], np.maximum(y, 0), tokens != 0))
    assert float(np32(loss(y, out))) == pytest.approx(per_read.mean(), rel=1e-6)
    metric = ViterbiAccuracy()
    metric.update_state(y, out)
    counted = y >= 0
    assert float(np32(metric.result())) == pytest.approx((out[..., -1] == y)[counted].mean(), rel=1e-6)
    with pytest.raises(ValueError, match="not bound"):
        CRFNegLogLikelihood("labels")(y, out)


def test_training_lowers_the_loss_and_reload_with_safe_mode_decodes_identically(tmp_path) -> None:
    from specdsl.api import load_model

    model = tagger()
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=CRFNegLogLikelihood("labels").bind(model),
                  metrics=[ViterbiAccuracy()])
    tokens, y = reads(64, 12, 3, seed=5)
    before = model.get_layer("labels").get_weights()
    history = model.fit(tokens, y, batch_size=16, epochs=3, verbose=0).history
    assert history["loss"][-1] < history["loss"][0] and history["acc"][-1] > history["acc"][0]
    assert not np.allclose(before[0], model.get_layer("labels").get_weights()[0])  # the transitions learn
    paths = decode(model, tokens)
    evaluated = model.evaluate(tokens, y, verbose=0)

    path = tmp_path / "tagger.keras"
    model.save(path)  # with its compile state: the checkpoint case
    again = load_model(path)  # safe_mode=True, the CRF loss bound again
    assert (decode(again, tokens) == paths).all()
    np.testing.assert_allclose(again.evaluate(tokens, y, verbose=0), evaluated, rtol=1e-5)


def test_mixed_precision_computes_in_float32() -> None:
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = tagger()
        crf = model.get_layer("labels")
        assert model.get_layer("scores").compute_dtype == "float16"
        assert crf.compute_dtype == "float32" and all(w.dtype == "float32" for w in crf.weights)
        tokens, y = reads(4, 8, 3, seed=6)
        out = model.predict(tokens, verbose=0)
        assert out.dtype == np.float32
        loss = float(np32(CRFNegLogLikelihood("labels").bind(model)(y, out)))
        assert np.isfinite(loss)
        manual = np32(crf.negative_log_likelihood(out[..., :-1].astype("float64").astype("float32"),
                                                  np.maximum(y, 0), tokens != 0))
        assert loss == pytest.approx(manual.mean(), rel=1e-6)
    finally:
        keras.config.set_dtype_policy(policy)


_JAX = """
import json, os, sys
os.environ["KERAS_BACKEND"] = "jax"
import numpy as np, keras
from keras import ops
from specdsl.backend.crf import CRF, log_partition, negative_log_likelihood, viterbi
from specdsl.training.crf import CRFNegLogLikelihood
data = json.loads(sys.argv[1])
u, y, mask = (np.asarray(data[k], dtype=t) for k, t in (("u", "float32"), ("y", "int32"), ("mask", bool)))
a, s, e = (np.asarray(data[k], dtype="float32") for k in "ase")
out = {"log_z": ops.convert_to_numpy(log_partition(u, mask, a, s, e)).tolist(),
       "nll": ops.convert_to_numpy(negative_log_likelihood(u, np.maximum(y, 0), mask, a, s, e)).tolist(),
       "path": ops.convert_to_numpy(viterbi(u, mask, a, s, e)).tolist()}
# a few steps of training under JAX: the bound loss reads the transitions inside Keras' stateless scope
keras.utils.set_random_seed(0)
tokens = keras.Input((None,), dtype="int32")
x = keras.layers.Dense(3)(keras.layers.Embedding(6, 8)(tokens))
model = keras.Model(tokens, CRF(name="labels")([x, tokens]))
model.compile(optimizer=keras.optimizers.Adam(0.05), loss=CRFNegLogLikelihood("labels").bind(model))
rng = np.random.default_rng(5)
t = rng.integers(1, 6, size=(64, 10)).astype("int32")
t[::2, 6:] = 0
labels = np.where(t > 0, t % 3, -1)
before = model.get_layer("labels").get_weights()[0]
history = model.fit(t, labels, batch_size=16, epochs=2, verbose=0).history
out["loss"] = history["loss"]
out["transitions_moved"] = bool(np.abs(model.get_layer("labels").get_weights()[0] - before).max() > 1e-3)
out["backend"] = keras.backend.backend()
print("RESULT" + json.dumps(out))
"""


def test_tensorflow_and_jax_agree() -> None:
    pytest.importorskip("jax")
    u, mask, y = batch(6, 4, [6, 5, 3, 1, 0], seed=11)
    a, s, e = weights(4, seed=12)
    u, a, s, e = (x.astype("float32") for x in (u, a, s, e))
    data = {"u": u.tolist(), "y": y.tolist(), "mask": mask.tolist(), "a": a.tolist(), "s": s.tolist(),
            "e": e.tolist()}
    done = subprocess.run([sys.executable, "-c", _JAX, json.dumps(data)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    jax = json.loads(done.stdout.split("RESULT", 1)[1])
    assert jax["backend"] == "jax"
    np.testing.assert_allclose(jax["log_z"], np32(log_partition(u, mask, a, s, e)), rtol=TOLERANCE, atol=1e-6)
    np.testing.assert_allclose(jax["nll"], np32(negative_log_likelihood(u, np.maximum(y, 0), mask, a, s, e)),
                               rtol=TOLERANCE, atol=1e-6)
    assert jax["path"] == np32(viterbi(u, mask, a, s, e)).tolist()
    assert jax["loss"][-1] < jax["loss"][0] and jax["transitions_moved"]


_REPLICAS = """
import sys
import tensorflow as tf
tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                           [tf.config.LogicalDeviceConfiguration()] * 2)
import numpy as np, keras
from specdsl.backend.crf import CRF
from specdsl.training.crf import CRFNegLogLikelihood
rng = np.random.default_rng(3)
t = rng.integers(1, 6, size=(32, 10)).astype("int32")
t[1::3, 4:] = 0  # reads of different lengths: a mean over positions would differ from one over reads
y = np.where(t > 0, t % 3, -1).astype("int32")
def run(strategy):
    with strategy.scope():
        keras.utils.set_random_seed(1)
        tokens = keras.Input((None,), dtype="int32")
        x = keras.layers.Dense(3)(keras.layers.Embedding(6, 4)(tokens))
        model = keras.Model(tokens, CRF(name="labels")([x, tokens]))
        model.compile(loss=CRFNegLogLikelihood("labels").bind(model), optimizer=keras.optimizers.SGD(0.1))
    loss = model.evaluate(t, y, batch_size=32, verbose=0)
    model.fit(t, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    return loss, model.get_layer("labels").get_weights()[0]
one, w1 = run(tf.distribute.OneDeviceStrategy("/cpu:0"))
two, w2 = run(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
print(one, two, abs(w1 - w2).max())
sys.exit(0 if abs(one - two) < 1e-5 * max(1.0, abs(one)) and abs(w1 - w2).max() < 1e-5 else 1)
"""


@pytest.mark.slow
def test_the_loss_and_its_gradient_are_the_same_on_two_replicas() -> None:
    done = subprocess.run([sys.executable, "-c", _REPLICAS], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
