"""A synthetic DeepCpG data set with a planted, learnable signal: genome, profiles, ground truth.

Real single-cell methylation data need a genome and sequencing; these files need neither, yet
carry both signals DeepCpG's two modules exist to learn:

* **DNA signal.** Random sequence with a CpG (``CG``) planted at every site.  At 40 % of the
  sites an AP-1-like motif ``TGACTCA`` is planted 3–50 bp to the left or right of the C; such
  sites are mostly unmethylated in every cell (think of a bound factor keeping the site clear).
  A DNA model sees the motif within ±50 bp, so ``--dna_wlen 101`` is enough to learn it.
* **CpG-neighbour signal.** Sites fall in runs of about 40 consecutive sites (regions, ~4 kb)
  whose state, methylated or not, is shared by a run; each cell flips a region's state with
  probability 0.2, so the state is partly cell-specific and only that cell's neighbours reveal it.
* **Noise and missing values.** A site is methylated with probability 0.97 in a methylated
  region without the motif, 0.08 with it and 0.03 in an unmethylated region; each cell observes
  each site with probability 0.7 (about 30 % missing per cell).

A logistic regression on the motif indicator and the mean of a cell's observed neighbour
states (cpg_wlen 50) reaches a held-out AUC of about 0.94 (``tests/test_deepcpg_data.py``
checks ≥ 0.9); a model that learns both signals gets close to that.

Files, under ``out_dir``: ``dna/Synthetic.SYN1.dna.chromosome.<c>.fa.gz`` (Ensembl naming,
one chromosome per file), ``cpg/<cell>.tsv`` (``chromo pos value``; with ``bedgraph=True``
every second cell is ``cpg/<cell>.bedGraph`` with a track line, ``chr`` names and 0-based
starts), values 0/1 or, with ``percent=True``, 0/100; ``.gz`` with ``compress=True``;
``truth.npz``: per site ``chromo``, ``pos``, ``motif``, ``region`` and per site and cell
``state`` (region state) and ``methylated`` (−1 where unobserved), numpy arrays without pickles.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MOTIF = "TGACTCA"
MOTIF_RATE = 0.4
REGION_SITES = 40  # mean run length of a region, in sites
FLIP = 0.2  # a cell's chance to flip a region's shared state
P_METHYLATED = {"region, no motif": 0.97, "region, motif": 0.08, "no region": 0.03}
OBSERVED = 0.7
MARGIN = 200  # bp before the first and after the last site
_BASES = np.frombuffer(b"ATGC", dtype=np.uint8)


def synthetic_deepcpg_paths(out_dir: str | Path, *, chromosomes: Sequence[str] = ("1", "2"), cells: int = 3,
                            bedgraph: bool = False, compress: bool = False) -> dict[str, Any]:
    """The files :func:`write_synthetic_deepcpg` writes with these arguments (nothing is written)."""
    out = Path(out_dir)
    gz = ".gz" if compress else ""
    names = [f"cell{i + 1}" for i in range(cells)]
    profiles = [out / "cpg" / f"{n}{'.bedGraph' if bedgraph and i % 2 else '.tsv'}{gz}" for i, n in enumerate(names)]
    return {
        "dna_dir": out / "dna",
        "dna_files": [out / "dna" / f"Synthetic.SYN1.dna.chromosome.{c}.fa.gz" for c in chromosomes],
        "profiles": profiles,
        "cells": names,
        "truth": out / "truth.npz",
    }


def _fasta_bytes(name: str, seq: np.ndarray, width: int = 60) -> bytes:
    rows = -(-len(seq) // width)
    grid = np.full((rows, width + 1), ord("\n"), dtype=np.uint8)
    padded = np.full(rows * width, ord("\n"), dtype=np.uint8)
    padded[: len(seq)] = seq
    grid[:, :width] = padded.reshape(rows, width)
    body = grid.tobytes()
    tail = rows * width - len(seq)  # the last row is short: drop its padding, keep its newline
    if tail:
        body = body[: -(tail + 1)] + b"\n"
    return f">{name} dna:chromosome synthetic\n".encode() + body


def _chromosome(rng: np.random.Generator, n: int, cells: int) -> dict[str, np.ndarray]:
    """Sequence, sites and methylation of one chromosome (all vectorised)."""
    pos = MARGIN + np.cumsum(30 + rng.geometric(1 / 70, n))  # 1-based C positions, ~100 bp apart
    seq = _BASES[rng.integers(0, 4, pos[-1] + MARGIN)]
    motif = rng.random(n) < MOTIF_RATE
    left = rng.random(n) < 0.5
    offset = np.where(left, rng.integers(-50, -len(MOTIF) - 1, n), rng.integers(3, 51 - len(MOTIF), n))
    starts = (pos - 1 + offset)[motif]
    seq[starts[:, None] + np.arange(len(MOTIF))] = np.frombuffer(MOTIF.encode(), dtype=np.uint8)
    seq[pos - 1], seq[pos] = ord("C"), ord("G")  # after the motifs: every site stays a CpG
    region = np.cumsum(rng.random(n) < 1 / REGION_SITES)
    shared = rng.random(region[-1] + 1) < 0.5
    state = shared[region][:, None] ^ (rng.random((region[-1] + 1, cells)) < FLIP)[region]
    p = np.where(state, np.where(motif[:, None], P_METHYLATED["region, motif"], P_METHYLATED["region, no motif"]),
                 P_METHYLATED["no region"])
    methylated = (rng.random((n, cells)) < p).astype(np.int8)
    methylated[rng.random((n, cells)) >= OBSERVED] = -1
    return {"seq": seq, "pos": pos.astype(np.int32), "motif": motif.astype(np.int8), "region": region,
            "state": state.astype(np.int8), "methylated": methylated}


def _profile_text(chromo: str, pos: np.ndarray, values: np.ndarray, bedgraph: bool) -> str:
    if bedgraph:
        return "".join(f"chr{chromo}\t{p - 1}\t{p}\t{v}\n" for p, v in zip(pos.tolist(), values.tolist()))
    return "".join(f"{chromo}\t{p}\t{v}\n" for p, v in zip(pos.tolist(), values.tolist()))


def write_synthetic_deepcpg(out_dir: str | Path, *, chromosomes: Sequence[str] = ("1", "2"),
                            sites_per_chromosome: int = 5000, cells: int = 3, seed: int = 0, percent: bool = False,
                            bedgraph: bool = False, compress: bool = False) -> dict[str, Any]:
    """Write genome, profiles and ground truth (see the module docstring); return the paths and counts.

    The returned dict is :func:`synthetic_deepcpg_paths`'s plus ``sites`` (total sites planted)
    and ``command``: the ``specdsl deepcpg data`` arguments that prepare these files.
    """
    if sites_per_chromosome < 1 or cells < 1 or not chromosomes:
        raise ValueError("need at least one chromosome, one site per chromosome and one cell")
    paths = synthetic_deepcpg_paths(out_dir, chromosomes=chromosomes, cells=cells, bedgraph=bedgraph,
                                    compress=compress)
    paths["dna_dir"].mkdir(parents=True, exist_ok=True)
    paths["profiles"][0].parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    texts: list[list[str]] = [[] for _ in range(cells)]
    truth: dict[str, list[np.ndarray]] = {k: [] for k in ("chromo", "pos", "motif", "region", "state", "methylated")}
    for chromo, dna_file in zip(chromosomes, paths["dna_files"]):
        chrom = _chromosome(rng, sites_per_chromosome, cells)
        with gzip.open(dna_file, "wb", compresslevel=1) as handle:
            handle.write(_fasta_bytes(chromo, chrom["seq"]))
        for cell in range(cells):
            seen = chrom["methylated"][:, cell] >= 0
            values = chrom["methylated"][seen, cell].astype(np.int32) * (100 if percent else 1)
            texts[cell].append(_profile_text(chromo, chrom["pos"][seen], values, bedgraph and cell % 2 == 1))
        truth["chromo"].append(np.full(sites_per_chromosome, chromo.encode(), dtype=f"S{max(2, len(chromo))}"))
        for key in ("pos", "motif", "region", "state", "methylated"):
            truth[key].append(chrom[key])
    for cell, path in enumerate(paths["profiles"]):
        header = "track type=bedGraph\n" if bedgraph and cell % 2 == 1 else ""
        data = (header + "".join(texts[cell])).encode()
        if compress:
            with gzip.open(path, "wb", compresslevel=1) as handle:
                handle.write(data)
        else:
            path.write_bytes(data)
    np.savez_compressed(paths["truth"], **{k: np.concatenate(v) for k, v in truth.items()})
    paths["sites"] = sites_per_chromosome * len(chromosomes)
    paths["command"] = ["--cpg_profiles", *map(str, paths["profiles"]), "--dna_files", str(paths["dna_dir"])]
    return paths


def make_synthetic_deepcpg_data(out_dir: str | Path, *, dna_wlen: int = 1001, cpg_wlen: int = 50,
                                chunk_size: int = 32768, val_chromosomes: Sequence[str] | None = None,
                                **kwargs: Any) -> dict[str, Any]:
    """Synthetic inputs *and* DeepCpG chunks: what ``specdsl make-data deepcpg --out DIR`` needs.

    Writes :func:`write_synthetic_deepcpg` ``(out_dir, **kwargs)``, then runs the data preparation
    into ``out_dir/data``.  Chunks of ``val_chromosomes`` (default: the last chromosome) are
    listed as ``val_files``, the others as ``train_files``, DeepCpG's split by chromosome.
    """
    from specdsl.systems.deepcpg.dataprep import DataPrepOptions, prepare_data

    raw = write_synthetic_deepcpg(out_dir, **kwargs)
    chromosomes = [str(c) for c in kwargs.get("chromosomes", ("1", "2"))]
    val = set(val_chromosomes if val_chromosomes is not None else chromosomes[-1:])
    data_dir = Path(out_dir) / "data"
    options = DataPrepOptions(cpg_profiles=tuple(map(str, raw["profiles"])), dna_files=(str(raw["dna_dir"]),),
                              out_dir=str(data_dir), dna_wlen=dna_wlen, cpg_wlen=cpg_wlen, chunk_size=chunk_size)
    result = prepare_data(options)
    files = {c: [data_dir / name for name in names] for c, names in result.chunks.items()}
    return {
        "raw": raw,
        "data_dir": data_dir,
        "train_files": [f for c, fs in files.items() if c not in val for f in fs],
        "val_files": [f for c, fs in files.items() if c in val for f in fs],
        "sites": result.sites,
        "command": [*raw["command"], "--dna_wlen", str(dna_wlen), "--cpg_wlen", str(cpg_wlen),
                    "--chunk_size", str(chunk_size), "--out_dir", str(data_dir)],
    }


__all__ = ["MOTIF", "make_synthetic_deepcpg_data", "synthetic_deepcpg_paths", "write_synthetic_deepcpg"]
