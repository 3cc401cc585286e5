"""Capfinder's training pipeline, from its config verbatim: ETL → search → final training → evaluation.

``specdsl capfinder train-model --config_file X`` and ``specdsl train X`` both land here (the
``capfinder`` config kind's pipeline).  The stages are Capfinder 0.4.3's:

1. ETL (:mod:`.etl`): the balanced, split, fixed-length dataset in ``output_dir/dataset``,
   reused when up to date;
2. the search (:mod:`.tune`), or the model type's default point when ``max_trials`` is 0;
3. the final training at that point through the normal run (:func:`specdsl.training.run.train`,
   so its files are written atomically and a second run on the same place is refused): the
   chosen schedule, early stopping on the validation loss with the best epoch's weights kept;
   the classifier is ``output_dir/best_model/classifier/classifier_<YYYYmmdd_HHMMSS>.keras``,
   where Capfinder puts it, with the class map beside it (``….class_map.json``); the run's
   history, best-epoch checkpoint and curves are in ``output_dir/best_model/training/``;
4. the evaluation (:mod:`.evaluation`) of that file, loaded back with ``safe_mode=True``:
   ``best_model/metrics.json`` and the train and test confusion matrices (CSV and PNG).

Differences on purpose (docs/capfinder.md): no Comet (logs in ``output_dir/logs``), no
interactive prompt, no ``kill -9`` of other processes on the GPU, the published schedule
formulas.  The whole pipeline holds ``output_dir/capfinder.lock``, so two runs never write one
output folder at once.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from specdsl.atomic import atomic_write_text
from specdsl.errors import SpecError
from specdsl.systems.capfinder.config import CapfinderConfig
from specdsl.systems.capfinder.config_kind import capfinder_head, classifier_dir
from specdsl.systems.capfinder.etl import Dataset, class_files, prepare_dataset, split_sizes
from specdsl.training.ir import OptimizerIR, OutputIR, TrainingIR

EXIT_INTERRUPTED = 130
LOCK = "capfinder.lock"


class PipelineLog:
    """Progress lines for the terminal (stderr) and, with times, for ``output_dir/logs/capfinder_<stamp>.log``."""

    def __init__(self, folder: Path, stamp: str, debug: bool = False, quiet: bool = False):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"capfinder_{stamp}.log"
        self.debug_on = debug
        self.quiet = quiet
        self.handle = open(self.path, "a", encoding="utf-8", buffering=1)

    def _write(self, level: str, message: str) -> None:
        self.handle.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} {level:<5} {message}\n")

    def __call__(self, message: str) -> None:
        self._write("INFO", message)
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def debug(self, message: str) -> None:
        if self.debug_on:
            self._write("DEBUG", message)

    def close(self) -> None:
        self.handle.close()


@dataclass
class PipelineResult:
    dataset: Dataset
    choice: Any
    classifier: Path
    class_map: Path
    scores: dict[str, dict[str, Any]]
    history: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0


def config_of(ir: TrainingIR) -> CapfinderConfig:
    return CapfinderConfig(dict(ir.config), ir.source)


def _stamp(folder: Path) -> str:
    """Capfinder's classifier_<YYYYmmdd_HHMMSS> name, never one already taken."""
    stamp = f"{datetime.now():%Y%m%d_%H%M%S}"
    name, n = stamp, 1
    while (folder / f"classifier_{name}.keras").exists():
        n += 1
        name = f"{stamp}_{n}"
    return name


def _final_ir(ir: TrainingIR, cfg: CapfinderConfig, dataset: Dataset, choice: Any, space: Any,
              prefix: Path) -> TrainingIR:
    from specdsl.systems.capfinder.tune import body_for

    body = body_for(space, choice.values, cfg.model_type, cfg.target_length, cfg.num_classes)
    return replace(ir, body=body, heads=(capfinder_head(dataset.names),),
                   optimizer=OptimizerIR("adam", choice.learning_rate),
                   output=OutputIR(str(prefix), "prefix", ir.output.path))


