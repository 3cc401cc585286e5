"""Where a run's artifacts go: BPReveal's ``PREFIX.*`` files or a DeepCpG-style out dir."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from specdsl.training.ir import OutputIR

STATE = "state.json"  # the backup's commit record (:mod:`specdsl.training.run_state`)


@dataclass(frozen=True)
class Paths:
    place: str
    style: str = "prefix"

    @classmethod
    def of(cls, output: OutputIR) -> Paths:
        return cls(output.place, output.style)

    def _file(self, suffix: str, folder_name: str) -> Path:
        if self.style == "folder":
            return Path(self.place) / folder_name
        return Path(f"{self.place}.{suffix}")

    @property
    def prefix(self) -> str:
        return self.place

    @property
    def folder(self) -> Path:
        return Path(self.place) if self.style == "folder" else Path(self.place).parent

    @property
    def model(self) -> Path:
        return self._file("keras", "model.keras")

    @property
    def checkpoint(self) -> Path:
        return self._file("checkpoint.keras", "checkpoint.keras")

    @property
    def history(self) -> Path:
        return self._file("history.json", "history.json")

    @property
    def backup(self) -> Path:
        return self._file("backup", "backup")

    @property
    def state(self) -> Path:
        return self.backup / STATE

    @property
    def staging(self) -> Path:
        """Where a run writes its outputs, under their final names, until it delivers them all at once."""
        return self.backup / "delivery"

    @property
    def journal(self) -> Path:
        """The record of a delivery in progress (see :mod:`specdsl.training.delivery`)."""
        return self.backup / "delivery.json"

    def staged(self) -> Paths:
        """The same outputs in :attr:`staging` (same file names), for the run to write."""
        if self.style == "folder":
            return Paths(str(self.staging), "folder")
        return Paths(str(self.staging / Path(self.place).name), "prefix")

    @classmethod
    def of_history(cls, path: str | Path) -> Paths | None:
        """The run place a history file was delivered to (``PREFIX.history.json``, ``DIR/history.json``)."""
        path = Path(path)
        if path.name.endswith(".history.json"):
            return cls(str(path.with_name(path.name[: -len(".history.json")])), "prefix")
        return cls(str(path.parent), "folder") if path.name == "history.json" else None

    @property
    def lock(self) -> Path:
        """Held while a run writes here, so a second run on the same place is refused."""
        return self._file("lock", "train.lock")

    @property
    def plot(self) -> Path | None:
        return Path(self.place) / "history.png" if self.style == "folder" else None

    def learning_curves(self) -> tuple[Path, Path] | None:
        """DeepCpG's ``lc_train.tsv`` / ``lc_val.tsv`` (out-dir runs only)."""
        if self.style != "folder":
            return None
        return Path(self.place) / "lc_train.tsv", Path(self.place) / "lc_val.tsv"

    def written(self) -> list[Path]:
        files = [self.model, self.checkpoint, self.history]
        curves = self.learning_curves()
        if curves:
            files += list(curves)
        if self.plot is not None:
            files.append(self.plot)
        return files

    def write_problem(self) -> str | None:
        """Why a run could not write here, found without creating anything (``check`` runs it too).

        The output folder must be a folder we may write in, or, where it does not exist yet, its
        nearest existing ancestor must be a folder we may create it in.  A failure found here
        would otherwise surface only when the first file is written, after the data was checked.
        """
        folder = self.folder
        probe = folder
        try:
            while not probe.exists():
                if probe.parent == probe:
                    break
                probe = probe.parent
            is_dir = probe.is_dir()
        except OSError as err:  # a folder on the way that we may not look into
            return f"cannot reach '{probe}': {err.strerror or err}"
        if not is_dir:
            return f"'{self.place}' is under '{probe}', which is a file, not a folder"
        if os.access(probe, os.W_OK | os.X_OK):
            return None
        if probe == folder:
            return f"cannot write in the output folder '{folder}' (no write permission)"
        return f"cannot create the output folder '{folder}': no write permission in '{probe}'"
