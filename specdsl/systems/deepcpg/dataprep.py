"""DeepCpG's data preparation (``dcpg_data.py``), reimplemented: CpG profiles + genome → HDF5 chunks.

The chunks are DeepCpG's own layout (see :mod:`specdsl.formats.deepcpg_chunks`), so ``dcpg_train.py``,
``dcpg_eval.py`` and specdsl's DeepCpG reader read them unchanged.  The steps and their order are
``scripts/dcpg_data.py``'s, because the order decides which sites a run keeps:

1. read every profile (:mod:`.profiles`): ``--chromos`` and ``--nb_sample`` /
   ``--nb_sample_chromo`` apply per file;
2. the sites are the union of the profiles' positions (or the ``--pos_file`` positions), sorted
   by chromosome *as strings* (``1, 10, 11, …, 2, X``) and position; then ``--nb_sample_chromo``
   and the ``--nb_sample`` cut apply to that table;
3. per chromosome, sites observed in fewer than ``--cpg_cov`` cells are dropped (``--cpg_cov 0``
   keeps every site);
4. per chromosome, one sequence in memory, per chunk of ``--chunk_size`` sites: outputs,
   ``--cpg_stats``, DNA windows and the ``--cpg_wlen`` neighbours (taken from each cell's whole
   profile on that chromosome, so they may lie outside the chunk or among dropped sites).

Memory is bounded by the profiles (8 bytes per observation while reading, 5 for a binary
profile afterwards), one chromosome's sequence (one byte per base) and one chunk's arrays; the
windows of a chunk are views into the sequence until they are written.

Deliberate differences from DeepCpG (also in docs/deepcpg.md):

* an N in the genome, and the padding of a window that runs past a chromosome end, stays N
  (code 4); DeepCpG draws a random base for each;
* a bedGraph's 0-based start becomes the 1-based position (start + 1); DeepCpG takes the start
  as the position (its documentation calls column 2 the 1-based C).  A bedGraph written that way
  is recognised by the CpG check and the warning says how to convert it;
* mistakes DeepCpG meets with a traceback, an assertion or silence are :class:`SpecError` s naming
  the file, line or option, and they are found before the first chunk where the inputs allow
  (what is wrong inside a FASTA file, such as a position past its end, is found when that
  chromosome's sequence is read); a failed run removes the chunks it wrote;
* with ``--pos_file`` and profiles, ``--cpg_cov`` filters like everywhere else (DeepCpG asserts
  that every position is observed unless ``--cpg_cov 0``);
* the CpG check (:mod:`.cpgcheck`) is one summary warning, not one line per site.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from specdsl.errors import SpecError, did_you_mean, quoted_list
from specdsl.formats.deepcpg_chunks import ChunkData, ChunkWriter, check_out_dir, chunk_name
from specdsl.systems.deepcpg.cpgcheck import CpgCheck
from specdsl.systems.deepcpg.features import STATS, coverage, cpg_stats, knn_features, map_to_sites, state_source
from specdsl.systems.deepcpg.genome import dna_windows, read_chromosome, resolve_dna_files
from specdsl.systems.deepcpg.profiles import (
    Profile,
    cut_total,
    format_chromo,
    read_positions,
    read_profiles,
    sample_per_chromo,
)

Log = Callable[[str], None]


@dataclass(frozen=True)
class DataPrepOptions:
    """dcpg_data.py's options that specdsl implements, with DeepCpG's defaults."""

    cpg_profiles: tuple[str, ...] = ()
    dna_files: tuple[str, ...] = ()
    out_dir: str = "."
    dna_wlen: int = 1001
    cpg_wlen: int | None = None
    cpg_cov: int = 1
    pos_file: str | None = None
    chromos: tuple[str, ...] | None = None
    nb_sample: int | None = None
    nb_sample_chromo: int | None = None
    chunk_size: int = 32768
    cpg_stats: tuple[str, ...] = ()
    cpg_stats_cov: int = 3
    seed: int = 0

    def validate(self) -> None:
        """Every option on its own and together, before any file is read."""
        def need(ok: bool, option: str, message: str, hint: str | None = None) -> None:
            if not ok:
                raise SpecError(message, path=option, hint=hint)

        need(bool(self.cpg_profiles or self.pos_file), "--cpg_profiles",
             "give --cpg_profiles (sites and outputs) or --pos_file (sites to predict)")
        need(self.dna_wlen >= 1 and self.dna_wlen % 2 == 1, "--dna_wlen",
             f"must be odd and positive (the CpG's C is the centre), got {self.dna_wlen}",
             f"use {self.dna_wlen + 1 if self.dna_wlen >= 1 else 1001}")
        if self.cpg_wlen is not None:
            need(self.cpg_wlen >= 0 and self.cpg_wlen % 2 == 0, "--cpg_wlen",
                 f"must be even (cpg_wlen / 2 neighbours on each side), got {self.cpg_wlen}", "DeepCpG uses 50")
            need(bool(self.cpg_profiles) or not self.cpg_wlen, "--cpg_wlen", "needs --cpg_profiles to take "
                 "neighbouring methylation states from")
        need(self.cpg_cov >= 0, "--cpg_cov", f"must be 0 or more, got {self.cpg_cov}")
        need(self.chunk_size >= 1, "--chunk_size", f"must be at least 1, got {self.chunk_size}")
        for option, value in (("--nb_sample", self.nb_sample), ("--nb_sample_chromo", self.nb_sample_chromo)):
            need(value is None or value >= 1, option, f"must be at least 1, got {value}")
        need(self.cpg_stats_cov >= 0, "--cpg_stats_cov", f"must be 0 or more, got {self.cpg_stats_cov}")
        for stat in self.cpg_stats:
            need(stat in STATS, "--cpg_stats", f"unknown statistic '{stat}'", did_you_mean(stat, STATS))
        need(not self.cpg_stats or bool(self.cpg_profiles), "--cpg_stats", "needs --cpg_profiles")
        need(not self.chromos or all(format_chromo(c) for c in self.chromos), "--chromos", "empty chromosome name")


@dataclass
class DataPrepResult:
    """What a run wrote, for the summary and for callers."""

    out_dir: Path
    files: list[Path]
    sites: dict[str, int]  # per chromosome, in processing order
    profiles: list[Profile]
    cpg_check: CpgCheck | None  # None without --dna_files
    bytes: int = 0
    seconds: float = 0.0
    chunks: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n_sites(self) -> int:
        return sum(self.sites.values())


def _site_table(profiles: Sequence[Profile], positions: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    if positions is not None:
        return dict(positions)
    names = sorted({c for p in profiles for c in p.chromos})
    return {c: np.unique(np.concatenate([p.positions(c) for p in profiles])) for c in names}


def plan_sites(profiles: Sequence[Profile], positions: dict[str, np.ndarray] | None, options: DataPrepOptions,
               rng: np.random.RandomState) -> dict[str, np.ndarray]:
    """Sorted int32 sites per chromosome, in DeepCpG's order, after sampling and the coverage filter."""
    table = {c: (pos, None) for c, pos in _site_table(profiles, positions).items()}
    if options.nb_sample_chromo is not None:
        table = sample_per_chromo(table, options.nb_sample_chromo, rng)
    if options.nb_sample is not None:
        table = cut_total(table, options.nb_sample)
    plan: dict[str, np.ndarray] = {}
    for chromo in sorted(table):
        sites = np.sort(table[chromo][0]).astype(np.int32)
        if profiles and options.cpg_cov:
            sites = sites[coverage(sites, [p.positions(chromo) for p in profiles]) >= options.cpg_cov]
        if len(sites):
            plan[chromo] = sites
    return plan


