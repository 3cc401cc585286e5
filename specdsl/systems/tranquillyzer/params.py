"""tranquillyzer's ``training_params.tsv``: one column of hyperparameters per model, grids from comma lists.

The file (read as tranquillyzer's ``train_model_wrap`` reads it with pandas): tab-separated, a
header row whose first cell names the parameter column (its text does not matter) and whose
other cells are model names; then one row per parameter.  A cell may hold a comma list; the
variants are ``itertools.product`` over the rows in file order, so **the last row varies
fastest**, and a variant's index ``idx`` (``<model>_<idx>``) is its position in that product.

Values stay the strings the file holds (tranquillyzer writes them so to ``_params.json``);
:func:`typed` converts one variant.  Unlike tranquillyzer, a misspelt parameter, an empty cell
or a value of the wrong type is an error with its file, line and column, not a log line or a
crash after the data was loaded.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specdsl.errors import Span, SpecError, did_you_mean
from specdsl.systems.tranquillyzer.seq_orders import read_tsv, tab_fields

# name → (type, default or None when required); tranquillyzer's train_model_wrap casts these.
PARAMETERS: dict[str, tuple[str, Any]] = {
    "batch_size": ("int", 64),
    "train_fraction": ("float", 0.8),
    "vocab_size": ("int", None),
    "embedding_dim": ("int", None),
    "conv_layers": ("int", None),
    "conv_filters": ("int", None),
    "conv_kernel_size": ("int", None),
    "lstm_layers": ("int", None),
    "lstm_units": ("int", None),
    "bidirectional": ("bool", None),
    "crf_layer": ("bool", None),
    "attention_heads": ("int", None),
    "dropout_rate": ("float", None),
    "regularization": ("float", None),
    "learning_rate": ("float", None),
    "epochs": ("int", None),
}
# the CnnLstmCrf parameters a variant sets (num_labels comes from the seq order)
ARCHITECTURE = ("vocab_size", "embedding_dim", "conv_layers", "conv_filters", "conv_kernel_size", "lstm_layers",
                "lstm_units", "bidirectional", "crf_layer", "attention_heads", "dropout_rate", "regularization")


@dataclass(frozen=True)
class Cell:
    """One value as written, with where it was written (for messages)."""

    text: str
    span: Span


@dataclass(frozen=True)
class Variant:
    """One point of a model's grid: ``idx`` and its raw values in file order."""

    model: str
    idx: int
    cells: tuple[tuple[str, Cell], ...]

    @property
    def name(self) -> str:
        return f"{self.model}_{self.idx}"

    def raw(self) -> dict[str, str]:
        """The values as tranquillyzer writes them to ``<model>_<idx>_params.json`` (strings)."""
        return {k: c.text for k, c in self.cells}


def read_grid(model: str, path: str | Path | None = None) -> list[Variant]:
    """Every variant of ``model``'s column, in tranquillyzer's order (last row fastest)."""
    source = read_tsv(path, "training_params.tsv", "parameter file", "--param-file")
    path = source.name
    lines = [(n, line) for n, line in enumerate(source.lines(), 1) if line.strip()]
    if not lines:
        raise SpecError("the parameter file is empty", file=str(path))
    head_line, head = lines[0]
    models = [name.strip() for _, name in tab_fields(head)[1:]]
    if model not in models:
        raise SpecError(f"model '{model}' is not a column of {path}", path="MODEL_NAME",
                        expected="one of " + ", ".join(m for m in models if m) if any(models) else "model columns",
                        hint=did_you_mean(model, models) or "add a column for it, or give --param-file")
    column = models.index(model) + 1
    axes: list[tuple[str, list[Cell]]] = []
    seen: set[str] = set()
    for number, raw in lines[1:]:
        cells = tab_fields(raw)
        name = cells[0][1].strip()
        span = Span(source, number, 1, number, len(name) + 1)
        if name not in PARAMETERS:
            raise SpecError(f"unknown parameter '{name}'", span=span, expected="one of " + ", ".join(PARAMETERS),
                            hint=did_you_mean(name, PARAMETERS))
        if name in seen:
            raise SpecError(f"parameter '{name}' is given twice", span=span)
        seen.add(name)
        if column >= len(cells) or not cells[column][1].strip():
            start = cells[column][0] if column < len(cells) else len(raw)
            raise SpecError(f"no value for '{name}' in column '{model}'", span=Span(source, number, start + 1, number,
                                                                                      start + 2))
        start, cell = cells[column]
        values, at = [], start
        for piece in cell.split(","):
            value = piece.strip().strip('"')
            values.append(Cell(value, Span(source, number, at + 1, number, at + 1 + max(len(piece), 1))))
            at += len(piece) + 1
        for value in values:
            typed_value(name, value)  # every value checked before anything trains
        axes.append((name, values))
    missing = [k for k, (_, default) in PARAMETERS.items() if default is None and k not in seen]
    if missing:
        raise SpecError(f"column '{model}' lacks {', '.join(missing)}", file=str(path),
                        hint="every parameter of tranquillyzer's shipped training_params.tsv needs a row")
    names = [n for n, _ in axes]
    return [Variant(model, idx, tuple(zip(names, combo)))
            for idx, combo in enumerate(itertools.product(*(values for _, values in axes)))]


def typed_value(name: str, cell: Cell) -> Any:
    """One value converted as tranquillyzer converts it, checked against what the model can take."""
    kind = PARAMETERS[name][0]
    text = cell.text
    try:
        if kind == "bool":
            if text.lower() not in ("true", "false"):
                raise ValueError
            return text.lower() == "true"
        if kind == "int":
            value: Any = int(text)
        else:
            value = float(text)
    except ValueError:
        wanted = {"bool": "TRUE or FALSE", "int": "a whole number", "float": "a number"}[kind]
        raise SpecError(f"'{text}' is not valid for {name}", span=cell.span, expected=wanted) from None
    problem = _range_problem(name, value)
    if problem:
        raise SpecError(f"{name} = {text}: {problem}", span=cell.span)
    return value


def _range_problem(name: str, value: Any) -> str | None:
    if name == "vocab_size" and value < 5:
        return "reads hold A, C, G, T and N (tokens 1–5), so vocab_size must be at least 5"
    positive = ("batch_size", "epochs", "embedding_dim", "conv_filters", "conv_kernel_size", "lstm_units")
    if name in positive and value < 1:
        return "must be ≥ 1"
    if name in ("conv_layers", "lstm_layers", "attention_heads") and value < 0:
        return "must be ≥ 0"
    if name == "train_fraction" and not 0 < value <= 1:
        return "must lie in (0, 1]"
    if name == "dropout_rate" and not 0 <= value < 1:
        return "must lie in [0, 1)"
    if name in ("regularization",) and value < 0:
        return "must be ≥ 0"
    if name == "learning_rate" and value <= 0:
        return "must be > 0"
    return None


def typed(variant: Variant) -> dict[str, Any]:
    """A variant's values converted, with tranquillyzer's defaults for missing optional rows."""
    out = {k: default for k, (_, default) in PARAMETERS.items() if default is not None}
    out.update({k: typed_value(k, c) for k, c in variant.cells})
    return out


__all__ = ["ARCHITECTURE", "PARAMETERS", "Variant", "read_grid", "typed", "typed_value"]
