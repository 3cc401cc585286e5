"""Synthetic *M. tuberculosis* isolates with planted resistance mutations (``specdsl make-data workshop``).

Real isolates need sequencing and phenotyping; these files need neither, yet carry the
structure the workshop's models learn:

* **A reference** (``reference.fa``, one chromosome named ``Chromosome`` as in H37Rv's
  assembly) of random sequence, with short stand-ins for the loci the workshop's 13-drug
  model reads (katG, the fabG1-inhA promoter, rpoB, pncA, embB, rpsL, gyrA, rrs, eis, tlyA,
  ethA) between random spacers; ``regions.csv`` lists them (``chrom,start,end,name``, 1-based,
  inclusive) and ``katg.regions.csv`` katG alone.
* **Resistance** comes from planted single-base mutations named after the real ones they
  stand for (katG S315T, inhA c-15t, rpoB S450L …; the positions are synthetic), each
  conferring resistance to its drugs — with the real cross-resistances: inhA c-15t to
  isoniazid *and* ethionamide, gyrA D94G to all four fluoroquinolones (A90V to all but
  moxifloxacin), rrs a1401g to amikacin, kanamycin and capreomycin, eis c-14t to kanamycin.
  Each isolate carries each mutation with probability :data:`RATE` (katG S315T 0.3, inhA c-15t
  0.08: most isoniazid resistance is katG's, as in real isolates); its phenotype for a drug
  is resistant exactly when it carries one of the drug's mutations (no phenotype noise, so a
  perfect model is possible; the tests ask for ≥ 0.9 accuracy per drug).
* **Noise a model must ignore**: four lineages, each with its own SNPs, a few private SNPs per
  isolate, and in one isolate in ten a short uncovered stretch (N) — none at a resistance site.
* **Unknown labels**: each (isolate, drug) label is left blank with probability
  :data:`UNTESTED`, as untested drugs are in real phenotype tables.

Files (the isolates split 60 / 20 / 20 into train, val and test; sequences on the reference's
forward strand, regions concatenated in ``regions.csv`` order — what ``specdsl onehot`` makes
from a BAM, so the FASTA and the BAM routes give identical inputs)::

    reference.fa  regions.csv  katg.regions.csv  mutations.csv (the truth per isolate)
    isolates/{train,val,test}.fa + .labels.csv    every locus, 13 drug columns
    katg/{train,val,test}.fa + .labels.csv        katG alone, the isoniazid column
    bam/<sample>.bam + .bai                       with bams > 0: reads of the first test isolates
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DRUGS = ("amikacin", "capreomycin", "ciprofloxacin", "ethambutol", "ethionamide", "isoniazid", "kanamycin",
         "levofloxacin", "moxifloxacin", "ofloxacin", "pyrazinamide", "rifampicin", "streptomycin")
"""The 13 drugs of the workshop's full model (tb-dr-pred-nn), alphabetical as it lists them."""

LOCI = (("katG", 400), ("fabG1-inhA", 160), ("rpoB", 300), ("pncA", 200), ("embB", 240), ("rpsL", 150),
        ("gyrA", 240), ("rrs", 240), ("eis", 150), ("tlyA", 150), ("ethA", 200))
"""Synthetic loci (name, length in bp), in reference order."""

RATE = 0.2  # how often an isolate carries a mutation (katG S315T and inhA c-15t: as in the table)
_FQ = ("ciprofloxacin", "levofloxacin", "moxifloxacin", "ofloxacin")
MUTATIONS = (  # name, locus, offset in the locus (0-based), the drugs it makes resistant, how often
    ("katG_S315T", "katG", 187, ("isoniazid",), 0.3),
    ("inhA_c-15t", "fabG1-inhA", 70, ("isoniazid", "ethionamide"), 0.08),
    ("rpoB_S450L", "rpoB", 121, ("rifampicin",), RATE),
    ("rpoB_H445Y", "rpoB", 188, ("rifampicin",), RATE),
    ("pncA_H57D", "pncA", 95, ("pyrazinamide",), RATE),
    ("embB_M306V", "embB", 130, ("ethambutol",), RATE),
    ("rpsL_K43R", "rpsL", 70, ("streptomycin",), RATE),
    ("gyrA_D94G", "gyrA", 100, _FQ, RATE),
    ("gyrA_A90V", "gyrA", 160, ("ciprofloxacin", "levofloxacin", "ofloxacin"), RATE),
    ("rrs_a1401g", "rrs", 120, ("amikacin", "kanamycin", "capreomycin"), RATE),
    ("eis_c-14t", "eis", 60, ("kanamycin",), RATE),
    ("tlyA_N236K", "tlyA", 80, ("capreomycin",), RATE),
    ("ethA_Q165P", "ethA", 110, ("ethionamide",), RATE),
)
UNTESTED = 0.08
LINEAGES = 4
LINEAGE_SNPS = 12
PRIVATE_SNPS = 3
SPLITS = (("train", 0.6), ("val", 0.2), ("test", 0.2))
CHROMOSOME = "Chromosome"
_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
READ_LENGTH = 100
DEPTH = 20
READ_ERROR = 0.005


