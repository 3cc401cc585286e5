"""What the workshop's training scripts share: an example config, overridden by ``-lr`` and ``-dr``.

The workshop's scripts hold their data and model beside them; here the model, the data and
every other setting come from a ``specdsl-train`` config (``--config``, by default the example
in ``examples/``).  ``-lr`` and ``-dr`` are ``specdsl train``'s ``--set``, for the two keys the
scripts' options set (:data:`SETTINGS`): ``-lr X`` is ``--set optimizer.learning-rate=X`` and
``-dr Y`` is ``--set model.architecture.params.dropout=Y``, so the config's schema checks them,
an error is shown at the option, and the stored config says what the run used.  The run is
``specdsl train``'s.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from specdsl.errors import SpecError
from specdsl.options import ToolParser
from specdsl.training.ir import TrainingIR

LEARNING_RATE = 0.001
DROPOUT = 0.2


def add_settings(p: ToolParser, *, with_defaults: bool = True) -> None:
    """The workshop's two options; without defaults, an option not given is absent from the namespace
    (so a command can tell -lr 0.001 from nothing)."""
    import argparse

    p.add_argument("-lr", "--learning_rate", type=float, default=LEARNING_RATE if with_defaults else argparse.SUPPRESS,
                   help="Learning rate for the model (between 10e-6 and 1)"
                        + ("" if with_defaults else f" (default: {LEARNING_RATE})"))
    p.add_argument("-dr", "--dropout_rate", type=float, default=DROPOUT if with_defaults else argparse.SUPPRESS,
                   help="Dropout rate for the model layers (between 0 and 1)"
                        + ("" if with_defaults else f" (default: {DROPOUT})"))


def add_config(p: ToolParser, default: str) -> None:
    p.add_argument("--config", default=default, metavar="CONFIG.json",
                   help="specdsl: the specdsl-train config of the model and its data")


#: The workshop option → the config key it sets.
SETTINGS = {"-lr": "optimizer.learning-rate", "-dr": "model.architecture.params.dropout"}


def check_dropout(dr: float) -> None:
    """The workshop's range for the dropout rate, said at -dr before the config is read (the learning
    rate's range is the schema's own, checked at -lr like any other value)."""
    if not 0 <= dr < 1:
        raise SpecError(f"the dropout rate must lie in [0, 1), got {dr}", path="-dr",
                        hint="0 turns dropout off; the workshop tries 0.0 and 0.2")


def _config_path(path: str) -> str:
    if not Path(path).is_file():
        raise SpecError(f"no config at {path}", path="--config",
                        hint="run from the specdsl folder (the examples are in examples/), or give --config FILE: a "
                             "specdsl-train config such as examples/workshop_inh.json")
    return path


def load_example(path: str) -> TrainingIR:
    from specdsl.config import load_config

    return load_config(_config_path(path))


def overrides(lr: float, dr: float) -> list[Any]:
    """``-lr``/``-dr`` as the ``--set`` overrides they stand for."""
    from specdsl.config.overrides import alias

    check_dropout(dr)
    return [alias(flag, key, json.dumps(value)) for (flag, key), value in zip(SETTINGS.items(), (lr, dr))]


def with_settings(path: str, lr: float, dr: float) -> TrainingIR:
    """The config at ``path`` with ``-lr`` and ``-dr`` applied, checked as ``specdsl train`` checks it."""
    from specdsl.config.preflight import load_for_run

    return load_for_run(_config_path(path), overrides(lr, dr))


def train(config: str, lr: float, dr: float, verb: str) -> int:
    from specdsl.training.session import run_training

    return run_training(with_settings(config, lr, dr), resume_hint=f"'specdsl workshop {verb}' with")
