"""``specdsl deepcpg data ARGS…``: DeepCpG's ``dcpg_data.py`` command line, unchanged.

Every option of dcpg_data.py (DeepCpG 1.0.7) is declared.  The annotation and window-statistics
options are refused by name; ``--dna_db`` and ``--bulk_profiles`` are the names older DeepCpG
versions (and its integration test script) used: ``--dna_db`` is accepted as ``--dna_files``,
``--bulk_profiles`` is refused.  The work is :func:`specdsl.systems.deepcpg.dataprep.prepare_data`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from specdsl.errors import SpecError
from specdsl.options import ToolParser
from specdsl.systems.deepcpg.dataprep import DataPrepOptions, DataPrepResult, prepare_data
from specdsl.systems.deepcpg.features import STATS

PROG = "specdsl deepcpg data"


def build_parser() -> ToolParser:
    p = ToolParser(PROG, "dcpg_data.py", "Creates DeepCpG data for training and testing (dcpg_data.py).")
    p.add_argument("--pos_file", help="positions (chromo pos) of the CpG sites to predict; without it, the sites "
                                      "observed in at least one cell")
    p.add_argument("--cpg_profiles", nargs="+", help="single-cell methylation profiles, TSV (chromo pos value) or "
                                                     "bedGraph, plain or .gz; the cell name is the file name up to "
                                                     "its first dot")
    p.add_argument("--cpg_wlen", type=int, help="extract cpg_wlen // 2 neighbouring CpG sites on each side")
    p.add_argument("--cpg_cov", type=int, default=1, help="keep sites observed in at least this many cells")
    p.add_argument("--dna_files", nargs="+", help="folder or FASTA files named '*.dna.chromosome.<chromo>.fa*'")
    p.add_argument("--dna_db", nargs="+", help="older DeepCpG name of --dna_files")
    p.add_argument("--dna_wlen", type=int, default=1001, help="DNA window length (odd)")
    p.add_argument("-o", "--out_dir", default=".", help="output folder")
    p.add_argument("--cpg_stats", nargs="+", choices=STATS, help="per-CpG statistics across cells")
    p.add_argument("--cpg_stats_cov", type=int, default=3, help="minimum coverage for --cpg_stats")
    p.add_argument("--chromos", nargs="+", help="chromosomes to use")
    p.add_argument("--nb_sample", type=int, help="maximum number of sites")
    p.add_argument("--nb_sample_chromo", type=int, help="number of random sites per chromosome")
    p.add_argument("--chunk_size", type=int, default=32768, help="maximum number of sites per output file")
    p.add_argument("--seed", type=int, default=0, help="seed for --nb_sample_chromo")
    p.add_argument("--verbose", action="store_true", help="log every chunk")
    p.add_argument("--log_file", help="also write the log lines to this file")
    p.unsupported("--anno_files", nargs="+", why="--anno_files adds annotation inputs, which dcpg_train.py ignores; "
                                                 "leave it out")
    p.unsupported("--win_stats", nargs="+", why="--win_stats (window statistics across cells) is not implemented; "
                                                "--cpg_stats is")
    p.unsupported("--win_stats_wlen", nargs="+", why="--win_stats_wlen goes with --win_stats, which is not "
                                                     "implemented")
    p.unsupported("--bulk_profiles", nargs="+", why="--bulk_profiles is an option of older DeepCpG versions; give "
                                                    "bulk profiles as --cpg_profiles")
    return p


def options_from_args(argv: list[str]) -> tuple[DataPrepOptions, bool, str | None]:
    """(options, verbose, log file) from dcpg_data.py's command line."""
    args = build_parser().parse(argv)
    if args.dna_files and args.dna_db:
        raise SpecError("give the genome once: --dna_files or its older name --dna_db", path="--dna_db")
    options = DataPrepOptions(
        cpg_profiles=tuple(args.cpg_profiles or ()), dna_files=tuple(args.dna_files or args.dna_db or ()),
        out_dir=args.out_dir, dna_wlen=args.dna_wlen, cpg_wlen=args.cpg_wlen, cpg_cov=args.cpg_cov,
        pos_file=args.pos_file, chromos=tuple(args.chromos) if args.chromos else None, nb_sample=args.nb_sample,
        nb_sample_chromo=args.nb_sample_chromo, chunk_size=args.chunk_size, cpg_stats=tuple(args.cpg_stats or ()),
        cpg_stats_cov=args.cpg_stats_cov, seed=args.seed)
    return options, args.verbose, args.log_file


def _logger(log_file: str | None) -> tuple[Callable[[str], None], Callable[[], None]]:
    """Log lines go to stderr, and to --log_file when given (opened before any work, so a bad path fails first)."""
    handle = None
    if log_file:
        try:
            handle = open(log_file, "a", encoding="utf-8")  # noqa: SIM115 - closed by the returned closer
        except OSError as err:
            raise SpecError(f"cannot write the log: {err.strerror}", file=log_file, path="--log_file") from None

    def log(message: str) -> None:
        print(message, file=sys.stderr)
        if handle is not None:
            handle.write(message + "\n")
            handle.flush()

    return log, (handle.close if handle is not None else (lambda: None))


def summary(result: DataPrepResult) -> list[str]:
    """The lines printed on stdout after a run."""
    lines = [f"chromosome {c}: {n:,} sites in {len(result.chunks.get(c, []))} file(s)" for c, n in result.sites.items()]
    names = [f.name for f in result.files]
    shown = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]}"
    cells = ", ".join(p.name for p in result.profiles) or "none"
    lines.append(f"wrote {len(names)} file(s) to {result.out_dir} ({shown}): {result.n_sites:,} sites, cells: {cells}; "
                 f"{result.bytes / 1e6:,.1f} MB in {result.seconds:.1f} s")
    lines.append(result.cpg_check.summary() if result.cpg_check is not None
                 else "CpG check: not done (no --dna_files)")
    return lines


def main(argv: list[str]) -> int:
    options, verbose, log_file = options_from_args(argv)
    log, close = _logger(log_file)
    try:
        result = prepare_data(options, log=log, verbose=verbose)
        for line in summary(result):
            print(line)
        if result.cpg_check is not None:
            for line in result.cpg_check.warning():
                log(line)
    finally:
        close()
    return 0


__all__ = ["build_parser", "main", "options_from_args", "summary"]
