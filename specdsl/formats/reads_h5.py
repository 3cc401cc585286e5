"""Labelled reads on disk: one HDF5 file, streamable and safe (no pickle), written and read in blocks.

tranquillyzer keeps simulated reads as two pickles (``reads.pkl``: a list of strings;
``labels.pkl``: a list of lists of label strings, one per base).  Loading a pickle can run
code, and both must fit in memory.  specdsl writes ``reads.h5`` instead::

    attrs   format = "specdsl-labelled-reads", version = 1
            label_names = JSON list (label id → name), kind_names = JSON list, info = JSON (how it was made)
    tokens  uint8 (bases,)    every read's tokens back to back (A C G T N = 1..5)
    labels  int8  (bases,)    the label id of every base
    offsets int64 (reads+1,)  read i is tokens[offsets[i]:offsets[i+1]]
    kinds   uint8 (reads,)    valid (0) or the invalid-read type (kind_names)
    strands uint8 (reads,)    0: as simulated, 1: the reverse complement

Reads are appended in blocks while they are simulated and read back as contiguous slices, so
memory depends on the block size, never on the file's size; ``h5py`` reads the file in any
language that has HDF5.  The file is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError

FORMAT = "specdsl-labelled-reads"
VERSION = 1
CHUNK = 1 << 16


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class ReadsWriter:
    """Appends blocks of labelled reads to an open HDF5 file (see the module docstring)."""

    def __init__(self, h5: Any, label_names: Sequence[str], kind_names: Sequence[str], info: dict[str, Any]):
        self.h5 = h5
        h5.attrs["format"] = FORMAT
        h5.attrs["version"] = VERSION
        h5.attrs["label_names"] = json.dumps(list(label_names))
        h5.attrs["kind_names"] = json.dumps(list(kind_names))
        h5.attrs["info"] = json.dumps(info)
        opts = {"chunks": (CHUNK,), "maxshape": (None,), "compression": "gzip", "compression_opts": 1, "shuffle": True}
        h5.create_dataset("tokens", (0,), dtype="uint8", **opts)
        h5.create_dataset("labels", (0,), dtype="int8", **opts)
        h5.create_dataset("kinds", (0,), dtype="uint8", **opts)
        h5.create_dataset("strands", (0,), dtype="uint8", **opts)
        h5.create_dataset("offsets", (1,), dtype="int64", data=np.zeros(1, "int64"), **opts)
        self.reads = 0
        self.bases = 0

    def append(self, tokens: Sequence[np.ndarray], labels: Sequence[np.ndarray], kinds: Sequence[int],
               strands: Sequence[int]) -> None:
        if not tokens:
            return
        lengths = np.fromiter((len(t) for t in tokens), dtype="int64", count=len(tokens))
        flat_t = np.concatenate(tokens).astype("uint8")
        flat_l = np.concatenate(labels).astype("int8")
        n, b = len(tokens), int(lengths.sum())
        for name, values, size in (("tokens", flat_t, self.bases), ("labels", flat_l, self.bases),
                                   ("kinds", np.asarray(kinds, "uint8"), self.reads),
                                   ("strands", np.asarray(strands, "uint8"), self.reads),
                                   ("offsets", self.bases + np.cumsum(lengths), self.reads + 1)):
            ds = self.h5[name]
            ds.resize((size + len(values),))
            ds[size:] = values
        self.reads += n
        self.bases += b


@contextmanager
def write_reads(path: str | Path, label_names: Sequence[str], kind_names: Sequence[str],
                info: dict[str, Any]) -> Iterator[ReadsWriter]:
    """A :class:`ReadsWriter` on a temporary file that becomes ``path`` when the block ends without error."""
    import h5py

    from specdsl.atomic import atomic_path

    with atomic_path(path, suffix=".h5") as tmp, h5py.File(tmp, "w") as h5:
        yield ReadsWriter(h5, label_names, kind_names, info)


@dataclass
class ReadsFile:
    """An opened, checked ``reads.h5``: its label names, read count and offsets (the data stays on disk)."""

    path: str
    label_names: list[str]
    kind_names: list[str]
    info: dict[str, Any]
    offsets: np.ndarray

    @property
    def reads(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def block(self, start: int, stop: int, with_kinds: bool = False) -> dict[str, Any]:
        """Reads [start, stop): lists of token and label arrays (one contiguous read of the file)."""
        import h5py

        lo, hi = int(self.offsets[start]), int(self.offsets[stop])
        with h5py.File(self.path, "r") as h5:
            tokens = h5["tokens"][lo:hi]
            labels = h5["labels"][lo:hi]
            kinds = h5["kinds"][start:stop] if with_kinds else None
            strands = h5["strands"][start:stop] if with_kinds else None
        cuts = self.offsets[start:stop + 1] - lo
        out: dict[str, Any] = {"tokens": [tokens[a:b] for a, b in zip(cuts[:-1], cuts[1:])],
                               "labels": [labels[a:b] for a, b in zip(cuts[:-1], cuts[1:])]}
        if with_kinds:
            out["kinds"], out["strands"] = kinds, strands
        return out


def open_reads(path: str | Path, check_values: bool = True) -> ReadsFile:
    """Open and check a labelled-reads file; every problem names the file and what is wrong.

    ``check_values`` also reads every token and label (in blocks) to refuse values out of range
    before training starts rather than in the middle of an epoch."""
    import h5py

    path = str(path)
    if not Path(path).is_file():
        raise SpecError("no such file" if not Path(path).exists() else "is a folder, not a reads file", file=path)
    try:
        h5 = h5py.File(path, "r")
    except OSError as err:
        raise SpecError("not an HDF5 file, or a damaged one", file=path, expected="a reads.h5 written by "
                        "'specdsl tranquillyzer simulate-data'", hint=f"h5py says: {err}") from None
    with h5:
        if _text(h5.attrs.get("format", "")) != FORMAT:
            raise SpecError("not a labelled-reads file (its 'format' attribute is missing or different)", file=path,
                            expected=f"format = {FORMAT}")
        if int(h5.attrs.get("version", 0)) > VERSION:
            raise SpecError(f"written by a newer specdsl (format version {int(h5.attrs['version'])})", file=path)
        missing = [d for d in ("tokens", "labels", "offsets", "kinds", "strands") if d not in h5]
        if missing:
            raise SpecError(f"dataset(s) {', '.join(missing)} missing", file=path)
        try:
            names = json.loads(_text(h5.attrs["label_names"]))
            kinds = json.loads(_text(h5.attrs.get("kind_names", "[]")))
            info = json.loads(_text(h5.attrs.get("info", "{}")))
        except (KeyError, ValueError):
            raise SpecError("the label_names attribute is missing or not JSON", file=path) from None
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise SpecError("label_names must be a non-empty JSON list of strings", file=path)
        offsets = np.asarray(h5["offsets"][:], dtype="int64")
        bases = h5["tokens"].shape[0]
        if (len(offsets) < 1 or offsets[0] != 0 or np.any(np.diff(offsets) < 0) or offsets[-1] != bases
                or h5["labels"].shape[0] != bases or h5["kinds"].shape[0] != len(offsets) - 1):
            raise SpecError("the offsets, tokens, labels and kinds datasets disagree (a damaged file?)", file=path)
        if check_values:
            for lo in range(0, bases, 1 << 22):
                hi = min(bases, lo + (1 << 22))
                tok, lab = h5["tokens"][lo:hi], h5["labels"][lo:hi]
                bad = np.flatnonzero((tok < 1) | (tok > 5))
                if bad.size:
                    row = int(np.searchsorted(offsets, lo + bad[0], side="right")) - 1
                    raise SpecError(f"read {row} holds token {int(tok[bad[0]])}; tokens are 1–5 (A C G T N)", file=path)
                bad = np.flatnonzero((lab < 0) | (lab >= len(names)))
                if bad.size:
                    row = int(np.searchsorted(offsets, lo + bad[0], side="right")) - 1
                    raise SpecError(f"read {row} holds label id {int(lab[bad[0]])}, but the file names "
                                    f"{len(names)} labels", file=path)
    return ReadsFile(path, names, kinds, info, offsets)


__all__ = ["FORMAT", "ReadsFile", "ReadsWriter", "open_reads", "write_reads"]
