"""What the workshop's training scripts share: an example config, overridden by ``-lr`` and ``-dr``.

The workshop's scripts hold their data and model beside them; here the model, the data and
every other setting come from a ``specdsl-train`` config (``--config``, by default the example
in ``examples/``), and ``-lr``/``-dr`` override its learning rate and the preset's ``dropout``
parameter, as the scripts' options do.  The run is ``specdsl train``'s.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from typing import Any

from specdsl.errors import SpecError
from specdsl.options import ToolParser
from specdsl.training.ir import TrainingIR, settings

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


def check_settings(lr: float, dr: float) -> None:
    if not 0 < lr <= 1:
        raise SpecError(f"the learning rate must lie in (0, 1], got {lr}", path="-lr",
                        hint="the workshop suggests values between 10e-6 and 1, e.g. 0.001 or 0.0005")
    if not 0 <= dr < 1:
        raise SpecError(f"the dropout rate must lie in [0, 1), got {dr}", path="-dr",
                        hint="0 turns dropout off; the workshop tries 0.0 and 0.2")


def load_example(path: str) -> TrainingIR:
    from specdsl.config import load_config

    if not Path(path).is_file():
        raise SpecError(f"no config at {path}", path="--config",
                        hint="run from the specdsl folder (the examples are in examples/), or give --config FILE: a "
                             "specdsl-train config such as examples/workshop_inh.json")
    return load_config(path)


def with_settings(ir: TrainingIR, lr: float, dr: float) -> TrainingIR:
    """The IR with the learning rate and the preset's dropout replaced; the stored config says so too."""
    check_settings(lr, dr)
    if "dropout" not in ir.body.preset.param_defaults():
        raise SpecError(f"the model of {ir.source} has no dropout parameter for -dr to set", path="-dr",
                        hint="use a preset with one as the architecture (InhModel, TbDrug13, DeepCpG's …)")
    params = {**ir.body.params_dict(), "dropout": dr}
    config: dict[str, Any] = copy.deepcopy(dict(ir.config))
    config.setdefault("optimizer", {})["learning-rate"] = lr
    arch = config.get("model", {}).get("architecture")
    if isinstance(arch, dict):
        arch.setdefault("params", {})["dropout"] = dr
    return replace(ir, body=replace(ir.body, params=settings(params)),
                   optimizer=replace(ir.optimizer, learning_rate=lr), config=config)


def train(config: str, lr: float, dr: float, verb: str) -> int:
    from specdsl.training.session import run_training

    return run_training(with_settings(load_example(config), lr, dr), resume_hint=f"'specdsl workshop {verb}' with")
