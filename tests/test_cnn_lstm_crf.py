"""tranquillyzer's CNN-LSTM-CRF preset and the ``labels`` head.

The analytic count equals Keras' ``count_params()`` across a grid of tranquillyzer's
settings; the layouts with no LSTM, with a softmax instead of the CRF and with attention are
the ones tranquillyzer builds; reads of any length go through; a tiny model trains with the
``labels`` head (CRF and softmax) and its loss falls.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from specdsl.api import analyse
from specdsl.errors import SpecError
from specdsl.language.analysis import build_graph
from specdsl.language.ir import Heads, Ref
from specdsl.language.model import written_preset
from specdsl.language.presets import find_preset, get_preset
from specdsl.training.heads import head_kind
from specdsl.training.ir import HeadIR, settings

TINY = {"embedding_dim": 8, "conv_filters": 8, "conv_kernel_size": 5, "lstm_units": 6, "num_labels": 4}

# Pairs of every setting that changes the layout, each value at least once with each other's.
GRID = [
    {"conv_layers": 0, "lstm_layers": 0, "bidirectional": "yes", "attention_heads": 0, "crf_layer": "yes"},
    {"conv_layers": 1, "lstm_layers": 1, "bidirectional": "no", "attention_heads": 2, "crf_layer": "yes"},
    {"conv_layers": 2, "lstm_layers": 3, "bidirectional": "yes", "attention_heads": 1, "crf_layer": "no"},
    {"conv_layers": 0, "lstm_layers": 2, "bidirectional": "no", "attention_heads": 0, "crf_layer": "no"},
    {"conv_layers": 2, "lstm_layers": 0, "bidirectional": "no", "attention_heads": 3, "crf_layer": "FALSE"},
    {"conv_layers": 1, "lstm_layers": 2, "bidirectional": "TRUE", "attention_heads": 2, "crf_layer": "TRUE",
     "vocab_size": 4, "lstm_units": 7, "dropout_rate": 0.0, "regularization": 0.0},
]


def kinds_of(graph) -> list[str]:
    return [node.prim for node in graph.layers]


def test_defaults_are_tranquillyzers_10x3p_column_and_the_alias_finds_it() -> None:
    preset = get_preset("CnnLstmCrf")
    assert find_preset("CNN-LSTM-CRF") is preset and find_preset("cnn-lstm-crf") is preset
    assert preset.param_defaults() == {
        "vocab_size": 5, "embedding_dim": 128, "conv_layers": 3, "conv_filters": 128, "conv_kernel_size": 25,
        "lstm_layers": 1, "lstm_units": 96, "bidirectional": "yes", "crf_layer": "yes", "attention_heads": 0,
        "dropout_rate": 0.35, "regularization": 0.01, "num_labels": 6}
    graph = analyse("CnnLstmCrf")
    by_name = {n.name: n for n in graph.layers}
    # tranquillyzer's arithmetic (reference §B1) with one more embedding row (N) and a CRF of L² + 2L
    assert by_name["body_emb1"].params == 6 * 128
    assert [by_name[f"body_conv{i}"].params for i in (1, 2, 3)] == [409_728] * 3
    assert by_name["body_blstm1"].params == 172_800
    assert by_name["labels_dense1"].params == 1_158 and by_name["labels"].params == 6 * 6 + 2 * 6
    assert graph.total == 1_405_494 and graph.non_trainable == 3 * 2 * 128
    assert graph.output_shapes() == {"labels": (None, 7)}  # six label scores and the Viterbi label
    assert graph.inputs[0].shape == (None,) and graph.inputs[0].dtype == "int32"


def test_layouts_follow_the_switches() -> None:
    no_lstm = analyse("CnnLstmCrf", {**TINY, "lstm_layers": 0})
    assert "rnn" not in kinds_of(no_lstm) and kinds_of(no_lstm)[-1] == "crf"
    halved = analyse("CnnLstmCrf", {**TINY, "lstm_layers": 3, "bidirectional": "no"})
    assert [n.config["units"] for n in halved.layers if n.prim == "rnn"] == [6, 3, 3]
    assert not any(n.config["bidirectional"] for n in halved.layers if n.prim == "rnn")
    softmax = analyse("CnnLstmCrf", {**TINY, "crf_layer": "no"})
    last = softmax.layers[-1]
    assert last.prim == "dense" and last.config["activation"] == "softmax" and last.shape == (None, 4)
    attention = analyse("CnnLstmCrf", {**TINY, "attention_heads": 2})
    prims = kinds_of(attention)
    mha = prims.index("mha")
    assert prims[mha + 1:mha + 3] == ["add", "dropout"]
    assert attention.layers[mha].config["key_dim"] == 6 and attention.layers[mha].config["rate"] == 0.35
    assert attention.total - analyse("CnnLstmCrf", TINY).total == 4 * 12 * 2 * 6 + 3 * 2 * 6 + 12


@pytest.mark.parametrize("bad,message", [
    ({"bidirectional": "maybe"}, "must be yes or no"),
    ({"lstm_units": 1, "lstm_layers": 2}, "must be ≥ 2"),
    ({"dropout_rate": 1.0}, "< 1"),
    ({"num_labels": 1}, "must be ≥ 2"),
])
def test_bad_settings_name_the_parameter(bad: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message) as info:
        analyse("CnnLstmCrf", bad)
    assert next(iter(bad)) in info.value.message


def test_yes_no_parameters_take_json_booleans_as_a_config_writes_them() -> None:
    assert analyse("CnnLstmCrf", {**TINY, "bidirectional": False, "crf_layer": True}).total == \
        analyse("CnnLstmCrf", {**TINY, "bidirectional": "no", "crf_layer": "yes"}).total
    with pytest.raises(SpecError, match="must be a number"):
        analyse("CnnLstmCrf", {**TINY, "lstm_units": True})


def test_a_spec_file_uses_it_with_its_own_settings(tmp_path) -> None:
    spec = tmp_path / "mine.spec"
    spec.write_text('family mine\nparam lstm_layers = 0\nparam num_labels = 4\n'
                    'preset Mine "convolutions and a CRF" {\n  input reads: ? : int32\n'
                    '  labels = use CNN-LSTM-CRF(reads)\n}\n')
    graph = analyse(f"{spec}:Mine")
    assert "rnn" not in kinds_of(graph) and kinds_of(graph)[-1] == "crf"
    assert graph.total == analyse("CnnLstmCrf", {"lstm_layers": 0, "num_labels": 4}).total


keras = pytest.importorskip("keras")


@pytest.mark.parametrize("index", range(len(GRID)))
def test_count_equals_keras_for_a_grid_of_settings(index: int) -> None:
    from specdsl.backend.keras_model import build_keras_model

    graph = analyse("CnnLstmCrf", {**TINY, **GRID[index]})
    model = build_keras_model(graph)
    assert model.count_params() == graph.total
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == graph.trainable
    # reads of any length: batches of different lengths through the same model
    for length in (7, 13):
        out = keras.ops.convert_to_numpy(model(np.ones((2, length), "int32"), training=False))
        assert out.shape == (2, length, graph.output_shapes()["labels"][-1])


def labels_model(decoder: str, **params):
    """CnnLstmCrf's body with a ``labels`` head attached, as a training plan attaches it."""
    from specdsl.backend.keras_model import bind_losses, build_keras_model

    kind = head_kind("labels")
    head = HeadIR("labels", "segments", settings(target="labels", classes=["a", "b", "c"], decoder=decoder, l2=0.01))
    rh = kind.resolve(head, 0, {"labels": (None,)})
    body = written_preset(get_preset("CnnLstmCrf"), params)
    ends = build_graph(replace(body, heads=(), outputs=(body.nodes[-1].name,)), params)
    kind.check_body(rh, next(iter(ends.output_shapes().values())))
    out = rh.outputs[0]
    preset = replace(body, outputs=(), heads=(Heads(out.layer, 1, Ref(body.nodes[-1].name), out.chain),))
    graph = build_graph(preset, params)
    keras.utils.set_random_seed(0)
    model = build_keras_model(graph)
    losses, weights, metrics = kind.compile_parts(rh)
    bind_losses(model, losses)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss=losses, loss_weights=weights, metrics=metrics)
    return kind, rh, graph, model


