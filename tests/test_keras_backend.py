"""The Keras 3 backend: exact counts for every preset and generated string, safe .keras files."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from specdsl.api import analyse, compile_to_file
from specdsl.backend.keras_model import build_keras_model
from specdsl.errors import SpecError
from specdsl.language.presets import all_presets

pytestmark = pytest.mark.slow


def _assert_exact(graph) -> None:
    model = build_keras_model(graph)
    assert graph.total == model.count_params()
    per_layer = {layer.name: layer.count_params() for layer in model.layers}
    for node in graph.layers:
        assert per_layer[node.name] == node.params, node.name
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert graph.non_trainable == non_trainable
    for name, shape in graph.output_shapes().items():
        assert tuple(model.get_layer(name).output.shape[1:]) == shape


@pytest.mark.parametrize("name", sorted(p.name for p in all_presets()))
def test_every_preset_counts_exactly(name: str) -> None:
    _assert_exact(analyse(name))


def _block(length_budget: st.DrawFn) -> st.SearchStrategy[str]:
    small = st.integers(1, 12)
    return st.one_of(
        st.builds(lambda f, k, d, p, bn: f"conv[{f}@{k},dil={d},pad={p},bn={bn}]", small, st.integers(1, 5),
                  st.integers(1, 3), st.sampled_from(["valid", "same", "causal"]), st.sampled_from(["yes", "no"])),
        st.builds(lambda p, s: f"mp[{p},stride={s}]", st.integers(1, 3), st.integers(1, 3)),
        st.builds(lambda p: f"ap[{p},pad=same]", st.integers(1, 3)),
        st.sampled_from(["bn", "ln", "do", "relu", "do[0.5]", "crop[1]", "each[dense[3]_relu]"]),
        st.builds(lambda c, u, b: f"{c}[{u},seq=yes" + (",reset-after=no]" if b and "gru" in c else "]"),
                  st.sampled_from(["gru", "bgru", "lstm", "blstm"]), small, st.booleans()),
        st.builds(lambda h, k: f"mha[{h},{k}]", st.integers(1, 3), st.integers(1, 8)),
        st.builds(lambda kind, s: f"{kind}[{s}]", st.sampled_from(["resb", "resc", "resa"]),
                  st.lists(st.tuples(st.integers(1, 2), st.sampled_from([4, 8])), min_size=1, max_size=2)
                  .map(lambda ss: "|".join(f"{a}x{b}" for a, b in ss))),
        st.builds(lambda n: f"dilres[{n}]", st.integers(1, 2)),
    )


TAILS = st.sampled_from(["", "_gap", "_gmp", "_flat", "_fc[5]", "_dense[2,act=sigmoid]", "_bgru[3]", "_gap_fc[4]_do"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_block(None), min_size=1, max_size=5).map("_".join), TAILS,
       st.integers(8, 64), st.integers(1, 6))
def test_generated_strings_count_exactly(body: str, tail: str, length: int, channels: int) -> None:
    try:
        graph = analyse(body + tail, None, {"": (length, channels)})
    except SpecError:
        assume(False)
        return
    _assert_exact(graph)


def test_tokens_model_with_embedding_counts_exactly() -> None:
    _assert_exact(analyse("emb[6,16,mask=yes]_conv[8@5,pad=same]_blstm[8,seq=yes]_dense[5,act=softmax]"))


def test_saved_model_loads_safely_in_a_fresh_process(tmp_path) -> None:
    out = tmp_path / "deepcpg.keras"
    model, _ = compile_to_file("DeepCpG", out, {"cells": 2, "dna_wlen": 101, "cpg_model": "RnnL2",
                                                "dna_model": "ResNet01"})
    rng = np.random.default_rng(0)
    feeds = {"dna": rng.random((3, 101, 4), dtype=np.float32),
             "cpg_state": rng.random((3, 2, 50), dtype=np.float32),
             "cpg_dist": rng.random((3, 2, 50), dtype=np.float32)}
    expected = [np.asarray(y) for y in model.predict(feeds, verbose=0)]
    np.savez(tmp_path / "feeds.npz", **feeds)
    script = textwrap.dedent(f"""
        import json, numpy as np, keras
        m = keras.saving.load_model({str(out)!r}, safe_mode=True)
        feeds = dict(np.load({str(tmp_path / 'feeds.npz')!r}))
        print(json.dumps([np.asarray(y).tolist() for y in m.predict(feeds, verbose=0)]))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    got = json.loads(run.stdout.strip().splitlines()[-1])
    for a, b in zip(expected, got):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-6, atol=1e-6)


def test_bad_output_name_is_a_user_error(tmp_path) -> None:
    with pytest.raises(SpecError, match="must end in .keras"):
        compile_to_file("CnnL1h128", tmp_path / "model.h5")
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is an optional extra")
def test_builds_under_jax_backend() -> None:
    code = ("import os; os.environ['KERAS_BACKEND']='jax'; import keras; "
            "from specdsl.api import analyse; from specdsl.backend.keras_model import build_keras_model; "
            "g = analyse('conv[8@5]_mp[2]_resb[1x8]_bgru[4]_fc[3]', inputs={'': (40, 4)}); m = build_keras_model(g); "
            "assert keras.backend.backend() == 'jax'; assert m.count_params() == g.total; "
            "import numpy as np; assert m.predict(np.zeros((2, 40, 4)), verbose=0).shape == (2, 3)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_layer_keras_cannot_build_is_a_spec_error(monkeypatch) -> None:
    """Memory or a size Keras refuses ends in a positioned SpecError naming the layer, not a traceback."""
    import dataclasses

    from specdsl.language.primitives import PRIMITIVES

    def out_of_memory(keras, config, name):
        raise MemoryError("OOM when allocating tensor with shape[3,4,2000000000]")

    monkeypatch.setitem(PRIMITIVES, "conv1d", dataclasses.replace(PRIMITIVES["conv1d"], make=out_of_memory))
    graph = analyse("mp[2]_conv[8@3]")
    with pytest.raises(SpecError) as info:
        build_keras_model(graph)
    assert "Keras cannot build conv[8@3] (layer conv1)" in info.value.message
    assert info.value.span is not None and info.value.span.column == 7
