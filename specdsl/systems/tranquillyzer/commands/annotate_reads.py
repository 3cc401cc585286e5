"""``specdsl tranquillyzer annotate-reads OUTPUT_DIR WHITELIST_FILE``: tranquillyzer's command line.

tranquillyzer reads the reads ``preprocess`` left in ``OUTPUT_DIR/full_length_pp_fa/``; specdsl
has no ``preprocess``, so the reads are named with ``--reads`` (FASTA or FASTQ, plain or gzip).
``--model-name`` is a model specdsl trained: a ``train-model`` variant folder inside OUTPUT_DIR
(``10x3p_sc_ont_0``), or the path of a variant folder or ``.keras`` file — tranquillyzer's own
pretrained models cannot be imported.  The results go where tranquillyzer writes them
(:mod:`specdsl.systems.tranquillyzer.demux_run`).  Options that tune tranquillyzer's GPU batching,
its worker queue and its chunking are accepted and have no effect (specdsl batches by tokens and
streams in bounded memory); ``--model-type`` is accepted too: the model decodes with what it has
(its CRF, or its softmax).
"""

from __future__ import annotations

from pathlib import Path

from specdsl.console import console
from specdsl.errors import SpecError, did_you_mean
from specdsl.options import ToolParser
from specdsl.systems.tranquillyzer.verbs import add_demux_options, demux_settings, print_summary

PROG = "specdsl tranquillyzer annotate-reads"
THREADS = 12


def build_parser() -> ToolParser:
    p = ToolParser(PROG, "tranquillyzer annotate-reads", "Labels reads with a trained model, corrects their "
                   "barcodes against a whitelist and demultiplexes them (tranquillyzer annotate-reads).")
    p.add_argument("output_dir", metavar="OUTPUT_DIR", help="where the results go (and where train-model put the "
                                                            "model named by --model-name)")
    p.add_argument("whitelist", metavar="WHITELIST_FILE", help="a TSV whose header names the barcode segments "
                                                               "(CBC; i7, i5, CBC), a row a cell")
    p.add_argument("--reads", required=True, metavar="FASTX", help="specdsl: the reads, FASTA or FASTQ (plain or "
                                                                   "gzip); specdsl has no preprocess step")
    p.add_argument("--model-name", default="10x3p_sc_ont_011",
                   help="a train-model variant folder in OUTPUT_DIR, or a variant folder or .keras file")
    p.add_argument("--model-type", choices=["REG", "CRF", "HYB"], default="HYB",
                   help="accepted, no effect: the model decodes with its own CRF or softmax")
    add_demux_options(p, THREADS)
    p.add_argument("--strand", choices=["both", "forward"], default="both",
                   help="specdsl: decode each read and its reverse complement (both) or the read as given only")
    p.add_argument("--window", type=int, default=4096, help="specdsl: longer reads are decoded in windows")
    p.add_argument("--overlap", type=int, default=256, help="specdsl: bases each window shares, per side")
    p.add_argument("--batch-tokens", type=int, default=65536, help="specdsl: bases per model call")
    for flag, kind, default, why in (("--chunk-size", int, 100_000, "reads per chunk"),
                                     ("--gpu-mem", str, None, "GPU memory in GB"),
                                     ("--target-tokens", int, 1_200_000, "tokens per GPU replica"),
                                     ("--vram-headroom", float, 0.35, "GPU memory kept free"),
                                     ("--min-batch-size", int, 1, "smallest inference batch"),
                                     ("--max-batch-size", int, 8192, "largest inference batch"),
                                     ("--max-queue-size", int, 3, "chunks queued per worker")):
        p.add_argument(flag, type=kind, default=default, help=f"accepted, no effect ({why})")
    return p


def find_variant(output_dir: str, name: str) -> Path:
    """``--model-name``: a folder of OUTPUT_DIR, else a path; a name that is neither lists the variants there."""
    inside = Path(output_dir) / name
    if inside.is_dir():
        return inside
    if Path(name).exists():
        return Path(name)
    found = sorted(d.name for d in Path(output_dir).glob("*") if d.is_dir() and any(d.glob("*.keras")))
    raise SpecError(f"no model '{name}' in {output_dir}", path="--model-name",
                    expected="a train-model variant folder in OUTPUT_DIR" + (f" ({', '.join(found)})" if found else "")
                             + ", or the path of a variant folder or .keras file",
                    hint=did_you_mean(name, found) or "tranquillyzer's pretrained models cannot be imported: train one "
                                                      "with 'specdsl tranquillyzer train-model MODEL OUTPUT_DIR'")


def main(argv: list[str]) -> int:
    from specdsl.systems.tranquillyzer.demux_run import demultiplex
    from specdsl.systems.tranquillyzer.seq_orders import read_seq_orders
    from specdsl.systems.tranquillyzer.verbs import check_windows

    args = build_parser().parse(argv)
    check_windows(args)
    model = find_variant(args.output_dir, args.model_name)
    name = args.seq_order
    if name is None and args.seq_order_file and args.model_name in read_seq_orders(args.seq_order_file):
        name = args.model_name  # tranquillyzer finds the row by the model's name
    options, tables = demux_settings(args, THREADS)
    result = demultiplex(model, args.reads, args.whitelist, args.output_dir, options=options, tables=tables,
                         seq_order_name=name, seq_order_file=args.seq_order_file, console=console(stderr=True),
                         strand=args.strand, window=args.window, overlap=args.overlap, batch_tokens=args.batch_tokens)
    print_summary(*result)
    return 0
