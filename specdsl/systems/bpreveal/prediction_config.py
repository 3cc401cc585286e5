"""BPReveal's ``makePredictions`` config, read verbatim and checked with every error at its key.

The keys are BPReveal 5's (``doc/bnf/makePredictions.bnf``, ``src/schematools/makePredictions.schema``)::

    {"settings": {"output-h5": "preds.h5", "batch-size": 64, "heads": 1,
                  "architecture": {"model-file": "model.keras", "input-length": 3142, "output-length": 1000}},
     "genome": "genome.fa", "bed-file": "regions.bed",            ← the BED variant, or
     "fasta-file": "seqs.fa", "coordinates": {"bed-file": …, "genome": …},   ← the FASTA variant
     "num-threads": 4, "verbosity": "INFO"}

The two input variants exclude each other, as BPReveal's ``oneOf`` has it.  An old config with
``genome`` in ``settings`` is accepted with a warning, as BPReveal 5 accepts it.  A FASTA config
without ``coordinates`` works (BPReveal 5.1.0 fails on it with a KeyError; 5.2 fixed that).
``num-threads`` is accepted; batches run on the Keras backend's own threads.  Unlike BPReveal,
unknown keys are errors with a did-you-mean, so a misspelt optional key is never silently
ignored.  Paths are relative to the working directory, as in BPReveal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from specdsl.config.reader import Node, ObjectNode, locate, read_config_file
from specdsl.config.validate import errors_against
from specdsl.errors import SpecError, SpecErrors
from specdsl.schema import Schema, choice, file_name, integer, obj

VERBOSITY = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def _optional(s: Schema) -> Schema:
    return {**s, "x-optional": True}


def schema() -> Schema:
    architecture = obj("architecture", "the model and its window", {
        "model-file": file_name("the trained model (.keras), BPReveal's or specdsl's", example="bpnet.keras"),
        "input-length": integer("input sequence length of the model, in bp", minimum=1, example=3142),
        "output-length": integer("output window length of the model, in bp", minimum=1, example=1000),
    })
    settings = obj("settings", "where the predictions go and how they are computed", {
        "output-h5": file_name("the prediction file to write (HDF5)", example="preds.h5"),
        "batch-size": integer("regions predicted at once", minimum=1, example=64),
        "heads": integer("the model's number of heads", minimum=1, example=1),
        "architecture": architecture,
        "genome": file_name("BPReveal < 5's place for the genome; give it at the top level", optional=True),
    })
    coordinates = _optional(obj("coordinates", "regions and genome that give FASTA records their coordinates", {
        "bed-file": file_name("one region per FASTA record, in order", example="regions.bed"),
        "genome": file_name("the genome the regions lie on", example="genome.fa"),
    }))
    return obj("makePredictions config", "BPReveal's makePredictions config", {
        "settings": settings,
        "genome": file_name("BED variant: the genome FASTA", optional=True),
        "bed-file": file_name("BED variant: regions, each output-length wide", optional=True),
        "fasta-file": file_name("FASTA variant: sequences, each input-length long", optional=True),
        "coordinates": coordinates,
        "num-threads": integer("accepted for BPReveal's configs; batches run on the backend's threads",
                               minimum=1, optional=True),
        "verbosity": choice("how much to print: INFO and DEBUG show the progress bar", VERBOSITY),
    })


@dataclass(frozen=True)
class ModelConfig:
    """What every BPReveal config after training names: the model, its lengths and heads; errors at its keys."""

    path: str
    root: Node
    config: dict
    model_file: str
    input_length: int
    output_length: int
    heads: int

    def error(self, message: str, *path: str, hint: str | None = None) -> SpecError:
        """A SpecError placed at the value of the key ``path`` (a model that does not fit the config)."""
        node = locate(self.root, list(path))
        return SpecError(message, span=node.span, path=".".join(path), hint=hint)


@dataclass(frozen=True)
class PredictionConfig(ModelConfig):
    """A checked makePredictions config: its inputs, model and output."""

    output_h5: str
    batch_size: int
    bed: str | None
    genome: str | None
    fasta: str | None
    verbosity: str
    warnings: tuple[str, ...] = ()


def input_variant(root: ObjectNode,
                  config: dict) -> tuple[str | None, str | None, str | None, list[str], list[SpecError]]:
    """(bed, genome, fasta, warnings, errors) from the input keys, which makePredictions and interpretFlat share:
    ``genome`` + ``bed-file``, or ``fasta-file`` with optional ``coordinates``."""
    warnings: list[str] = []
    errors: list[SpecError] = []
    settings = config.get("settings", {})
    genome = config.get("genome")
    if genome is None and "genome" in settings:
        genome = settings["genome"]
        warnings.append(f"{root.span.source.name}: settings.genome: BPReveal 5 reads the genome at the top level "
                        "(\"genome\" beside \"bed-file\"); BPReveal 6 will refuse it in settings")
    bed, fasta = config.get("bed-file"), config.get("fasta-file")

    def at(key: str, message: str, hint: str | None = None) -> None:
        node = locate(root, [key])
        errors.append(SpecError(message, span=root.key_span(key) or node.span, path=key, hint=hint))

    if bed is not None and fasta is not None:
        at("fasta-file", "give either bed-file and genome, or fasta-file, not both",
           hint="FASTA records get coordinates from \"coordinates\": {\"bed-file\": …, \"genome\": …}")
    elif bed is None and fasta is None:
        errors.append(SpecError("no input: the config needs bed-file and genome, or fasta-file", span=root.span,
                                hint="\"bed-file\": \"regions.bed\", \"genome\": \"genome.fa\" (regions of the "
                                     "output length), or \"fasta-file\": \"seqs.fa\" (records of the input length)"))
    elif bed is not None and genome is None:
        at("bed-file", "bed-file needs the genome its regions lie on: add \"genome\": \"genome.fa\"")
    elif fasta is not None and "genome" in config:
        at("genome", "with fasta-file, the genome goes in \"coordinates\" (with a bed-file), or is left out")
    elif "coordinates" in config and bed is None:
        coordinates = config["coordinates"]
        bed, genome = coordinates.get("bed-file"), coordinates.get("genome")
    return bed, genome, fasta, warnings, errors


@dataclass
class ReadConfig:
    """A BPReveal config read against its schema, its input keys resolved; ``errors`` all found so far."""

    root: ObjectNode
    config: dict
    errors: list[SpecError]
    bed: str | None
    genome: str | None
    fasta: str | None
    warnings: list[str]


def read_with_inputs(path: str | Path, config_schema: Schema) -> ReadConfig:
    """Read a config with makePredictions' input keys (makePredictions', interpretFlat's) and check it."""
    root = read_config_file(path)
    errors = errors_against(root, config_schema)
    config = root.to_python()
    if not isinstance(root, ObjectNode) or not isinstance(config, dict):
        raise SpecErrors(errors) if errors else SpecError("expected an object { … }", file=str(path))
    bed, genome, fasta, warnings, variant_errors = input_variant(root, config)
    return ReadConfig(root, config, errors + variant_errors, bed, genome, fasta, warnings)


def read_prediction_config(path: str | Path) -> PredictionConfig:
    """Read and check a makePredictions config; every error at once (SpecErrors), placed at its key."""
    read = read_with_inputs(path, schema())
    root, config, errors, bed, genome, fasta, warnings = (read.root, read.config, read.errors, read.bed, read.genome,
                                                          read.fasta, read.warnings)
    if errors:
        raise SpecErrors(errors) if len(errors) > 1 else errors[0]
    settings, architecture = config["settings"], config["settings"]["architecture"]
    return PredictionConfig(str(path), root, config, architecture["model-file"], architecture["input-length"],
                            architecture["output-length"], settings["heads"], settings["output-h5"],
                            settings["batch-size"], bed, genome, fasta, config["verbosity"], tuple(warnings))


__all__ = ["ModelConfig", "PredictionConfig", "VERBOSITY", "ReadConfig", "input_variant", "read_prediction_config",
           "read_with_inputs", "schema"]
