"""``specdsl tranquillyzer simulate-data MODEL_NAME OUTPUT_DIR``: tranquillyzer's command line, unchanged.

Reads ``training_seq_orders.tsv`` (the shipped one, or ``--training-seq-orders-file``), simulates
``--num-reads`` molecules (:mod:`specdsl.systems.tranquillyzer.simulator`) and writes
``OUTPUT_DIR/simulated_data/reads.h5`` (:mod:`specdsl.formats.reads_h5`) where
tranquillyzer writes ``reads.pkl`` and ``labels.pkl``.  specdsl adds ``--seed`` (the same seed
gives the same file; without it a seed is drawn and printed) and ``--fasta`` (also write the
reads as ``reads.fasta.gz``, e.g. to try ``specdsl annotate`` on them).
"""

from __future__ import annotations

import contextlib
import gzip
import sys
import time
from pathlib import Path

from specdsl.atomic import atomic_path
from specdsl.formats.reads_h5 import write_reads
from specdsl.options import ToolParser
from specdsl.systems.tranquillyzer.commands.common import add_simulation_options, new_seed, simulation_options
from specdsl.systems.tranquillyzer.seq_orders import seq_order
from specdsl.systems.tranquillyzer.simulator import KINDS, Simulator, load_transcripts, simulate
from specdsl.systems.tranquillyzer.tokens import decode

PROG = "specdsl tranquillyzer simulate-data"


def build_parser() -> ToolParser:
    p = ToolParser(PROG, "tranquillyzer simulate-data", "Simulates labelled reads of a library for training "
                   "(tranquillyzer simulate-data).")
    p.add_argument("model_name", metavar="MODEL_NAME", help="a row of the seq-orders file, e.g. 10x3p_sc_ont")
    p.add_argument("output_dir", metavar="OUTPUT_DIR", help="writes OUTPUT_DIR/simulated_data/reads.h5")
    add_simulation_options(p, 50_000, "--num-reads", 1)
    p.add_argument("--seed", type=int, help="specdsl: seed of the simulation (default: drawn and printed)")
    p.add_argument("--fasta", action="store_true", help="specdsl: also write simulated_data/reads.fasta.gz")
    return p


def main(argv: list[str]) -> int:
    args = build_parser().parse(argv)
    seed = args.seed if args.seed is not None else new_seed()
    options = simulation_options(args, seed, "--num-reads")
    order = seq_order(args.model_name, args.training_seq_orders_file)
    transcripts = load_transcripts(args.transcriptome) if args.transcriptome else None
    sim = Simulator(order, options, transcripts)
    folder = Path(args.output_dir) / "simulated_data"
    out = folder / "reads.h5"
    info = {"model": order.model, "seq_order": order.source, "options": options.record(),
            "transcriptome": args.transcriptome, "tool": "specdsl tranquillyzer simulate-data"}
    started = time.monotonic()
    fasta = folder / "reads.fasta.gz"
    with contextlib.ExitStack() as stack:
        writer = stack.enter_context(write_reads(out, order.classes, KINDS, info))
        handle = None
        if args.fasta:
            handle = stack.enter_context(gzip.open(stack.enter_context(atomic_path(fasta, ".gz")), "wt",
                                                   compresslevel=3))
        for tokens, labels, kinds, strands in simulate(sim, args.threads):
            if handle is not None:
                for i, (t, k, s) in enumerate(zip(tokens, kinds, strands), writer.reads):
                    handle.write(f">sim{i} kind={KINDS[k]} strand={'-' if s else '+'}\n{decode(t)}\n")
            writer.append(tokens, labels, kinds, strands)
    seconds = time.monotonic() - started
    print(f"simulated {writer.reads:,} reads ({writer.bases:,} bases, mean length "
          f"{writer.bases / max(writer.reads, 1):,.0f}) of {order.model} in {seconds:.1f}s, seed {seed}",
          file=sys.stderr)
    print(f"wrote {out}" + (f" and {fasta}" if args.fasta else ""))
    return 0
