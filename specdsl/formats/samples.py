"""Sequence sources and their labels: what ``train``, ``predict`` and ``evaluate`` read.

A *source* is a FASTA file (one sample per record) or one-hot CSVs (one sample per file: a
single ``.csv`` or a folder of them).  A :class:`SampleSet` joins sources into one ordered
list of samples and refuses what a model cannot take: two samples with one name, sequences
of unequal length.  :func:`match_labels` pairs samples with labels CSV rows strictly, both
ways — a sample without a label row and a label row without a sample are both mistakes
(usually a wrong file or a typo in a name), reported with the file and line of each.

Samples are read on demand (:meth:`SampleSet.fetch`), a batch at a time, so memory does not
grow with the data set; only names, lengths and file offsets are kept.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from specdsl.errors import SpecError, SpecErrors, quoted_list
from specdsl.formats.fasta import index_fasta
from specdsl.formats.labels_csv import LabelTable, default_labels_path, read_labels
from specdsl.formats.onehot_csv import from_codes, is_onehot_name, read_onehot, sample_name

MAX_REPORTED = 10  # mismatches listed at once; the rest are counted


@dataclass(frozen=True)
class Sample:
    name: str
    where: str  # FILE:LINE of its FASTA header, or its one-hot file
    length: int


class Source:
    """Samples of one FASTA file or of one-hot CSV files."""

    path: str
    samples: list[Sample]

    def fetch(self, which: Sequence[int]) -> list[np.ndarray]:
        """(L, 4) float32 one-hot arrays of the samples at these positions."""
        raise NotImplementedError


class FastaSource(Source):
    def __init__(self, path: str) -> None:
        self.path = path
        self.index = index_fasta(path)
        self.samples = [Sample(r.name, f"{path}:{r.line}", r.length) for r in self.index.records]

    def fetch(self, which: Sequence[int]) -> list[np.ndarray]:
        return [from_codes(c) for c in self.index.fetch(list(which))]


_LENGTHS: dict[str, tuple[tuple[int, int], int]] = {}


def _onehot_length(path: str) -> int:
    """Positions of a one-hot CSV, checked once and remembered until the file changes."""
    stat = os.stat(path)
    stamp = (stat.st_size, stat.st_mtime_ns)
    hit = _LENGTHS.get(path)
    if hit is None or hit[0] != stamp:
        hit = (stamp, len(read_onehot(path)))
        _LENGTHS[path] = hit
    return hit[1]


class OneHotSource(Source):
    def __init__(self, path: str, files: list[str]) -> None:
        self.path = path
        self.files = files
        self.samples = [Sample(sample_name(f), f, _onehot_length(f)) for f in files]

    def fetch(self, which: Sequence[int]) -> list[np.ndarray]:
        return [read_onehot(self.files[i]) for i in which]


def open_source(path: str | Path) -> Source:
    """A FASTA file, a one-hot CSV, or a folder of one-hot CSVs (labels CSVs in it are skipped)."""
    name = os.fspath(path)
    if os.path.isdir(name):
        files = sorted(str(p) for p in Path(name).iterdir()
                       if is_onehot_name(p) and not p.name.endswith(".labels.csv") and p.is_file())
        if not files:
            raise SpecError("no one-hot CSV files (*.csv) in this folder", file=name,
                            hint="'specdsl onehot' writes one file per sample from a FASTA or a BAM")
        return OneHotSource(name, files)
    if not os.path.exists(name):
        raise SpecError("no such file or folder", file=name,
                        expected="a FASTA file, a one-hot CSV or a folder of one-hot CSVs")
    if is_onehot_name(name):
        return OneHotSource(name, [name])
    return FastaSource(name)


@dataclass
class SampleSet:
    """Samples of several sources, in order, all of one length."""

    sources: list[Source]
    entries: list[tuple[int, int]] = field(default_factory=list)  # (source, position in it)
    samples: list[Sample] = field(default_factory=list)

    @property
    def length(self) -> int:
        return self.samples[0].length

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.samples]

    def fetch(self, positions: Sequence[int]) -> np.ndarray:
        """(n, L, 4) float32 one-hot of the samples at these positions of the set."""
        out = np.empty((len(positions), self.length, 4), dtype=np.float32)
        by_source: dict[int, list[tuple[int, int]]] = {}
        for k, p in enumerate(positions):
            source, at = self.entries[int(p)]
            by_source.setdefault(source, []).append((k, at))
        for source, pairs in by_source.items():
            arrays = self.sources[source].fetch([at for _, at in pairs])
            for (k, _), array in zip(pairs, arrays):
                out[k] = array
        return out


def check_length(sample: Sample, length: int, what: str) -> None:
    if sample.length != length:
        raise SpecError(f"sample '{sample.name}' has {sample.length:,} positions, but {what} {length:,}",
                        file=sample.where, hint="every sequence must cover the same regions: a model reads one "
                                                "fixed length")


def open_samples(paths: Sequence[str | Path], *, length: int | None = None, what: str = "") -> SampleSet:
    """The samples of these sources; duplicate names and unequal lengths are SpecErrors.

    ``length`` (with ``what`` naming where it comes from, e.g. "the model") fixes the length;
    by default the first sample's is used.
    """
    if not paths:
        raise SpecError("no sequence files given")
    sources = [open_source(p) for p in paths]
    found = SampleSet(sources)
    seen: dict[str, Sample] = {}
    for i, source in enumerate(sources):
        for j, sample in enumerate(source.samples):
            if sample.name in seen:
                raise SpecError(f"sample '{sample.name}' appears twice (also at {seen[sample.name].where})",
                                file=sample.where, hint="each sample needs its own name")
            seen[sample.name] = sample
            found.entries.append((i, j))
            found.samples.append(sample)
    first = found.samples[0]
    for sample in found.samples:
        check_length(sample, length if length is not None else first.length,
                     what or f"'{first.name}' ({first.where}) has")
    return found


# --------------------------------------------------------------------------- labels


@dataclass
class Labelled:
    """Sample sets (by role: train, val, data) with each sample's labels row."""

    sets: dict[str, SampleSet]
    tables: list[LabelTable]
    rows: dict[str, list[tuple[int, int]]]  # per role: (table, row) of each sample

    @property
    def columns(self) -> tuple[str, ...]:
        return self.tables[0].columns

    def targets(self, role: str, column: str, classes: Sequence[str] | None = None) -> np.ndarray:
        """float64 labels of ``column`` for the samples of ``role``, in order; unknown = −1."""
        pairs = self.rows[role]
        out = np.empty(len(pairs), dtype=np.float64)
        by_table: dict[int, list[tuple[int, int]]] = {}
        for k, (t, row) in enumerate(pairs):
            by_table.setdefault(t, []).append((k, row))
        for t, items in by_table.items():
            values = self.tables[t].values(column, [row for _, row in items], classes)
            out[[k for k, _ in items]] = values
        return out


