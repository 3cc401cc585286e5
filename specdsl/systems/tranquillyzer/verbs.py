"""``specdsl annotate``: label every base of real reads with a trained read-labelling model.

With ``--whitelist``, it goes on as tranquillyzer's ``annotate-reads`` does: valid and invalid
reads, corrected barcodes, cells, demultiplexed FASTA/FASTQ (:mod:`.demux_run`); ``-o`` is then
the results folder.  :func:`add_demux_options` declares the options both command lines share.
"""

from __future__ import annotations

import argparse
from typing import Any

from specdsl.console import console
from specdsl.errors import SpecError

DEMUX_ONLY = ("bc_lv_threshold", "output_fmt", "include_polya", "include_barcode_quals", "table_format",
              "seq_order", "seq_order_file", "threads")


def add_demux_options(p: Any, threads: int) -> None:
    """The demultiplexing options of ``specdsl annotate --whitelist`` and ``tranquillyzer annotate-reads``."""
    p.add_argument("--bc-lv-threshold", type=int, default=None, help="largest Levenshtein distance from a barcode "
                   "segment (or its reverse complement) to a whitelist barcode that is corrected; farther: NMF "
                   "(default 2)")
    p.add_argument("--output-fmt", choices=["fasta", "fastq"], default=None,
                   help="demuxed and ambiguous reads as FASTA or FASTQ (FASTQ needs FASTQ reads; default fasta)")
    p.add_argument("--include-barcode-quals", action="store_true", default=None,
                   help="FASTQ headers also carry the barcode and UMI qualities (|BQ:…)")
    p.add_argument("--include-polya", action="store_true", default=None,
                   help="the demuxed sequence is the cDNA and the polyA/T beside it")
    p.add_argument("--table-format", choices=["auto", "parquet", "tsv"], default=None,
                   help="annotations_valid/_invalid tables; auto: Parquet when pyarrow is installed, else TSV "
                        "(default auto)")
    p.add_argument("--seq-order", metavar="NAME", default=None,
                   help="the model's row of the seq-orders file (default: the one its train-model run recorded)")
    p.add_argument("--seq-order-file", metavar="TSV", default=None,
                   help="seq-orders file (tranquillyzer's six columns); default: the one the model was trained with")
    p.add_argument("--threads", type=int, default=None, help=f"threads comparing barcodes (default {threads})")


def demux_settings(args: argparse.Namespace, threads: int) -> tuple[Any, str]:
    """(DemuxOptions, table format) from the parsed options, defaults filled in."""
    from .demux import DemuxOptions

    if args.threads is not None and args.threads < 1:
        raise SpecError(f"must be ≥ 1, got {args.threads}", path="--threads")
    options = DemuxOptions(2 if args.bc_lv_threshold is None else args.bc_lv_threshold, args.output_fmt or "fasta",
                           bool(args.include_polya), bool(args.include_barcode_quals), args.threads or threads)
    return options, args.table_format or "auto"


def print_summary(totals: Any, demux: Any, files: list) -> None:
    from specdsl.console import printer

    from .demux_report import summary

    out = printer()
    for item in summary(totals, demux, files):
        out.print(item)


def check_windows(args: argparse.Namespace) -> None:
    for flag in ("window", "overlap", "batch_tokens"):
        if getattr(args, flag) < (0 if flag == "overlap" else 1):
            raise SpecError(f"must be ≥ {0 if flag == 'overlap' else 1}, got {getattr(args, flag)}",
                            path="--" + flag.replace("_", "-"))


def _annotate(args: argparse.Namespace) -> int:
    from .annotate import annotate_file

    check_windows(args)
    if args.whitelist is not None:
        from .demux_run import demultiplex

        options, tables = demux_settings(args, 1)
        result = demultiplex(args.model, args.reads, args.whitelist, args.output, options=options, tables=tables,
                             seq_order_name=args.seq_order, seq_order_file=args.seq_order_file,
                             console=console(stderr=True), strand=args.strand, window=args.window,
                             overlap=args.overlap, batch_tokens=args.batch_tokens)
        print_summary(*result)
        return 0
    given = [name for name in DEMUX_ONLY if getattr(args, name) is not None]
    if given:
        raise SpecError("demultiplexing option(s) without --whitelist", path="--" + given[0].replace("_", "-"),
                        hint="give --whitelist barcodes.tsv (and -o a folder) to demultiplex, or leave the option out")
    totals = annotate_file(args.model, args.reads, args.output, console=console(stderr=True), strand=args.strand,
                           window=args.window, overlap=args.overlap, batch_tokens=args.batch_tokens)
    rate = totals.reads / totals.seconds if totals.seconds else 0.0
    bases = totals.bases / totals.seconds if totals.seconds else 0.0
    print(f"annotated {totals.reads:,} reads ({totals.bases:,} bases) in {totals.seconds:.1f}s: {rate:,.1f} reads/s, "
          f"{bases:,.0f} bases/s; wrote {totals.rows:,} segments to {args.output}")
    return 0


def add_verb(sub: Any) -> None:
    p = sub.add_parser("annotate", help="label every base of real reads with a trained read-labelling model "
                                        "(e.g. from 'specdsl tranquillyzer train-model'); one TSV row per segment")
    p.add_argument("model", metavar="MODEL", help="a train-model variant folder (OUT/<model>_<idx>) or a .keras file")
    p.add_argument("reads", metavar="READS", help="FASTQ or FASTA, plain or gzip-compressed")
    p.add_argument("-o", "--output", required=True, metavar="ANNOTATIONS.tsv|OUTDIR",
                   help="columns read_id, label, start, end (0-based, end exclusive), strand, score, sequence; "
                        "gzip-compressed when the name ends in .gz; with --whitelist, the results folder")
    p.add_argument("--whitelist", metavar="barcodes.tsv", help="demultiplex: a TSV whose header names the barcode "
                   "segments (CBC), a row a cell; writes tranquillyzer's annotate-reads results into -o OUTDIR "
                   "(docs/labelling.md)")
    p.add_argument("--strand", choices=["both", "forward"], default="both",
                   help="both: decode the read and its reverse complement, keep the more probable labelling; "
                        "forward: the read as given only (half the work)")
    p.add_argument("--window", type=int, default=4096, help="reads longer than this are decoded in overlapping "
                                                            "windows of this many bases")
    p.add_argument("--overlap", type=int, default=256, help="bases each window shares with its neighbour, per side")
    p.add_argument("--batch-tokens", type=int, default=65536, help="bases per model call (memory ∝ this)")
    add_demux_options(p.add_argument_group("demultiplexing (with --whitelist)"), 1)
    p.set_defaults(func=_annotate)
