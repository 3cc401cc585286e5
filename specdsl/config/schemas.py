"""The keys config kinds share, declared once as JSON Schema fragments, and the schema lookup.

Keys that mean the same thing in several kinds (``bpreveal-solo``'s and ``specdsl-train``'s
epochs, learning rate, heads …) come from one factory here, so their doc line and range are
written once and heads can be copied between kinds.  Each kind's whole schema lives in its
own module (:mod:`.kinds`); :func:`schema_of` looks it up.
"""

from __future__ import annotations

from typing import Any

from specdsl.schema import WORDS, Schema, choice, file_name, fraction, integer, list_of, string
from specdsl.training.heads.schema import bpreveal_head_schema

BPREVEAL_SOLO = "bpreveal-solo"
SPECDSL_TRAIN = "specdsl-train"
VERBOSITY_LEVELS = ["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]
OPTIMIZERS = ["adam", "adamw", "nadam", "rmsprop", "sgd"]


# ---------------------------------------------------------------- keys shared by both kinds


def output_prefix() -> Schema:
    return file_name("Where the outputs go: PREFIX.keras (the model), PREFIX.checkpoint.keras (best epoch) "
                     "and PREFIX.history.json (the loss history).", example="models/solo")


def data_file(which: str, example: str) -> Schema:
    return file_name(f"The {which} HDF5 file written by prepareTrainingData (one-hot sequences and profiles).",
                     example=example)


def epochs(**kw: Any) -> Schema:
    return integer("The most passes over the training data; early stopping usually ends the run sooner.",
                   minimum=1, example=200, **kw)


def batch_size(**kw: Any) -> Schema:
    return integer("How many regions the network sees per step; about 64 fits most GPUs.", minimum=1,
                   example=64, **kw)


def max_jitter(**kw: Any) -> Schema:
    return integer("The largest random shift of each region during training, in bases; must equal the jitter "
                   "the data files were prepared with.", minimum=0, example=100, **kw)


def early_stopping_patience(**kw: Any) -> Schema:
    return integer("Epochs without a better validation loss before training stops (the best weights are kept); "
                   "about twice the plateau patience, e.g. 11.", minimum=0, example=11, **kw)


def plateau_patience(**kw: Any) -> Schema:
    return integer("Epochs without a better validation loss before the learning rate is halved, e.g. 5.",
                   minimum=0, example=5, **kw)


def learning_rate(**kw: Any) -> Schema:
    return fraction("The optimizer's initial learning rate, in (0, 1]; 0.004 is a good start.", example=0.004,
                    **kw)


def input_length(**kw: Any) -> Schema:
    return integer("Length of the input sequence in bases; longer than output-length so the model sees "
                   "context outside its output window.", minimum=1, example=3142, **kw)


def output_length(**kw: Any) -> Schema:
    return integer("Length of the predicted profile in bases, usually about 1000.", minimum=1, example=1000, **kw)


def model_name(**kw: Any) -> Schema:
    return string("A name stored with the model; not used for training.", allow_empty=True, example="solo", **kw)


def spec_files() -> Schema:
    """The ``spec-files`` key (:mod:`specdsl.config.user_presets` reads it)."""
    item = file_name("A spec file (presets written in specdsl's language), relative to this config file's "
                     "folder.", example="my_models.spec")
    return {**list_of(item, "Spec files whose presets this config names by their bare name, e.g. "
                            '"preset": "MethylNet" for a preset in my_models.spec; paths are relative to this '
                            "config file's folder, as in \"preset\": \"my_models.spec:MethylNet\". A listed file's "
                            "preset wins over a built-in preset of the same name; a name two listed files define "
                            "must be written FILE.spec:NAME.", min_items=0),
            "default": [], "examples": [["my_models.spec"]], WORDS: "a list of file names"}


def verbosity(**kw: Any) -> Schema:
    return choice("How much the run logs, from least to most.", VERBOSITY_LEVELS, example="INFO", **kw)


HEAD = bpreveal_head_schema()


def heads() -> Schema:
    return list_of(HEAD, "The output heads, one per experiment or factor.")
