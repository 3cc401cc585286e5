"""DeepCpG chunk files: names, the HDF5 layout, and writing them all-or-nothing.

Layout of one chunk, as ``scripts/dcpg_data.py`` writes it::

    chromo                      S2 (N,)          the chromosome, in every row (uncompressed)
    pos                         int32 (N,)       1-based position of the CpG's C (uncompressed)
    outputs/cpg/<cell>          int8 (N,)        0/1, -1 where the cell was not observed
    outputs/cpg_stats/<stat>    int8|float32     with --cpg_stats
    inputs/dna                  int8 (N, dna_wlen)   A0 T1 G2 C3 (N4 here), the C at dna_wlen // 2
    inputs/cpg/<cell>/state     int8|float32 (N, cpg_wlen)   -1 where missing
    inputs/cpg/<cell>/dist      float32 (N, cpg_wlen)        -1 where missing

``outputs/*`` and ``inputs/*`` are gzip-compressed (h5py's default level 4 and automatic chunk
shape, as DeepCpG leaves them).  ``inputs`` always exists, ``outputs`` only with profiles.  The
chromo dtype is S2 unless a chromosome name is longer (DeepCpG would cut it to two bytes).

Compression is most of the work (about 80 % of a run), and HDF5 does it on one core under
h5py's lock.  So each dataset is created with the same gzip filter and chunk shape h5py would
choose, its chunks are deflated by ``zlib`` in a thread pool (zlib releases the GIL) and stored
with ``write_direct_chunk``: the stored chunks are byte for byte what HDF5's own filter writes
(a test compares them), and every core works.

A chunk is written under a temporary name in the output folder and renamed when complete
(:func:`specdsl.atomic.atomic_path`), so readers globbing ``*.h5`` never see half a
file; :meth:`ChunkWriter.discard` removes every chunk of a run that failed, and the output
folder too when the run created it, so a failed run leaves nothing behind.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import zlib
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from specdsl.atomic import atomic_path
from specdsl.errors import SpecError


def chunk_name(chromo: str, start: int, end: int) -> str:
    """DeepCpG's name: ``c<chromo>_<start>-<end>.h5``, site indices within the chromosome, 6 digits."""
    return f"c{chromo}_{start:06d}-{end:06d}.h5"


@dataclass
class ChunkData:
    """Everything one chunk file holds; dataset names are relative to ``outputs/`` and ``inputs/``."""

    chromo: str
    pos: np.ndarray
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    inputs: dict[str, np.ndarray] = field(default_factory=dict)


def _deflate(value: np.ndarray, offset: tuple[int, ...], shape: tuple[int, ...], level: int) -> bytes:
    """One HDF5 chunk of ``value``, deflated; an edge chunk is zero-padded to full size, as HDF5 stores it.

    Runs in the pool: the copy out of ``value`` and zlib both release the GIL.
    """
    part = value[tuple(slice(o, o + c) for o, c in zip(offset, shape))]
    if part.shape != shape:
        full = np.zeros(shape, dtype=value.dtype)
        full[tuple(slice(0, s) for s in part.shape)] = part
        part = full
    return zlib.compress(memoryview(np.ascontiguousarray(part)).cast("B"), level)


def _gzip_dataset(group: h5py.Group, key: str, value: np.ndarray, pool: Executor | None
                  ) -> list[tuple[h5py.Dataset, tuple[int, ...], Future | bytes]]:
    """Create ``key`` as h5py's ``compression="gzip"`` would; return its chunks' (pending) deflated bytes."""
    dataset = group.create_dataset(key, shape=value.shape, dtype=value.dtype, compression="gzip")
    shape, level = dataset.chunks, int(dataset.compression_opts)
    offsets = itertools.product(*(range(0, n, c) for n, c in zip(value.shape, shape)))
    return [(dataset, offset, pool.submit(_deflate, value, offset, shape, level) if pool
             else _deflate(value, offset, shape, level)) for offset in offsets]


def write_chunk(path: str | Path, data: ChunkData, pool: Executor | None = None) -> None:
    """Write ``data`` in DeepCpG's layout to ``path`` (a new file); ``pool`` deflates the chunks in parallel."""
    n = len(data.pos)
    name = data.chromo.encode()
    with h5py.File(path, "w") as handle:
        handle.create_dataset("chromo", data=np.full(n, name, dtype=f"S{max(2, len(name))}"))
        handle.create_dataset("pos", data=data.pos.astype(np.int32))
        jobs = []
        for group_name, datasets in (("outputs", data.outputs), ("inputs", data.inputs)):
            if datasets or group_name == "inputs":
                group = handle.create_group(group_name)
                for key, value in datasets.items():
                    jobs.extend(_gzip_dataset(group, key, value, pool))
        for dataset, offset, deflated in jobs:
            dataset.id.write_direct_chunk(offset, deflated.result() if isinstance(deflated, Future) else deflated)


def check_out_dir(out_dir: str | Path) -> Path:
    """The output folder, checked before any work: an existing writable folder, or one that can be made."""
    path = Path(out_dir)
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise SpecError("is a file, not a folder", file=str(probe), path="--out_dir")
    if not os.access(probe, os.W_OK | os.X_OK):
        what = "cannot write into this folder" if probe == path else f"cannot create {path} here"
        raise SpecError(f"{what}: permission denied", file=str(probe), path="--out_dir")
    try:  # access() says yes to root everywhere, and some file systems refuse anyway: try it
        fd, tmp = tempfile.mkstemp(dir=probe, prefix=".specdsl-probe-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as err:
        raise SpecError(f"cannot write here: {err.strerror}", file=str(probe), path="--out_dir") from None
    return path


class ChunkWriter:
    """Writes chunks atomically and remembers them, so a failed run can take them all back."""

    def __init__(self, out_dir: Path, workers: int | None = None) -> None:
        self.out_dir = out_dir
        self.files: list[Path] = []
        self.bytes = 0
        self._created: Path | None = None  # the outermost folder this run created
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        workers = workers or cores
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="deflate") if workers > 1 else None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def write(self, name: str, data: ChunkData) -> Path:
        if self._created is None and not self.out_dir.exists():
            top = self.out_dir
            while not top.parent.exists():
                top = top.parent
            self._created = top
        path = self.out_dir / name
        with atomic_path(path, suffix=".h5.tmp") as tmp:
            write_chunk(tmp, data, self._pool)
            self.bytes += os.path.getsize(tmp)
        self.files.append(path)
        return path

    def discard(self) -> None:
        """Remove what this run wrote (best effort: this runs while another error is on its way out)."""
        for path in self.files:
            try:
                path.unlink()
            except OSError:
                pass
        self.files.clear()
        if self._created is not None:
            for folder in [self.out_dir, *self.out_dir.parents]:
                try:
                    folder.rmdir()  # only when empty
                except OSError:
                    break
                if folder == self._created:
                    break


__all__ = ["ChunkData", "ChunkWriter", "check_out_dir", "chunk_name", "write_chunk"]
