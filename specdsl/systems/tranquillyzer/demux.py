"""From labelled reads to tranquillyzer's ``annotate-reads`` results: validity, barcodes, cells, records.

Each chunk of labelled reads (:func:`specdsl.systems.tranquillyzer.annotate.labelled_chunks`) is
judged read by read (:mod:`.validity`); the barcode segments of its valid reads are corrected in
one batch per barcode column (:mod:`.barcodes`) and each valid read is given a cell.  Out come
the rows of ``annotations_valid`` and ``annotations_invalid`` (tranquillyzer's columns, numbers
as numbers; positions 0-based, end exclusive, on the read as given) and the demultiplexed
records, in tranquillyzer's header format (``scripts/correct_barcodes.py process_row``)::

    >{read}_{cell barcodes}_{UMI} cell_id:{cell}|Barcodes:CBC:{corrected}|UMI:{UMI}|orientation:{+|-}

``{cell barcodes}`` is the whitelist row's barcodes joined with ``-`` (``ambiguous`` for a read
with no cell, whose record goes to ``ambiguous.fasta``).  The sequence is the cDNA segment (with
``include_polya``, the homopolymer beside it too); it and the UMI are reverse-complemented when
the read is ``-`` and the seq order's strand ``fwd``, or ``+`` and ``rev`` (10x 3′), as
tranquillyzer orients them.  FASTQ records carry the qualities of those bases (reversed with
them) and, with ``include_barcode_quals``, ``|BQ:CBC:{qualities};UMI:{qualities}``.

Additions to tranquillyzer's columns: ``match_type`` (the valid table's ``cell_id`` is a number,
empty when no cell was assigned, where tranquillyzer writes the string ``ambiguous``), and the
observed ``<barcode>_Sequences`` and ``<UMI>_Sequences`` of valid reads.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from specdsl.errors import SpecError
from specdsl.systems.tranquillyzer.annotate import Labelled, segments
from specdsl.systems.tranquillyzer.barcodes import Assigner, Corrector, Whitelist, reverse_complement
from specdsl.systems.tranquillyzer.seq_orders import SeqOrder
from specdsl.systems.tranquillyzer.validity import CDNA, Layout, Verdict

INT, STR = "int", "str"


@dataclass(frozen=True)
class DemuxOptions:
    """annotate-reads' options that shape the results (tranquillyzer's names and defaults)."""

    bc_lv_threshold: int = 2
    output_fmt: str = "fasta"  # or fastq
    include_polya: bool = False
    include_barcode_quals: bool = False
    threads: int = 1  # rapidfuzz workers


@dataclass
class Stats:
    """What a run counts, for the summary, the count tables and the plots (bounded by distinct values)."""

    reads: int = 0
    valid: int = 0
    concatenated: int = 0
    match_types: Counter = field(default_factory=Counter)
    cells: Counter = field(default_factory=Counter)
    distances: dict[str, Counter] = field(default_factory=dict)  # barcode → min distance (None: not compared)
    ties: dict[str, Counter] = field(default_factory=dict)
    read_lengths: Counter = field(default_factory=Counter)  # valid reads
    cdna_lengths: Counter = field(default_factory=Counter)


@dataclass
class Batch:
    """One chunk's results: table rows (dicts by column) and demultiplexed records (text)."""

    valid: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)
    demuxed: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)


def _text(data: bytes) -> str:
    return data.decode("ascii", "replace")


