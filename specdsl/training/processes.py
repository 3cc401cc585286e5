"""Several processes training one model (JAX's distributed runtime): who writes, and when they wait.

Every process runs the same ``specdsl train`` command and takes part in every step, but only
process 0 writes into the output place.  The others write their copy of the run (history,
backup, checkpoints, the delivered model) into a scratch folder of their own that is removed
when the run ends: the code path is the same on every process, so they all perform the same
collective operations in the same order, and nothing a second process writes can clobber
process 0's files on a shared file system.

Two waits keep them in step with process 0's files:

* before reading the backup of a resumed run, every process waits until process 0 has finished
  whatever a kill left half done (:func:`~specdsl.training.delivery.complete_pending`); the
  others then copy that backup into their scratch folder, so they resume from the same epoch
  (the output place must be visible to every process: a shared file system, as on a cluster);
* at the end, every process waits until process 0 has delivered, so a summary any process
  prints names files that exist.

On one process none of this does anything.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specdsl.errors import SpecError
from specdsl.training.paths import Paths


@dataclass(frozen=True)
class ProcessOutput:
    """Where this process writes (``paths``) and where the run's artifacts go (``shared``)."""

    paths: Paths
    shared: Paths
    process: int = 0
    processes: int = 1

    @property
    def writes_artifacts(self) -> bool:
        return self.process == 0

    def wait_for_cleanup(self, resume: bool) -> None:
        """Called once process 0 has completed any half-done delivery: the others wait for that,
        then (resuming) take a copy of its backup to resume from."""
        if self.processes < 2:
            return
        sync("specdsl-backup-ready")
        if resume and not self.writes_artifacts:
            _copy_backup(self.shared, self.paths, self.process)


def sync(name: str) -> None:
    """Wait until every JAX process reaches the same named point (nothing on one process)."""
    import jax
    from jax.experimental import multihost_utils

    if jax.process_count() > 1:
        multihost_utils.sync_global_devices(name)


@contextlib.contextmanager
def process_output(devices: Any, shared: Paths) -> Iterator[ProcessOutput]:
    """This process's output for a run on ``devices``: the output place on process 0, a scratch
    folder (removed on leaving) on every other; on leaving, every process waits for process 0."""
    process, processes = getattr(devices, "process", 0), getattr(devices, "processes", 1)
    if processes < 2:
        yield ProcessOutput(shared, shared)
        return
    scratch = None if process == 0 else Path(tempfile.mkdtemp(prefix=f"specdsl-process-{process}-"))
    try:
        own = shared if scratch is None else Paths(str(scratch / Path(shared.place).name), shared.style)
        yield ProcessOutput(own, shared, process, processes)
        sync("specdsl-delivered")
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _copy_backup(shared: Paths, own: Paths, process: int) -> None:
    if not shared.backup.is_dir():
        raise SpecError(f"process {process} cannot see the backup process 0 resumes from ({shared.backup})",
                        hint="resuming with several processes needs the output place on a file system every "
                             "process sees (a shared folder on a cluster)")
    own.folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(shared.backup, own.backup, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("delivery", "delivery.json"))


__all__ = ["ProcessOutput", "process_output", "sync"]
