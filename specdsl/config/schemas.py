"""The config kinds, each declared once as a JSON Schema.

``bpreveal-solo`` accepts BPReveal's ``trainSoloModel`` configs verbatim (same
keys, same nesting, same requirements), but, unlike BPReveal, rejects unknown
keys, so a typo in an optional key is reported instead of silently ignored,
and checks ranges (``filters`` ≥ 1 and so on).  ``specdsl-train`` is specdsl's
own layout: an architecture string or a preset, and sections with defaults.

Keys that mean the same thing in both kinds come from one factory below, so
their doc line and range are written once; the ``heads`` list is the very same
schema, so heads can be copied between the two kinds.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from ..errors import SpecError, did_you_mean
from .head_schema import bpreveal_head_schema
from .schema import (
    Schema,
    boolean,
    choice,
    constant,
    document,
    either,
    file_name,
    fraction,
    integer,
    list_of,
    map_of,
    number,
    obj,
    string,
    tagged,
)

BPREVEAL_SOLO = "bpreveal-solo"
SPECDSL_TRAIN = "specdsl-train"
VERBOSITY_LEVELS = ["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]
OPTIMIZERS = ["adam", "adamw", "nadam", "rmsprop", "sgd"]


# ---------------------------------------------------------------- keys shared by both kinds


def _output_prefix() -> Schema:
    return file_name("Where the outputs go: PREFIX.keras (the model), PREFIX.checkpoint.keras (best epoch) "
                     "and PREFIX.history.json (the loss history).", example="models/solo")


def _data_file(which: str, example: str) -> Schema:
    return file_name(f"The {which} HDF5 file written by prepareTrainingData (one-hot sequences and profiles).",
                     example=example)


def _epochs(**kw: Any) -> Schema:
    return integer("The most passes over the training data; early stopping usually ends the run sooner.",
                   minimum=1, example=200, **kw)


def _batch_size(**kw: Any) -> Schema:
    return integer("How many regions the network sees per step; about 64 fits most GPUs.", minimum=1,
                   example=64, **kw)


def _max_jitter(**kw: Any) -> Schema:
    return integer("The largest random shift of each region during training, in bases; must equal the jitter "
                   "the data files were prepared with.", minimum=0, example=100, **kw)


def _early_stopping_patience(**kw: Any) -> Schema:
    return integer("Epochs without a better validation loss before training stops (the best weights are kept); "
                   "about twice the plateau patience, e.g. 11.", minimum=0, example=11, **kw)


def _plateau_patience(**kw: Any) -> Schema:
    return integer("Epochs without a better validation loss before the learning rate is halved, e.g. 5.",
                   minimum=0, example=5, **kw)


def _learning_rate(**kw: Any) -> Schema:
    return fraction("The optimizer's initial learning rate, in (0, 1]; 0.004 is a good start.", example=0.004,
                    **kw)


def _input_length(**kw: Any) -> Schema:
    return integer("Length of the input sequence in bases; longer than output-length so the model sees "
                   "context outside its output window.", minimum=1, example=3142, **kw)


def _output_length(**kw: Any) -> Schema:
    return integer("Length of the predicted profile in bases, usually about 1000.", minimum=1, example=1000, **kw)


def _model_name(**kw: Any) -> Schema:
    return string("A name stored with the model; not used for training.", allow_empty=True, example="solo", **kw)


def _verbosity(**kw: Any) -> Schema:
    return choice("How much the run logs, from least to most.", VERBOSITY_LEVELS, example="INFO", **kw)


HEAD = bpreveal_head_schema()


def _heads() -> Schema:
    return list_of(HEAD, "The output heads, one per experiment or factor.")


def _any_heads() -> Schema:
    from ..training.heads import all_head_kinds

    kinds = {name: kind.schema() for name, kind in all_head_kinds().items()}
    return list_of(tagged("One output head; its kind says which keys it has.", "kind", "profile", kinds),
                   "The output heads: profile (BPReveal), binary, multiclass or regression.")


# ---------------------------------------------------------------- bpreveal-solo


_BPNET = obj("architecture", "The BPNet-style network (BPReveal's only solo architecture).", {
    "architecture-name": choice("The kind of network; BPReveal knows only \"bpnet\".", ["bpnet"], example="bpnet"),
    "input-length": _input_length(),
    "output-length": _output_length(),
    "model-name": _model_name(),
    "model-args": string("Reserved by BPReveal for future architecture options; unused.", allow_empty=True,
                         example="", optional=True),
    "filters": integer("Convolution filters in every layer, typically 32 to 128.", minimum=1, example=64),
    "layers": integer("How many dilated residual layers (dilations 2, 4, ..., 2^layers).", minimum=0, example=9),
    "input-filter-width": integer("Width of the first, motif-scanning convolution, e.g. 7 to 25.", minimum=1,
                                  example=25),
    "output-filter-width": integer("Width of the last convolution that makes the profile, e.g. 25 to 75.",
                                   minimum=1, example=75),
})

_SOLO_SETTINGS = obj("settings", "Training settings and the architecture.", {
    "output-prefix": _output_prefix(),
    "epochs": _epochs(),
    "max-jitter": _max_jitter(),
    "early-stopping-patience": _early_stopping_patience(),
    "batch-size": _batch_size(),
    "learning-rate": _learning_rate(),
    "learning-rate-plateau-patience": _plateau_patience(),
    "architecture": _BPNET,
}, foreign={"transformation-model": "transformation-model belongs to trainCombinedModel configs; this is a "
                                    "trainSoloModel config"})

_SOLO = document(BPREVEAL_SOLO, obj(
    BPREVEAL_SOLO,
    "BPReveal's trainSoloModel configuration, accepted verbatim; unknown keys are errors.", {
        "settings": _SOLO_SETTINGS,
        "train-data": _data_file("training", "data/train.h5"),
        "val-data": _data_file("validation", "data/val.h5"),
        "heads": _heads(),
        "verbosity": _verbosity(),
        "kind": constant("Names this kind explicitly; BPReveal ignores it.", BPREVEAL_SOLO, optional=True),
    }))


# ---------------------------------------------------------------- specdsl-train


_PRESET = obj("preset-architecture", "A named preset (see 'specdsl presets') with parameter overrides.", {
    "preset": string("The preset's name.", example="BPNet"),
    "params": map_of("params", "Overrides for the preset's parameters, by name.",
                     {"type": ["integer", "number", "string", "boolean"],
                      "description": "A parameter value."},
                     default={}, example={"filters": 64, "layers": 9}),
})

_MODEL = obj("model", "The network and the lengths it works on.", {
    "architecture": either("The network: an architecture string, or a preset with parameter overrides.",
                           {**string("An architecture string (see 'specdsl kinds').",
                                     example="conv[64@25]_dilres[9]"), "title": "architecture string"},
                           _PRESET),
    "input-length": _input_length(optional=True),
    "output-length": _output_length(optional=True),
    "output-filter-width": integer("Width of the profile convolution each head adds to an architecture string "
                                   "(a preset uses its own output_filter_width parameter).", minimum=1, default=75),
    "model-name": _model_name(optional=True),
})

def _files(which: str) -> Schema:
    one = file_name(f"A {which} data file.", example=f"data/{which}.h5")
    return either(f"The {which} data: one file or a list of files.", one,
                  list_of(file_name(f"A {which} data file.", example="data/c1_000000-032768.h5"),
                          f"The {which} data files."))


def _data() -> Schema:
    from ..training.readers import all_readers

    variants = {}
    for name, reader in all_readers().items():
        tag = constant(f"Which reader reads the files: {reader.doc}.", name, optional=name == "bpreveal-h5")
        val = _files("validation")
        if not reader.needs_val:
            val = {**val, "x-optional": True}
        variants[name] = obj(f"{name} data", f"Data read by {name}: {reader.doc}.", {
            "reader": tag, "train": _files("training"), "val": val, **reader.schema_properties()})
    return tagged("The training and validation data and the reader for their format.", "reader", "bpreveal-h5",
                  variants)


_OPTIMIZER = obj("optimizer", "The optimizer (a Keras optimizer) and its learning rate.", {
    "name": choice("Which optimizer.", OPTIMIZERS, default="adam"),
    "learning-rate": _learning_rate(default=0.004),
}, default={})

_SCHEDULE = obj("schedule", "How long to train and when to slow down or stop.", {
    "epochs": _epochs(default=200),
    "batch-size": _batch_size(default=64),
    "early-stopping-patience": _early_stopping_patience(default=11),
    "learning-rate-plateau-patience": _plateau_patience(default=5),
    "learning-rate-decay": number("Multiply the learning rate by this after every epoch (DeepCpG's exponential "
                                  "schedule, 0.975); leave out to halve it on plateaus instead.",
                                  exclusive_minimum=0, maximum=1, optional=True, example=0.975),
    "train-examples": integer("At most this many training examples per epoch (the first ones; DeepCpG's "
                              "--nb_train_sample).", minimum=1, optional=True, example=100000),
    "val-examples": integer("At most this many validation examples.", minimum=1, optional=True, example=20000),
}, default={})

_RUNTIME = obj("runtime", "How the run executes: logging, randomness, numeric precision, compilation.", {
    "verbosity": _verbosity(default="INFO"),
    "seed": integer("Seed for every random generator, for repeatable runs; leave out for a random seed.",
                    minimum=0, example=1234, optional=True),
    "mixed-precision": boolean("Compute in float16 with float32 weights (faster on recent GPUs).", default=False),
    "xla": boolean("Compile the training step with XLA (jit_compile).", default=False),
}, default={})

def _train() -> Schema:
    """Built on first use: its heads and data sections come from the head and reader registries."""
    return document(SPECDSL_TRAIN, obj(
        SPECDSL_TRAIN,
        "specdsl's own training configuration: any architecture string or preset, BPReveal-style heads and losses.", {
            "kind": constant("Names this kind of config.", SPECDSL_TRAIN),
            "output-prefix": _output_prefix(),
            "model": _MODEL,
            "heads": _any_heads(),
            "inputs": map_of("inputs", "Which data field feeds each model input (default: the input's name with "
                             "_ read as /, e.g. cpg_state ← cpg/state).",
                             {"type": "string", "description": "A field of the reader, e.g. dna or cpg/state."},
                             default={}, example={"dna": "dna", "cpg_state": "cpg/state"}),
            "data": _data(),
            "optimizer": _OPTIMIZER,
            "schedule": _SCHEDULE,
            "runtime": _RUNTIME,
        }))


_BUILDERS = {BPREVEAL_SOLO: lambda: _SOLO, SPECDSL_TRAIN: _train}
KINDS: tuple[str, ...] = tuple(_BUILDERS)


def check_kind(kind: str) -> str:
    """``kind`` if it names a config kind, else a SpecError with a suggestion."""
    if kind not in _BUILDERS:
        raise SpecError(f"unknown config kind '{kind}'", expected="one of " + ", ".join(KINDS),
                        hint=did_you_mean(kind, KINDS))
    return kind


def schema_of(kind: str) -> Schema:
    """The schema itself (shared, do not mutate); :func:`schema_json` hands out copies."""
    return _built(check_kind(kind))


@cache
def _built(kind: str) -> Schema:
    return _BUILDERS[kind]()


@cache
def _public(kind: str) -> Schema:
    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if not k.startswith("x-")}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value
    return clean(schema_of(kind))


def schema_json(kind: str) -> dict[str, Any]:
    """The JSON Schema of a config kind (for ``specdsl schema NAME --json`` and editor completion)."""
    return copy.deepcopy(_public(kind))
