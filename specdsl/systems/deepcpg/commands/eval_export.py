"""``specdsl deepcpg eval-export``: dcpg_eval_export.py's command line, unchanged.

Every option of the original is implemented (there is nothing to refuse).  Its docstring's own
examples spell ``--output``, ``--chromo`` and ``--format``; the first two worked there through
argparse's prefix matching and the third did not work at all, so all three are accepted here as
aliases.  One deliberate difference: bedGraph rows use the standard 0-based start
(``start = pos - 1``, ``end = pos``) where DeepCpG writes ``start = pos``, one base to the right;
specdsl's profile reader takes bedGraph starts as 0-based, so exported profiles read back onto
the same sites.  The work is :func:`specdsl.systems.deepcpg.evaluation.export_profiles`.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable

from specdsl.errors import SpecError
from specdsl.options import ToolParser

PROG = "specdsl deepcpg eval-export"
_PARAMS = ("output_names", "chromos", "nb_sample", "out_format")  # library argument = original option


def build_parser() -> ToolParser:
    from specdsl.systems.deepcpg.evaluation import FORMATS

    p = ToolParser(PROG, "dcpg_eval_export.py", description="Exports imputed methylation profiles: the observed "
                   "state where a cell has one, the prediction elsewhere, one file per cell.")
    p.add_argument("data_file", help="output data file of dcpg_eval.py / 'specdsl deepcpg eval' (--out_data)")
    p.add_argument("-o", "--out_dir", default=".", help="output directory")
    p.add_argument("-f", "--out_format", "--format", choices=FORMATS, default="hdf",
                   help="output file format: <cell>.h5, or <cell>.bedGraph.gz with rows 'chr<chromo> pos-1 pos value' "
                   "(default: hdf)")
    p.add_argument("--chromos", "--chromo", nargs="+", help="chromosomes to be exported, e.g. 1 X")
    p.add_argument("--output_names", "--output", nargs="+", help="regexes to select outputs, e.g. cpg/Ca01")
    p.add_argument("--nb_sample", type=int, help="export only the first N sites")
    p.add_argument("--verbose", action="store_true", help="more detailed log messages")
    p.add_argument("--log_file", help="write log messages to this file instead of stderr")
    return p


def _logger(log_file: str | None) -> Callable[[str], None]:
    """DeepCpG's log line format, to stderr or appended to ``--log_file``."""

    def log(message: str) -> None:
        line = f"INFO ({time.strftime('%Y-%m-%d %H:%M:%S')}): {message}\n"
        if log_file:
            try:
                with open(log_file, "a", encoding="utf-8") as handle:
                    handle.write(line)
            except OSError as err:
                raise SpecError(f"cannot write the log: {err.strerror}", file=log_file, path="--log_file") from None
        else:
            sys.stderr.write(line)

    return log


def main(argv: list[str]) -> int:
    from specdsl.formats.deepcpg_chunks import check_out_dir
    from specdsl.systems.deepcpg.evaluation import export_profiles

    args = build_parser().parse(argv)
    check_out_dir(args.out_dir)
    log = _logger(args.log_file)
    try:
        written = export_profiles(args.data_file, args.out_dir, args.out_format, output_names=args.output_names,
                                  chromos=args.chromos, nb_sample=args.nb_sample,
                                  log=log if args.verbose or args.log_file else None)
    except SpecError as err:
        if err.path in _PARAMS:  # name the option as the user typed it
            raise dataclasses.replace(err, path=f"--{err.path}") from None
        raise
    log(f"wrote {len(written)} profile(s) to {args.out_dir}")
    return 0


__all__ = ["build_parser", "main"]
