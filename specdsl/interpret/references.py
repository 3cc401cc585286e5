"""Shuffled reference sequences for DeepLIFT-SHAP, NumPy only.

DeepLIFT-SHAP explains ``f(x) − mean_r f(r)`` over references ``r`` that look like the input without its
motifs.  The usual choice (tangermeme, bpnet-lite, kundajelab deeplift) is a **dinucleotide shuffle**:
a random Eulerian path through the graph of the sequence's dinucleotides, which keeps every
dinucleotide count and the first and last base.  BPReveal's ``interpretFlat`` uses a mononucleotide
permutation (``kmer-size`` 1) or ushuffle's k-mer shuffle; both are here too.

Conventions
    - One sequence is ``(L, A)`` (A = 4 for DNA), a batch ``(N, L, A)``: length-first, like specdsl.
    - **Rows that are not one clean base** (an N as an all-zero row or as 0.25s, a soft or masked row)
      are letters of their own: every distinct row value is one letter of the alphabet that is
      shuffled.  So N rows move with the shuffle like any base, the k-mer counts kept are those over
      the extended alphabet (``AN``, ``NN``, … counted too), and every row of a reference is a row of
      the input, bit for bit.  This is the simplest rule that is always correct (tangermeme's shuffle
      takes clean one-hot input only; bpnet-lite's ``bpnet attribute`` drops loci with an N).
    - **Seeding per sequence**: :func:`references` draws sequence ``i`` of its input from
      ``numpy.random.default_rng([seed, first_index + i])``, so a sequence's references depend on
      its index and ``seed`` only, never on which other sequences share its batch; a file processed
      in chunks (``first_index`` = the chunk's start) gets the same references as in one go.  The
      first ``m`` of ``n`` shuffles equal the ``m`` shuffles of a call with ``n=m``.

The Eulerian shuffle follows deeplift's ``dinuc_shuffle``: each letter's successors are permuted,
except the one it is last followed by, which keeps a path through every edge (those last exits form a
tree into the final letter).  Unlike deeplift and tangermeme, the final letter's successors are all
permuted, which the BEST theorem allows, so that e.g. ``ACAGA`` also gives ``AGACA``.  It is exact in
the counts it keeps but, like theirs, not uniform over all such sequences (ushuffle's is).  The walk
runs for all shuffles of many sequences at once, one NumPy step per position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specdsl.errors import SpecError, did_you_mean

#: ``references(method=...)`` names and the k-mer size each one keeps ("kmer" takes ``k``).
METHODS: dict[str, int | None] = {"dinucleotide": 2, "mononucleotide": 1, "kmer": None}

#: Entries in one walk's bookkeeping arrays (rows × edges): bounds memory for long batches.
_WALK_BUDGET = 1 << 22


@dataclass(frozen=True)
class _Graph:
    """One sequence as a de Bruijn-style graph: vertices are its (k−1)-mers, edge j its k-mer at j.

    ``source[j]``/``target[j]`` are the vertices of windows j and j+1; ``last[j]`` marks the last exit
    of each vertex but the final one in the sequence, kept last in every shuffle so that a path
    through all edges exists (those last exits form a tree into the final vertex).  ``offsets[v]``
    is where v's exits start in vertex-sorted order, ``emits[v]`` a position of v's last letter in
    ``seq``.  For k = 1 there is no graph: the shuffle is a permutation of the positions.
    """

    seq: np.ndarray
    k: int
    source: np.ndarray
    target: np.ndarray
    last: np.ndarray
    offsets: np.ndarray
    emits: np.ndarray

    @property
    def edges(self) -> int:
        return len(self.source)


def _graph(seq: np.ndarray, k: int, what: str) -> _Graph:
    """The graph of ``seq`` for a k-mer shuffle, or a SpecError saying why no shuffle can differ."""
    if seq.ndim != 2 or seq.shape[1] == 0:
        raise SpecError(f"{what} has shape {seq.shape}; a sequence for shuffling is (length, alphabet), "
                        "e.g. (L, 4) one-hot")
    if not np.all(np.isfinite(seq)):
        raise SpecError(f"{what} has NaN or infinite values; references are shuffles of one-hot rows")
    length = seq.shape[0]
    if length <= k:
        raise SpecError(f"{what} is too short to shuffle: {length} positions, a {_name(k)} shuffle needs "
                        f"at least {k + 1}", hint="give longer sequences or a smaller k")
    letters = _letters(seq)
    if k == 1:
        if np.all(letters == letters[0]):
            raise SpecError(f"{what} has one letter only: every shuffle of it is the sequence itself",
                            hint="a reference equal to the input explains nothing; leave such sequences out")
        positions = np.arange(length)
        return _Graph(seq, 1, positions, positions, np.zeros(length, bool), positions[:1], positions[:1])
    _, first, vertex = np.unique(_window_codes(letters, k - 1), return_index=True, return_inverse=True)
    vertex = vertex.reshape(-1)
    source, target = vertex[:-1], vertex[1:]
    edges, n_vertices = len(source), len(first)
    last = np.zeros(edges, bool)
    last[edges - 1 - np.unique(source[::-1], return_index=True)[1]] = True
    last[source == vertex[-1]] = False  # the final vertex's exits are all free (BEST theorem)
    # Only a vertex whose free (not last) exits lead to two different vertices can change the path.
    free = np.unique(source[~last] * n_vertices + target[~last]) // n_vertices
    if len(free) == 0 or np.bincount(free).max() < 2:
        raise SpecError(f"{what} cannot be shuffled: every {_name(k)} shuffle made here is the sequence itself "
                        f"(it keeps the first and last {k - 1} positions and every {k}-mer count)",
                        hint="give longer or less repetitive sequences, or a smaller k")
    exits = np.bincount(source, minlength=n_vertices)
    offsets = np.cumsum(exits) - exits
    return _Graph(seq, k, source, target, last, offsets, first + (k - 2))


def _letters(seq: np.ndarray) -> np.ndarray:
    """Each row's letter: its base for clean one-hot input, else one letter per distinct row value."""
    if np.all((seq == 0) | (seq == 1)) and np.all(seq.sum(axis=1) == 1):
        return seq.argmax(axis=1)
    return np.unique(seq, axis=0, return_inverse=True)[1].reshape(-1)


