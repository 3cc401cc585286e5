"""tranquillyzer's read simulator (``scripts/simulate_training_data.py``, v0.2.2), seeded and vectorised.

A *valid* read is the model's segments in seq-order, wrapped in random cDNA flanks::

    [cDNA flank 0–49] 5p CBC UMI polyT cDNA 3p [cDNA flank 0–49]

* ``N<k>``: k random bases; ``NN``: a cDNA fragment of U[min-cDNA, max-cDNA) bases, random or,
  with a transcriptome, the start or the end (50/50) of a random transcript (the whole
  transcript when it is shorter); ``A``/``T``: a homopolymer of 0–49 bases; a literal: itself.
* An *invalid* read (``invalid_fraction`` of the molecules) is one of five types, uniformly:
  ``concat`` (a second valid read appended as is, reversed or reverse-complemented, weights
  0.5/0.25/0.25), ``repeat_adapter_5p`` / ``repeat_adapter_3p`` (the first / last segment
  three times before / after a valid read), ``truncate_5p`` / ``truncate_3p`` (1 base up to
  70 % of the read cut from that end).  Invalid reads use the same labels.
* With ``rc`` each molecule also gives its reverse complement (labels reversed), before errors.
* Errors, per base and by segment: a mismatch (another base), an insertion (the base, then 1 to
  ``max_insertions`` random bases of the same label, each further one with probability
  insertion-rate) or a deletion, with the global rates; homopolymer segments use the polyT
  error rate for all three; cDNA (and tranquillyzer's ``ACC`` segment) get none.

With ``cells`` (a barcode whitelist, specdsl's ``--whitelist``/``--num-cells``), each molecule's
barcode segments are the values of one whitelist row drawn uniformly, instead of random bases, and
the row is recorded for each read (:meth:`Simulator.chunk_with_cells`): the truth a demultiplexing
run is scored against.  The second molecule of a concatenated read draws its own row.

Differences from tranquillyzer, on purpose: runs are seeded (``seed``; the same seed gives the
same reads whatever ``threads`` is), a homopolymer is labelled with its seq-order label (the
shipped files agree with tranquillyzer's fixed polyA/polyT names), cDNA lengths are uniform
in [min, max) rather than also capped by a random transcript's length, and reads are
written in blocks (:mod:`.readsfile`) rather than held in memory.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from specdsl.systems.tranquillyzer.seq_orders import Segment, SeqOrder
from specdsl.systems.tranquillyzer.tokens import encode, reverse_complement

KINDS = ("valid", "concat", "repeat_adapter_5p", "repeat_adapter_3p", "truncate_5p", "truncate_3p")
FLANK = Segment("cDNA", "RN")
MAX_FLANK = 50  # flanks and homopolymers: 0–49 bases, as tranquillyzer's randint(0, 50)
CHUNK = 512  # molecules per seeded chunk (the unit of parallel work)


@dataclass(frozen=True)
class SimulationOptions:
    """simulate-data's options (tranquillyzer's names and defaults) plus a seed."""

    num_reads: int = 50_000
    mismatch_rate: float = 0.05
    insertion_rate: float = 0.05
    deletion_rate: float = 0.06
    min_cDNA: int = 100
    max_cDNA: int = 500
    polyT_error_rate: float = 0.02
    max_insertions: int = 1
    rc: bool = True
    invalid_fraction: float = 0.3
    seed: int = 0

    def record(self) -> dict[str, Any]:
        return asdict(self)


class Simulator:
    """Reads and per-base labels of one seq order (see the module docstring)."""

    def __init__(self, order: SeqOrder, options: SimulationOptions, transcripts: list[np.ndarray] | None = None,
                 cells: list[tuple[str, ...]] | None = None):
        self.order = order
        self.cells = [{bc: encode(v) for bc, v in zip(order.barcodes, row)} for row in cells or []]
        self.o = options
        self.classes = order.classes
        self.ids = {name: i for i, name in enumerate(self.classes)}
        self.segments = (FLANK, *order.segments, FLANK)
        self.literals = {s.pattern: encode(s.pattern) for s in order.segments if s.kind == "literal"}
        self.transcripts = transcripts or []
        k = len(self.classes)
        self.mis, self.ins, self.dele = np.zeros(k), np.zeros(k), np.zeros(k)
        for seg in order.segments:
            i = self.ids[seg.label]
            if seg.kind == "cdna" or seg.label in ("cDNA", "ACC"):
                continue
            rate = (options.polyT_error_rate,) * 3 if seg.kind == "homopolymer" else (
                options.mismatch_rate, options.insertion_rate, options.deletion_rate)
            self.mis[i], self.ins[i], self.dele[i] = rate

    # ------------------------------------------------------------------ segments and reads

    def _bases(self, rng: np.random.Generator, length: int) -> np.ndarray:
        """cDNA bases: random, or a fragment of a random transcript."""
        if not self.transcripts:
            return rng.integers(1, 5, size=length, dtype=np.uint8)
        t = self.transcripts[int(rng.integers(len(self.transcripts)))]
        if len(t) <= length:
            return t
        return t[:length] if rng.random() < 0.5 else t[len(t) - length:]

    def segment(self, rng: np.random.Generator, seg: Segment) -> np.ndarray:
        kind = seg.kind
        if seg.pattern == "RN":
            return self._bases(rng, int(rng.integers(0, MAX_FLANK)))
        if kind == "random":
            return rng.integers(1, 5, size=int(seg.pattern[1:]), dtype=np.uint8)
        if kind == "cdna":
            lo, hi = self.o.min_cDNA, self.o.max_cDNA
            return self._bases(rng, int(rng.integers(lo, hi)) if hi > lo else lo)
        if kind == "homopolymer":
            return np.full(int(rng.integers(0, MAX_FLANK)), 1 if seg.pattern == "A" else 4, dtype=np.uint8)
        return self.literals[seg.pattern]

    def _join(self, parts: list[tuple[np.ndarray, str]]) -> tuple[np.ndarray, np.ndarray]:
        tokens = np.concatenate([p for p, _ in parts]) if parts else np.zeros(0, np.uint8)
        labels = np.concatenate([np.full(len(p), self.ids[lab], np.int8) for p, lab in parts]) if parts else \
            np.zeros(0, np.int8)
        return tokens.astype(np.uint8), labels

    def valid(self, rng: np.random.Generator, cell: int = -1) -> tuple[np.ndarray, np.ndarray]:
        if cell < 0:
            return self._join([(self.segment(rng, s), s.label) for s in self.segments])
        row = self.cells[cell]
        return self._join([(row[s.label] if s.label in row else self.segment(rng, s), s.label) for s in self.segments])

    def _cell(self, rng: np.random.Generator) -> int:
        return int(rng.integers(len(self.cells))) if self.cells else -1

    def invalid(self, rng: np.random.Generator, kind: str, cell: int = -1) -> tuple[np.ndarray, np.ndarray]:
        tokens, labels = self.valid(rng, cell)
        if kind == "concat":
            t2, l2 = self.valid(rng, self._cell(rng))
            flip = rng.choice(3, p=[0.5, 0.25, 0.25])
            if flip == 1:
                t2, l2 = t2[::-1], l2[::-1]
            elif flip == 2:
                t2, l2 = reverse_complement(t2), l2[::-1]
            return np.concatenate([tokens, t2]), np.concatenate([labels, l2])
        if kind in ("repeat_adapter_5p", "repeat_adapter_3p"):
            seg = self.order.segments[0 if kind.endswith("5p") else -1]
            rep = np.tile(self.segment(rng, seg), 3)
            lab = np.full(len(rep), self.ids[seg.label], np.int8)
            if kind.endswith("5p"):
                return np.concatenate([rep, tokens]), np.concatenate([lab, labels])
            return np.concatenate([tokens, rep]), np.concatenate([labels, lab])
        n = len(tokens)  # truncations
        if n <= 1:
            return tokens, labels
        most = min(max(1, int(n * 0.7)), n - 1)
        cut = int(rng.integers(1, most + 1))
        if kind == "truncate_5p":
            return tokens[cut:], labels[cut:]
        return tokens[:-cut], labels[:-cut]

    def errors(self, rng: np.random.Generator, tokens: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mismatches, insertions and deletions by each base's label (see the module docstring)."""
        n = len(tokens)
        if n == 0:
            return tokens, labels
        m, i, d = self.mis[labels], self.ins[labels], self.dele[labels]
        r = rng.random(n)
        mis = r < m
        ins = (r >= m) & (r < m + i)
        dele = (r >= m + i) & (r < m + i + d)
        out = tokens.copy()
        if mis.any():
            old = out[mis].astype(np.int64)
            shift = rng.integers(1, 4, size=old.size)
            new = (old - 1 + shift) % 4 + 1
            new[old == 5] = rng.integers(1, 5, size=int((old == 5).sum()))
            out[mis] = new
        counts = np.ones(n, np.int64)
        counts[dele] = 0
        most = self.o.max_insertions
        if most >= 1 and ins.any():
            more = rng.geometric(1.0 - np.minimum(i[ins], 1 - 1e-12))  # 1 + further insertions, each with rate i
            counts[ins] = 1 + np.minimum(more, most)
        index = np.repeat(np.arange(n), counts)
        first = np.ones(len(index), bool)
        first[1:] = index[1:] != index[:-1]
        noisy = out[index]
        noisy[~first] = rng.integers(1, 5, size=int((~first).sum()), dtype=np.uint8)
        return noisy, labels[index]

    def molecule(self, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray, int, int, int]]:
        """One simulated molecule: (tokens, labels, kind, strand, cell), twice with ``rc``."""
        kind = 0
        cell = self._cell(rng)
        if rng.random() < self.o.invalid_fraction:
            kind = 1 + int(rng.integers(len(KINDS) - 1))
            tokens, labels = self.invalid(rng, KINDS[kind], cell)
        else:
            tokens, labels = self.valid(rng, cell)
        out = [(tokens, labels, 0)]
        if self.o.rc:
            out.append((reverse_complement(tokens), labels[::-1].copy(), 1))
        return [(*self.errors(rng, t, lab), kind, strand, cell) for t, lab, strand in out]

    def chunk_with_cells(self, index: int) -> tuple[list, list, list, list, list]:
        """Molecules [index·CHUNK, …) of the run, from their own seed (so threads do not change them), and
        each read's whitelist row (0-based; −1 without ``cells``)."""
        rng = np.random.default_rng([self.o.seed, index])
        count = min(CHUNK, self.o.num_reads - index * CHUNK)
        columns: tuple[list, list, list, list, list] = ([], [], [], [], [])
        for _ in range(count):
            for read in self.molecule(rng):
                for column, value in zip(columns, read):
                    column.append(value)
        return columns

    def chunk(self, index: int) -> tuple[list[np.ndarray], list[np.ndarray], list[int], list[int]]:
        """(tokens, labels, kinds, strands) of :meth:`chunk_with_cells`."""
        return self.chunk_with_cells(index)[:4]


