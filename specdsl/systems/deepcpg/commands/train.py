"""``specdsl deepcpg train``: DeepCpG's ``dcpg_train.py`` command line, unchanged, on specdsl.

The options are parsed here and become the one training IR (``deepcpg-h5`` reader, one
``binary`` head over the cells, DeepCpG's presets as the body); the run is the same as
``specdsl train``.  Defaults are dcpg_train.py's.  Deliberate differences, all documented
in docs/deepcpg.md: a run without ``--val_files`` works (DeepCpG computes
``None // batch_size`` and fails), artifacts are ``model.keras`` (best validation epoch),
``history.json``, ``history.png`` and DeepCpG's ``lc_train.tsv``/``lc_val.tsv`` in the out dir.

Staged training: ``--dna_model``/``--cpg_model`` may name the out dir (or its
``model.keras``) of an earlier ``specdsl deepcpg train``; its stem is rebuilt from the
architecture recorded in its ``history.json`` and its weights copied by layer name, and
its output layers are dropped, as DeepCpG's ``remove_outputs`` does.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from specdsl.errors import SpecError, did_you_mean
from specdsl.options import ToolParser
from specdsl.training.ir import (
    BodyIR,
    DataIR,
    HeadIR,
    InputIR,
    OptimizerIR,
    OutputIR,
    RuntimeIR,
    ScheduleIR,
    TrainabilityIR,
    TrainingIR,
    settings,
)

KIND = "deepcpg-train"
FAMILIES = {"dna": "deepcpg-dna", "cpg": "deepcpg-cpg", "joint": "deepcpg-joint"}


def build_parser() -> ToolParser:
    p = ToolParser("specdsl deepcpg train", "dcpg_train.py",
                   "Trains a DNA, CpG or joint DeepCpG model to predict CpG methylation of multiple cells.")
    p.add_argument("train_files", nargs="+", help="training data files")
    p.add_argument("--val_files", nargs="+", help="validation data files")
    p.add_argument("-o", "--out_dir", default="./train", help="output directory")
    p.add_argument("--dna_model", nargs="+", help="DNA model name, or the out dir of a trained one")
    p.add_argument("--dna_wlen", type=int, help="DNA window length")
    p.add_argument("--cpg_model", nargs="+", help="CpG model name, or the out dir of a trained one")
    p.add_argument("--cpg_wlen", type=int, help="CpG window length")
    p.add_argument("--joint_model", default="JointL2h512", help="joint model name")
    p.unsupported("--model_files", nargs="+", why="--model_files (continue a whole trained model) is not implemented; "
                                                  "give its out dir as --dna_model DIR --cpg_model DIR instead")
    p.add_argument("--fine_tune", action="store_true", help="only train the output layers")
    p.add_argument("--train_models", choices=["dna", "cpg", "joint"], nargs="+", help="only train these parts")
    p.add_argument("--trainable", nargs="+", help="regexes of layers that train")
    p.add_argument("--not_trainable", nargs="+", help="regexes of layers that do not train")
    p.unsupported("--freeze_filter", nargs=0, why="--freeze_filter is not implemented; freeze the first convolution "
                                                 "with --not_trainable dna/conv1")
    p.unsupported("--filter_weights", nargs="+", why="--filter_weights (initialising filters from an HDF5 file) is not "
                                                    "implemented; start from a trained model with --dna_model DIR")
    p.add_argument("--learning_rate", type=float, default=0.0001, help="initial learning rate of Adam")
    p.add_argument("--learning_rate_decay", type=float, default=0.975,
                   help="the learning rate is multiplied by this after every epoch")
    p.add_argument("--nb_epoch", type=int, default=30, help="maximum number of epochs")
    p.add_argument("--nb_train_sample", type=int, help="train on only the first N sites of the training files")
    p.add_argument("--nb_val_sample", type=int, help="validate on only the first N sites of the validation files")
    p.add_argument("--batch_size", type=int, default=128, help="sites per batch")
    p.add_argument("--early_stopping", type=int, default=5,
                   help="stop after this many epochs without a better validation loss (0: never)")
    p.add_argument("--dropout", type=float, default=0.0, help="dropout rate of the model's hidden layers")
    p.add_argument("--l1_decay", type=float, default=0.0001, help="L1 weight decay of the model's layers")
    p.add_argument("--l2_decay", type=float, default=0.0001, help="L2 weight decay of the model's layers")
    p.add_argument("--no_tensorboard", action="store_true", help="accepted; specdsl writes no TensorBoard logs")
    p.add_argument("--output_names", nargs="+", default=["cpg/.*"], help="regexes selecting outputs")
    p.add_argument("--nb_output", type=int, help="maximum number of outputs")
    p.add_argument("--no_class_weights", action="store_true",
                   help="do not weight methylated and unmethylated sites by their inverse frequency")
    p.unsupported("--output_weights", nargs="+", why="--output_weights (per-output loss weights) is not implemented; "
                                                    "a specdsl-train config sets loss-weight per head")
    p.add_argument("--replicate_names", nargs="+", help="regexes selecting the cells of the CpG inputs")
    p.add_argument("--nb_replicate", type=int, help="maximum number of cells")
    p.add_argument("--max_time", type=float, help="maximum training time in hours")
    p.add_argument("--stop_file", help="training stops once this file exists")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and of the order of the sites")
    p.add_argument("--no_log_outputs", action="store_true", help="accepted; per-output metrics are always logged")
    p.add_argument("--verbose", action="store_true", help="more detailed log messages")
    p.add_argument("--log_file", help="also write log messages to this file")
    p.add_argument("--data_q_size", type=int, default=10, help="accepted; tf.data sizes its own queues")
    p.add_argument("--data_nb_worker", type=int, default=1, help="accepted; tf.data picks its own workers")
    p.add_argument("--resume", action="store_true", help="specdsl: continue an interrupted run in --out_dir")
    return p


def _positive(args: Any) -> None:
    for flag in ("nb_epoch", "batch_size", "nb_train_sample", "nb_val_sample", "nb_output", "nb_replicate",
                 "dna_wlen", "cpg_wlen"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise SpecError(f"must be a whole number ≥ 1, got {value}", path=f"--{flag}")
    for flag in ("learning_rate", "learning_rate_decay"):
        if not 0 < getattr(args, flag) <= 1:
            raise SpecError(f"must lie in (0, 1], got {getattr(args, flag)}", path=f"--{flag}")
    if args.early_stopping < 0:
        raise SpecError(f"must be ≥ 0, got {args.early_stopping}", path="--early_stopping")
    if not 0 <= args.dropout < 1:
        raise SpecError(f"must lie in [0, 1), got {args.dropout}", path="--dropout")
    if args.dna_wlen is not None and args.dna_wlen % 2 == 0:
        raise SpecError(f"must be odd (the CpG sits in the middle), got {args.dna_wlen}", path="--dna_wlen",
                        hint=f"use {args.dna_wlen + 1}")
    if args.cpg_wlen is not None and args.cpg_wlen % 2:
        raise SpecError(f"must be even (half the neighbours on each side), got {args.cpg_wlen}", path="--cpg_wlen",
                        hint=f"use {args.cpg_wlen + 1}")


def trained_part(value: str, part: str) -> tuple[str, Path]:
    """(architecture name, model file) of an earlier ``specdsl deepcpg train`` out dir or model file."""
    path = Path(value)
    model = path / "model.keras" if path.is_dir() else path
    history = model.parent / "history.json"
    if not model.is_file():
        raise SpecError(f"no trained model here: expected {model}", path=f"--{part}_model",
                        hint="give the --out_dir of an earlier 'specdsl deepcpg train' run, or a model name")
    try:
        config = json.loads(history.read_text())["config"]
        options = config.get("options", {})
        parts = config.get("architecture") or {p: (options.get(f"{p}_model") or [None])[0] for p in FAMILIES}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise SpecError(f"cannot tell which {part} architecture {model} holds: {history} is missing or was not "
                        "written by 'specdsl deepcpg train'", path=f"--{part}_model") from None
    name = parts.get(part)
    if not name:
        raise SpecError(f"the model in {path} has no {part} part", path=f"--{part}_model")
    return str(name), model


def _model_name(value: list[str] | None, part: str) -> tuple[str | None, str | None]:
    """(preset name, trained model file or None) for --dna_model / --cpg_model."""
    if not value:
        return None, None
    text = value[0]
    if not Path(text).exists() and ("/" in text or text.endswith(".keras")):
        raise SpecError(f"no such folder or file: {text}", path=f"--{part}_model",
                        hint="give the --out_dir of an earlier 'specdsl deepcpg train' run, or a model name")
    if Path(text).exists():
        name, model = trained_part(text, part)
        return name, str(model)
    return _check_preset(text, part), None


def _check_preset(name: str, part: str) -> str:
    from specdsl.language.presets import all_presets

    family = [p.name for p in all_presets() if p.family == FAMILIES[part]]
    for known in family:
        if known.lower() == name.lower():
            return known
    raise SpecError(f"unknown {part.upper() if part != 'joint' else 'joint'} model '{name}'", path=f"--{part}_model",
                    expected="one of " + ", ".join(family), hint=did_you_mean(name, family))


def _body(args: Any) -> tuple[BodyIR, tuple[InputIR, ...]]:
    from specdsl.config.bodies import body_preset

    dna, dna_from = _model_name(args.dna_model, "dna")
    cpg, cpg_from = _model_name(args.cpg_model, "cpg")
    if dna is None and cpg is None:
        raise SpecError("give --dna_model, --cpg_model or both", path="--dna_model",
                        hint="e.g. --dna_model CnnL2h128 --cpg_model RnnL1")
    common = {"dropout": args.dropout, "l1": args.l1_decay, "l2": args.l2_decay}
    inputs: list[InputIR] = []
    if dna is not None:
        inputs.append(InputIR("dna", (None, 4), "float32", "dna"))
    if cpg is not None:
        inputs += [InputIR("cpg_state", (None, None), "float32", "cpg/state"),
                   InputIR("cpg_dist", (None, None), "float32", "cpg/dist")]
    start = tuple((part, path) for part, path in (("dna", dna_from), ("cpg", cpg_from)) if path)
    if dna is not None and cpg is not None:
        joint = _check_preset(args.joint_model, "joint")
        body = body_preset("DeepCpG", {**common, "dna_model": dna, "cpg_model": cpg, "joint_model": joint},
                           label=f"{joint}_{dna}_{cpg}")
    else:
        body = body_preset(dna or cpg, common)  # type: ignore[arg-type]
    return BodyIR(body.preset, body.params, body.label, start), tuple(inputs)


def architecture_of(body: BodyIR) -> dict[str, str]:
    """The preset behind each part ({"dna": "CnnL2h128", …}), recorded so a later stage can rebuild it."""
    params = body.params_dict()
    if body.preset.name == "DeepCpG":
        return {part: str(params[f"{part}_model"]) for part in ("dna", "cpg", "joint")}
    return {next(p for p, fam in FAMILIES.items() if fam == body.preset.family): body.preset.name}


def _trainability(args: Any) -> TrainabilityIR:
    """dcpg_train.py's ``set_trainability``: --fine_tune / --train_models first, then --trainable and
    --not_trainable where those left the list empty.  Patterns may use DeepCpG's ``dna/…`` names."""
    trainable: list[str] = []
    frozen: list[str] = []
    if args.fine_tune:
        frozen.append(".*")
    elif args.train_models:
        frozen.append(".*")
        trainable += [f"{m}/" for m in args.train_models]
    trainable = trainable or list(args.trainable or ())
    frozen = frozen or list(args.not_trainable or ())
    return TrainabilityIR(tuple(trainable), tuple(frozen), "--trainable/--not_trainable")