def _window_codes(letters: np.ndarray, width: int) -> np.ndarray:
    """One integer per window of ``width`` letters (equal windows, equal codes)."""
    windows = np.lib.stride_tricks.sliding_window_view(letters, width)
    size = int(letters.max()) + 1
    if size ** width >= 2**62:  # too many letters for a positional code: compare the windows themselves
        return np.unique(windows, axis=0, return_inverse=True)[1].reshape(-1)
    return windows.astype(np.int64) @ (size ** np.arange(width, dtype=np.int64))


def _name(k: int) -> str:
    return {1: "mononucleotide", 2: "dinucleotide"}.get(k, f"{k}-mer")


def _draw(graph: _Graph, n: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, E)`` random choices: for k = 1 a permutation of the positions; otherwise the edge targets
    sorted by source vertex, each vertex's exits in random order but its last exit (``graph.last``) kept last."""
    keys = rng.random((n, graph.edges))
    if graph.k == 1:
        return np.argsort(keys, axis=1)
    keys *= 0.5  # [0, 0.5): a vertex's block is [v, v + 0.5), its last exit at v + 0.75
    keys[:, graph.last] = 0.75
    return graph.target[np.argsort(graph.source + keys, axis=1)]


def _walk(graphs: list[_Graph], draws: list[np.ndarray]) -> np.ndarray:
    """Follow the shuffled exits from the first window, for every row of every graph at once.

    Returns ``(R, L)`` positions of the original sequences: row r of the result is
    ``seq[positions[r]]``.  All graphs have the same length (and k).  Vertices get one number per
    row (``row * width + v``) so that each step is four flat NumPy operations over the rows.
    """
    k = graphs[0].k
    if k == 1:
        return np.concatenate(draws)
    counts = [len(d) for d in draws]
    rows, n_edges = sum(counts), graphs[0].edges
    width = max(len(g.offsets) for g in graphs)
    row = np.arange(rows)
    owner = np.repeat(np.arange(len(graphs)), counts)
    targets = (np.concatenate(draws) + (row * width)[:, None]).reshape(-1)
    offsets = np.stack([np.pad(g.offsets, (0, width - len(g.offsets))) for g in graphs])
    pointer = (offsets[owner] + (row * n_edges)[:, None]).reshape(-1)
    vertex = row * width + np.array([g.source[0] for g in graphs])[owner]
    path = np.empty((n_edges, rows), np.int64)
    for step in range(n_edges):
        at = pointer[vertex]
        pointer[vertex] = at + 1
        vertex = targets[at]
        path[step] = vertex
    emits = np.stack([np.pad(g.emits, (0, width - len(g.emits))) for g in graphs])
    local = path.T - (row * width)[:, None]
    prefix = np.broadcast_to(np.arange(k - 1), (rows, k - 1))
    return np.concatenate([prefix, emits[owner[:, None], local]], axis=1)