@dataclass(frozen=True)
class Layout:
    """Where the loci lie on the synthetic reference (1-based, inclusive) and the mutation sites."""

    reference: np.ndarray  # uint8 letters
    starts: tuple[int, ...]  # 1-based start of each locus
    sites: tuple[int, ...]  # index of each mutation in the concatenated loci
    alts: tuple[int, ...]  # the mutant letter of each mutation

    @property
    def length(self) -> int:
        return sum(n for _, n in LOCI)

    def region_rows(self) -> list[tuple[str, int, int, str]]:
        return [(CHROMOSOME, s, s + n - 1, name) for (name, n), s in zip(LOCI, self.starts)]


def _layout(rng: np.random.Generator) -> Layout:
    spacers = rng.integers(300, 800, len(LOCI) + 1)
    starts, position = [], int(spacers[0])
    for (_, n), gap in zip(LOCI, spacers[1:]):
        starts.append(position + 1)
        position += n + int(gap)
    reference = _BASES[rng.integers(0, 4, position)]
    offsets = np.cumsum([0] + [n for _, n in LOCI])
    locus_at = {name: int(o) for (name, _), o in zip(LOCI, offsets)}
    sites = tuple(locus_at[locus] + offset for _, locus, offset, *_ in MUTATIONS)
    concat = np.concatenate([reference[s - 1:s - 1 + n] for (_, n), s in zip(LOCI, starts)])
    alts = tuple(int(_BASES[(np.flatnonzero(_BASES == concat[i])[0] + rng.integers(1, 4)) % 4]) for i in sites)
    return Layout(reference, tuple(starts), sites, alts)


def _isolates(rng: np.random.Generator, lay: Layout, n: int) -> dict[str, Any]:
    concat = np.concatenate([lay.reference[s - 1:s - 1 + k] for (_, k), s in zip(LOCI, lay.starts)])
    free = np.setdiff1d(np.arange(len(concat)), np.asarray(lay.sites))
    free = free[~np.isin(free, np.asarray(lay.sites)[:, None] + np.arange(-12, 13))]  # keep sites' context clean
    lineage_sites = [rng.choice(free, LINEAGE_SNPS, replace=False) for _ in range(LINEAGES)]
    carries = rng.random((n, len(MUTATIONS))) < np.array([m[4] for m in MUTATIONS])
    lineage = rng.integers(0, LINEAGES, n)
    seqs = np.tile(concat, (n, 1))
    for i in range(n):
        snps = np.concatenate([lineage_sites[lineage[i]], rng.choice(free, PRIVATE_SNPS, replace=False)])
        seqs[i, snps] = _BASES[(np.searchsorted(_BASES, seqs[i, snps]) + rng.integers(1, 4, len(snps))) % 4]
        for m in np.flatnonzero(carries[i]):
            seqs[i, lay.sites[m]] = lay.alts[m]
        if rng.random() < 0.1:
            start = int(rng.choice(free))
            stretch = np.arange(start, min(start + int(rng.integers(5, 20)), len(concat)))
            seqs[i, np.intersect1d(stretch, free)] = ord("N")
    resistant = np.zeros((n, len(DRUGS)), dtype=np.int8)
    for m, (_, _, _, drugs, _) in enumerate(MUTATIONS):
        for drug in drugs:
            resistant[carries[:, m], DRUGS.index(drug)] = 1
    labels = resistant.astype(np.float64)
    labels[rng.random(labels.shape) < UNTESTED] = np.nan
    return {"seqs": seqs, "carries": carries, "lineage": lineage, "labels": labels, "resistant": resistant}


