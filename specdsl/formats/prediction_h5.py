"""BPReveal's prediction HDF5 (``makePredictions``' output), written and read, and its profile formula.

The layout is BPReveal 5's (``src/internal/predictUtils.py`` ``H5Writer``, ``addGenomeInfo``,
``addCoordsInfo``), so its ``predictToBigwig``, its notebooks and its users' scripts read the files
specdsl writes:

=====================  ==================  ====================================================
dataset                dtype               shape / meaning
=====================  ==================  ====================================================
``head_{i}/logits``    float32             (regions, output length, tasks); chunks of 100 rows
``head_{i}/logcounts`` float32             (regions,): the log of the head's total counts
``descriptions``       variable utf-8      (regions,): the FASTA header, ``""`` for BED input
``metadata``           group               attrs ``bpreveal_version`` (the layout's), ``created_date``,
                                           ``config``, ``specdsl_version``
``chrom_names``        variable utf-8      the genome's chromosomes in FASTA order
``chrom_sizes``        uint64              their lengths
``coords_chrom``       uint8 (uint16 when  index into ``chrom_names``
                       > 127 chromosomes)
``coords_start/stop``  uint32 (uint64 when the BED (output-window) coordinates of each row
                       a chromosome is
                       > 2³¹ − 1 bp)
=====================  ==================  ====================================================

The genome and coordinate datasets are written for BED input (or FASTA input with coordinates).
Rows follow the input's order.  Each ``head_{i}`` group also carries an attribute ``head-name``
(the model's head name), which BPReveal's readers ignore.  A file is written under a temporary
name and renamed when complete: an interrupted run leaves no half-written file.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError

LAYOUT_VERSION = "5.1.0"  # the BPReveal release whose makePredictions layout this is
CHUNK_ROWS = 100
MODES = ("profile", "logits", "mnlogits", "logcounts", "counts")
_COORDS = ("chrom_names", "chrom_sizes", "coords_chrom", "coords_start", "coords_stop")


@dataclass(frozen=True)
class HeadShape:
    """One head's prediction: its name, window length and number of tasks."""

    name: str
    output_length: int
    tasks: int


@dataclass(frozen=True)
class Coordinates:
    """Where each row lies: the genome's chromosomes and each row's output window."""

    chrom_names: list[str]
    chrom_sizes: list[int]
    chrom: np.ndarray  # index into chrom_names
    start: np.ndarray
    stop: np.ndarray


def logits_to_profile(logits: np.ndarray, logcounts: np.ndarray) -> np.ndarray:
    """BPReveal's ``logitsToProfile``: a softmax over all positions × tasks of a head jointly, times
    exp(logcounts).  ``logits`` (B, L, T), ``logcounts`` (B,) → (B, L, T) float64."""
    flat = np.asarray(logits, np.float64).reshape(len(logits), -1)
    flat = np.exp(flat - flat.max(axis=1, keepdims=True))
    flat /= flat.sum(axis=1, keepdims=True)
    return (flat * np.exp(np.asarray(logcounts, np.float64).reshape(-1, 1))).reshape(np.shape(logits))


def track_values(mode: str, logits: np.ndarray, logcounts: np.ndarray, task: int) -> np.ndarray:
    """(B, L) values of one task for ``predictToBigwig --mode``: profile (probability × counts), logits,
    mnlogits (logits less their mean over the window), logcounts or counts (the head's scalar, repeated)."""
    if mode == "profile":
        return logits_to_profile(logits, logcounts)[:, :, task]
    column = np.asarray(logits[:, :, task], np.float64)
    if mode == "logits":
        return column
    if mode == "mnlogits":
        return column - column.mean(axis=1, keepdims=True)
    counts = np.asarray(logcounts, np.float64).reshape(-1, 1)
    if mode == "logcounts":
        return np.broadcast_to(counts, column.shape)
    if mode == "counts":
        return np.broadcast_to(np.exp(counts), column.shape)
    raise SpecError(f"unknown mode '{mode}'", path="--mode", expected="one of " + ", ".join(MODES))