def _check_chromos(options: DataPrepOptions, profiles: Sequence[Profile],
                   positions: dict[str, np.ndarray] | None) -> None:
    """Every --chromos name must exist in the inputs (DeepCpG silently writes nothing for it)."""
    if not options.chromos:
        return
    present = set(positions) if positions is not None else {c for p in profiles for c in p.chromos}
    for given in options.chromos:
        if format_chromo(given) not in present:
            where = options.pos_file if positions is not None else "the profiles"
            hint = did_you_mean(format_chromo(given), present) or f"present: {quoted_list(sorted(present))}"
            raise SpecError(f"chromosome '{given}' has no site in {where}", path="--chromos", hint=hint)


def _check_bounds(chromo: str, sites: np.ndarray, length: int, dna_file: str, profiles: Sequence[Profile],
                  options: DataPrepOptions) -> None:
    if sites[-1] <= length:
        return
    far = int(sites[-1])
    where = options.pos_file or ""
    for profile in profiles:
        if len(profile.positions(chromo)) and profile.positions(chromo)[-1] == far:
            where = profile.line_of(chromo, far)
            break
    raise SpecError(f"position {chromo}:{far:,} is past the end of chromosome {chromo} ({length:,} bp in {dna_file})",
                    file=where, hint="the profiles and --dna_files must come from the same genome build")


