"""DeepLIFT-SHAP: completeness for every activation, BPNet and max pooling, the rescale answer where it
differs from the gradient, the hypothetical formula against NumPy, targets, batching, other backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from specdsl.errors import SpecError
from specdsl.interpret.deeplift import (
    ConvergenceWarning,
    cell_target,
    class_target,
    counts_target,
    deep_lift_shap,
    hypothetical_contributions,
    profile_target,
)
from specdsl.interpret.references import references
from specdsl.language.registry import ACTIVATIONS

LENGTH = 24


def one_hot(n: int, length: int = LENGTH, seed: int = 0) -> np.ndarray:
    return np.eye(4, dtype=np.float32)[np.random.default_rng(seed).integers(0, 4, (n, length))]


def float64_bound() -> float | None:
    """What float64 deltas reach on this backend: 1e-9 on TensorFlow; 1e-5 where Keras computes
    matmuls in float32 (PyTorch, JAX with x64); None where JAX has no float64."""
    from specdsl.backend.gradients import float64_status

    return {"exact": 1e-9, "partial": 1e-5}.get(float64_status())


def precisions(float32: float = 1e-3) -> list[tuple[str, float]]:
    bound = float64_bound()
    return [("float32", float32)] + ([("float64", bound)] if bound is not None else [])


def precise() -> tuple[str, float, float]:
    """(dtype, delta bound, rtol) for checks that want the best precision this backend has."""
    bound = float64_bound()
    if bound is None:
        return "float32", 1e-4, 1e-4
    return "float64", bound, 1e-10 if bound < 1e-6 else 1e-5


def quiet_run(*args, **kwargs):
    """deep_lift_shap, failing the test on any ConvergenceWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return deep_lift_shap(*args, **kwargs)


def build(spec: str, length: int = LENGTH):
    from specdsl.api import analyse
    from specdsl.backend.keras_model import build_keras_model

    return build_keras_model(analyse(spec, inputs={"": (length, 4)}))