def training_ir(args: Any) -> TrainingIR:
    """dcpg_train.py's options → the training IR."""
    _positive(args)
    body, inputs = _body(args)
    head = HeadIR("binary", "cpg", settings(targets=tuple(args.output_names), max_targets=args.nb_output,
                                            class_weights=not args.no_class_weights, loss_weight=1.0),
                  "--output_names")
    data = DataIR("deepcpg-h5", tuple(args.train_files), tuple(args.val_files or ()),
                  settings(dna_wlen=args.dna_wlen, cpg_wlen=args.cpg_wlen, replicate_names=args.replicate_names,
                           nb_replicate=args.nb_replicate), "files", "train_files", "--val_files",
                  settings({k: f"--{k}" for k in ("dna_wlen", "cpg_wlen", "replicate_names", "nb_replicate")}))
    schedule = ScheduleIR(args.nb_epoch, args.batch_size,
                          early_stopping_patience=args.early_stopping if args.val_files else None,
                          lr_decay=args.learning_rate_decay, train_examples=args.nb_train_sample,
                          val_examples=args.nb_val_sample,
                          max_time_s=None if args.max_time is None else args.max_time * 3600,
                          stop_file=args.stop_file)
    config = {"kind": KIND, "options": {k: v for k, v in vars(args).items() if not k.startswith("_")},
              "architecture": architecture_of(body)}
    return TrainingIR(KIND, "specdsl deepcpg train", inputs, body, (head,), data,
                      OptimizerIR("adam", args.learning_rate), schedule,
                      RuntimeIR("DEBUG" if args.verbose else "INFO", args.seed), OutputIR(args.out_dir, "folder",
                                                                                         "--out_dir"),
                      _trainability(args), body.label, config)


def setup_logging(log_file: str | None, verbose: bool) -> None:
    if log_file:
        handler = logging.FileHandler(log_file)
        handler.setFormatter(logging.Formatter("%(levelname)s (%(asctime)s): %(message)s"))
        logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG if verbose else logging.INFO)


def main(argv: list[str]) -> int:
    from specdsl.training.session import run_training

    args = build_parser().parse(argv)
    setup_logging(args.log_file, args.verbose)
    random_frozen = [part for part in ("dna", "cpg") if args.train_models and part not in args.train_models
                     and getattr(args, f"{part}_model") and not Path(getattr(args, f"{part}_model")[0]).exists()]
    if random_frozen:
        logging.getLogger(__name__).warning(
            "--train_models %s freezes the %s model(s), which start from random weights here: give a trained "
            "one as --%s_model DIR to reuse it", " ".join(args.train_models), "/".join(random_frozen), random_frozen[0])
    return run_training(training_ir(args), resume=args.resume, resume_hint="the same 'specdsl deepcpg train' and")