def _train(final: TrainingIR, log: PipelineLog, console: Any) -> tuple[Any, bool]:
    """The final training; (its history, whether Ctrl+C stopped it).  Capfinder evaluates and saves the
    best epoch after a Ctrl+C, so an interrupted run that finished an epoch goes on to the evaluation."""
    from specdsl.training.paths import Paths
    from specdsl.training.run import TrainingInterrupted, train

    paths = Paths.of(final.output)
    try:
        result = train(final, console=console)
        return result.history, False
    except TrainingInterrupted as stop:
        if not stop.wrote:
            raise
        log(f"final training interrupted: the best epoch's weights were saved to {paths.model}")
        # A pipeline is run again, not resumed (run_ir refuses --resume): the resume backup has no use.
        shutil.rmtree(paths.backup, ignore_errors=True)
        return json.loads(paths.history.read_text(encoding="utf-8")), True


def run_pipeline(ir: TrainingIR, *, reprocess: bool = False, console: Any = None,
                 quiet: bool = False) -> PipelineResult:
    """Run every stage for the Capfinder config ``ir`` was loaded from; see the module docstring.
    A problem found on the way that concerns a config key (a missing caps_data_dir) is shown at it."""
    from specdsl.config.reader import place

    try:
        return _run_pipeline(ir, reprocess=reprocess, console=console, quiet=quiet)
    except SpecError as err:
        raise place(err, ir.document) from None


def _run_pipeline(ir: TrainingIR, *, reprocess: bool, console: Any, quiet: bool) -> PipelineResult:
    import os

    from specdsl.systems.capfinder.evaluation import evaluate_splits, write_reports
    from specdsl.systems.capfinder.tune import choose_point, make_space
    from specdsl.training.lock import run_lock
    from specdsl.training.paths import Paths

    cfg = config_of(ir)
    started = time.monotonic()
    out = cfg.output_dir
    if out.exists() and not out.is_dir():
        raise SpecError("is a file, not a folder", file=str(out), path="shared_params.output_dir")
    out.mkdir(parents=True, exist_ok=True)
    with run_lock(out / LOCK, "shared_params.output_dir"):
        folder = classifier_dir(out)
        stamp = _stamp(folder)
        log = PipelineLog(out / "logs", stamp, cfg.debug, quiet)
        try:
            log(f"capfinder pipeline: {ir.source} → {out}")
            log.debug("config: " + json.dumps(cfg.raw, sort_keys=True))
            if os.environ.get("COMET_API_KEY"):
                log("note: Comet ML is not used; logs and metrics are written to this folder only")
            dataset = prepare_dataset(cfg, reprocess=reprocess, log=log)
            ir = replace(ir, heads=(capfinder_head(dataset.names),))
            space = make_space(cfg.model_type, cfg.target_length, cfg.num_classes)
            from specdsl.systems.capfinder.tune import body_for

            default = replace(ir, body=body_for(space, space.default_point(), cfg.model_type, cfg.target_length,
                                                cfg.num_classes))
            choice = choose_point(cfg, default, space, log)
            best = out / "best_model"
            atomic_write_text(best / "best_hyperparameters.json", json.dumps(choice.as_dict(), indent=2,
                                                                             default=str) + "\n")
            # The run's own files (history, best-epoch checkpoint, curves) go to best_model/training/; only the
            # classifier joins Capfinder's classifier folder, so a glob there finds the classifiers alone.
            final = _final_ir(ir, cfg, dataset, choice, space, best / "training" / f"classifier_{stamp}")
            log(f"final training: {cfg.model_type}, at most {final.schedule.epochs} epochs, early stopping after "
                f"{final.schedule.early_stopping_patience}, learning rate {choice.learning_rate:g}, schedule "
                f"{cfg.scheduler['type']}")
            history, interrupted = _train(final, log, console)
            classifier = folder / f"classifier_{stamp}.keras"
            folder.mkdir(parents=True, exist_ok=True)
            os.replace(Paths.of(final.output).model, classifier)
            from specdsl.backend.keras_model import load_model
            from specdsl.systems.capfinder.predict import class_map_path

            class_map = atomic_write_text(class_map_path(classifier), json.dumps(
                {str(k): v for k, v in sorted(dataset.classes.items())}, indent=2) + "\n")
            model = load_model(classifier)  # as users load it: safe_mode=True
            scores = evaluate_splits(model, {s: dataset.file(s) for s in ("train", "val", "test")}, dataset.names,
                                     cfg.target_length, str(cfg.shared["dtype"]), cfg.batch_size)
            extra = {"classifier": str(classifier), "class_map": dataset.classes, "model_type": cfg.model_type,
                     "epochs": len(history.get("loss", [])), "interrupted": interrupted,
                     "search": choice.as_dict()}
            files = [classifier, class_map, *write_reports(best, scores, extra)]
            test = scores["test"]
            log(f"test set: accuracy {test['acc']:.4f}, loss {test['loss']:.4f} ({test['n']:,} reads); train accuracy "
                f"{scores['train']['acc']:.4f}")
            return PipelineResult(dataset, choice, classifier, class_map, scores, history, files, interrupted,
                                  time.monotonic() - started)
        finally:
            log.close()