def randomise(model, seed: int = 0, scale: float = 0.5) -> None:
    """Weights far from the initialiser's zero biases, so units saturate and cross their kinks."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, scale, w.shape).astype(w.dtype) for w in model.get_weights()])


def test_hypothetical_formula_is_the_per_base_sum():
    """``Σ_c (e_b − r)[l, c]·mult[l, c]`` for each base b, written out as BPReveal's loop."""
    rng = np.random.default_rng(3)
    mult, refs = rng.normal(size=(5, 7, 4)), one_hot(5, 7, seed=4).astype(np.float64)
    loop = np.empty_like(mult)
    for b in range(4):
        hypothetical_input = np.zeros_like(refs)
        hypothetical_input[..., b] = 1.0
        loop[..., b] = np.sum((hypothetical_input - refs) * mult, axis=-1)
    np.testing.assert_allclose(hypothetical_contributions(mult, refs), loop, rtol=1e-12, atol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("activation", [a for a in ACTIVATIONS if a != "linear"])
def test_completeness_for_every_activation(activation: str):
    """Conv1D → activation → GAP → Dense, the activation as the language writes it (an Activation
    layer) and as Keras' Conv1D(activation=…): deltas < 1e-3 in float32, < 1e-9 in float64."""
    import keras

    from specdsl.language.primitives.base import _keras_act

    X = one_hot(3)
    spec = build(f"conv[6@5,act={activation}]_gap_dense[2]")
    inp = keras.Input((LENGTH, 4))
    fused = keras.Model(inp, keras.layers.Dense(2)(keras.layers.GlobalAveragePooling1D()(
        keras.layers.Conv1D(6, 5, activation=_keras_act(activation))(inp))))
    for model in (spec, fused):
        randomise(model)
        for dtype, bound in precisions():
            result = quiet_run(model, X, 1, n_shuffles=4, dtype=dtype, batch_size=5)
            assert result.max_delta < bound, (activation, dtype, result.max_delta)
            assert not result.treated_as_linear
            assert any(("softmax" if activation == "softmax" else "rescale") in r for r in result.rules.values())


@pytest.fixture(scope="module")
def bpnet():
    from specdsl.api import analyse
    from specdsl.backend.keras_model import build_keras_model

    graph = analyse("BPNet", params={"filters": 8, "layers": 3, "input_filter_width": 9, "output_filter_width": 9,
                                     "input_length": 120})
    model = build_keras_model(graph)
    randomise(model, seed=1, scale=0.3)
    return model


@pytest.mark.slow
def test_bpnet_profile_and_counts_are_complete(bpnet):
    """The dilated residual BPNet preset: BPReveal's profile metric (all tasks, one task) and counts."""
    import keras

    X = one_hot(3, 120)
    logits, counts = (keras.ops.convert_to_numpy(o) for o in bpnet(X, training=False))
    for target in (profile_target(0), profile_target("profile", tasks=[1]), counts_target(1)):
        for dtype, bound in precisions(1e-4):
            result = quiet_run(bpnet, X, target, n_shuffles=3, dtype=dtype)
            assert result.max_delta < bound, (result.target, dtype, result.max_delta)
            assert not result.treated_as_linear
    np.testing.assert_allclose(result.predictions, counts[:, 0], rtol=1e-6)
    # the profile metric on X is Σ softmax(m)·m, m the mean-normed logits of task 1 (BPReveal's input_predictions)
    dtype, bound, _ = precise()
    result = quiet_run(bpnet, X, profile_target(0, tasks=[1]), n_shuffles=3, dtype=dtype)
    m = logits[..., 1] - logits[..., 1].mean(axis=1, keepdims=True)
    w = np.exp(m) / np.exp(m).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(result.predictions, (w * m).sum(axis=1), rtol=1e-5)
    # on a reference, x's own weights apply to the reference's logits: f_x(r) = Σ w_x·m(r)
    refs = references(X, 3, seed=0)
    ref_logits = keras.ops.convert_to_numpy(bpnet(refs[0], training=False)[0])[..., 1]
    m_ref = ref_logits - ref_logits.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(result.reference_predictions[0], (w[0] * m_ref).sum(axis=1), rtol=1e-5, atol=1e-6)
    # contributions add up to the mean change of the explained function over the references
    total = result.contributions.sum(axis=(1, 2))
    np.testing.assert_allclose(total, result.predictions - result.reference_predictions.mean(axis=1), atol=bound)


@pytest.mark.slow
def test_max_pooling_is_exact():
    """DeepLIFT's max rule: pooling with strides, 'same' padding and a global max add up exactly."""
    model = build("conv[8@5]_mp[4]_conv[8@3]_mp[3,stride=2,pad=same]_gmp_fc[4]", 40)
    randomise(model, seed=2)
    import keras

    X = one_hot(3, 40)
    dtype, bound, _ = precise()
    result = quiet_run(model, X, 2, n_shuffles=4, dtype=dtype)
    assert result.max_delta < bound
    np.testing.assert_allclose(result.predictions, keras.ops.convert_to_numpy(model(X))[:, 2], rtol=1e-5, atol=1e-6)
    # the rule's windows are Keras' own ('same' padding split as the backend splits it)
    from specdsl.interpret.deeplift_rules import max_pool

    z = np.random.default_rng(0).normal(size=(4, 11, 3)).astype(np.float32)
    for pool, stride, padding in ((2, 2, "valid"), (3, 2, "same"), (4, 3, "same"), (3, 1, "valid"), (4, 4, "same")):
        layer = keras.layers.MaxPooling1D(pool, stride, padding)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(max_pool(keras.ops.convert_to_tensor(z), 2, pool,
                                                                          stride, padding)),
                                      keras.ops.convert_to_numpy(layer(z)), err_msg=str((pool, stride, padding)))
    assert [r for r in result.rules.values() if r == "max rule"] == ["max rule"] * 3


@pytest.mark.slow
def test_an_lstm_is_named_as_treated_linearly():
    model = build("conv[8@5]_lstm[4]_dense[2]")
    randomise(model, seed=3)
    with pytest.warns(ConvergenceWarning, match=r"lstm1 \(LSTM\)"):
        result = deep_lift_shap(model, one_hot(3), 0, n_shuffles=4, warning_threshold=1e-6)
    assert result.treated_as_linear == {"lstm1": "LSTM"}
    assert result.max_delta > 1e-6


