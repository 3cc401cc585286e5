"""Profile models (BPNet and any model laid out like it) predicted over regions, into BPReveal's HDF5.

A *profile model* has one one-hot sequence input (length × 4) and, per head, a profile output
(logits, output length × tasks) followed, after every profile output, by one log-counts output
per head (shape 1): BPReveal's order ``[logits_h0, logits_h1, …, logcounts_h0, …]``, which
specdsl's profile heads and the BPNet preset keep.

Inputs (:class:`Inputs`): BED regions of the output length on a genome (the input window is the
region ± ``(input − output) // 2``, as BPReveal's ``BedReader`` reads it), or FASTA records of the
input length, optionally with a BED file and genome that give them coordinates.  Everything is
checked before the model is loaded; the output file appears only when complete.

Batches are NumPy arrays fed to ``model.predict_on_batch`` (any Keras backend), one chromosome's
sequence in memory at a time.  With ``revcomp`` each window is also predicted reverse-complemented
and the two are averaged: the reverse strand's logits flipped along the window and its tasks put
back in forward order (``revcomp-task-order``: BPReveal's "auto" is [0] for one task, [1, 0] for
two strands), then the mean of the logits and the mean of the log counts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.bed import Regions, read_bed
from specdsl.formats.fasta import FastaIndex, index_fasta
from specdsl.formats.genome import CheckedRegions, Genome, check_fasta_lengths, check_regions, open_genome
from specdsl.formats.prediction_h5 import Coordinates, HeadShape, create_predictions

Batches = Iterator[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class ProfileModel:
    """A loaded profile model: its input length and its heads (name, output length, tasks)."""

    model: Any
    path: str
    input_length: int
    heads: list[HeadShape]

    @property
    def output_length(self) -> int:
        return self.heads[0].output_length


def profile_heads(model: Any) -> list[HeadShape] | None:
    """The heads of a model laid out as a profile model, or None when it is not one."""
    outputs = [tuple(t.shape[1:]) for t in model.outputs]
    n = len(outputs) // 2
    if n == 0 or len(outputs) != 2 * n:
        return None
    profiles, counts = outputs[:n], outputs[n:]
    if any(len(s) != 2 or None in s for s in profiles) or any(s != (1,) for s in counts):
        return None
    names = list(model.output_names)[:n]
    return [HeadShape(name.removeprefix("solo_profile_") if name.startswith("solo_profile_") else f"head_{i}",
                      int(s[0]), int(s[1])) for i, (name, s) in enumerate(zip(names, profiles))]


def as_profile_model(model: Any, path: str | Path) -> ProfileModel:
    """Check that ``model`` is a profile model with one (length × 4) input whose heads share a window."""
    heads = profile_heads(model)
    shape = tuple(model.inputs[0].shape[1:]) if len(model.inputs) == 1 else ()
    if heads is None or len(shape) != 2 or shape[1] != 4 or shape[0] is None:
        outs = ", ".join(f"{n} {tuple(t.shape[1:])}" for n, t in zip(model.output_names, model.outputs))
        raise SpecError(f"not a profile model: it reads {shape or len(model.inputs)} and gives {outs}",
                        file=str(path), expected="one one-hot input (length × 4); per head a profile output "
                                                 "(length × tasks), then per head a log-counts output (1)",
                        hint="a classifier's calls come from specdsl predict MODEL INPUT… without --bed/--fasta")
    if len({h.output_length for h in heads}) != 1:
        raise SpecError("the heads predict windows of different lengths: "
                        + ", ".join(f"{h.name} {h.output_length}" for h in heads), file=str(path))
    if (shape[0] - heads[0].output_length) % 2:
        raise SpecError(f"the input ({shape[0]}) and output ({heads[0].output_length}) lengths differ by an odd "
                        "number, so the output window cannot sit in the middle of the input", file=str(path))
    return ProfileModel(model, str(path), int(shape[0]), heads)


def load_profile_model(path: str | Path) -> ProfileModel:
    from specdsl.backend.keras_model import load_model

    return as_profile_model(load_model(path), path)


def revcomp_order(tasks: int, given: Sequence[int] | None = None) -> list[int]:
    """BPReveal's ``revcomp-task-order``: where each task goes on the other strand."""
    if given is not None:
        if sorted(given) != list(range(tasks)):
            example = ",".join(str(t) for t in reversed(range(tasks)))
            raise SpecError(f"{list(given)} is not an order of the {tasks} task(s)", path="--revcomp-task-order",
                            expected=f"each of 0…{tasks - 1} once, e.g. {example}")
        return list(given)
    if tasks in (1, 2):
        return [0] if tasks == 1 else [1, 0]
    raise SpecError(f"the model has {tasks} tasks per head; which task is which strand's cannot be guessed",
                    path="--revcomp", hint="give --revcomp-task-order, e.g. 1,0,3,2")


