"""BPReveal's contribution-score HDF5 (``interpretFlat``'s output), written and read.

The layout is BPReveal 5's ``FlatH5Saver`` (``src/internal/interpretUtils.py``), so TF-MoDISco
(``modisco motifs -i``), BPReveal's ``shapToNumpy``/``shapToBigwig`` and its users' notebooks read
the files specdsl writes:

=====================  ========  =====================================================================
dataset                dtype     shape / meaning
=====================  ========  =====================================================================
``hyp_scores``         float16   (N, L, 4) hypothetical contributions; chunks (min(128, N), L, 4), gzip.
                                 × ``input_seqs`` gives the actual contributions
``input_seqs``         uint8     (N, L, 4) the one-hot input, A C G T; same chunks, gzip
``input_predictions``  float32   (N,) the explained metric on the real sequence
``metadata``           group     as in the prediction file (:func:`.prediction_h5.write_metadata`)
``descriptions``       utf-8     FASTA input: the record headers
``chrom_names`` …      —         BED input (or FASTA with coordinates): ``chrom_names``, ``chrom_sizes``
                                 (u4; u8 past 2³¹ bp), ``coords_chrom`` (u1 up to 255 chromosomes),
                                 ``coords_start``, ``coords_end``
=====================  ========  =====================================================================

float16 is BPReveal's ``IMPORTANCE_T``: it halves the file and modisco reads it as float32.  Rows
follow the input's order whatever order they are computed in.  The file is written under a
temporary name and renamed once complete (:mod:`specdsl.atomic`): a failed or interrupted run
leaves no half-written file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.prediction_h5 import Coordinates, write_coordinates, write_metadata

CHUNK_ROWS = 128
SCORES, SEQUENCES, PREDICTIONS = "hyp_scores", "input_seqs", "input_predictions"


class ScoresWriter:
    """Rows of scores written into an open file laid out as interpretFlat's."""

    def __init__(self, h5: Any, n: int, length: int) -> None:
        chunks = (max(1, min(CHUNK_ROWS, n)), length, 4)
        self.hyp = h5.create_dataset(SCORES, (n, length, 4), "f2", chunks=chunks, compression="gzip")
        self.seqs = h5.create_dataset(SEQUENCES, (n, length, 4), "u1", chunks=chunks, compression="gzip")
        self.predictions = h5.create_dataset(PREDICTIONS, (n,), "f4")

    def write(self, rows: np.ndarray, hypothetical: np.ndarray, sequences: np.ndarray,
              predictions: np.ndarray) -> None:
        """Rows (increasing) of hypothetical scores (B, L, 4), one-hot inputs (B, L, 4) and the metric (B,)."""
        rows = np.asarray(rows, np.int64)
        where: Any = slice(int(rows[0]), int(rows[-1]) + 1) if rows[-1] - rows[0] + 1 == len(rows) else rows
        self.hyp[where] = np.asarray(hypothetical, np.float16)
        self.seqs[where] = np.asarray(sequences).astype(np.uint8)
        self.predictions[where] = np.asarray(predictions, np.float32).reshape(-1)


@contextlib.contextmanager
def create_scores(path: str | Path, n: int, length: int, *, config: str, descriptions: Sequence[str] | None = None,
                  coords: Coordinates | None = None) -> Iterator[ScoresWriter]:
    """A :class:`ScoresWriter` over a new file at ``path``, in place only once the block ends normally.

    ``coords`` are written as they are given (interpretFlat's BED input gives the *input* windows);
    ``descriptions`` only when given (FASTA input).
    """
    import h5py

    from specdsl.atomic import atomic_path

    with atomic_path(path, suffix=".h5.tmp", need_bytes=n * length * 4 * 3 + n * 4 + 4096) as tmp, \
            h5py.File(tmp, "w") as h5:
        write_metadata(h5, config)
        if coords is not None:
            write_coordinates(h5, coords, stop_name="coords_end", u1_chroms=255, sizes_dtype=None)
        if descriptions is not None:
            h5.create_dataset("descriptions", data=np.array(list(descriptions), dtype=object),
                              dtype=h5py.string_dtype("utf-8"))
        yield ScoresWriter(h5, n, length)


@dataclass(frozen=True)
class Scores:
    """A score file's hypothetical scores and one-hot inputs, (N, L, 4) each, as stored."""

    hypothetical: np.ndarray
    sequences: np.ndarray


def read_scores(path: str | Path) -> Scores:
    """``hyp_scores`` and ``input_seqs`` of an interpretFlat file (BPReveal's or specdsl's), checked."""
    import h5py

    try:
        h5 = h5py.File(path, "r")
    except OSError as err:
        raise SpecError(f"cannot read it as HDF5: {err}", file=str(path)) from None
    with h5:
        missing = [name for name in (SCORES, SEQUENCES) if name not in h5]
        if missing:
            raise SpecError(f"not a contribution-score file: no {' or '.join(missing)}", file=str(path),
                            hint="give the profile-h5 or counts-h5 that interpret-flat or specdsl interpret wrote")
        hyp, seqs = h5[SCORES][...], h5[SEQUENCES][...]
    if hyp.ndim != 3 or hyp.shape != seqs.shape or hyp.shape[2] != 4:
        raise SpecError(f"{SCORES} {hyp.shape} and {SEQUENCES} {seqs.shape} are not both (N, L, 4)", file=str(path))
    return Scores(hyp, seqs)


_COORDS = ("chrom_names", "chrom_sizes", "coords_chrom", "coords_start", "coords_end")


def read_score_coordinates(h5: Any, path: str) -> Coordinates:
    """The genome and each row's window of an open score file (``coords_end``, interpretFlat's name), checked."""
    missing = [name for name in _COORDS if name not in h5]
    if missing:
        raise SpecError(f"the file has no coordinates ({', '.join(missing)})", file=path,
                        hint="score BED regions of a genome (or give FASTA input a BED file and the genome)")
    if h5["coords_chrom"].dtype.kind in "SO":
        raise SpecError("coords_chrom holds names, the pre-5.0 BPReveal layout", file=path,
                        hint="recompute the scores with specdsl interpret or interpret-flat")
    names = [v.decode() if isinstance(v, bytes) else str(v) for v in h5["chrom_names"][:]]
    coords = Coordinates(names, [int(v) for v in h5["chrom_sizes"][:]], h5["coords_chrom"][:].astype(np.int64),
                         h5["coords_start"][:].astype(np.int64), h5["coords_end"][:].astype(np.int64))
    n = h5[SCORES].shape[0]
    if not (len(coords.chrom) == len(coords.start) == len(coords.stop) == n):
        raise SpecError(f"the coordinates hold {len(coords.start)} regions, the scores {n}", file=path)
    if n and coords.chrom.max() >= len(names):
        raise SpecError("coords_chrom names a chromosome beyond chrom_names", file=path)
    return coords


__all__ = ["CHUNK_ROWS", "Scores", "ScoresWriter", "create_scores", "read_score_coordinates", "read_scores"]