def _chunk(chromo: str, sites: np.ndarray, profiles: Sequence[Profile], sources: Sequence[np.ndarray],
           seq: np.ndarray | None, options: DataPrepOptions) -> ChunkData:
    data = ChunkData(chromo, sites)
    mapped = [map_to_sites(sites, p.positions(chromo), p.values(chromo)) for p in profiles]
    for profile, values in zip(profiles, mapped):
        data.outputs[f"cpg/{profile.name}"] = np.round(values).astype(np.int8)  # half to even, as DeepCpG
    if options.cpg_stats:
        matrix = np.stack([m.astype(np.float32) for m in mapped], axis=1)
        for name, stat in cpg_stats(matrix, options.cpg_stats, options.cpg_stats_cov).items():
            data.outputs[f"cpg_stats/{name}"] = stat
    if seq is not None:
        data.inputs["dna"] = dna_windows(seq, sites, options.dna_wlen)
    if options.cpg_wlen:
        for profile, source in zip(profiles, sources):
            state, dist = knn_features(sites, profile.positions(chromo), source, options.cpg_wlen // 2)
            data.inputs[f"cpg/{profile.name}/state"] = state
            data.inputs[f"cpg/{profile.name}/dist"] = dist
    return data


def prepare_data(options: DataPrepOptions, *, log: Log | None = None, verbose: bool = False) -> DataPrepResult:
    """Run dcpg_data.py's pipeline; every user mistake is a SpecError, found before the first chunk where possible."""
    say: Log = log or (lambda _msg: None)
    started = time.perf_counter()
    options.validate()
    out_dir = check_out_dir(options.out_dir)  # before any work, so a bad --out_dir costs nothing
    earlier = sorted(out_dir.glob("c*_*-*.h5")) if out_dir.is_dir() else []
    if earlier:
        say(f"warning: {out_dir} already holds {len(earlier)} chunk file(s) ({earlier[0].name} …); files of the same "
            "name are replaced, the others stay and match globs such as c1_*.h5 — use an empty --out_dir")
    chromos = tuple(dict.fromkeys(format_chromo(c) for c in options.chromos)) if options.chromos else None
    rng = np.random.RandomState(options.seed)
    profiles = read_profiles(options.cpg_profiles, chromos=chromos, nb_sample=options.nb_sample,
                             nb_sample_chromo=options.nb_sample_chromo, rng=rng)
    for p in profiles:
        say(f"read {p.path}: {p.layout.kind}, {p.n_sites:,} sites, "
            f"{'binary' if p.dtype == np.int8 else 'continuous'}{', percentages' if p.percent else ''}")
    positions = read_positions(options.pos_file, chromos=chromos) if options.pos_file else None
    _check_chromos(options, profiles, positions)
    plan = plan_sites(profiles, positions, options, rng)
    if not plan:
        raise SpecError(f"no site is left: none is observed in --cpg_cov {options.cpg_cov} cells", path="--cpg_cov",
                        hint=f"there are {len(profiles)} profile(s); lower --cpg_cov")
    bad = [c for c in plan if "/" in c or c in (".", "..")]
    if bad:
        raise SpecError(f"chromosome name '{bad[0]}' cannot be part of a file name", file=options.cpg_profiles[0]
                        if options.cpg_profiles else options.pos_file)
    dna = resolve_dna_files(options.dna_files, plan) if options.dna_files else {}
    writer = ChunkWriter(out_dir)
    result = DataPrepResult(writer.out_dir, writer.files, {}, profiles, CpgCheck() if dna else None)
    try:
        for chromo, sites in plan.items():
            _write_chromosome(chromo, sites, profiles, dna.get(chromo), options, writer, result, say, verbose)
    except BaseException:
        writer.discard()
        raise
    finally:
        writer.close()
    result.files = list(writer.files)
    result.bytes = writer.bytes
    result.seconds = time.perf_counter() - started
    return result


def _write_chromosome(chromo: str, sites: np.ndarray, profiles: Sequence[Profile], dna_file: str | None,
                      options: DataPrepOptions, writer: ChunkWriter, result: DataPrepResult, say: Log,
                      verbose: bool) -> None:
    n_chunks = -(-len(sites) // options.chunk_size)
    say(f"chromosome {chromo}: {len(sites):,} sites, {n_chunks} chunk(s)")
    seq = None
    if dna_file is not None:
        seq = read_chromosome(dna_file)
        _check_bounds(chromo, sites, len(seq), dna_file, profiles, options)
        check = result.cpg_check
        assert check is not None
        check.add_sites(chromo, seq, sites)
        for profile in profiles:
            check.add_file(profile.path, profile.layout.kind, seq, profile.positions(chromo))
        if options.pos_file:
            check.add_file(options.pos_file, "positions", seq, sites)
    sources = [state_source(p.values(chromo)) for p in profiles] if options.cpg_wlen else []
    names = result.chunks.setdefault(chromo, [])
    for start in range(0, len(sites), options.chunk_size):
        end = min(len(sites), start + options.chunk_size)
        name = chunk_name(chromo, start, end)
        writer.write(name, _chunk(chromo, sites[start:end], profiles, sources, seq, options))
        names.append(name)
        if verbose:
            say(f"  wrote {name}")
    result.sites[chromo] = len(sites)


__all__ = ["DataPrepOptions", "DataPrepResult", "plan_sites", "prepare_data"]
