"""Config file → :class:`TrainingIR`: read, detect the kind, validate, apply defaults, convert."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from specdsl.config.kinds import to_training_ir
from specdsl.config.overrides import Override, apply_overrides
from specdsl.config.reader import Node, parse_document, place, read_source
from specdsl.config.validate import validate
from specdsl.errors import Source, SpecError
from specdsl.training.ir import TrainingIR


def load_config_text(text: str, name: str = "<config>", kind: str | None = None,
                     overrides: Sequence[Override] = ()) -> TrainingIR:
    """Like :func:`load_config`, for text already in memory (``name`` is used in messages)."""
    root, problems = read_document(Source(name, text), overrides)
    kind, config = validate(root, kind, problems=problems)
    return convert(kind, config, root)


def read_document(source: Source, overrides: Sequence[Override] = ()) -> tuple[Node, list[SpecError]]:
    """The positioned document with the command line's overrides in it, and the problems found so far."""
    root, problems = parse_document(source)
    root, more = apply_overrides(root, overrides)
    return root, problems + more


def convert(kind: str, config: dict[str, Any], root: Node) -> TrainingIR:
    """The IR of a checked config, which keeps its positioned document (to place the engine's errors)."""
    try:
        ir = to_training_ir(kind, config, root.span.source.name)
    except SpecError as err:  # found only while converting (a spec file changed since the checks): at its key
        raise place(err, root) from None
    return replace(ir, document=root)


def load_config(path: str | Path, kind: str | None = None, overrides: Sequence[Override] = ()) -> TrainingIR:
    """Read and validate a training config file of any kind.

    ``kind`` forces a kind; by default it is detected (see :func:`detect_kind`).
    ``overrides`` (:mod:`.overrides`, ``--set``) change values before anything is checked.
    Raises a SpecError for an unreadable file or a syntax error, and SpecErrors
    with every validation problem at once otherwise.
    """
    source = read_source(path)
    return load_config_text(source.text, source.name, kind, overrides)
