"""Synthetic BPReveal-format training data with planted motifs, for tests, demos and benchmarks.

A model trained on real data needs a genome and bigWigs; these files need neither, yet have the
structure a BPNet-style model must learn:

* random ACGT sequence with motif instances (default: a GATA-like ``AGATAAG`` and an AP-1-like
  ``TGACTCA``) planted in either orientation at random, non-overlapping positions in the central
  region;
* each instance gives its head a read pile-up: a discrete Laplace bump centred on the motif,
  shifted ``-shift`` on task 0 and ``+shift`` on task 1 (the strand offset of ChIP-nexus/-exo
  data), on top of a low uniform background;
* reads are Poisson draws from those rates times a per-region Gamma factor, so totals are
  negative-binomial and grow with the number and strength of the planted motifs (a counts head
  can learn them from sequence; the profile head can learn the shape);
* every region has at least one read in the positions all jitter offsets share (a region without
  any gets one read at a random position), so no log-counts target is ``-inf``.

The file has the ``prepareTrainingData`` layout (see :mod:`specdsl.formats.bpreveal_h5`), chunked along
regions, plus a ``metadata`` group (``config`` JSON, ``created_date``, ``generator``) and a
``synthetic`` group with the planted instances (``region``, ``motif``, ``position`` — start of the
motif in head coordinates, i.e. along the ``output-length + 2·max-jitter`` axis — ``strand``,
``strength``) as ground truth.  It is written to a temporary file in the target directory and
moved into place with ``os.replace``, so a crash never leaves a half-written file behind.
"""

from __future__ import annotations

import datetime
import json
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from specdsl.formats.bpreveal_h5 import BASES, SEQUENCE, head_dataset

_CODE = {"A": 0, "C": 1, "G": 2, "T": 3}


@dataclass(frozen=True)
class Motif:
    """A planted motif and the reads each of its instances draws into one head."""

    name: str
    sequence: str  # ACGT, forward orientation
    head: int  # index of the head whose profile shows the footprint
    rate: float = 0.8  # expected instances per region (Poisson)
    strength: float = 60.0  # expected reads per task per instance (before per-instance noise)
    width: float = 6.0  # Laplace scale of the bump, bp
    shift: int = 8  # strand offset: task 0 peaks at centre - shift, task 1 at centre + shift

    def codes(self, reverse: bool) -> np.ndarray:
        """Base codes 0..3 (ACGT); reverse complement when ``reverse``."""
        codes = np.array([_CODE[b] for b in self.sequence.upper()], dtype=np.uint8)
        return (3 - codes[::-1]) if reverse else codes


def default_motifs(num_heads: int) -> tuple[Motif, ...]:
    """GATA-like motif on head 0 and AP-1-like motif on head 1 (both on head 0 for a single head)."""
    return (Motif("GATA", "AGATAAG", head=0), Motif("AP1", "TGACTCA", head=1 if num_heads > 1 else 0, strength=90.0))


def _laplace_kernel(width: float) -> tuple[np.ndarray, np.ndarray]:
    """Offsets and weights (summing to 1) of a discrete Laplace bump truncated at ±4 widths."""
    half = max(1, math.ceil(4 * width))
    d = np.arange(-half, half + 1)
    w = np.exp(-np.abs(d) / width)
    return d, (w / w.sum()).astype(np.float64)


def _task_shifts(tasks: int, shift: int) -> np.ndarray:
    """Task 0 (plus strand) peaks upstream, task 1 (minus strand) downstream; more tasks alternate."""
    if tasks == 1:
        return np.zeros(1, dtype=np.int64)
    return np.array([-shift if t % 2 == 0 else shift for t in range(tasks)], dtype=np.int64)


@dataclass(frozen=True)
class _Geometry:
    input_length: int
    output_length: int
    max_jitter: int

    @property
    def seq_width(self) -> int:
        return self.input_length + 2 * self.max_jitter

    @property
    def prof_width(self) -> int:
        return self.output_length + 2 * self.max_jitter

    @property
    def seq_offset(self) -> int:
        """Sequence position of head position 0 (the output window is centred in the input)."""
        return (self.input_length - self.output_length) // 2


