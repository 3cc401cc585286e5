"""``specdsl-train`` → training IR: any architecture string or preset, any head kinds, any reader.

The architecture string is parsed here, once, with the config's positions, and the IR
carries the parsed chain.  Model inputs are bound to reader fields by the reader
(:meth:`Reader.bind_inputs`: the ``inputs`` map, the reader's aliases, else the input's
name), and each head item is converted by its kind (:meth:`HeadKind.from_config`), so
nothing here knows a particular reader or head kind.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

from specdsl.config.bodies import body_preset
from specdsl.config.kind import ConfigKind, register
from specdsl.config.schemas import (
    OPTIMIZERS,
    SPECDSL_TRAIN,
    batch_size,
    early_stopping_patience,
    epochs,
    input_length,
    learning_rate,
    model_name,
    output_length,
    output_prefix,
    plateau_patience,
    spec_files,
    verbosity,
)
from specdsl.config.user_presets import BUILT_IN, ConfigPresets
from specdsl.errors import Source
from specdsl.schema import (
    Schema,
    boolean,
    choice,
    constant,
    document,
    either,
    file_name,
    integer,
    list_of,
    map_of,
    number,
    obj,
    string,
    tagged,
)
from specdsl.training.ir import (
    BodyIR,
    DataIR,
    HeadIR,
    OptimizerIR,
    OutputIR,
    RuntimeIR,
    ScheduleIR,
    TrainingIR,
    settings,
)

BPREVEAL_READER = "bpreveal-h5"


_PRESET = obj("preset-architecture", "A named preset (see 'specdsl presets') with parameter overrides.", {
    "preset": string("The preset's name: a built-in one (see 'specdsl presets'), one of the spec-files' presets, or "
                     "FILE.spec:NAME for a preset of a spec file beside this config.", example="BPNet"),
    "params": map_of("params", "Overrides for the preset's parameters, by name.",
                     {"type": ["integer", "number", "string", "boolean"],
                      "description": "A parameter value."},
                     default={}, example={"filters": 64, "layers": 9}),
    "point": map_of("point", "For a preset that is a search space (see 'specdsl space'): the values of its axes, "
                             "by name; axes left out take their first value (the default point).",
                    {"type": ["integer", "number", "string", "boolean"], "description": "An axis value."},
                    default={}, example={}),
})

_MODEL = obj("model", "The network and the lengths it works on.", {
    "architecture": either("The network: an architecture string, or a preset with parameter overrides.",
                           {**string("An architecture string (see 'specdsl kinds'), or FILE.spec:NAME: a preset of a "
                                     "spec file, relative to this config file's folder.",
                                     example="conv[64@25]_dilres[9]"), "title": "architecture string"},
                           _PRESET),
    "input-length": input_length(optional=True),
    "output-length": output_length(optional=True),
    "output-filter-width": integer("Width of the profile convolution each head adds to an architecture string "
                                   "(a preset uses its own output_filter_width parameter).", minimum=1, default=75),
    "model-name": model_name(optional=True),
    "start-from": file_name("A trained model (.keras; specdsl's or BPReveal's) whose weights this run starts from: "
                            "every layer with the same name and shapes, output layers included.",
                            example="models/bpnet.keras", optional=True),
})


def _files_schema(which: str) -> Schema:
    one = file_name(f"A {which} data file.", example=f"data/{which}.h5")
    return either(f"The {which} data: one file or a list of files.", one,
                  list_of(file_name(f"A {which} data file.", example="data/c1_000000-032768.h5"),
                          f"The {which} data files."))


def _data() -> Schema:
    from specdsl.training.readers import all_readers

    variants = {}
    for name, reader in all_readers().items():
        tag = constant(f"Which reader reads the files: {reader.doc}.", name, optional=name == "bpreveal-h5")
        val = _files_schema("validation")
        if not reader.needs_val:
            val = {**val, "x-optional": True}
        variants[name] = obj(f"{name} data", f"Data read by {name}: {reader.doc}.", {
            "reader": tag, "train": _files_schema("training"), "val": val, **reader.schema_properties()})
    return tagged("The training and validation data and the reader for their format.", "reader", "bpreveal-h5",
                  variants)


def _lr_schedule() -> Schema:
    from specdsl.training.schedules import schedule_schema  # the schedule registry; no TensorFlow

    return schedule_schema()


_OPTIMIZER = obj("optimizer", "The optimizer (a Keras optimizer) and its learning rate.", {
    "name": choice("Which optimizer.", OPTIMIZERS, default="adam"),
    "learning-rate": learning_rate(default=0.004),
}, default={})

_SCHEDULE = obj("schedule", "How long to train and when to slow down or stop.", {
    "epochs": epochs(default=200),
    "batch-size": batch_size(default=64),
    "early-stopping-patience": early_stopping_patience(default=11),
    "learning-rate-plateau-patience": plateau_patience(default=5),
    "learning-rate-decay": number("Multiply the learning rate by this after every epoch (DeepCpG's exponential "
                                  "schedule, 0.975); leave out to halve it on plateaus instead.",
                                  exclusive_minimum=0, maximum=1, optional=True, example=0.975),
    "train-examples": integer("At most this many training examples per epoch (the first ones; DeepCpG's "
                              "--nb_train_sample).", minimum=1, optional=True, example=100000),
    "val-examples": integer("At most this many validation examples.", minimum=1, optional=True, example=20000),
    "lr-schedule": _lr_schedule(),
}, default={})

_RUNTIME = obj("runtime", "How the run executes: logging, randomness, numeric precision, compilation, devices.", {
    "verbosity": verbosity(default="INFO"),
    "seed": integer("Seed for every random generator, for repeatable runs; leave out for a random seed.",
                    minimum=0, example=1234, optional=True),
    "mixed-precision": boolean("Compute in float16 with float32 weights (faster on recent GPUs).", default=False),
    "xla": boolean("Compile the training step with XLA on TensorFlow (jit_compile; not with several "
                   "TensorFlow devices, where Keras cannot) or with torch.compile on PyTorch. On JAX the step "
                   "is always compiled.", default=False),
    "device": choice("Where to train: auto (every GPU, else the CPU), gpu (every GPU; the run fails at once when "
                     "there is none instead of falling back to the CPU) or cpu. Several devices train "
                     "data-parallel; see docs/devices.md.", ["auto", "cpu", "gpu"], default="auto"),
    "backend": choice("The Keras backend to train with: auto (KERAS_BACKEND if set, else the first installed of "
                      "tensorflow, jax, torch), tensorflow, jax or torch; --backend on the command line overrides "
                      "it. A .keras file trained on one loads on the others.",
                      ["auto", "tensorflow", "jax", "torch"], default="auto"),
}, default={})

@cache
def schema() -> Schema:
    """Built on first use: its heads and data sections come from the head and reader registries."""
    return document(SPECDSL_TRAIN, obj(
        SPECDSL_TRAIN,
        "specdsl's own training configuration: any architecture string or preset, BPReveal-style heads and losses.", {
            "kind": constant("Names this kind of config.", SPECDSL_TRAIN),
            "output-prefix": output_prefix(),
            "spec-files": spec_files(),
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


def _any_heads() -> Schema:
    from specdsl.training.heads import all_head_kinds

    kinds = {name: kind.schema() for name, kind in all_head_kinds().items()}
    return list_of(tagged("One output head; its kind says which keys it has.", "kind", "profile", kinds),
                   "The output heads: profile (BPReveal), binary, multiclass, regression or labels "
                   "(one label per position).")


def _files(value: str | list[str] | None) -> tuple[str, ...]:
    """File names as written; a name with ``*``, ``?`` or ``[`` is a glob (DeepCpG users write
    ``data/c{1,3,5}_*.h5`` in the shell), expanded in sorted order.  A glob that matches
    nothing stays as written, so the reader reports it as a missing file."""
    import glob

    names = [] if value is None else [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for name in names:
        matches = sorted(glob.glob(name)) if glob.has_magic(name) else []
        out += matches or [name]
    return tuple(out)


def _spec_file_string(model: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """``"architecture": "my.spec:PromCnn"`` read as ``{"preset": "my.spec:PromCnn"}`` (everything after
    treats it as the preset it is), and the key a problem with it is said at."""
    from specdsl.language.model import spec_file_target

    arch = model["architecture"]
    if isinstance(arch, str) and spec_file_target(arch.strip()) is not None:
        return {**model, "architecture": {"preset": arch.strip()}}, "model.architecture"
    return model, "model.architecture.preset"


def _body(model: dict[str, Any], source: str, reader: Any, inputs: dict[str, str],
          presets: ConfigPresets = BUILT_IN, at: str = "model.architecture.preset") -> BodyIR:
    from specdsl.language.adhoc import adhoc_preset
    from specdsl.language.parsing import parse_chain

    arch = model["architecture"]
    if not isinstance(arch, str):
        params = dict(arch.get("params", {}))
        body = body_preset(arch["preset"], params, presets=presets, at=at)
        if arch.get("point"):
            body = bound_point(body, dict(arch["point"]))
        declared = body.preset.param_defaults()
        if "input_length" in declared and model.get("input-length") is not None:
            body = BodyIR(body.preset, settings(params, input_length=model["input-length"]), body.label)
        return body
    chain = parse_chain(arch, Source(f"{source} (model.architecture)", arch))
    name = reader.single_input or (next(iter(inputs)) if len(inputs) == 1 else "input")
    shape = reader.input_shape(name, model)
    return BodyIR(adhoc_preset(arch, chain, shape=shape, input_name=name, node_name="body"), (), arch)


def bound_point(body: BodyIR, point: dict[str, Any]) -> BodyIR:
    """The body at one point of a search-space preset: the search-free preset of that point, with the
    parameters it still declares (Capfinder's final training of a chosen point, from a native config)."""
    from specdsl.language.spaces.space import Space

    bound = Space.from_preset(body.preset, body.params_dict()).bind(point)
    declared = bound.param_defaults()
    return BodyIR(bound, settings({k: v for k, v in body.params_dict().items() if k in declared}), body.label)


def _heads(items: list[dict[str, Any]], model: dict[str, Any]) -> tuple[HeadIR, ...]:
    from specdsl.training.heads import head_kind

    return tuple(head_kind(item.get("kind", "profile")).from_config(item, f"heads[{i}]", model)
                 for i, item in enumerate(items))


def _from_specdsl(cfg: dict[str, Any], source: str) -> TrainingIR:
    d, o, s, r = cfg["data"], cfg["optimizer"], cfg["schedule"], cfg["runtime"]
    m, at = _spec_file_string(cfg["model"])
    from specdsl.training.readers import get_reader

    reader = get_reader(d.get("reader", BPREVEAL_READER))
    body = _body(m, source, reader, cfg.get("inputs", {}), ConfigPresets(source, cfg.get("spec-files", ())), at)
    if m.get("start-from"):
        from specdsl.training.start_from import WHOLE_MODEL

        body = replace(body, start_from=((WHOLE_MODEL, m["start-from"]),))
    reader_settings = {k.replace("-", "_"): v for k, v in d.items() if k not in ("reader", "train", "val")}
    decay = s.get("learning-rate-decay")
    lr_schedule = settings(s.get("lr-schedule"))
    return TrainingIR(
        kind=SPECDSL_TRAIN, source=source, inputs=reader.bind_inputs(body.preset, m, cfg.get("inputs", {})),
        body=body, heads=_heads(cfg["heads"], {**m, "preset-params": body.params_dict(), "config-path": "model",
                                               "preset-defaults": body.preset.param_defaults()}),
        data=DataIR(reader.name, _files(d["train"]), _files(d.get("val")), settings(reader_settings)),
        optimizer=OptimizerIR(o["name"], float(o["learning-rate"])),
        schedule=ScheduleIR(s["epochs"], s["batch-size"], early_stopping_patience=s["early-stopping-patience"],
                            lr_plateau_patience=None if decay or lr_schedule else s["learning-rate-plateau-patience"],
                            lr_decay=None if lr_schedule else decay, train_examples=s.get("train-examples"),
                            val_examples=s.get("val-examples"), lr_schedule=lr_schedule),
        runtime=RuntimeIR(r["verbosity"], r.get("seed"), r["mixed-precision"], r["xla"], r["device"],
                          r["backend"]),
        output=OutputIR(cfg["output-prefix"], "prefix", "output-prefix"),
        model_name=m.get("model-name") or None, config=cfg)


register(ConfigKind(SPECDSL_TRAIN, "specdsl's own training config", schema, _from_specdsl, order=1))