class Demultiplexer:
    """Judges, corrects and assigns the reads of a model with ``classes`` against a seq order and a whitelist."""

    def __init__(self, classes: Sequence[str], order: SeqOrder, whitelist: Whitelist, options: DemuxOptions):
        missing = [label for label in order.labels if label not in classes]
        if missing:
            raise SpecError(f"the model does not label {', '.join(missing)}, which the seq order of {order.model} "
                            f"holds (the model labels {', '.join(classes)})", path="--seq-order",
                            hint="give the seq order the model was trained on")
        absent = [bc for bc in (*order.barcodes, *order.umis) if bc not in order.labels]
        if absent:
            raise SpecError(f"the seq order of {order.model} names {', '.join(absent)} as barcode or UMI but has "
                            "no such segment", file=order.source)
        self.classes, self.order, self.whitelist, self.o = list(classes), order, whitelist, options
        self.homopolymers = tuple(s.label for s in order.segments if s.kind == "homopolymer")
        self.layout = Layout(order.labels, self.homopolymers)
        workers = min(options.threads, os.cpu_count() or 1)
        self.correctors = [Corrector(whitelist.column(bc), options.bc_lv_threshold, workers)
                           for bc in whitelist.columns]
        self.assigner = Assigner(whitelist)
        self.flip = "+" if order.strand == "rev" else "-"  # the orientation whose cDNA is reverse-complemented
        self.stats = Stats(distances={bc: Counter() for bc in whitelist.columns},
                           ties={bc: Counter() for bc in whitelist.columns})

    # ------------------------------------------------------------------ table columns

    def valid_columns(self) -> list[tuple[str, str]]:
        cols = [("ReadName", STR), ("read_length", INT), ("cDNA_Starts", INT), ("cDNA_Ends", INT),
                ("cDNA_length", INT)]
        cols += [(f"{u}_{end}", INT) for u in self.order.umis for end in ("Starts", "Ends")]
        cols += [(f"{r}_{end}", INT) for r in ("random_s", "random_e") for end in ("Starts", "Ends")]
        cols += [(f"{h}_{end}", INT) for h in self.homopolymers for end in ("Starts", "Ends", "lengths")]
        for bc in self.whitelist.columns:
            cols += [(f"corrected_{bc}", STR), (f"corrected_{bc}_min_dist", INT),
                     (f"corrected_{bc}_counts_with_min_dist", INT), (f"{bc}_Starts", INT), (f"{bc}_Ends", INT)]
        cols += [("architecture", STR), ("reason", STR), ("orientation", STR), ("cell_id", INT), ("match_type", STR)]
        cols += [(f"{name}_Sequences", STR) for name in (*self.whitelist.columns, *self.order.umis)]
        return cols

    def invalid_columns(self) -> list[tuple[str, str]]:
        cols = [("ReadName", STR), ("read_length", INT), ("read", STR)]
        cols += [(f"{label}_{end}", STR) for label in self.classes for end in ("Starts", "Ends")]
        cols += [(f"{bc}_Sequences", STR) for bc in self.whitelist.columns]
        return cols + [("base_qualities", STR), ("architecture", STR), ("reason", STR), ("orientation", STR)]

    # ------------------------------------------------------------------ one chunk

    def process(self, chunk: Sequence[Labelled]) -> Batch:
        """The rows and records of one chunk of labelled reads; the run's :class:`Stats` are updated."""
        batch = Batch()
        valid: list[tuple[Labelled, Verdict, dict[str, tuple[int, int]]]] = []
        for read in chunk:
            segs = segments(read.path)
            verdict = self.layout.check([self.classes[label] for label, _, _ in segs])
            self.stats.reads += 1
            if verdict.valid:
                where: dict[str, tuple[int, int]] = {}
                for name, (_, s, e) in zip(verdict.names, segs):
                    where.setdefault(name, (s, e))
                valid.append((read, verdict, where))
            else:
                self.stats.concatenated += verdict.copies >= 2
                batch.invalid.append(self._invalid_row(read, verdict, segs))
        if not valid:
            return batch
        self.stats.valid += len(valid)
        observed = [[_text(r.record.sequence[slice(*where[bc])]) for r, _, where in valid]
                    for bc in self.whitelist.columns]
        corrections = [corrector.correct(obs) for corrector, obs in zip(self.correctors, observed)]
        for k, (read, verdict, where) in enumerate(valid):
            fixed = [c[k] for c in corrections]
            assignment = self.assigner.assign(fixed)
            self.stats.match_types[assignment.match_type] += 1
            if assignment.cell is not None:
                self.stats.cells[assignment.cell] += 1
            for bc, c in zip(self.whitelist.columns, fixed):
                self.stats.distances[bc][c.min_dist] += 1
                self.stats.ties[bc][c.ties] += 1
            row = self._valid_row(read, verdict, where, fixed, assignment.cell, assignment.match_type)
            row.update({f"{bc}_Sequences": obs[k] for bc, obs in zip(self.whitelist.columns, observed)})
            batch.valid.append(row)
            text = self._record(read, verdict, where, fixed, assignment.cell)
            (batch.demuxed if assignment.cell is not None else batch.ambiguous).append(text)
        return batch

    def _valid_row(self, read: Labelled, verdict: Verdict, where: dict[str, tuple[int, int]], fixed: list,
                   cell: int | None, match_type: str) -> dict[str, Any]:
        n = len(read.path)
        self.stats.read_lengths[n] += 1
        row: dict[str, Any] = {"ReadName": read.record.id, "read_length": n}
        for name, (s, e) in where.items():
            row[f"{name}_Starts"], row[f"{name}_Ends"] = s, e
        if CDNA in where:
            row["cDNA_length"] = where[CDNA][1] - where[CDNA][0]
            self.stats.cdna_lengths[row["cDNA_length"]] += 1
        for h in self.homopolymers:
            row[f"{h}_lengths"] = where[h][1] - where[h][0] if h in where else None
        for bc, c in zip(self.whitelist.columns, fixed):
            row[f"corrected_{bc}"] = c.corrected
            row[f"corrected_{bc}_min_dist"] = c.min_dist
            row[f"corrected_{bc}_counts_with_min_dist"] = c.ties
        for u in self.order.umis:
            row[f"{u}_Sequences"] = _text(read.record.sequence[slice(*where[u])])
        row.update(architecture="valid", reason=None, orientation=verdict.orientation, cell_id=cell,
                   match_type=match_type)
        return row

    def _invalid_row(self, read: Labelled, verdict: Verdict, segs: list[tuple[int, int, int]]) -> dict[str, Any]:
        row: dict[str, Any] = {"ReadName": read.record.id, "read_length": len(read.path),
                               "read": _text(read.record.sequence)}
        spans: dict[str, list[tuple[int, int]]] = {}
        for label, s, e in segs:
            spans.setdefault(self.classes[label], []).append((s, e))
        for label, found in spans.items():
            row[f"{label}_Starts"] = ",".join(str(s) for s, _ in found)
            row[f"{label}_Ends"] = ",".join(str(e) for _, e in found)
        for bc in self.whitelist.columns:
            if bc in spans:
                row[f"{bc}_Sequences"] = ",".join(_text(read.record.sequence[s:e]) for s, e in spans[bc])
        row.update(base_qualities=_text(read.record.quality) or None, architecture="invalid", reason=verdict.reason,
                   orientation=verdict.orientation or None)
        return row

    def _insert(self, where: dict[str, tuple[int, int]]) -> tuple[int, int]:
        start, end = where.get(CDNA, (0, 0))
        if self.o.include_polya:
            for h in self.homopolymers:
                if h in where and (where[h][1] == start or where[h][0] == end):
                    start, end = min(start, where[h][0]), max(end, where[h][1])
        return start, end

    def _record(self, read: Labelled, verdict: Verdict, where: dict[str, tuple[int, int]], fixed: list,
                cell: int | None) -> str:
        seq, qual = _text(read.record.sequence), _text(read.record.quality)
        fastq = self.o.output_fmt == "fastq"
        if fastq and not qual:
            raise SpecError(f"read '{read.record.id}' has no base qualities: --output-fmt fastq needs FASTQ reads",
                            path="--output-fmt", hint="give FASTQ reads, or --output-fmt fasta")
        flip = verdict.orientation == self.flip
        s, e = self._insert(where)
        insert, iq = seq[s:e], qual[s:e]
        umis = [(seq[slice(*where[u])], qual[slice(*where[u])]) for u in self.order.umis]
        if flip:
            insert, iq = reverse_complement(insert), iq[::-1]
            umis = [(reverse_complement(u), q[::-1]) for u, q in umis]
        umi = "-".join(u for u, _ in umis)
        name = self.whitelist.cell_barcodes(cell) if cell is not None else "ambiguous"
        header = (f"{read.record.id}_{name}_{umi} cell_id:{cell if cell is not None else 'ambiguous'}|Barcodes:"
                  + ";".join(f"{bc}:{c.corrected}" for bc, c in zip(self.whitelist.columns, fixed))
                  + f"|UMI:{umi}|orientation:{verdict.orientation}")
        if not fastq:
            return f">{header}\n{insert}\n"
        if self.o.include_barcode_quals:
            header += "|BQ:" + ";".join(f"{bc}:{qual[slice(*where[bc])]}" for bc in self.whitelist.columns)
            header += ";UMI:" + "-".join(q for _, q in umis)
        return f"@{header}\n{insert}\n+\n{iq}\n"


__all__ = ["Batch", "DemuxOptions", "Demultiplexer", "INT", "STR", "Stats"]