@pytest.mark.slow
def test_a_linear_model_gives_gradient_times_difference():
    """For f(x) = w·x + b the multipliers are the gradient w, and the contributions ∇f × (x − r)."""
    import keras

    from specdsl.backend.gradients import input_gradients

    model = keras.Sequential([keras.Input((LENGTH, 4)), keras.layers.Conv1D(3, 5), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    randomise(model, seed=4)
    X = one_hot(2)
    refs = one_hot(2, seed=9)[:, None]
    result = quiet_run(model, X, 0, references=refs)
    grad = input_gradients(lambda x: model(x, training=False)[:, 0], X)
    np.testing.assert_allclose(result.hypothetical, grad - np.sum(refs[:, 0] * grad, axis=-1, keepdims=True),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.contributions.sum(axis=-1), ((X - refs[:, 0]) * grad).sum(axis=-1),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_a_saturated_relu_gets_the_rescale_answer():
    """DeepLIFT's classic example, y = 1 − relu(1 − x1 − x2) at x = (1, 1), reference 0: the ReLU is
    off at x, so the gradient (and gradient × input) is 0; the rescale rule splits Δy = 1 as ½, ½."""
    import keras

    from specdsl.backend.gradients import input_gradients

    inp = keras.Input((1, 2))
    hidden = keras.layers.Dense(1, activation="relu")(keras.layers.Flatten()(inp))
    model = keras.Model(inp, keras.layers.Dense(1)(hidden))
    model.set_weights([np.array([[-1.0], [-1.0]]), np.array([1.0]), np.array([[-1.0]]), np.array([1.0])])
    X, ref = np.ones((1, 1, 2), np.float32), np.zeros((1, 1, 1, 2), np.float32)
    result = quiet_run(model, X, 0, references=ref)
    np.testing.assert_allclose(result.contributions, [[[0.5, 0.5]]], rtol=1e-6)
    assert result.predictions[0] == pytest.approx(1.0) and result.reference_predictions[0, 0] == pytest.approx(0.0)
    np.testing.assert_array_equal(input_gradients(lambda x: model(x)[:, 0], X) * X, 0.0)


@pytest.mark.slow
def test_multipliers_match_a_numpy_deeplift():
    """Dense → ReLU → Dense by hand: m = Δrelu/Δz (relu' where Δz = 0), mult = W1 (m·w2), averaged
    into hypothetical contributions over the references."""
    import keras

    inp = keras.Input((16, 4))
    hidden = keras.layers.Dense(10, activation="relu")(keras.layers.Flatten()(inp))
    model = keras.Model(inp, keras.layers.Dense(1)(hidden))
    randomise(model, seed=5, scale=1.0)
    w1, b1, w2, _ = (w.astype(np.float64) for w in model.get_weights())
    X = one_hot(3, 16)
    refs = references(X, 5, seed=1).astype(np.float64)
    dtype, _, rtol = precise()
    result = quiet_run(model, X, 0, references=refs, dtype=dtype)
    expected = np.zeros(X.shape)
    for n in range(3):
        for ref in refs[n]:
            z, zr = X[n].reshape(-1) @ w1 + b1, ref.reshape(-1) @ w1 + b1
            dz = z - zr
            m = np.where(np.abs(dz) > 1e-6, (np.maximum(z, 0) - np.maximum(zr, 0)) / np.where(dz == 0, 1, dz),
                         (z > 0).astype(float))
            mult = (w1 @ (m * w2[:, 0])).reshape(16, 4)
            expected[n] += (mult - (ref * mult).sum(axis=-1, keepdims=True)) / 5
    np.testing.assert_allclose(result.hypothetical, expected, rtol=rtol, atol=rtol / 100)
    np.testing.assert_allclose(result.contributions, expected * X, rtol=rtol, atol=rtol / 100)


@pytest.mark.slow
def test_classifier_targets_explain_logits_or_probabilities():
    """A softmax classifier's logit minus the mean logit (default) or its probability; a DeepCpG-like
    multi-output model's cell by its sigmoid's logit."""
    import keras

    model = build("conv[8@5]_mp[2]_fc[8]_dense[3,act=softmax]")
    randomise(model, seed=6)
    X = one_hot(3)
    probs = keras.ops.convert_to_numpy(model(X))
    dtype, bound, _ = precise()
    logit = quiet_run(model, X, class_target(0, 2), n_shuffles=3, dtype=dtype)
    centred = np.log(probs) - np.log(probs).mean(axis=1, keepdims=True)  # log-softmax differs by a constant
    np.testing.assert_allclose(logit.predictions, centred[:, 2], rtol=1e-5)
    prob = quiet_run(model, X, class_target(0, 2, logit=False), n_shuffles=3, dtype=dtype)
    np.testing.assert_allclose(prob.predictions, probs[:, 2], rtol=1e-5)
    assert logit.max_delta < bound and prob.max_delta < bound

    inp = keras.Input((LENGTH, 4), name="dna")
    trunk = keras.layers.Dense(8, activation="relu")(keras.layers.Flatten()(keras.layers.MaxPooling1D(2)(
        keras.layers.Conv1D(8, 5, activation="relu")(inp))))
    cells = [keras.layers.Dense(1, activation="sigmoid", name=f"cpg_c{i}")(trunk) for i in range(2)]
    deepcpg = keras.Model(inp, cells)
    randomise(deepcpg, seed=7)
    p = keras.ops.convert_to_numpy(deepcpg(X)[1])[:, 0]
    result = quiet_run(deepcpg, X, cell_target("cpg/c1"), n_shuffles=3, dtype=dtype)
    np.testing.assert_allclose(result.predictions, np.log(p / (1 - p)), rtol=1e-5)
    assert result.max_delta < bound and "logit" in result.target
    with pytest.raises(SpecError, match="no output for cell 'c3'"):
        deep_lift_shap(deepcpg, X, cell_target("c3"))


@pytest.mark.slow
def test_other_inputs_are_held_fixed_and_nested_models_walked():
    """A second input (DeepCpG's CpG side, say) is the same for an example and its references; a
    model used as a layer is walked with the same rules."""
    import keras

    dna, extra = keras.Input((LENGTH, 4), name="dna"), keras.Input((3,), name="extra")
    inner_in = keras.Input((LENGTH, 4))
    inner = keras.Model(inner_in, keras.layers.GlobalMaxPooling1D()(
        keras.layers.Conv1D(4, 3, activation="tanh")(inner_in)), name="trunk")
    joined = keras.layers.Concatenate()([inner(dna), keras.layers.Dense(4, activation="relu")(extra)])
    model = keras.Model([extra, dna], keras.layers.Dense(1)(joined))
    randomise(model, seed=9)
    X, E = one_hot(3), np.random.default_rng(1).normal(size=(3, 3)).astype(np.float32)
    dtype, bound, _ = precise()
    result = quiet_run(model, X, 0, n_shuffles=3, dtype=dtype, args=[E], sequence_input="dna")
    assert result.max_delta < bound
    assert any(name.startswith("trunk/") and rule == "max rule" for name, rule in result.rules.items())
    np.testing.assert_allclose(result.predictions, keras.ops.convert_to_numpy(model([E, X]))[:, 0], rtol=1e-5)
    with pytest.raises(SpecError, match="2 inputs"):
        deep_lift_shap(model, X, 0, n_shuffles=3)


@pytest.mark.slow
def test_batches_and_reference_chunks_change_nothing():
    """References made a chunk at a time equal one call's; any batch size gives the same scores."""
    model = build("conv[6@5,act=elu]_mp[2]_gap_dense[2]")
    randomise(model, seed=8)
    X = one_hot(5)
    seen: list[tuple[int, int]] = []
    small = quiet_run(model, X, 1, n_shuffles=4, batch_size=3, progress=lambda done, total: seen.append((done, total)))
    large = quiet_run(model, X, 1, n_shuffles=4, batch_size=64)
    given = quiet_run(model, X, 1, references=references(X, 4, seed=0))
    for other in (large, given):
        np.testing.assert_allclose(small.hypothetical, other.hypothetical, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(small.deltas, other.deltas, atol=1e-6)
    assert seen[-1] == (20, 20) and len(seen) == 10  # one example per chunk of ≤ 3 pairs: 4 refs in 2 batches
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_bad_references_and_targets_are_reported():
    X = one_hot(2)
    with pytest.raises(SpecError, match="do not fit"):
        deep_lift_shap(object(), X, 0, references=np.zeros((2, 3, LENGTH + 1, 4)))
    with pytest.raises(SpecError, match=r"\(N, L, 4\)"):
        deep_lift_shap(object(), X[0], 0)
    with pytest.raises(SpecError, match="a DeepLIFT-SHAP target"):
        deep_lift_shap(object(), X, "profile", references=np.zeros((2, 1, LENGTH, 4)))


JAX_RUN = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras
    from specdsl.errors import SpecError
    from specdsl.interpret.deeplift import deep_lift_shap, profile_target
    model = keras.saving.load_model(sys.argv[1])
    X = np.load(sys.argv[2])
    result = deep_lift_shap(model, X, profile_target(0), n_shuffles=3)
    np.save(sys.argv[3], result.hypothetical)
    from specdsl.interpret.gradient_methods import integrated_gradients
    ig = integrated_gradients(model, X, profile_target(0), n_shuffles=2, steps=8, warning_threshold=np.inf)
    np.save(sys.argv[3].replace(".npy", "_ig.npy"), ig.hypothetical)
    try:
        deep_lift_shap(model, X, profile_target(0), n_shuffles=3, dtype="float64")
        refused = False
    except SpecError as err:
        refused = "JAX_ENABLE_X64" in str(err.hint)
    print(json.dumps({"backend": keras.backend.backend(), "max_delta": result.max_delta, "refused": refused}))
""")


@pytest.mark.slow
@pytest.mark.skipif(not all(__import__("importlib").util.find_spec(m) for m in ("jax", "tensorflow")),
                    reason="needs JAX and TensorFlow")
def test_jax_gives_what_tensorflow_gives(bpnet, tmp_path: Path):
    """DeepLIFT-SHAP and integrated gradients: the same scores on JAX, whose autodiff differs."""
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("compares against TensorFlow in this process")
    X = one_hot(2, 120)
    bpnet.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", X)
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("JAX_ENABLE_X64", None)
    run = subprocess.run([sys.executable, "-c", JAX_RUN, str(tmp_path / "m.keras"), str(tmp_path / "x.npy"),
                          str(tmp_path / "h.npy")], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["backend"] == "jax" and report["max_delta"] < 1e-4 and report["refused"]
    mine = quiet_run(bpnet, X, profile_target(0), n_shuffles=3)
    np.testing.assert_allclose(np.load(tmp_path / "h.npy"), mine.hypothetical, rtol=1e-4, atol=1e-5)
    from specdsl.interpret.gradient_methods import integrated_gradients

    ig = integrated_gradients(bpnet, X, profile_target(0), n_shuffles=2, steps=8, warning_threshold=np.inf)
    np.testing.assert_allclose(np.load(tmp_path / "h_ig.npy"), ig.hypothetical, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_layer_normalisation_is_exact():
    """Layer normalisation decomposes exactly (square and 1/√ by rescale, the product by Shapley):
    over the features (the language's ln) and over length and features without a centre."""
    import keras

    spec = build("conv[6@5,act=tanh]_ln[eps=0.5]_gap_fc[4]_ln_dense[2]")
    inp = keras.Input((LENGTH, 4))
    normed = keras.layers.LayerNormalization(axis=[1, 2], center=False)(keras.layers.Conv1D(6, 5)(inp))
    keras_model = keras.Model(inp, keras.layers.Dense(2)(keras.layers.Flatten()(normed)))
    X = one_hot(3)
    for model in (spec, keras_model):
        randomise(model)
        for dtype, bound in precisions(1e-5):
            result = quiet_run(model, X, 1, n_shuffles=4, dtype=dtype)
            assert result.max_delta < bound, (model.name, dtype, result.max_delta)
            assert not result.treated_as_linear and any("layer norm" in r for r in result.rules.values())
        np.testing.assert_allclose(result.predictions, keras.ops.convert_to_numpy(model(X))[:, 1], rtol=1e-5,
                                   atol=1e-6)
