"""``specdsl tranquillyzer simulate-data MODEL_NAME OUTPUT_DIR``: tranquillyzer's command line, unchanged.

Reads ``training_seq_orders.tsv`` (the shipped one, or ``--training-seq-orders-file``), simulates
``--num-reads`` molecules (:mod:`specdsl.systems.tranquillyzer.simulator`) and writes
``OUTPUT_DIR/simulated_data/reads.h5`` (:mod:`specdsl.formats.reads_h5`) where
tranquillyzer writes ``reads.pkl`` and ``labels.pkl``.  specdsl adds ``--seed`` (the same seed
gives the same file; without it a seed is drawn and printed), ``--fasta`` (also write the
reads as ``reads.fasta.gz``, e.g. to try ``specdsl annotate`` on them) and cells: with
``--whitelist barcodes.tsv`` or ``--num-cells N`` (a random whitelist, written as
``simulated_data/barcodes.tsv``) each molecule carries the barcodes of a whitelist row drawn
uniformly, and ``simulated_data/true_cells.tsv`` records every read's true cell (the truth a
demultiplexing run is scored against; the FASTA headers say ``cell=`` too).
"""

from __future__ import annotations

import contextlib
import gzip
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.atomic import atomic_path, atomic_write_text
from specdsl.errors import SpecError
from specdsl.formats.reads_h5 import write_reads
from specdsl.options import ToolParser
from specdsl.systems.tranquillyzer.commands.common import add_simulation_options, new_seed, simulation_options
from specdsl.systems.tranquillyzer.seq_orders import SeqOrder, seq_order
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
    cells = p.add_mutually_exclusive_group()
    cells.add_argument("--whitelist", metavar="TSV", help="specdsl: barcodes from this whitelist (a header naming the "
                                                        "barcode segments, a row a cell); writes true_cells.tsv")
    cells.add_argument("--num-cells", type=int, metavar="N", help="specdsl: barcodes from a random whitelist of N "
                                                                  "cells, written as simulated_data/barcodes.tsv")
    return p


def whitelist_rows(args: Any, order: SeqOrder, seed: int, folder: Path) -> list[tuple[str, ...]] | None:
    """The cells a run draws from: --whitelist's rows, or --num-cells random ones (written to barcodes.tsv)."""
    from specdsl.systems.tranquillyzer.barcodes import read_whitelist

    if not order.barcodes:
        if args.whitelist or args.num_cells is not None:
            raise SpecError(f"the seq order of {order.model} names no barcode segment", path="--whitelist")
        return None
    patterns = {s.label: s.pattern for s in order.segments}
    if args.whitelist:
        wl = read_whitelist(args.whitelist, order.barcodes)
        for bc in order.barcodes:
            size = int(patterns[bc][1:]) if patterns[bc][1:].isdigit() else None
            lengths = {len(v) for v in wl.column(bc)}
            if size is not None and lengths != {size}:
                raise SpecError(f"the whitelist's {bc} values have {', '.join(map(str, sorted(lengths)))} bases; the "
                                f"seq order's pattern is {patterns[bc]}", file=args.whitelist, path="--whitelist")
        return list(wl.rows)
    if args.num_cells is None:
        return None
    if args.num_cells < 1:
        raise SpecError(f"must be ≥ 1, got {args.num_cells}", path="--num-cells")
    rng = np.random.default_rng([seed, 1 << 20])
    rows: dict[tuple[str, ...], None] = {}
    while len(rows) < args.num_cells:
        rows.setdefault(tuple(decode(rng.integers(1, 5, size=_width(patterns[bc]), dtype=np.uint8))
                              for bc in order.barcodes))
    text = "\t".join(order.barcodes) + "\n" + "".join("\t".join(row) + "\n" for row in rows)
    atomic_write_text(folder / "barcodes.tsv", text)
    return list(rows)


def _width(pattern: str) -> int:
    if not pattern[1:].isdigit():
        raise SpecError(f"a random whitelist needs N<k> barcode patterns, not {pattern}", path="--num-cells",
                        hint="give --whitelist instead")
    return int(pattern[1:])


def main(argv: list[str]) -> int:
    args = build_parser().parse(argv)
    seed = args.seed if args.seed is not None else new_seed()
    options = simulation_options(args, seed, "--num-reads")
    order = seq_order(args.model_name, args.training_seq_orders_file)
    transcripts = load_transcripts(args.transcriptome) if args.transcriptome else None
    folder = Path(args.output_dir) / "simulated_data"
    cells = whitelist_rows(args, order, seed, folder)
    sim = Simulator(order, options, transcripts, cells)
    out = folder / "reads.h5"
    info = {"model": order.model, "seq_order": order.source, "options": options.record(),
            "transcriptome": args.transcriptome, "tool": "specdsl tranquillyzer simulate-data"}
    started = time.monotonic()
    fasta = folder / "reads.fasta.gz"
    truth = folder / "true_cells.tsv"
    with contextlib.ExitStack() as stack:
        writer = stack.enter_context(write_reads(out, order.classes, KINDS, info))
        handle = truths = None
        if args.fasta:
            handle = stack.enter_context(gzip.open(stack.enter_context(atomic_path(fasta, ".gz")), "wt",
                                                   compresslevel=3))
        if cells is not None:
            truths = stack.enter_context(open(stack.enter_context(atomic_path(truth)), "w", encoding="utf-8"))
            truths.write("\t".join(("read_id", "cell_id", "kind", "strand", *order.barcodes)) + "\n")
        for tokens, labels, kinds, strands, ids in simulate(sim, args.threads, cells=True):
            for i, (t, k, s, c) in enumerate(zip(tokens, kinds, strands, ids), writer.reads):
                sign = "-" if s else "+"
                if handle is not None:
                    handle.write(f">sim{i} kind={KINDS[k]} strand={sign}{f' cell={c + 1}' if c >= 0 else ''}\n"
                                 f"{decode(t)}\n")
                if truths is not None:
                    truths.write("\t".join((f"sim{i}", str(c + 1), KINDS[k], sign, *cells[c])) + "\n")  # type: ignore[index]
            writer.append(tokens, labels, kinds, strands)
    seconds = time.monotonic() - started
    print(f"simulated {writer.reads:,} reads ({writer.bases:,} bases, mean length "
          f"{writer.bases / max(writer.reads, 1):,.0f}) of {order.model} in {seconds:.1f}s, seed {seed}",
          file=sys.stderr)
    written = [out] + ([fasta] if args.fasta else []) + ([truth] if cells is not None else [])
    if args.num_cells is not None and cells is not None:
        written.append(folder / "barcodes.tsv")
    print("wrote " + ", ".join(str(w) for w in written))
    return 0