def labels_for(paths: Sequence[str | Path], labels: Sequence[str | Path] | None) -> list[str]:
    """The labels CSVs: those given, else each source's default (``train.fa`` → ``train.labels.csv``)."""
    if labels:
        return [os.fspath(p) for p in labels]
    return list(dict.fromkeys(str(default_labels_path(p)) for p in paths))


def match_labels(sets: dict[str, SampleSet], label_files: Sequence[str], *, key: str | None = None) -> Labelled:
    """Pair every sample with a labels row; refuse samples without rows and rows without samples."""
    tables = [read_labels(p) for p in label_files]
    first = tables[0]
    for table in tables[1:]:
        if set(table.columns) != set(first.columns):
            differ = sorted(set(table.columns) ^ set(first.columns))
            raise SpecError(f"the labels files name different outputs: '{differ[0]}' is in one and not the other",
                            file=f"{table.path}:1", path=key, hint=f"compare with {first.path}")
    where: dict[str, tuple[int, int]] = {}
    for t, table in enumerate(tables):
        for row, sample in enumerate(table.samples):
            if sample in where:
                other = tables[where[sample][0]].where(where[sample][1])
                raise SpecError(f"sample '{sample}' is labelled twice (also at {other})", file=table.where(row),
                                path=key)
            where[sample] = (t, row)
    problems: list[SpecError] = []
    rows: dict[str, list[tuple[int, int]]] = {}
    known: set[str] = set()
    names = ", ".join(tables[i].path for i in range(len(tables)))
    for role, found in sets.items():
        rows[role] = []
        for sample in found.samples:
            known.add(sample.name)
            if sample.name not in where:
                problems.append(SpecError(f"sample '{sample.name}' has no row in {names}", file=sample.where,
                                          path=key, hint="add its labels (blank cells for unknown ones)"))
                continue
            rows[role].append(where[sample.name])
    sources = quoted_list([s.path for found in sets.values() for s in found.sources], 4)
    for table in tables:
        for row, sample in enumerate(table.samples):
            if sample not in known:
                problems.append(SpecError(f"sample '{sample}' is labelled but is not in {sources}",
                                          file=table.where(row), path=key,
                                          hint="remove its row, or add its sequence; names must match exactly"))
    if problems:
        shown = problems[:MAX_REPORTED]
        if len(problems) > MAX_REPORTED:
            shown.append(SpecError(f"… and {len(problems) - MAX_REPORTED} more sample(s) that do not match",
                                   path=key))
        raise shown[0] if len(shown) == 1 else SpecErrors(shown)
    return Labelled(sets, tables, rows)


__all__ = ["FastaSource", "Labelled", "OneHotSource", "Sample", "SampleSet", "Source", "check_length",
           "labels_for", "match_labels", "open_samples", "open_source"]
