"""The genome side of DeepCpG's data: per-chromosome FASTA files, DNA windows, and the CpG check.

DeepCpG (``deepcpg/data/fasta.py``) finds a chromosome's sequence in a folder by the Ensembl
name ``*.dna.chromosome.<chromo>.fa*``, or in a list of files by the first name containing
``chromosome.<chromo>.fa``; each file holds one sequence.  The same rules apply here, with two
refinements: several folders may be given, and a chromosome that matches more than one file is
an error (two assemblies or masking variants in one folder would otherwise be picked by chance).

Only one chromosome's sequence is in memory at a time, as one byte per base (the codes below),
read in 8 MB pieces without holding the FASTA text.

Codes are DeepCpG's (``deepcpg/data/dna.py``): A 0, T 1, G 2, C 3, N 4; lower case (soft-masked)
bases count as upper case and any other letter (IUPAC ambiguity codes) as N.  **Deliberate
difference:** DeepCpG replaces every N of a window, including the padding beyond a chromosome
end, by a random base; here N stays 4, so the data carry no invented sequence and a run is
reproducible without a seed.  A one-hot encoder that maps 4 to all zeros (DeepCpG's
``int_to_onehot`` does) reads these windows unchanged.
"""

from __future__ import annotations

import glob
import os
import zlib
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from specdsl.errors import SpecError, quoted_list
from specdsl.formats.textio import open_binary

A, T, G, C, N = 0, 1, 2, 3, 4
LETTERS = "ATGCN"
_LUT = np.full(256, N, dtype=np.uint8)
for _code, _base in enumerate("ATGC"):
    _LUT[ord(_base)] = _LUT[ord(_base.lower())] = _code
_PIECE = 1 << 23
_INDEX_SUFFIXES = (".fai", ".gzi")  # samtools faidx / bgzip indexes beside the FASTA files
_NAMING_HINT = ("name the files as Ensembl does, one chromosome per file: "
                "<anything>.dna.chromosome.<chromo>.fa[.gz] (e.g. Mus_musculus.GRCm38.dna.chromosome.1.fa.gz); "
                "UCSC's chr1.fa.gz can be linked: ln -s chr1.fa.gz genome.dna.chromosome.1.fa.gz")


def _expand(dna_files: Sequence[str]) -> list[tuple[str, bool]]:
    """Each given path, or each FASTA of a given folder; (path, from_folder).  Index files are skipped."""
    out: list[tuple[str, bool]] = []
    for entry in dna_files:
        if os.path.isdir(entry):
            found = sorted(glob.glob(os.path.join(glob.escape(entry), "*.dna.chromosome.*.fa*")))
            out.extend((f, True) for f in found)
        elif os.path.exists(entry):
            out.append((entry, False))
        else:
            raise SpecError("no such file or folder", file=entry, path="--dna_files")
    return [(p, d) for p, d in out if not p.endswith(_INDEX_SUFFIXES)]


def _matches(path: str, from_folder: bool, chromo: str) -> bool:
    name = os.path.basename(path)
    if from_folder:  # glob '*.dna.chromosome.<chromo>.fa*'
        return f".dna.chromosome.{chromo}.fa" in name
    return f"chromosome.{chromo}.fa" in name


def resolve_dna_files(dna_files: Sequence[str], chromos: Iterable[str]) -> dict[str, str]:
    """The FASTA file of every chromosome in ``chromos``; missing or ambiguous ones are SpecErrors."""
    candidates = _expand(dna_files)
    if not candidates:
        raise SpecError("no FASTA file named '*.dna.chromosome.<chromo>.fa*' here", file=", ".join(dna_files),
                        path="--dna_files", hint=_NAMING_HINT)
    found: dict[str, str] = {}
    missing: list[str] = []
    for chromo in chromos:
        hits = sorted({p for p, from_folder in candidates if _matches(p, from_folder, chromo)})
        if not hits:
            missing.append(chromo)
        elif len(hits) > 1:
            raise SpecError(f"chromosome {chromo} matches {len(hits)} FASTA files: {quoted_list(hits, 4)}",
                            file=", ".join(dna_files), path="--dna_files",
                            hint="keep one assembly and one masking variant per folder, or name the files, "
                                 "e.g. --dna_files DIR/*.dna.chromosome.*.fa.gz")
        else:
            found[chromo] = hits[0]
    if missing:
        raise SpecError(f"no DNA file for chromosome(s) {quoted_list(missing)} (the profiles have sites there)",
                        file=", ".join(dna_files), path="--dna_files",
                        hint=f"{_NAMING_HINT}; or leave those chromosomes out with --chromos")
    return found


def read_chromosome(path: str) -> np.ndarray:
    """One chromosome as uint8 codes (A0 T1 G2 C3 N4), from a single-sequence FASTA (plain or gzip)."""
    raw = bytearray()
    try:
        with open_binary(path) as handle:
            header = handle.readline()
            if not header.startswith(b">"):
                raise SpecError("not a FASTA file: the first line does not start with '>'", file=path)
            while piece := handle.read(_PIECE):
                if b">" in piece:
                    raise SpecError("more than one sequence in this file; DeepCpG expects one chromosome per file",
                                    file=path, hint=_NAMING_HINT)
                raw += piece.translate(None, b"\r\n\t ")
    except (OSError, EOFError, zlib.error) as err:
        raise SpecError(f"cannot read: {getattr(err, 'strerror', None) or err}", file=path) from None
    if not raw:
        raise SpecError("the sequence is empty", file=path)
    codes = np.frombuffer(raw, dtype=np.uint8)
    for start in range(0, len(codes), _PIECE):  # in place: one byte per base, no second copy
        codes[start:start + _PIECE] = _LUT[codes[start:start + _PIECE]]
    return codes


def dna_windows(seq: np.ndarray, pos: np.ndarray, wlen: int) -> np.ndarray:
    """int8 (len(pos), wlen): the bases around each 1-based ``pos``, centre at ``wlen // 2``.

    Windows that reach past a chromosome end are padded with N (4), as DeepCpG pads them
    before it randomises its Ns; no site is dropped.
    """
    half = wlen // 2
    centre = pos.astype(np.int64) - 1
    out = np.empty((len(pos), wlen), dtype=np.int8)
    inside = (centre >= half) & (centre + half < len(seq))
    if inside.any():  # a strided view: only the selected rows are copied
        out[inside] = sliding_window_view(seq, wlen)[centre[inside] - half]
    edge = ~inside
    if edge.any():
        idx = centre[edge][:, None] + np.arange(-half, half + 1)
        win = seq[np.clip(idx, 0, len(seq) - 1)].astype(np.int8)
        win[(idx < 0) | (idx >= len(seq))] = N
        out[edge] = win
    return out


def cpg_flags(seq: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """True where 1-based ``pos`` is the C of a CpG on the + strand (C there, G next); False off the sequence."""
    p = pos.astype(np.int64) - 1
    on = (p >= 0) & (p + 1 < len(seq))
    safe = np.clip(p, 0, max(len(seq) - 2, 0))
    return on & (seq[safe] == C) & (seq[safe + 1] == G)


def dinucleotide(seq: np.ndarray, pos: int) -> str:
    """The two bases at 1-based ``pos`` and after it, for messages ('-' past the end)."""
    return "".join(LETTERS[seq[i]] if 0 <= i < len(seq) else "-" for i in (pos - 1, pos))


__all__ = ["A", "C", "G", "LETTERS", "N", "T", "cpg_flags", "dinucleotide", "dna_windows", "read_chromosome",
           "resolve_dna_files"]