def _plant_block(
    rng: np.random.Generator, n: int, geo: _Geometry, heads: Sequence[int], motifs: Sequence[Motif],
    background: float, dispersion: float,
) -> tuple[np.ndarray, list[np.ndarray], dict[str, np.ndarray]]:
    """Sequences, head read counts and the instance table for ``n`` regions, all vectorised."""
    codes = rng.integers(0, BASES, size=(n, geo.seq_width), dtype=np.uint8)
    rates = [np.full((n, geo.prof_width, t), background, dtype=np.float64) for t in heads]

    longest = max(len(m.sequence) for m in motifs)
    margin = min(geo.output_length // 4, max(int(m.shift + 2 * m.width) for m in motifs))
    lo, hi = geo.max_jitter + margin, geo.max_jitter + geo.output_length - margin  # motif starts, head coords
    slot = longest + 2
    n_slots = max(0, (hi - lo - longest) // slot + 1)

    per_motif = rng.poisson([m.rate for m in motifs], size=(n, len(motifs)))
    # Cap instances per region at the number of slots, dropping from the last motif first.
    keep = np.minimum(per_motif, np.maximum(0, n_slots - (np.cumsum(per_motif, axis=1) - per_motif)))
    per_region = keep.sum(axis=1)
    region = np.repeat(np.arange(n), per_region)
    motif = np.repeat(np.tile(np.arange(len(motifs)), n), keep.ravel())
    first = np.concatenate([[0], np.cumsum(per_region)[:-1]])
    rank = np.arange(len(region)) - np.repeat(first, per_region)
    slot_order = np.argsort(rng.random((n, max(1, n_slots))), axis=1)
    lengths = np.array([len(m.sequence) for m in motifs])[motif]
    start = lo + slot_order[region, rank] * slot + rng.integers(0, slot - lengths + 1)
    strand = rng.integers(0, 2, size=len(region))
    strength = np.array([m.strength for m in motifs])[motif] * rng.lognormal(0.0, 0.25, size=len(region))

    for k, m in enumerate(motifs):
        mine = motif == k
        for reverse in (0, 1):
            sel = mine & (strand == reverse)
            pos = geo.seq_offset + start[sel, None] + np.arange(len(m.sequence))[None, :]
            codes[region[sel, None], pos] = m.codes(bool(reverse))[None, :]
        offsets, weights = _laplace_kernel(m.width)
        centre = start[mine] + len(m.sequence) // 2
        for t, shift in enumerate(_task_shifts(heads[m.head], m.shift)):
            where = centre[:, None] + shift + offsets[None, :]
            ok = (where >= 0) & (where < geo.prof_width)
            rows = np.broadcast_to(region[mine, None], where.shape)
            values = strength[mine, None] * weights[None, :]
            np.add.at(rates[m.head][:, :, t], (rows[ok], where[ok]), values[ok])

    gain = rng.gamma(dispersion, 1.0 / dispersion, size=(n, 1, 1)) if dispersion > 0 else np.ones((n, 1, 1))
    reads = [rng.poisson(r * gain).astype(np.float32) for r in rates]
    _ensure_reads(rng, reads, geo)
    onehot = np.eye(BASES, dtype=np.uint8)[codes]
    table = {"region": region, "motif": motif, "position": start, "strand": strand, "strength": strength}
    return onehot, reads, table


def _ensure_reads(rng: np.random.Generator, reads: list[np.ndarray], geo: _Geometry) -> None:
    """Give every region at least one read in the part of the window all jitter offsets share.

    Like prepareBed's ``min-counts`` filter: without it a region with no motif and an unlucky
    background draw has a ``-inf`` log-counts target.
    """
    lo, hi = 2 * geo.max_jitter, geo.output_length
    if hi <= lo:
        return
    for r in reads:
        empty = np.flatnonzero(r[:, lo:hi].sum(axis=(1, 2)) == 0)
        r[empty, rng.integers(lo, hi, size=len(empty)), rng.integers(0, r.shape[2], size=len(empty))] = 1.0


def write_synthetic(
    path: str | os.PathLike,
    n: int,
    input_length: int,
    output_length: int,
    max_jitter: int,
    heads: Sequence[int],
    seed: int = 0,
    motifs: Sequence[Motif] | None = None,
    *,
    background: float = 0.05,
    dispersion: float = 10.0,
    chunk_rows: int = 128,
    compression: str | None = None,
    block_rows: int = 2048,
) -> str:
    """Write ``n`` synthetic regions in BPReveal layout to ``path`` (atomically); return the path.

    ``heads`` gives the number of tasks per head.  ``background`` is the expected reads per
    position per task; ``dispersion`` the Gamma shape of the per-region gain (larger is closer to
    Poisson, 0 turns it off).  Regions are generated and written ``block_rows`` at a time, so
    memory stays bounded for large ``n``; the result depends only on the arguments.
    ``compression`` is passed to h5py (``"gzip"`` like prepareTrainingData; ``None`` is faster).
    Every chunk carries HDF5's standard Fletcher-32 checksum, so a file damaged later (even an
    uncompressed one) fails to read with an error naming the dataset instead of training on garbage;
    any HDF5 reader (BPReveal's h5py included) verifies it transparently.
    """
    if n < 1 or input_length < output_length or output_length < 1 or max_jitter < 0 or not heads:
        raise ValueError("need n ≥ 1, input_length ≥ output_length ≥ 1, max_jitter ≥ 0 and at least one head")
    heads = [int(t) for t in heads]
    motifs = tuple(default_motifs(len(heads)) if motifs is None else motifs)
    for m in motifs:
        if not 0 <= m.head < len(heads):
            raise ValueError(f"motif {m.name!r} targets head {m.head}, but there are {len(heads)} heads")
        if set(m.sequence.upper()) - set(_CODE):
            raise ValueError(f"motif {m.name!r} must be written in A, C, G, T: {m.sequence!r}")
    geo = _Geometry(input_length, output_length, max_jitter)
    if motifs and (geo.output_length // 2) < max(len(m.sequence) for m in motifs) + 2:
        raise ValueError(f"output_length {output_length} is too short to plant motifs")

    import h5py

    target = os.fspath(path)
    tmp = f"{target}.tmp-{os.getpid()}"
    chunk = max(1, min(chunk_rows, n))
    tables: list[dict[str, np.ndarray]] = []
    try:
        with h5py.File(tmp, "w") as h5:
            seq = h5.create_dataset(SEQUENCE, (n, geo.seq_width, BASES), dtype=np.uint8,
                                    chunks=(chunk, geo.seq_width, BASES), compression=compression, fletcher32=True)
            profiles = [h5.create_dataset(head_dataset(i), (n, geo.prof_width, t), dtype=np.float32,
                                          chunks=(chunk, geo.prof_width, t), compression=compression,
                                          fletcher32=True)
                        for i, t in enumerate(heads)]
            for b, lo in enumerate(range(0, n, block_rows)):
                hi = min(n, lo + block_rows)
                rng = np.random.default_rng([seed, b])
                onehot, reads, table = _plant_block(rng, hi - lo, geo, heads, motifs, background, dispersion)
                seq[lo:hi] = onehot
                for ds, r in zip(profiles, reads):
                    ds[lo:hi] = r
                table["region"] = table["region"] + lo
                tables.append(table)
            truth = h5.create_group("synthetic")
            for key in ("region", "motif", "position", "strand", "strength"):
                truth.create_dataset(key, data=np.concatenate([t[key] for t in tables]))
            truth.attrs["motif_names"] = json.dumps([m.name for m in motifs])
            meta = h5.create_group("metadata")
            meta.attrs["generator"] = "specdsl.formats.synthetic_profiles"
            meta.attrs["created_date"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
            meta.attrs["config"] = json.dumps({
                "n": n, "input-length": input_length, "output-length": output_length, "max-jitter": max_jitter,
                "heads": heads, "seed": seed, "background": background, "dispersion": dispersion,
                "motifs": [asdict(m) for m in motifs],
            })
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return target


def synthetic_genome(chroms: int, length: int, seed: int = 0, motifs: Sequence[Motif] | None = None,
                     spacing: int = 150) -> tuple[list[tuple[str, str]], list[tuple[str, int, int, str, str]]]:
    """A genome to predict tracks on: random ACGT chromosomes with the training files' motifs planted
    about every ``spacing`` bp (either strand) and one run of 200 N per chromosome (an assembly gap
    the tiling must avoid).  Returns the (name, sequence) records and the planted sites as
    (chrom, start, end, motif, strand), so a track's peaks can be checked against them."""
    motifs = tuple(default_motifs(1) if motifs is None else motifs)
    rng = np.random.default_rng([seed, 7])
    records, sites = [], []
    for c in range(chroms):
        name = f"chr{c + 1}"
        codes = rng.integers(0, BASES, size=length, dtype=np.uint8)
        gap = length // 2
        for start in range(spacing // 2, length - spacing, spacing):
            if gap - spacing < start < gap + 200 + spacing:  # keep the gap's sides plain
                continue
            start += int(rng.integers(0, spacing // 3))
            k, reverse = int(rng.integers(0, len(motifs))), bool(rng.integers(0, 2))
            motif = motifs[k].codes(reverse)
            codes[start:start + len(motif)] = motif
            sites.append((name, start, start + len(motif), motifs[k].name, "-" if reverse else "+"))
        text = np.frombuffer(b"ACGT", np.uint8)[codes]
        text[gap:gap + 200] = ord("N")
        records.append((name, text.tobytes().decode("ascii")))
    return records, sites


__all__ = ["Motif", "default_motifs", "synthetic_genome", "write_synthetic"]