def _coords_dtypes(coords: Coordinates, u1_chroms: int = 127) -> tuple[str, str]:
    n = len(coords.chrom_names)
    chrom = "u1" if n <= u1_chroms else ("u2" if n <= 65535 else "u4")
    position = "u8" if max(coords.chrom_sizes, default=0) > 2**31 - 1 else "u4"
    return chrom, position


def write_metadata(h5: Any, config: str) -> None:
    """The ``metadata`` group BPReveal puts in every file it writes (``addH5Metadata``)."""
    from specdsl.version import __version__

    meta = h5.create_group("metadata")
    meta.attrs["bpreveal_version"] = LAYOUT_VERSION
    meta.attrs["specdsl_version"] = __version__
    meta.attrs["created_date"] = datetime.datetime.now().isoformat(timespec="seconds")
    meta.attrs["config"] = config


def write_coordinates(h5: Any, coords: Coordinates, *, stop_name: str = "coords_stop", u1_chroms: int = 127,
                      sizes_dtype: str | None = "u8") -> None:
    """BPReveal's genome and coordinate datasets (``addGenomeInfo`` + ``addCoordsInfo``).

    The two files that carry them differ in small ways, hence the keywords: makePredictions' end is
    ``coords_stop``, its sizes always u8 and its chromosome index u1 up to 127 references;
    interpretFlat's end is ``coords_end``, its sizes u4 (u8 past 2³¹ bp, ``sizes_dtype=None``) and its
    index u1 up to 255.
    """
    import h5py

    chrom_t, pos_t = _coords_dtypes(coords, u1_chroms)
    h5.create_dataset("chrom_names", data=np.array(coords.chrom_names, dtype=object),
                      dtype=h5py.string_dtype("utf-8"))
    h5.create_dataset("chrom_sizes", data=np.asarray(coords.chrom_sizes, np.uint64), dtype=sizes_dtype or pos_t)
    h5.create_dataset("coords_chrom", data=np.asarray(coords.chrom), dtype=chrom_t)
    h5.create_dataset("coords_start", data=np.asarray(coords.start), dtype=pos_t)
    h5.create_dataset(stop_name, data=np.asarray(coords.stop), dtype=pos_t)


class PredictionWriter:
    """Rows of predictions written into an open file laid out as BPReveal's."""

    def __init__(self, h5: Any, n: int, heads: Sequence[HeadShape]) -> None:
        self.h5, self.n, self.heads = h5, n, list(heads)
        rows = max(1, min(CHUNK_ROWS, n))
        self.logits, self.logcounts = [], []
        for i, head in enumerate(self.heads):
            group = h5.create_group(f"head_{i}")
            group.attrs["head-name"] = head.name
            self.logits.append(group.create_dataset("logits", (n, head.output_length, head.tasks), "f4",
                                                    chunks=(rows, head.output_length, head.tasks)))
            self.logcounts.append(group.create_dataset("logcounts", (n,), "f4", chunks=(rows,)))

    def write(self, rows: np.ndarray, logits: Sequence[np.ndarray], logcounts: Sequence[np.ndarray]) -> None:
        """Rows (increasing) of every head's logits (B, L, T) and logcounts (B,)."""
        rows = np.asarray(rows, np.int64)
        where: Any = slice(int(rows[0]), int(rows[-1]) + 1) if rows[-1] - rows[0] + 1 == len(rows) else rows
        for i in range(len(self.heads)):
            self.logits[i][where] = np.asarray(logits[i], np.float32)
            self.logcounts[i][where] = np.asarray(logcounts[i], np.float32).reshape(-1)


@contextlib.contextmanager
def create_predictions(path: str | Path, n: int, heads: Sequence[HeadShape], *, config: str,
                       descriptions: Sequence[str] | None = None,
                       coords: Coordinates | None = None) -> Iterator[PredictionWriter]:
    """A :class:`PredictionWriter` over a new file at ``path``, in place only once the block ends normally."""
    import h5py

    from specdsl.atomic import atomic_path

    need = sum(n * (h.output_length * h.tasks + 1) * 4 for h in heads) + 4096
    with atomic_path(path, suffix=".h5.tmp", need_bytes=need) as tmp, h5py.File(tmp, "w") as h5:
        write_metadata(h5, config)
        if coords is not None:
            write_coordinates(h5, coords)
        writer = PredictionWriter(h5, n, heads)
        yield writer
        h5.create_dataset("descriptions", data=np.array(list(descriptions or [""] * n), dtype=object),
                          dtype=h5py.string_dtype("utf-8"))