_WORKER: Simulator | None = None  # inherited by forked workers, never pickled


def _work(index: int) -> Any:
    assert _WORKER is not None
    return _WORKER.chunk_with_cells(index)


def simulate(sim: Simulator, threads: int = 1, cells: bool = False) -> Iterator[tuple[list, ...]]:
    """The run's chunks in order (tokens, labels, kinds, strands, and each read's cell with ``cells``);
    with ``threads`` > 1, computed by forked worker processes."""
    for chunk in _chunks(sim, threads):
        yield chunk if cells else chunk[:4]


def _chunks(sim: Simulator, threads: int) -> Iterator[tuple[list, ...]]:
    global _WORKER
    chunks = math.ceil(sim.o.num_reads / CHUNK)
    if threads <= 1 or chunks <= 1 or "tensorflow" in sys.modules:  # never fork a process that holds TensorFlow
        for index in range(chunks):
            yield sim.chunk_with_cells(index)
        return
    import multiprocessing

    _WORKER = sim
    try:
        with multiprocessing.get_context("fork").Pool(threads) as pool:
            yield from pool.imap(_work, range(chunks))
    finally:
        _WORKER = None


def load_transcripts(path: str) -> list[np.ndarray]:
    """Every sequence of a transcriptome FASTA (plain or gzip) as tokens."""
    from specdsl.errors import SpecError
    from specdsl.formats.fastx import read_fastx

    out = [encode(r.sequence) for r in read_fastx(path) if r.sequence]
    if not out:
        raise SpecError("the transcriptome holds no sequences", file=path, path="--transcriptome")
    return out


__all__ = ["KINDS", "SimulationOptions", "Simulator", "load_transcripts", "simulate"]
