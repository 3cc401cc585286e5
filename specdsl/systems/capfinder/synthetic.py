"""Synthetic cap signals with planted class shapes: ``specdsl make-data capfinder --out DIR``.

Capfinder's training data is shared only on request, so the demo and the tests train on
signals made here, in the format ``extract-cap-signal`` writes: one ``data__<cap>.csv`` per
class with ``read_id,cap_class,timeseries`` (8 decimals, like Capfinder's).

Each read looks like a nanopore current trace: a random staircase of levels (one per base,
each a random number of samples long), z-scored and clipped to ±4 as Capfinder's signals
are, with noise.  Somewhere around the middle the cap class plants its shape:

* class 0: a raised block;              * class 1: a lowered block;
* class 2: raised, then lowered;         * class 3: lowered, then raised;
* class 4 and on: raised, lowered, raised … (one more level for each further class).

Lengths vary around 500 points (300–700), so the ETL's padding and cutting are exercised, and
the shape stretches with the read (a slower translocation gives a longer shape).  The names
are Capfinder's default cap map: cap_0, cap_1, cap_2, cap_2-1, then cap_4, cap_5 ….
"""

from __future__ import annotations

import csv
import uuid
from pathlib import Path

import numpy as np

from specdsl.errors import SpecError

CAP_NAMES = ("cap_0", "cap_1", "cap_2", "cap_2-1")


def class_name(cap_class: int) -> str:
    return CAP_NAMES[cap_class] if cap_class < len(CAP_NAMES) else f"cap_{cap_class}"


def _staircase(rng: np.random.Generator, length: int) -> np.ndarray:
    levels, out = [], 0
    while out < length:
        width = int(rng.integers(4, 14))
        levels.append(np.full(width, rng.normal(0.0, 0.6)))
        out += width
    return np.concatenate(levels)[:length]


def _signs(cap_class: int) -> list[float]:
    """The levels of a class's shape, in order: +, −, +−, −+, then +−+, +−+−, … for further classes."""
    if cap_class < 4:
        return [[1.0], [-1.0], [1.0, -1.0], [-1.0, 1.0]][cap_class]
    return [(-1.0) ** i for i in range(cap_class - 1)]


def _shape(cap_class: int, width: int, rng: np.random.Generator) -> np.ndarray:
    signs = _signs(cap_class)
    steps = np.minimum((np.arange(width) * len(signs)) // width, len(signs) - 1)
    return rng.uniform(1.6, 2.2) * np.asarray(signs)[steps]


def synthetic_signal(cap_class: int, rng: np.random.Generator, length: int | None = None) -> np.ndarray:
    """One read's signal with ``cap_class``'s shape planted near its middle."""
    n = int(length if length is not None else rng.integers(300, 701))
    signal = _staircase(rng, n) + rng.normal(0.0, 0.25, n)
    width = max(8, int(n * rng.uniform(0.15, 0.2)))
    start = int(n * rng.uniform(0.35, 0.5))
    signal[start:start + width] += _shape(cap_class, len(signal[start:start + width]), rng)
    signal = (signal - signal.mean()) / (signal.std() or 1.0)
    return np.clip(signal, -4.0, 4.0)


def write_caps(out: str | Path, *, reads: int = 300, classes: int = 4, seed: int = 0) -> list[Path]:
    """Write ``data__<cap>.csv`` for ``classes`` classes with ``reads`` reads each; return the files."""
    if classes < 2:
        raise SpecError(f"must be ≥ 2, got {classes}", path="--classes")
    if reads < 1:
        raise SpecError(f"must be ≥ 1, got {reads}", path="--reads")
    from specdsl.atomic import atomic_path

    folder = Path(out)
    rng = np.random.default_rng(seed)
    written = []
    for cap_class in range(classes):
        path = folder / f"data__{class_name(cap_class)}.csv"
        with atomic_path(path, suffix=".csv") as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["read_id", "cap_class", "timeseries"])
            for _ in range(reads):
                signal = synthetic_signal(cap_class, rng)
                read_id = str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | int(rng.integers(0, 2**63))))
                writer.writerow([read_id, cap_class, ",".join(f"{v:.8f}" for v in signal)])
        written.append(path)
    return written


__all__ = ["CAP_NAMES", "class_name", "synthetic_signal", "write_caps"]
