"""Gradient × input and integrated gradients: the gradient of the function DeepLIFT-SHAP explains,
completeness by quadrature (where DeepLIFT has no rule too), agreement with DeepLIFT on a linear model."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from specdsl.errors import SpecError
from specdsl.interpret.deeplift import ConvergenceWarning, class_target, deep_lift_shap, profile_target
from specdsl.interpret.gradient_methods import gradient_x_input, integrated_gradients, quadrature

pytestmark = pytest.mark.slow
LENGTH = 20


def one_hot(n: int, seed: int = 0) -> np.ndarray:
    return np.eye(4, dtype=np.float32)[np.random.default_rng(seed).integers(0, 4, (n, LENGTH))]


def build(spec: str, seed: int = 0, scale: float = 0.4):
    from specdsl.api import analyse
    from specdsl.backend.keras_model import build_keras_model

    model = build_keras_model(analyse(spec, inputs={"": (LENGTH, 4)}))
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, scale, w.shape).astype(w.dtype) for w in model.get_weights()])
    return model


def test_quadrature_rules():
    alphas, weights = quadrature(4, "gauss-legendre")
    assert np.all((alphas > 0) & (alphas < 1)) and weights.sum() == pytest.approx(1)
    assert np.sum(weights * alphas ** 7) == pytest.approx(1 / 8, rel=1e-12)  # exact to degree 2·4 − 1
    alphas, weights = quadrature(4)
    np.testing.assert_allclose(alphas, [0.125, 0.375, 0.625, 0.875])
    assert np.sum(weights * alphas) == pytest.approx(1 / 2, rel=1e-12)
    with pytest.raises(SpecError):
        quadrature(0)
    with pytest.raises(SpecError):
        quadrature(4, "simpson")


def test_gradient_times_input_is_the_logit_gradient():
    """Through a final sigmoid: the probability's gradient is p(1 − p) times the logit's, and the
    logit (the default target) is what DeepLIFT-SHAP explains too.  Scores are the gradient less its
    mean over the bases (the part no one-hot change can follow)."""
    import keras

    from specdsl.backend.gradients import input_gradients

    model = build("conv[6@5,act=tanh]_gap_dense[1,act=sigmoid]")
    X = one_hot(5)
    logit = gradient_x_input(model, X, class_target(0, 0), batch_size=2)
    prob = gradient_x_input(model, X, class_target(0, 0, logit=False))
    direct = input_gradients(lambda x: model(x, training=False)[:, 0], X)
    np.testing.assert_allclose(prob.hypothetical, direct - direct.mean(axis=-1, keepdims=True), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(prob.hypothetical.sum(axis=-1), 0, atol=1e-7)
    p = keras.ops.convert_to_numpy(model(X))[:, 0]
    np.testing.assert_allclose(prob.hypothetical, logit.hypothetical * (p * (1 - p))[:, None, None],
                               rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(logit.predictions, np.log(p / (1 - p)), rtol=1e-4)
    np.testing.assert_array_equal(logit.contributions, logit.hypothetical * X)
    assert logit.deltas.shape == (5, 0) and logit.max_delta == 0


def test_integrated_gradients_are_complete_where_deeplift_has_no_rule():
    """An LSTM has no DeepLIFT rule (treated as linear, a visible delta); integrated gradients add up to
    f(x) − f(r) to the quadrature's precision, and more steps bring the delta down (smooth activations:
    Gauss–Legendre converges fast; ReLU kinks make it slow, which the delta shows)."""
    model = build("conv[6@5,act=tanh]_lstm[4]_dense[1]", seed=3)
    X = one_hot(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        shap = deep_lift_shap(model, X, 0, n_shuffles=3)
    few = integrated_gradients(model, X, 0, n_shuffles=3, steps=2, rule="gauss-legendre", warning_threshold=np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        many = integrated_gradients(model, X, 0, n_shuffles=3, steps=24, rule="gauss-legendre", batch_size=64)
        split = integrated_gradients(model, X, 0, n_shuffles=3, steps=24, rule="gauss-legendre", batch_size=10)
    np.testing.assert_allclose(split.hypothetical, many.hypothetical, rtol=1e-5, atol=1e-7)  # 3 passes per path
    assert many.max_delta < 1e-4 < shap.max_delta
    assert many.max_delta < few.max_delta
    np.testing.assert_allclose(many.predictions, shap.predictions, rtol=1e-5)
    np.testing.assert_allclose(many.reference_predictions, shap.reference_predictions, rtol=1e-5, atol=1e-6)
    total = many.contributions.sum(axis=(1, 2))
    np.testing.assert_allclose(total, many.predictions - many.reference_predictions.mean(axis=1), atol=1e-4)
    with pytest.warns(ConvergenceWarning, match="more steps"):
        integrated_gradients(model, X, 0, n_shuffles=3, steps=1)  # the default: 5 % of the change


def test_on_a_linear_model_every_method_agrees():
    """f linear in x: integrated gradients' multiplier is the gradient, and equals DeepLIFT-SHAP's."""
    model = build("conv[4@5,act=linear]_fc[3,act=linear]_dense[2]", seed=4)
    X, refs = one_hot(2), one_hot(3, seed=7)
    shap = deep_lift_shap(model, X, 1, references=refs)
    ig = integrated_gradients(model, X, 1, references=refs, steps=1)
    grad = gradient_x_input(model, X, 1)
    np.testing.assert_allclose(ig.hypothetical, shap.hypothetical, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ig.hypothetical, grad.hypothetical - np.mean(
        [np.sum(r * grad.hypothetical, axis=-1, keepdims=True) for r in refs], axis=0), rtol=1e-4, atol=1e-6)


def test_a_profile_metric_keeps_the_sequences_own_weights_on_the_path():
    """BPReveal's profile metric: f_x(z) = Σ softmax(m(x))·m(z) along the whole path, so the values are
    DeepLIFT-SHAP's f(x) and f_x(r), and the scores add up to their difference."""
    import keras

    from specdsl.api import analyse
    from specdsl.backend.keras_model import build_keras_model

    graph = analyse("BPNet", params={"filters": 4, "layers": 2, "input_filter_width": 5, "output_filter_width": 5,
                                     "input_length": 40})
    keras.utils.set_random_seed(0)  # the quadrature error depends on the weights
    model = build_keras_model(graph)
    X = np.eye(4, dtype=np.float32)[np.random.default_rng(1).integers(0, 4, (2, 40))]
    target = profile_target(0, tasks=[0])
    shap = deep_lift_shap(model, X, target, n_shuffles=2)
    ig = integrated_gradients(model, X, target, n_shuffles=2, warning_threshold=np.inf)
    np.testing.assert_allclose(ig.predictions, shap.predictions, rtol=1e-5)
    np.testing.assert_allclose(ig.reference_predictions, shap.reference_predictions, rtol=1e-4, atol=1e-6)
    change = np.abs(ig.predictions[:, None] - ig.reference_predictions)
    coarse = integrated_gradients(model, X, target, n_shuffles=2, steps=4, warning_threshold=np.inf)
    assert ig.max_delta < 0.02 * change.mean() and ig.max_delta < coarse.max_delta  # ReLU kinks: slow, but there
    grad = gradient_x_input(model, X, target)
    np.testing.assert_allclose(grad.predictions, shap.predictions, rtol=1e-5)