def segmented_reads(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Reads of three segments (labels 0, 1, 2) whose bases lean towards A, C, G; random lengths, padded."""
    rng = np.random.default_rng(seed)
    length = 24
    tokens = np.zeros((count, length), "int32")
    labels = -np.ones((count, length), "int32")
    for r in range(count):
        cuts = sorted(rng.integers(2, 20, size=2))
        n = int(rng.integers(cuts[1] + 2, length + 1))
        y = np.searchsorted(cuts, np.arange(n), side="right")
        favourite = y + 1
        tokens[r, :n] = np.where(rng.random(n) < 0.8, favourite, rng.integers(1, 6, size=n))
        labels[r, :n] = y
    return tokens, labels


@pytest.mark.parametrize("decoder", ["crf", "softmax"])
def test_a_tiny_model_trains_with_the_labels_head(decoder: str) -> None:
    params = {**TINY, "conv_layers": 1, "lstm_layers": 1, "dropout_rate": 0.0}
    kind, rh, graph, model = labels_model(decoder, **params)
    assert model.count_params() == graph.total
    assert model.output_names == ["segments"]
    tokens, labels = segmented_reads(64, seed=1)
    history = model.fit(tokens, labels, batch_size=16, epochs=3, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    scores = kind.score(rh, labels, model.predict(tokens, verbose=0))
    assert scores["n"] == int((labels >= 0).sum()) and 0.0 <= scores["acc"] <= 1.0


def test_labels_head_refuses_what_it_cannot_label() -> None:
    kind = head_kind("labels")
    head = HeadIR("labels", "segments", settings(target="labels", classes=["a", "b"]))
    with pytest.raises(SpecError, match="one label per position"):
        kind.resolve(head, 0, {"labels": (10, 3)})
    rh = kind.resolve(head, 0, {"labels": (None,)})
    with pytest.raises(SpecError, match="end in a sequence"):
        kind.check_body(rh, (64,))
    assert kind.resolve(head, 0, {"labels": (None,)}).outputs[0].chain is not None
