"""Config file → :class:`TrainingIR`: read, detect the kind, validate, apply defaults, convert."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from specdsl.config.kinds import to_training_ir
from specdsl.config.reader import parse_document, read_source
from specdsl.config.validate import validate
from specdsl.errors import Source
from specdsl.training.ir import TrainingIR


def load_config_text(text: str, name: str = "<config>", kind: str | None = None) -> TrainingIR:
    """Like :func:`load_config`, for text already in memory (``name`` is used in messages)."""
    root, problems = parse_document(Source(name, text))
    kind, config = validate(root, kind, problems=problems)
    return replace(to_training_ir(kind, config, name), document=root)


def load_config(path: str | Path, kind: str | None = None) -> TrainingIR:
    """Read and validate a training config file of any kind.

    ``kind`` forces a kind; by default it is detected (see :func:`detect_kind`).
    Raises a SpecError for an unreadable file or a syntax error, and SpecErrors
    with every validation problem at once otherwise.
    """
    source = read_source(path)
    return load_config_text(source.text, source.name, kind)
