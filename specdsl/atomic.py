"""Every file specdsl writes is written here: to a temporary name beside it, then renamed.

A crash, a kill or an exception leaves the old file (or none), never a truncated one.
One module owns this so the rule cannot drift between models, histories, data chunks,
backups and reports.  A full disk is reported as a :class:`WriteError` naming the file
(h5py and Keras otherwise report it as a segmentation fault or a bare "file signature not
found" on the next read), and is checked up front when the writer knows the size.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from specdsl.errors import SpecError

# A seam for fault-injection tests: called with ("written", temporary path) once the content
# is complete but not yet in place, with ("replaced", final path) right after the rename, and
# with ("moved", final path) after each move of :func:`replace_together`.
# A test makes it raise to simulate a kill or a full disk at that exact step.
fault_hook: Callable[[str, Path], None] | None = None


class WriteError(SpecError):
    """A file could not be written (no space, no permission); the old file is untouched."""


def default_file_mode() -> int:
    """The mode a plain ``open()`` would give (mkstemp's files are 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _check_space(path: Path, need_bytes: int) -> None:
    free = shutil.disk_usage(path.parent).free
    if free < need_bytes:
        raise WriteError(f"not enough space to write this file: about {need_bytes / 2**20:.1f} MiB needed, "
                         f"{free / 2**20:.1f} MiB free", file=str(path), hint="free some space on that disk")


def _fault(stage: str, path: Path) -> None:
    if fault_hook is not None:
        fault_hook(stage, path)


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp", need_bytes: int = 0) -> Iterator[str]:
    """A temporary path beside ``path``; on success it replaces ``path`` in one rename.

    ``need_bytes``, when known, is checked against the free space before anything is written.
    A crash or an exception leaves the old file (or none), never a truncated one; an
    ``OSError`` while writing (a full disk) becomes a :class:`WriteError` naming ``path``.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if need_bytes:
            _check_space(path, need_bytes)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=suffix)
    except OSError as err:
        raise WriteError(f"cannot write here: {err.strerror}", file=str(path)) from None
    os.close(fd)
    try:
        try:
            yield tmp
            _fault("written", Path(tmp))
            os.chmod(tmp, default_file_mode())
            os.replace(tmp, path)
        except OSError as err:
            reason = err.strerror or str(err)
            raise WriteError(f"could not write this file: {reason}; the previous version (if any) is unchanged",
                             file=str(path)) from None
        _fault("replaced", path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path, need_bytes=len(text.encode()) + 4096) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(path)


def replace_together(moves: Sequence[tuple[Path, Path]], journal: Path) -> None:
    """Move finished files into place as one step: after a kill part-way, all of them or none arrive.

    Each move is a rename (a source beside its destination or below its folder, on the same
    file system).  A journal naming every move, relative to its own folder, is written first:
    that is the commit point.  Then the files are moved and the journal deleted.  A kill before
    the journal is in place leaves every destination as it was; a kill after it leaves the
    journal, and :func:`finish_replacing` (run by whoever next takes the place's lock) makes
    the remaining moves.
    """
    import json

    here = Path(journal).parent
    record = [[os.path.relpath(src, here), os.path.relpath(dst, here)] for src, dst in moves]
    atomic_write_text(journal, json.dumps({"replace": record}, indent=1) + "\n")
    finish_replacing(journal)


def finish_replacing(journal: Path) -> bool:
    """Make the moves a journal of :func:`replace_together` names and delete it; False when there is none.

    Moves already made (their source is gone) are skipped, so this may run any number of times.
    """
    import json

    journal = Path(journal)
    try:
        moves = json.loads(journal.read_text(encoding="utf-8"))["replace"]
    except FileNotFoundError:
        return False
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise WriteError(f"cannot finish replacing the files this journal names: {err}", file=str(journal),
                         hint="delete the journal; the files it names may be from two different runs") from None
    for src, dst in moves:
        source, target = (Path(os.path.normpath(journal.parent / name)) for name in (src, dst))
        if not os.path.lexists(source):
            continue
        try:
            os.replace(source, target)
        except OSError as err:
            raise WriteError(f"could not move {source} into place: {err.strerror or err}", file=str(target),
                             hint="fix the cause and run the command again: it makes the moves that are left") from None
        _fault("moved", target)
    journal.unlink(missing_ok=True)
    return True


__all__ = ["WriteError", "atomic_path", "atomic_write_text", "default_file_mode", "fault_hook", "finish_replacing",
           "replace_together"]