def _shuffle(graphs: list[_Graph], rngs: list[np.random.Generator], n: int) -> np.ndarray:
    """``(len(graphs), n, L, A)`` shuffles, walked in chunks that keep the bookkeeping bounded."""
    seqs = np.stack([g.seq for g in graphs])
    out = np.empty((len(graphs), n, *seqs.shape[1:]), seqs.dtype)
    per_chunk = max(1, _WALK_BUDGET // max(1, n * graphs[0].edges))
    for start in range(0, len(graphs), per_chunk):
        chunk = graphs[start:start + per_chunk]
        positions = _walk(chunk, [_draw(g, n, r) for g, r in zip(chunk, rngs[start:start + per_chunk])])
        positions = positions.reshape(len(chunk), n, -1)
        out[start:start + len(chunk)] = seqs[start:start + len(chunk)][np.arange(len(chunk))[:, None, None], positions]
    return out


def _count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise SpecError(f"the number of shuffles must be a positive whole number, not {n!r}")
    return int(n)


def _k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise SpecError(f"k (the k-mer size kept by the shuffle) must be a positive whole number, not {k!r}")
    return int(k)


def kmer_shuffle(seq: np.ndarray, n: int, k: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
    """``n`` shuffles of one ``(L, A)`` sequence that keep every k-mer count, as ``(n, L, A)``.

    k = 1 is a permutation of the positions; k ≥ 2 an Eulerian path over the (k−1)-mers, which also
    keeps the first and last k−1 positions (k = 2 is :func:`dinucleotide_shuffle`).  ``rng`` is a
    NumPy Generator or a seed.  Raises SpecError when the sequence is too short (L ≤ k) or when no
    shuffle can differ from the sequence itself (a reference equal to the input explains nothing).
    """
    seq = np.asarray(seq)
    graph = _graph(seq, _k(k), "the sequence")
    return _shuffle([graph], [np.random.default_rng(rng)], _count(n))[0]


def dinucleotide_shuffle(seq: np.ndarray, n: int = 20, rng: np.random.Generator | int | None = None) -> np.ndarray:
    """``n`` dinucleotide shuffles of one ``(L, A)`` sequence, as ``(n, L, A)``: each keeps every
    dinucleotide count and the first and last base (deeplift's ``dinuc_shuffle``, tangermeme's
    ``ersatz.dinucleotide_shuffle``, length-first)."""
    return kmer_shuffle(seq, n, 2, rng)


def _method_k(method: str, k: int | None) -> int:
    if method not in METHODS:
        raise SpecError(f"unknown reference method {method!r}", expected=" | ".join(METHODS),
                        hint=did_you_mean(str(method), METHODS))
    fixed = METHODS[method]
    if fixed is None:
        if k is None:
            raise SpecError("the 'kmer' reference method needs k, the k-mer size to keep",
                            hint="e.g. references(X, method='kmer', k=3); BPReveal's kmer-size")
        return _k(k)
    if k is not None and _k(k) != fixed:
        raise SpecError(f"method {method!r} keeps {fixed}-mers, but k={k} was given",
                        hint=f"use method='kmer', k={k}")
    return fixed


def references(X: np.ndarray, n: int = 20, method: str = "dinucleotide", k: int | None = None,
               seed: int = 0, first_index: int = 0) -> np.ndarray:
    """``n`` shuffled references per sequence of an ``(N, L, A)`` batch, as ``(N, n, L, A)`` float32.

    ``method`` is "dinucleotide" (the default of tangermeme and bpnet-lite), "mononucleotide"
    (BPReveal's ``kmer-size`` 1) or "kmer" with ``k``.  Sequence i uses
    ``numpy.random.default_rng([seed, first_index + i])``: pass the index of ``X[0]`` in the whole
    data set as ``first_index`` when working in chunks (the result holds N·n·L·A values: for a large
    data set, make references one batch at a time).  Rows that are not one clean base are
    letters of their own (see the module docstring).  Raises SpecError naming the sequence when one
    is too short or has a single path (every shuffle would equal it).
    """
    X = np.asarray(X)
    if X.ndim != 3:
        raise SpecError(f"references take a batch of shape (N, L, 4), not {X.shape}",
                        hint="for one sequence use dinucleotide_shuffle or kmer_shuffle, or X[None]")
    size = _method_k(method, k)
    n = _count(n)
    for name, value in (("seed", seed), ("first_index", first_index)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise SpecError(f"{name} must be a whole number ≥ 0, not {value!r}")
    X = X.astype(np.float32, copy=False)
    if len(X) == 0:
        return np.empty((0, n, *X.shape[1:]), np.float32)
    graphs = [_graph(x, size, f"sequence {first_index + i}") for i, x in enumerate(X)]
    rngs = [np.random.default_rng([int(seed), int(first_index) + i]) for i in range(len(X))]
    return _shuffle(graphs, rngs, n)


__all__ = ["METHODS", "dinucleotide_shuffle", "kmer_shuffle", "references"]
