"""A BAM and a regions CSV → the workshop's one-hot: the majority base at every reference position.

``bam2oh.py ERR6634978.bam --regions gene.csv --output ERR6634978_oh.csv`` in the workshop;
``specdsl onehot ERR6634978.bam --regions gene.csv -o ERR6634978_oh.csv`` here.

Regions CSV: a header with ``chrom``, ``start`` and ``end`` (any other columns, e.g. ``name``,
are ignored), one region per line, **1-based, inclusive** coordinates as in samtools' region
strings (``Chromosome:2153889-2156111`` is ``Chromosome,2153889,2156111``).

Output rows: for each region in file order, one row per reference position from ``start`` to
``end``, on the reference's **forward strand** — a gene on the minus strand (katG, pncA in
H37Rv) is not reverse-complemented, so the rows run against its reading direction.  The
regions' rows are concatenated; a file's length is Σ (end − start + 1).

Each row is the majority base among the reads' base calls at that position, counted by pysam
(``count_coverage``: reads that are unmapped, secondary, QC-failed or duplicates are skipped;
calls below ``min_base_quality`` are not counted; reads below ``min_mapq`` are skipped).  The
row is all zeros when fewer than ``min_depth`` calls were counted, or when two bases tie for
the majority.  Deletions count no base and insertions add no row, so the rows stay aligned to
the reference.  pysam is imported only here, when a BAM is read.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from specdsl.errors import SpecError, did_you_mean

REGION_COLUMNS = ("chrom", "start", "end")
MIN_DEPTH = 3
MIN_BASE_QUALITY = 13  # samtools mpileup's default
MIN_MAPQ = 0


@dataclass(frozen=True)
class Region:
    chrom: str
    start: int  # 1-based, inclusive
    end: int  # 1-based, inclusive
    line: int  # where it is written, for messages
    name: str = ""

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def __str__(self) -> str:
        return f"{self.chrom}:{self.start}-{self.end}"


def read_regions(path: str | Path) -> list[Region]:
    """The regions of a CSV (``chrom,start,end``, 1-based inclusive); mistakes name the file and line."""
    name = os.fspath(path)
    try:
        with open(name, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise SpecError("no such regions file", file=name, path="--regions") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError(f"cannot read: {getattr(err, 'strerror', None) or err}", file=name, path="--regions") \
            from None
    if not rows:
        raise SpecError("the regions file is empty", file=name, expected="a header chrom,start,end and one region "
                        "per line", path="--regions")
    header = [h.strip().lstrip("\ufeff").lower() for h in rows[0]]
    missing = [c for c in REGION_COLUMNS if c not in header]
    if missing:
        raise SpecError(f"the header '{','.join(rows[0])}' has no column '{missing[0]}'", file=f"{name}:1",
                        expected="the columns chrom,start,end (1-based, inclusive), e.g. Chromosome,2153889,2156111",
                        path="--regions")
    at = {c: header.index(c) for c in REGION_COLUMNS}
    label = header.index("name") if "name" in header else header.index("locus") if "locus" in header else None
    regions = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{name}:{number}"
        if len(row) < len(header):
            raise SpecError(f"{len(row)} cell(s), but the header has {len(header)} columns", file=where,
                            path="--regions")
        chrom = row[at["chrom"]].strip()
        bounds = []
        for key in ("start", "end"):
            text = row[at[key]].strip()
            try:
                bounds.append(int(text))
            except ValueError:
                raise SpecError(f"the {key} '{text}' is not a whole number", file=where, path="--regions") from None
        start, end = bounds
        if not chrom:
            raise SpecError("no chromosome name", file=where, path="--regions")
        if start < 1 or end < start:
            raise SpecError(f"{chrom}:{start}-{end} is not a region: coordinates are 1-based and start ≤ end",
                            file=where, path="--regions")
        regions.append(Region(chrom, start, end, number, row[label].strip() if label is not None else ""))
    if not regions:
        raise SpecError("no regions: the file has a header and no rows", file=name, path="--regions")
    return regions


def open_bam(path: str | Path):  # noqa: ANN201 - a pysam.AlignmentFile
    """An indexed BAM, opened with pysam; a missing index or a file that is no BAM is a SpecError."""
    import pysam

    name = os.fspath(path)
    if not os.path.isfile(name):
        raise SpecError("no such BAM file" if not os.path.isdir(name) else "is a folder, not a BAM file", file=name)
    try:
        bam = pysam.AlignmentFile(name, "rb")
    except (ValueError, OSError) as err:
        raise SpecError(f"not a BAM file, or a damaged one: {err}", file=name,
                        expected="a sorted, indexed BAM (bwa mem … | samtools sort -o X.bam; samtools index X.bam)") \
            from None
    if not bam.has_index():
        bam.close()
        raise SpecError("the BAM has no index (.bai or .csi beside it)", file=name,
                        hint=f"sort and index it first: samtools index {name}  (or in Python: pysam.index('{name}'))")
    return bam


def check_regions(bam: object, regions: Sequence[Region], regions_file: str, bam_file: str) -> None:
    """Each region must lie on a chromosome of the BAM's reference, inside its length."""
    lengths = dict(zip(bam.references, bam.lengths))  # type: ignore[attr-defined]
    for region in regions:
        where = f"{regions_file}:{region.line}"
        if region.chrom not in lengths:
            raise SpecError(f"chromosome '{region.chrom}' is not in the reference of {bam_file}", file=where,
                            expected="one of " + ", ".join(list(lengths)[:8]), hint=did_you_mean(region.chrom, lengths),
                            path="--regions")
        if region.end > lengths[region.chrom]:
            raise SpecError(f"{region} ends outside the reference: {region.chrom} has {lengths[region.chrom]:,} bp",
                            file=where, path="--regions",
                            hint="regions are 1-based and inclusive, on the reference the reads were aligned to")


