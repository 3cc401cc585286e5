"""Every problem of a training config in one pass: what ``specdsl check`` reports, and ``train`` before it starts.

The stages depend on each other only where they must: the schema and the cross-field checks
(:func:`.validate.check_document`), then, on what the schema errors leave of the config (unknown
keys and wrong values taken out, :func:`.validate.repaired`), the engine's plan (the data files,
the architecture against them, the heads and their targets; :func:`~specdsl.training.plan.make_plan`)
or a pipeline kind's own check, then ``runtime.device``.  So a config with an unknown key, a
missing validation file, a layer too big for the data and a misspelt target reports all four at
once; an error that leaves a later stage nothing to check says so once, in a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from specdsl.config.load import convert, read_document
from specdsl.config.overrides import Override
from specdsl.config.reader import read_source
from specdsl.config.validate import check_document
from specdsl.errors import Problems, SpecError
from specdsl.training.ir import TrainingIR, place

LATER = "the data files, the model against the data and the heads"


def read_config(path: str | Path, overrides: Sequence[Override] = (),
                kind: str | None = None) -> tuple[TrainingIR | None, Problems]:
    """The IR of what the config's errors leave (None if nothing usable is left) and the errors so far.

    An unreadable file or a syntax error raises: nothing can be read past it."""
    root, problems = read_document(read_source(path), overrides)
    checked = check_document(root, kind, problems=problems)
    found = Problems(checked.errors)
    if checked.config is None:
        found.skipped(LATER, f"{checked.blocked} has errors")
        return None, found
    try:
        return convert(checked.kind, checked.config, root), found
    except SpecError as err:
        if not checked.errors:
            raise
        found.skipped(LATER, f"{err.path or 'the config'} has errors")  # the errors above broke the conversion
        return None, found


def check_config(path: str | Path, overrides: Sequence[Override] = (), *, ask_backend: bool = True) -> Any:
    """Everything ``specdsl train`` would find before it trains; the checked plan (or a pipeline kind's
    summary).  Raises one error, or :class:`~specdsl.errors.SpecErrors` with all of them and notes.

    ``ask_backend``: a config that asks for a GPU on a machine that may have one asks the backend
    whether it sees it (importing it, seconds for TensorFlow); without, only the cheap test runs."""
    ir, found = read_config(path, overrides)
    result = _later_stages(ir, found, ask_backend) if ir is not None else None
    found.raise_any()
    return result


def load_for_run(path: str | Path, overrides: Sequence[Override] = ()) -> TrainingIR:
    """The IR ``specdsl train`` runs.  A config with errors is checked as far as it can be first, so the
    run reports everything wrong at once, as ``specdsl check`` does; a sound one is planned by the run."""
    ir, found = read_config(path, overrides)
    if found.errors and ir is not None:
        _later_stages(ir, found, ask_backend=False)  # the run asks the backend itself, after planning
    found.raise_any()
    assert ir is not None
    return ir


def _later_stages(ir: TrainingIR, found: Problems, ask_backend: bool) -> Any:
    from specdsl.config.kinds import config_kind
    from specdsl.training.devices import gpu_problem

    pipeline = config_kind(ir.kind).load_pipeline()
    if pipeline is not None:  # a config kind that describes a whole pipeline (Capfinder's) checks itself
        result = found.attempt(pipeline.check_ir, ir)
    else:
        from specdsl.training.plan import make_plan

        result = found.attempt(make_plan, ir)
    device = gpu_problem(ir.runtime.device, ask_backend=ask_backend)
    if device is not None:
        found.add(place(device, ir.document))
    found.attempt(_backend_installed, ir)
    return result


def _backend_installed(ir: TrainingIR) -> None:
    """``runtime.backend`` names an installed backend (asked of the import system, nothing loaded)."""
    from specdsl.backend.selection import resolve

    try:
        resolve(ir.runtime.backend)
    except SpecError as err:
        raise place(err, ir.document) from None


__all__ = ["check_config", "load_for_run", "read_config"]
