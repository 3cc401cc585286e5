"""``specdsl onehot INPUT… -o OUT``: FASTA records or BAMs → the workshop's one-hot CSVs.

* A FASTA makes one file per record, ``OUT/<record name>.csv`` (``OUT`` a folder; a file name
  ending in ``.csv`` is accepted for a FASTA of one record).
* A BAM with ``--regions`` makes one file (:mod:`.pileup`): ``OUT`` itself when it ends in
  ``.csv`` and there is one BAM (the workshop's ``bam2oh.py … --output X_oh.csv``), else
  ``OUT/<BAM name>.csv``.

Every input is checked before anything is written, so a mistake in the tenth file leaves no
half-converted folder behind; each file is written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from specdsl.errors import SpecError
from specdsl.formats.onehot_csv import from_codes, is_onehot_name, write_onehot

_UNSAFE = set('/\\:*?"<>|') | {"\0"}


def is_bam(path: str | Path) -> bool:
    return os.fspath(path).lower().endswith(".bam")


@dataclass
class Converted:
    files: list[Path]
    positions: int


def _record_file(folder: Path, name: str, where: str) -> Path:
    if not name or name in (".", "..") or any(ch in _UNSAFE for ch in name):
        raise SpecError(f"record name '{name}' cannot be a file name", file=where,
                        hint="rename the record: letters, digits and . _ - are safe")
    return folder / f"{name}.csv"


def _claim(targets: dict[Path, str], target: Path, where: str) -> None:
    if target in targets:
        raise SpecError(f"{where} and {targets[target]} would both be written to {target}", file=where,
                        hint="sample names must differ across the inputs")
    targets[target] = where


def to_onehot(inputs: Sequence[str | Path], out: str | Path, *, regions: str | Path | None = None,
              min_depth: int | None = None, min_base_quality: int | None = None,
              min_mapq: int | None = None) -> Converted:
    """Convert every input (see the module docstring); return the files written."""
    from specdsl.formats.bam_pileup import (
        MIN_BASE_QUALITY,
        MIN_DEPTH,
        MIN_MAPQ,
        bam_onehot,
        check_regions,
        open_bam,
        read_regions,
    )
    from specdsl.formats.fasta import index_fasta

    if not inputs:
        raise SpecError("no input files given", hint="give FASTA files, or BAM files with --regions")
    out = Path(out)
    min_depth = MIN_DEPTH if min_depth is None else min_depth
    min_base_quality = MIN_BASE_QUALITY if min_base_quality is None else min_base_quality
    min_mapq = MIN_MAPQ if min_mapq is None else min_mapq
    for flag, value in (("--min-depth", min_depth), ("--min-base-quality", min_base_quality),
                        ("--min-mapq", min_mapq)):
        if value < 0:
            raise SpecError(f"must be ≥ 0, got {value}", path=flag)
    bams = [os.fspath(p) for p in inputs if is_bam(p)]
    fastas = [os.fspath(p) for p in inputs if not is_bam(p)]
    for path in fastas:
        if is_onehot_name(path):
            raise SpecError("is already a one-hot CSV", file=path, expected="FASTA files or BAM files")
    if bams and regions is None:
        raise SpecError("a BAM needs --regions: a CSV of chrom,start,end (1-based, inclusive)", path="--regions",
                        file=bams[0])
    if regions is not None and not bams:
        raise SpecError("--regions applies to BAM files; a FASTA is converted as it is", path="--regions")
    single_file = is_onehot_name(out)
    region_list = read_regions(regions) if regions is not None else []
    plan: list[tuple[str, Path]] = []  # (input, output) pairs, all checked before anything is written
    indexes = {path: index_fasta(path) for path in fastas}
    for path, index in indexes.items():
        if single_file and (len(inputs) > 1 or len(index.records) > 1):
            raise SpecError(f"-o {out} names one file, but {path} holds {len(index.records)} records and each "
                            "makes its own file", path="-o", hint="give a folder: -o onehot/")
    for path in bams:
        bam = open_bam(path)
        try:
            check_regions(bam, region_list, os.fspath(regions), path)
        finally:
            bam.close()
        target = out if single_file and len(inputs) == 1 else out / f"{Path(path).name[:-4]}.csv"
        if single_file and len(inputs) > 1:
            raise SpecError(f"-o {out} names one file for {len(inputs)} inputs", path="-o",
                            hint="give a folder: each BAM makes OUT/<name>.csv")
        plan.append((path, target))
    if out.exists() and not out.is_dir() and not single_file:
        raise SpecError("is a file; give a folder for one file per sample", file=str(out), path="-o")
    targets: dict[Path, str] = {}
    for path, index in indexes.items():
        for record in index.records:
            where = f"{path}:{record.line}"
            target = out if single_file else _record_file(out, record.name, where)
            _claim(targets, target, where)
    for path, target in plan:
        _claim(targets, target, path)
    written: list[Path] = []
    positions = 0
    for index in indexes.values():
        for start in range(0, len(index.records), 256):  # a few records at a time: bounded memory
            which = list(range(start, min(len(index.records), start + 256)))
            for i, seq in zip(which, index.fetch(which)):
                target = out if single_file else out / f"{index.records[i].name}.csv"
                written.append(write_onehot(target, from_codes(seq)))
                positions = len(seq)
    for path, target in plan:
        onehot = bam_onehot(path, region_list, regions_file=os.fspath(regions), min_depth=min_depth,
                            min_base_quality=min_base_quality, min_mapq=min_mapq)
        written.append(write_onehot(target, onehot))
        positions = len(onehot)
    return Converted(written, positions)


__all__ = ["Converted", "is_bam", "to_onehot"]