def majority(counts: np.ndarray, min_depth: int) -> np.ndarray:
    """(L, 4) A/C/G/T call counts → (L, 4) one-hot of the majority base; too shallow or tied → zeros."""
    counts = np.asarray(counts)
    best = counts.max(axis=1, keepdims=True)
    winners = (counts == best) & (best > 0)
    keep = (counts.sum(axis=1) >= max(1, min_depth)) & (winners.sum(axis=1) == 1)
    return (winners & keep[:, None]).astype(np.float32)


def bam_onehot(bam_path: str | Path, regions: Sequence[Region] | str | Path, *, min_depth: int = MIN_DEPTH,
               min_base_quality: int = MIN_BASE_QUALITY, min_mapq: int = MIN_MAPQ,
               regions_file: str = "") -> np.ndarray:
    """The one-hot (Σ region lengths, 4) of a BAM over the regions (see the module docstring)."""
    if isinstance(regions, (str, Path)):
        regions_file = regions_file or os.fspath(regions)
        regions = read_regions(regions)
    for flag, value in (("--min-depth", min_depth), ("--min-base-quality", min_base_quality),
                        ("--min-mapq", min_mapq)):
        if value < 0:
            raise SpecError(f"must be ≥ 0, got {value}", path=flag)
    bam = open_bam(bam_path)
    callback = "all" if min_mapq <= 0 else (
        lambda read: read.mapping_quality >= min_mapq and not read.flag & 0x704)  # unmapped, secondary, qcfail, dup
    try:
        check_regions(bam, regions, regions_file or "regions", os.fspath(bam_path))
        parts = []
        for region in regions:
            counts = bam.count_coverage(region.chrom, region.start - 1, region.end,
                                        quality_threshold=min_base_quality, read_callback=callback)
            parts.append(majority(np.stack([np.asarray(c, dtype=np.int64) for c in counts], axis=1), min_depth))
    finally:
        bam.close()
    return np.concatenate(parts)


__all__ = ["MIN_BASE_QUALITY", "MIN_DEPTH", "MIN_MAPQ", "Region", "bam_onehot", "check_regions", "majority",
           "open_bam", "read_regions"]
