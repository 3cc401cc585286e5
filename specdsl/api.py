"""The library calls behind every CLI verb, for use from Python too.

``analyse`` and ``check`` never import TensorFlow; ``build_model`` and
``compile_to_file`` do, lazily.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from specdsl.errors import SpecError, did_you_mean
from specdsl.language.analysis import build_graph, parse_override, parse_shape
from specdsl.language.lowering import LayerGraph
from specdsl.language.model import resolve_target, spec_file_target
from specdsl.language.presets import all_presets


def parse_inputs(items: Iterable[str]) -> dict[str, tuple]:
    """``--input 500x4`` or ``--input NAME=500x4`` (repeatable)."""
    shapes: dict[str, tuple] = {}
    given: dict[str, str] = {}
    for item in items:
        name, _, shape = item.rpartition("=")
        name = name.strip()
        if name in given:  # the later one would silently win: the user meant two inputs, or made a typo
            which = f"input '{name}'" if name else "the input"
            raise SpecError(f"--input gives {which} twice ({given[name]} and {item})", path="--input",
                            hint="give each input once; a model with several inputs takes --input NAME=SHAPE "
                                 "for each of them")
        given[name] = item
        shapes[name] = parse_shape(shape)
    return shapes


def parse_settings(items: Iterable[str]) -> dict[str, Any]:
    return dict(parse_override(item) for item in items)


def analyse(target: str, params: Mapping[str, Any] | None = None,
            inputs: Mapping[str, tuple] | None = None) -> LayerGraph:
    """Shapes, exact parameter counts and MACs of a preset, spec file or architecture string."""
    return build_graph(resolve_target(target), params, inputs)


def space(target: str, params: Mapping[str, Any] | None = None, inputs: Mapping[str, tuple] | None = None) -> Any:
    """The search space of a string with ``{…}`` or a preset such as ``cnn_lstm`` (no TensorFlow)."""
    from specdsl.language.spaces.space import Space

    return Space.of(target, params, inputs)


def check(target: str, params: Mapping[str, Any] | None = None,
          inputs: Mapping[str, tuple] | None = None) -> list[LayerGraph]:
    """Validate a target; a spec file without ``:NAME`` has every one of its presets checked."""
    from specdsl.language.presets import load_spec_file

    as_file = spec_file_target(target)
    if as_file is not None and not as_file[1]:
        presets = load_spec_file(target)
        if not presets:
            raise SpecError("the file defines no preset", file=target,
                            expected='preset NAME "doc" { input …; x = … | conv[…] }')
        return [build_graph(p, params, inputs) for p in presets]
    return [analyse(target, params, inputs)]


def build_model(target: str, params: Mapping[str, Any] | None = None,
                inputs: Mapping[str, tuple] | None = None) -> Any:
    """A ``keras.Model`` (functional) for the target."""
    from specdsl.backend.keras_model import build_keras_model

    return build_keras_model(analyse(target, params, inputs))


def compile_to_file(target: str, out: str | Path, params: Mapping[str, Any] | None = None,
                    inputs: Mapping[str, tuple] | None = None) -> tuple[Any, LayerGraph]:
    from specdsl.backend.keras_model import build_keras_model, save_model

    if not str(out).endswith(".keras"):
        raise SpecError(f"the output file must end in .keras, not '{Path(out).name}'", file=str(out))
    graph = analyse(target, params, inputs)
    model = build_keras_model(graph)
    save_model(model, out)
    return model, graph


def load_model(path: str | Path) -> Any:
    """Load a ``.keras`` file written by specdsl (``safe_mode=True``, specdsl's losses registered)."""
    from specdsl.backend.keras_model import load_model as _load

    return _load(path)


def decode(model: Any, inputs: Any, batch_size: int = 32) -> Any:
    """Viterbi label paths of a model whose output is a CRF's: (reads, length) ints, −1 at padding."""
    from specdsl.backend.crf import decode as _decode

    return _decode(model, inputs, batch_size)


def presets_table(family: str | None = None, files: Iterable[str] = ()) -> list[tuple[Any, LayerGraph]]:
    """Every built-in preset, or with ``files`` only the presets those spec files define (in file order)."""
    files = list(files)
    presets = spec_file_presets(files) if files else all_presets()
    if family:
        families = sorted({p.family for p in presets})
        chosen = [p for p in presets if p.family.lower() == family.lower()]
        if not chosen:
            raise SpecError(f"no preset family '{family}'", expected="one of " + ", ".join(families),
                            hint=did_you_mean(family, families))
        presets = chosen
    return [(p, build_graph(p)) for p in presets]


def spec_file_presets(files: Iterable[str]) -> list[Any]:
    """The presets of these spec files, in order; a built-in preset's name given instead is told apart."""
    from specdsl.language.presets import find_preset, load_spec_file

    out = []
    for name in files:
        if not Path(name).exists() and find_preset(name) is not None:
            raise SpecError(f"'{name}' is a built-in preset, not a spec file",
                            expected="spec files (FILE.spec); without them, every built-in preset is listed",
                            hint=f"'specdsl params {name}' shows that preset layer by layer")
        out += load_spec_file(name)
    return out


CONFIG_SUFFIXES = (".json", ".jsonc")


def is_config_path(target: str) -> bool:
    """Training configs are named ``*.json`` (or ``*.jsonc``); specs are strings, presets or ``*.spec``."""
    return target.lower().endswith(CONFIG_SUFFIXES)


def check_config(path: str | Path, overrides: Iterable[str] = ()) -> Any:
    """Everything ``specdsl train`` checks before it trains: the schema, the lengths, the data files and
    their shapes against the model, the heads' targets, ``runtime.device``; every independent error at
    once (:mod:`specdsl.config.preflight`).  ``overrides`` are ``--set`` texts (``schedule.epochs=2``).
    Returns the checked plan (a pipeline kind's summary for Capfinder configs); trains nothing."""
    from specdsl.config.overrides import parse_sets
    from specdsl.config.preflight import check_config as check

    return check(path, parse_sets(overrides))