class Predictor:
    """A profile model's logits and log counts for a batch of one-hot windows (optionally strand-averaged)."""

    def __init__(self, pm: ProfileModel, revcomp: bool = False, task_order: Sequence[int] | None = None) -> None:
        self.pm, self.revcomp = pm, revcomp
        self.orders = [revcomp_order(h.tasks, task_order) for h in pm.heads] if revcomp else []

    def __call__(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        n, heads = len(x), len(self.pm.heads)
        batch = np.concatenate([x, x[:, ::-1, ::-1]]) if self.revcomp else x
        out = self.pm.model.predict_on_batch(np.ascontiguousarray(batch, np.float32))
        out = [np.asarray(o, np.float32) for o in (out if isinstance(out, (list, tuple)) else [out])]
        logits, counts = out[:heads], [c.reshape(-1) for c in out[heads:]]
        if not self.revcomp:
            return logits, counts
        logits = [(lg[:n] + lg[n:, ::-1][:, :, order]) / 2 for lg, order in zip(logits, self.orders)]
        return logits, [(c[:n] + c[n:]) / 2 for c in counts]


@dataclass
class Inputs:
    """What to predict, read and checked (no model needed): BED regions on a genome, or FASTA records."""

    regions: Regions | None = None
    genome: Genome | None = None
    fasta: FastaIndex | None = None

    @property
    def count(self) -> int:
        return len(self.fasta.records) if self.fasta is not None else len(self.regions or ())


def read_inputs(bed: str | None, genome: str | None, fasta: str | None, *,
                names: dict[str, str] | None = None) -> Inputs:
    """Read the inputs; ``names`` gives the option or config key of each for messages."""
    names = {"bed": "--bed", "genome": "--genome", "fasta": "--fasta", **(names or {})}
    if fasta is None and (bed is None or genome is None):
        missing = names["genome"] if bed is not None else names["bed"]
        raise SpecError("a profile model predicts BED regions on a genome, or FASTA records", path=missing,
                        hint=f"give {names['bed']} REGIONS.bed and {names['genome']} GENOME.fa, or {names['fasta']} "
                             "SEQUENCES.fa")
    if fasta is not None and (bed is None) != (genome is None):
        given, other = ("bed", "genome") if bed is not None else ("genome", "bed")
        raise SpecError(f"FASTA coordinates need both a BED file and the genome; {names[other]} is missing",
                        path=names[given])
    return Inputs(read_bed(bed) if bed else None, open_genome(genome) if genome else None,
                  index_fasta(fasta) if fasta else None)


def _coordinates(checked: CheckedRegions, genome: Genome) -> Coordinates:
    r = checked.regions
    return Coordinates(genome.names, genome.sizes, checked.chrom_index, r.starts, r.ends)


def prepare(inputs: Inputs, pm: ProfileModel) -> tuple[Batches, Coordinates | None, list[str] | None]:
    """Check the inputs against the model's window; (batches, coordinates, descriptions)."""
    return prepare_windows(inputs, pm.input_length, pm.output_length)


def prepare_windows(inputs: Inputs, input_length: int,
                    output_length: int) -> tuple[Batches, Coordinates | None, list[str] | None]:
    """:func:`prepare` for any model reading ``input_length`` bp whose BED regions are ``output_length``
    wide (a classifier's are its input: both lengths equal); coordinates are the BED regions'."""
    coords = None
    checked = None
    if inputs.regions is not None and inputs.genome is not None:
        # FASTA records bring their own sequence: only their regions (not input windows) must fit the genome
        checked = check_regions(inputs.regions, inputs.genome, output_length=output_length,
                                input_length=input_length if inputs.fasta is None else output_length)
        coords = _coordinates(checked, inputs.genome)
    if inputs.fasta is not None:
        from specdsl.formats.genome import fasta_batches

        check_fasta_lengths(inputs.fasta, input_length)
        if checked is not None and len(checked.regions) != len(inputs.fasta.records):
            raise SpecError(f"the BED file has {len(checked.regions)} regions for {len(inputs.fasta.records)} FASTA "
                            "records", file=checked.regions.path, hint="coordinates give one region per record, "
                                                                       "in the same order")
        return (lambda size: fasta_batches(inputs.fasta, size)), coords, [r.header for r in inputs.fasta.records]
    from specdsl.formats.genome import region_batches

    assert checked is not None and inputs.genome is not None
    genome = inputs.genome
    return (lambda size: region_batches(checked, genome, input_length=input_length,
                                        output_length=output_length, batch_size=size)), coords, None


def check_writable(path: str | Path) -> None:
    """Fail before any work when ``path`` cannot be created (its folder read-only, a file in the way)."""
    target = Path(path)
    if target.is_dir():
        raise SpecError("is a folder; give a file name", file=str(target))
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise SpecError(f"cannot write here: {parent} is not a writable folder", file=str(target))


@dataclass(frozen=True)
class Done:
    regions: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.regions / self.seconds if self.seconds > 0 else float("inf")


def predict_to_h5(pm: ProfileModel, inputs: Inputs, output: str | Path, *, batch_size: int = 64,
                  revcomp: bool = False, task_order: Sequence[int] | None = None, config: str = "",
                  progress: Callable[[int], None] | None = None) -> Done:
    """Predict every input window and write BPReveal's prediction file at ``output``."""
    if batch_size < 1:
        raise SpecError(f"must be ≥ 1, got {batch_size}", path="--batch-size")
    batches, coords, descriptions = prepare(inputs, pm)
    predictor = Predictor(pm, revcomp, task_order)
    began = time.perf_counter()
    with create_predictions(output, inputs.count, pm.heads, config=config, descriptions=descriptions,
                            coords=coords) as writer:
        for rows, x in batches(batch_size):
            logits, counts = predictor(x)
            writer.write(rows, logits, counts)
            if progress is not None:
                progress(len(rows))
    return Done(inputs.count, time.perf_counter() - began)


__all__ = ["Done", "Inputs", "Predictor", "ProfileModel", "as_profile_model", "check_writable", "load_profile_model",
           "predict_to_h5", "prepare", "prepare_windows", "profile_heads", "read_inputs", "revcomp_order"]