def _csv(rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _katg_slice() -> slice:
    return slice(0, LOCI[0][1])  # katG is the first locus


def write_isolates(out_dir: str | Path, *, isolates: int = 1000, bams: int = 0, seed: int = 0) -> dict[str, Any]:
    """Write the reference, regions, isolates and labels (see the module docstring); return the paths."""
    from specdsl.atomic import atomic_write_text
    from specdsl.formats.fasta import write_fasta
    from specdsl.formats.labels_csv import write_labels

    if isolates < 10:
        raise ValueError("need at least 10 isolates (6 train, 2 validation, 2 test)")
    out = Path(out_dir)
    rng = np.random.default_rng(seed)
    lay = _layout(rng)
    made = _isolates(rng, lay, isolates)
    names = [f"ISO{i + 1:04d}" for i in range(isolates)]
    bounds = np.cumsum([0] + [round(f * isolates) for _, f in SPLITS[:-1]] + [isolates])
    bounds[-1] = isolates
    write_fasta(out / "reference.fa", [(CHROMOSOME, lay.reference.tobytes().decode())])
    atomic_write_text(out / "regions.csv", _csv([("chrom", "start", "end", "name"), *lay.region_rows()]))
    atomic_write_text(out / "katg.regions.csv", _csv([("chrom", "start", "end", "name"), lay.region_rows()[0]]))
    split_of = {}
    paths: dict[str, Any] = {"reference": out / "reference.fa", "regions": out / "regions.csv",
                             "katg_regions": out / "katg.regions.csv", "isolates": {}, "katg": {}}
    inh = DRUGS.index("isoniazid")
    for (split, _), lo, hi in zip(SPLITS, bounds[:-1], bounds[1:]):
        rows = range(int(lo), int(hi))
        for i in rows:
            split_of[names[i]] = split
        full = [(names[i], made["seqs"][i].tobytes().decode()) for i in rows]
        katg = [(names[i], made["seqs"][i, _katg_slice()].tobytes().decode()) for i in rows]
        for folder, records, columns, values in (
                ("isolates", full, DRUGS, lambda i: made["labels"][i]),
                ("katg", katg, ("isoniazid",), lambda i: made["labels"][i, inh:inh + 1])):
            fasta = out / folder / f"{split}.fa"
            write_fasta(fasta, records)
            write_labels(out / folder / f"{split}.labels.csv", columns, [(names[i], values(i)) for i in rows])
            paths[folder][split] = fasta
    truth = [("sample", "split", "lineage", "mutations")]
    truth += [(s, split_of[s], int(made["lineage"][i]) + 1,
               ";".join(MUTATIONS[m][0] for m in np.flatnonzero(made["carries"][i]))) for i, s in enumerate(names)]
    atomic_write_text(out / "mutations.csv", _csv(truth))
    paths["mutations"] = out / "mutations.csv"
    test = [i for i in range(isolates) if split_of[names[i]] == "test"][:bams]
    paths["bams"] = [write_bam(out / "bam" / f"{names[i]}.bam", lay, made["seqs"][i], names[i],
                               np.random.default_rng(seed + 1 + i)) for i in test]
    paths["samples"] = names
    paths["resistant"] = made["resistant"]
    return paths


def isolate_genome(lay: Layout, seq: np.ndarray) -> np.ndarray:
    """The isolate's whole chromosome: the reference with its loci replaced by the isolate's."""
    genome = lay.reference.copy()
    at = 0
    for (_, n), start in zip(LOCI, lay.starts):
        genome[start - 1:start - 1 + n] = seq[at:at + n]
        at += n
    return genome


def write_bam(path: Path, lay: Layout, seq: np.ndarray, sample: str, rng: np.random.Generator) -> Path:
    """Single-end reads over every locus (±1 read length), depth about :data:`DEPTH`, a few base errors,
    aligned without gaps, sorted and indexed (``.bai``): what bwa mem + samtools would leave."""
    import pysam

    genome = isolate_genome(lay, seq)
    starts = []
    for (_, n), start in zip(LOCI, lay.starts):
        lo, hi = max(0, start - 1 - READ_LENGTH), min(len(genome) - READ_LENGTH, start - 1 + n)
        starts.append(rng.integers(lo, hi + 1, DEPTH * (hi - lo + READ_LENGTH) // READ_LENGTH))
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": CHROMOSOME, "LN": len(genome)}],
              "RG": [{"ID": sample, "SM": sample}]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with pysam.AlignmentFile(str(tmp), "wb", header=header) as bam:
        for k, start in enumerate(np.sort(np.concatenate(starts))):
            read = genome[start:start + READ_LENGTH].copy()
            errors = rng.random(READ_LENGTH) < READ_ERROR
            read[errors] = _BASES[rng.integers(0, 4, int(errors.sum()))]
            segment = pysam.AlignedSegment()
            segment.query_name = f"{sample}.{k + 1}"
            segment.query_sequence = read.tobytes().decode()
            segment.flag = 16 if rng.random() < 0.5 else 0
            segment.reference_id = 0
            segment.reference_start = int(start)
            segment.mapping_quality = 60
            segment.cigartuples = [(0, READ_LENGTH)]
            segment.query_qualities = pysam.qualitystring_to_array("I" * READ_LENGTH)
            segment.set_tag("RG", sample)
            bam.write(segment)
    tmp.replace(path)
    pysam.index(str(path))
    return path


__all__ = ["CHROMOSOME", "DRUGS", "LOCI", "MUTATIONS", "isolate_genome", "write_bam", "write_isolates"]
