"""One training run as a command runs it: a note about an interrupted run, the run, a summary in plain words.

Shared by ``specdsl train`` and every system's train verb (``deepcpg train``, ``workshop
inh-model``, ``tranquillyzer train-model``, Capfinder's final training), so they all report alike.
"""

from __future__ import annotations

import sys
from typing import Any

from specdsl.console import console


def run_training(ir: Any, *, resume: bool = False, resume_hint: str = "the same command and") -> int:
    """Train ``ir`` and report; the exit status (0, or the interrupted status)."""
    from specdsl.training.paths import Paths
    from specdsl.training.run import EXIT_INTERRUPTED, TrainingInterrupted, artifact_list, loss_fell, train

    paths = Paths.of(ir.output)
    if not resume and paths.backup.exists():
        print(f"note: {paths.backup} holds an interrupted run; this new run replaces it once its first epoch "
              f"finishes (stop now and use {resume_hint} --resume to continue that run instead)", file=sys.stderr)
    try:
        result = train(ir, resume=resume, console=console(stderr=True))
    except TrainingInterrupted as stop:
        if not stop.wrote:
            print("interrupted before the first epoch finished: nothing was written", file=sys.stderr)
        else:
            print(f"interrupted: the best weights so far are in {paths.model} and the history in {paths.history} "
                  f"({stop.note}); continue with {resume_hint} --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    if result.process[0]:
        print(f"process {result.process[0]} of {result.process[1]}: trained in step with process 0, which wrote "
              f"the artifacts ({', '.join(map(str, artifact_list(result.paths))) or result.paths.place})")
        return 0
    losses = result.history.get("loss", [])
    first = f"{losses[0]:.4g}" if losses else "?"
    last = f"{losses[-1]:.4g}" if losses else "?"
    trend = (f"loss {first}" if len(losses) < 2 else
             f"loss {'fell' if loss_fell(result.history) else 'did not fall'} ({first} → {last})")
    why = "; stopped early" if result.stopped_early else (f"; stopped: {result.stop_reason}"
                                                            if result.stop_reason else "")
    print(f"trained {result.epochs_run} epoch(s) in {result.seconds:.1f}s; {trend}{why}")
    print(result.note)
    for name, scores in result.scores.items():
        shown = ", ".join(f"{k.upper()} {scores[k]:.3f}" for k in ("auc", "acc", "mcc", "mse", "r")
                          if isinstance(scores.get(k), float))
        print(f"validation {name}: {shown} ({scores.get('n', 0):,} observed)")
    files = [str(p) for p in [*artifact_list(result.paths), *result.files]]
    print("wrote " + ", ".join(files[:-1]) + (" and " if len(files) > 1 else "") + files[-1])
    return 0


__all__ = ["run_training"]