@dataclass
class PredictionFile:
    """An open prediction file: its heads, rows and (when it has them) coordinates."""

    path: str
    h5: Any
    heads: list[HeadShape]
    n: int
    coords: Coordinates | None

    def rows(self, head: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(logits (B, L, T), logcounts (B,)) of ``rows`` (any order) of one head."""
        rows = np.asarray(rows, np.int64)
        order = np.argsort(rows, kind="stable")
        picked = rows[order]
        if picked.size and picked[-1] - picked[0] + 1 == picked.size:
            where: Any = slice(int(picked[0]), int(picked[-1]) + 1)
        else:
            where = picked
        group = self.h5[f"head_{head}"]
        logits, logcounts = group["logits"][where], group["logcounts"][where]
        back = np.empty_like(order)
        back[order] = np.arange(order.size)
        return logits[back], logcounts[back]


def _check(path: str, h5: Any) -> tuple[list[HeadShape], int]:
    heads: list[HeadShape] = []
    while f"head_{len(heads)}" in h5:
        group = h5[f"head_{len(heads)}"]
        for name in ("logits", "logcounts"):
            if name not in group:
                raise SpecError(f"head_{len(heads)} has no '{name}' dataset", file=path,
                                expected="a prediction file of makePredictions or specdsl predict")
        shape = group["logits"].shape
        if len(shape) != 3 or group["logcounts"].shape != shape[:1]:
            raise SpecError(f"head_{len(heads)}/logits is {shape} and logcounts {group['logcounts'].shape}",
                            file=path, expected="logits (regions, output length, tasks), logcounts (regions,)")
        name = group.attrs.get("head-name", f"head_{len(heads)}")
        heads.append(HeadShape(str(name), int(shape[1]), int(shape[2])))
    if not heads:
        raise SpecError("no head_0 group: not a prediction file", file=path,
                        expected="a file of makePredictions or specdsl predict (head_0/logits, head_0/logcounts)")
    n = {h5[f"head_{i}/logits"].shape[0] for i in range(len(heads))}
    if len(n) != 1:
        raise SpecError(f"the heads hold different numbers of regions ({sorted(n)})", file=path)
    return heads, n.pop()


def _coords(path: str, h5: Any, n: int) -> Coordinates | None:
    if not all(name in h5 for name in _COORDS):
        return None
    names = [v.decode() if isinstance(v, bytes) else str(v) for v in h5["chrom_names"][:]]
    coords = Coordinates(names, [int(v) for v in h5["chrom_sizes"][:]], h5["coords_chrom"][:].astype(np.int64),
                         h5["coords_start"][:].astype(np.int64), h5["coords_stop"][:].astype(np.int64))
    if not (len(coords.chrom) == len(coords.start) == len(coords.stop) == n):
        raise SpecError(f"the coordinates hold {len(coords.start)} regions, the predictions {n}", file=path)
    if n and coords.chrom.max() >= len(names):
        raise SpecError("coords_chrom names a chromosome beyond chrom_names", file=path)
    return coords


@contextlib.contextmanager
def open_predictions(path: str | Path) -> Iterator[PredictionFile]:
    """Open a prediction file read-only and check its layout."""
    import h5py

    name = os.fspath(path)
    if not os.path.isfile(name):
        raise SpecError("no such file" if not os.path.exists(name) else "is a folder, not a prediction file",
                        file=name, expected="an HDF5 file of makePredictions or specdsl predict")
    try:
        h5 = h5py.File(name, "r")
    except OSError as err:
        raise SpecError(f"cannot read as HDF5: {err}", file=name,
                        expected="an HDF5 file of makePredictions or specdsl predict") from None
    with h5:
        heads, n = _check(name, h5)
        yield PredictionFile(name, h5, heads, n, _coords(name, h5, n))


__all__ = ["Coordinates", "HeadShape", "LAYOUT_VERSION", "MODES", "PredictionFile", "PredictionWriter",
           "create_predictions", "logits_to_profile", "open_predictions", "track_values", "write_coordinates",
           "write_metadata"]