def run_ir(ir: TrainingIR, *, resume: bool = False, reprocess: bool = False) -> int:
    """The command-line face of :func:`run_pipeline`: plain-word summary, exit 0 / 130."""
    from specdsl.console import console as _console
    from specdsl.systems.capfinder.tune import SearchInterrupted
    from specdsl.training.run import TrainingInterrupted

    if resume:
        raise SpecError("a Capfinder pipeline cannot be resumed; run it again (the processed dataset and a finished "
                        "search are reused)", path="--resume")
    try:
        result = run_pipeline(ir, reprocess=reprocess, console=_console(stderr=True))
    except SearchInterrupted:
        print("interrupted during the search before any trial finished: there is no point to train", file=sys.stderr)
        return EXIT_INTERRUPTED
    except TrainingInterrupted:
        print("interrupted before the first epoch of the final training finished: nothing was written",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    epochs = len(result.history.get("loss", []))
    test, train = result.scores["test"], result.scores["train"]
    print(f"trained {epochs} epoch(s); held-out test accuracy {test['acc']:.3f} (loss {test['loss']:.3f}, "
          f"{test['n']:,} reads), train accuracy {train['acc']:.3f}; {result.seconds:.1f}s in all")
    print(f"classifier: {result.classifier} (class map {result.class_map.name})")
    print("wrote " + ", ".join(str(p) for p in result.files[2:]))
    return EXIT_INTERRUPTED if result.interrupted else 0


def check_ir(ir: TrainingIR) -> str:
    """Everything that can be checked before TensorFlow starts: the config, every row of every class file,
    the split sizes and the output folder.  Returns a one-paragraph summary."""
    from specdsl.config.reader import place

    try:
        return _check_ir(ir)
    except SpecError as err:
        raise place(err, ir.document) from None


def _check_ir(ir: TrainingIR) -> str:
    from specdsl.systems.capfinder.tune import budget
    from specdsl.training.paths import Paths

    cfg = config_of(ir)
    classes = class_files(cfg.etl["caps_data_dir"], cfg.num_classes)
    smallest = min(len(c.index) for c in classes)
    wanted = cfg.etl["examples_per_class"]
    n = smallest if wanted is None else min(int(wanted), smallest)
    sizes = split_sizes(n, float(cfg.shared["train_test_fraction"]), float(cfg.shared["train_val_fraction"]))
    problem = Paths.of(ir.output).write_problem()
    if problem is not None:
        raise SpecError(problem, path="shared_params.output_dir", hint="choose a place you can write to")
    listed = ", ".join(f"{c.name} ({c.cap_class}: {len(c.index):,} reads)" for c in classes)
    search = "no search (max_trials 0)" if cfg.tune["max_trials"] == 0 else (
        f"{cfg.tune['tuning_strategy']} search, {budget(cfg)}")
    return (f"ok: {ir.source}: capfinder config; {len(classes)} classes in {cfg.etl['caps_data_dir']}: {listed}; "
            f"{n:,} reads per class → {sizes['train']:,} train, {sizes['val']:,} validation, {sizes['test']:,} test; "
            f"{cfg.model_type}, {search}; final training ≤ {cfg.train['max_epochs_final_model']} epochs with "
            f"{cfg.scheduler['type']}; output in {cfg.output_dir}")


__all__ = ["EXIT_INTERRUPTED", "PipelineLog", "PipelineResult", "check_ir", "config_of", "run_ir", "run_pipeline"]
