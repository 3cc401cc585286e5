"""BPReveal's ``interpretFlat`` config, read verbatim and checked with every error at its key.

The keys are BPReveal 5.2's (``doc/bnf/interpretFlat.bnf``, ``src/interpretFlat.py``, its schema)::

    {"genome": "genome.fa", "bed-file": "peaks.bed",          ← regions of the output length, or
     "fasta-file": "seqs.fa", "coordinates": {"bed-file": …, "genome": …},   ← records of the input length
     "model-file": "bpnet.keras", "input-length": 3142, "output-length": 1000,
     "heads": 1, "head-id": 0, "profile-task-ids": [0, 1],
     "profile-h5": "profile_scores.h5", "counts-h5": "counts_scores.h5",
     "num-shuffles": 20, "kmer-size": 1, "verbosity": "INFO"}

The input keys are makePredictions' (:func:`.prediction_config.input_variant`).  As in BPReveal ≥ 5.2.1,
either output may be left out, the profile one with its ``profile-task-ids``: one metric is then run,
with a warning.  ``kmer-size`` defaults to 1.  Unlike BPReveal, unknown keys are errors with a
did-you-mean, and the references differ (documented in :mod:`specdsl.interpret.score_files`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from specdsl.config.reader import ObjectNode, locate
from specdsl.errors import SpecError, SpecErrors
from specdsl.schema import Schema, choice, file_name, integer, list_of, obj
from specdsl.systems.bpreveal.prediction_config import VERBOSITY, ModelConfig, read_with_inputs


def schema() -> Schema:
    coordinates = {**obj("coordinates", "regions and genome that give FASTA records their coordinates", {
        "bed-file": file_name("one region per FASTA record, in order", example="regions.bed"),
        "genome": file_name("the genome the regions lie on", example="genome.fa"),
    }), "x-optional": True}
    task = integer("a task of the head (0-based)", minimum=0, example=0)
    return obj("interpretFlat config", "BPReveal's interpretFlat config", {
        "genome": file_name("BED variant: the genome FASTA", optional=True),
        "bed-file": file_name("BED variant: regions, each output-length wide", optional=True),
        "fasta-file": file_name("FASTA variant: sequences, each input-length long", optional=True),
        "coordinates": coordinates,
        "model-file": file_name("the trained model (.keras), BPReveal's or specdsl's", example="bpnet.keras"),
        "input-length": integer("input sequence length of the model, in bp", minimum=1, example=3142),
        "output-length": integer("output window length of the model, in bp", minimum=1, example=1000),
        "heads": integer("the model's number of heads", minimum=1, example=1),
        "head-id": integer("the head to explain (0-based)", minimum=0, example=0),
        "profile-task-ids": {**list_of(task, "the tasks of the head the profile metric sums over"),
                             "x-optional": True},
        "profile-h5": file_name("where the profile metric's scores go (HDF5)", optional=True),
        "counts-h5": file_name("where the counts metric's scores go (HDF5)", optional=True),
        "num-shuffles": integer("shuffled references per sequence (BPReveal recommends 20)", minimum=1, example=20),
        "kmer-size": integer("the k-mer counts each shuffle keeps: 1 mononucleotide, 2 dinucleotide, …",
                             minimum=1, default=1),
        "verbosity": choice("how much to print: INFO and DEBUG show the progress bar", VERBOSITY),
    })


@dataclass(frozen=True)
class InterpretConfig(ModelConfig):
    """A checked interpretFlat config: its inputs, model, metrics and outputs."""

    head_id: int
    profile_tasks: tuple[int, ...] | None
    profile_h5: str | None
    counts_h5: str | None
    num_shuffles: int
    kmer_size: int
    bed: str | None
    genome: str | None
    fasta: str | None
    verbosity: str
    warnings: tuple[str, ...] = ()


def _outputs(root: ObjectNode, config: dict, name: str) -> tuple[list[str], list[SpecError]]:
    """BPReveal 5.2.1's anyOf(profile-h5 + profile-task-ids, counts-h5): (warnings, errors)."""
    def at(key: str, message: str) -> SpecError:
        return SpecError(message, span=root.key_span(key) or locate(root, [key]).span, path=key)

    profile, tasks, counts = (key in config for key in ("profile-h5", "profile-task-ids", "counts-h5"))
    if profile != tasks:
        given, other = ("profile-h5", "profile-task-ids") if profile else ("profile-task-ids", "profile-h5")
        return [], [at(given, f"{given} goes with {other}: the profile metric needs both")]
    if not profile and not counts:
        return [], [SpecError("no output: give profile-h5 with profile-task-ids, counts-h5, or both", span=root.span,
                              hint="\"profile-h5\": \"profile.h5\", \"profile-task-ids\": [0, 1], "
                                   "\"counts-h5\": \"counts.h5\"")]
    if profile and counts:
        return [], []
    missing = "counts-h5" if profile else "profile-h5 (with profile-task-ids)"
    return [f"{name}: no {missing}: only the {'profile' if profile else 'counts'} metric is run"], []


def read_interpret_config(path: str | Path) -> InterpretConfig:
    """Read and check an interpretFlat config; every error at once (SpecErrors), placed at its key."""
    read = read_with_inputs(path, schema())
    root, config = read.root, read.config
    output_warnings, output_errors = _outputs(root, config, root.span.source.name)
    errors = read.errors + output_errors
    head, heads = config.get("head-id"), config.get("heads")
    if isinstance(head, int) and isinstance(heads, int) and 0 <= heads <= head:
        errors.append(SpecError(f"head {config['head-id']} of {config['heads']}: head-id counts from 0",
                                span=locate(root, ["head-id"]).span, path="head-id"))
    if errors:
        raise SpecErrors(errors) if len(errors) > 1 else errors[0]
    tasks = config.get("profile-task-ids")
    return InterpretConfig(str(path), root, config, config["model-file"], config["input-length"],
                           config["output-length"], config["heads"], config["head-id"],
                           None if tasks is None else tuple(tasks), config.get("profile-h5"), config.get("counts-h5"),
                           config["num-shuffles"], config.get("kmer-size", 1), read.bed, read.genome, read.fasta,
                           config["verbosity"], tuple(read.warnings + output_warnings))


__all__ = ["InterpretConfig", "read_interpret_config", "schema"]