def test_other_inputs_stay_with_their_sequences():
    """A model with a second input: each sequence's own value is used on its whole path, in any batch."""
    import keras

    from specdsl.backend.gradients import input_gradients

    seq, extra = keras.Input((LENGTH, 4)), keras.Input((1,))
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Conv1D(4, 5, activation="tanh")(seq))
    out = keras.layers.Dense(1)(keras.layers.Multiply()([pooled, keras.layers.Dense(4)(extra)]))
    model = keras.Model([seq, extra], out)
    X, other = one_hot(4), np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32)
    grad = gradient_x_input(model, X, 0, args=[other], batch_size=3)
    direct = input_gradients(lambda x: model([x, keras.ops.convert_to_tensor(other)])[:, 0], X)
    np.testing.assert_allclose(grad.hypothetical, direct - direct.mean(axis=-1, keepdims=True), rtol=1e-5, atol=1e-7)
    ig = integrated_gradients(model, X, 0, args=[other], n_shuffles=2, steps=16, rule="gauss-legendre",
                              batch_size=7)
    assert ig.max_delta < 1e-5
    np.testing.assert_allclose(ig.predictions, keras.ops.convert_to_numpy(model([X, other]))[:, 0], rtol=1e-5)


def test_the_run_summary_judges_integrated_gradients_by_their_share_of_the_change():
    from specdsl.interpret.score_files import Summary

    coarse = Summary(3, 1.0, "counts", max_delta=0.2, method="ig", mean_change=2.0).report("s.h5")
    assert "10.00% of the mean" in coarse[1] and "--steps" in coarse[2]
    assert len(Summary(3, 1.0, "counts", max_delta=0.02, method="ig", mean_change=2.0).report("s.h5")) == 2
    assert "treated as linear" in Summary(3, 1.0, "counts", max_delta=0.02, treated_as_linear={"l": "LSTM"},
                                          mean_change=2.0).report("s.h5")[2]
