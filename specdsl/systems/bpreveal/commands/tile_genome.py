"""``specdsl bpreveal tile-genome``: BPReveal's ``tileGenome``, its options and its algorithm.

Windows of ``--output-length`` over the genome whose input windows (± ``(input − output) // 2``)
hold no N and touch no blacklisted base nor the ``--chrom-edge-boundary`` bp at each chromosome
end, ``--spacing`` bp apart, the last one of each segment right-aligned to its end
(:mod:`specdsl.formats.tiling` has the algorithm and where it differs from BPReveal's).  Every
option BPReveal requires is required here, so a missing one is an error naming it, not BPReveal's
failure on ``None`` arithmetic.  The BED is written one chromosome at a time, under a temporary
name renamed when complete.
"""

from __future__ import annotations

import sys

from specdsl.options import ToolParser

PROG = "specdsl bpreveal tile-genome"


def build_parser() -> ToolParser:
    p = ToolParser(PROG, "tileGenome", "Tile a genome with prediction windows whose inputs hold no N (tileGenome).")
    p.add_argument("--genome", required=True, metavar="GENOME.fa", help="the genome FASTA")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--allow-chrom", action="append", metavar="NAME", help="tile this chromosome (repeatable)")
    which.add_argument("--all-chroms", action="store_true", help="tile every chromosome of the genome")
    p.add_argument("--output-length", type=int, required=True, metavar="BP", help="the model's output length")
    p.add_argument("--input-length", type=int, required=True, metavar="BP", help="the model's input length")
    p.add_argument("--chrom-edge-boundary", type=int, required=True, metavar="BP",
                   help="bp at each chromosome end no window's input may touch")
    p.add_argument("--spacing", type=int, required=True, metavar="BP",
                   help="bp between the output windows (based on output-length); 0 abuts them, negative overlaps")
    p.add_argument("--output-bed", required=True, metavar="OUT.bed", help="the windows, as a BED file")
    p.add_argument("--blacklist", action="append", metavar="REGIONS.bed",
                   help="no window's input may touch these regions (repeatable)")
    p.add_argument("--verbose", action="store_true", help="one line per chromosome")
    return p


def main(argv: list[str]) -> int:
    from specdsl.atomic import atomic_path
    from specdsl.formats.bed import bed_text, read_bed
    from specdsl.formats.genome import chosen_chromosomes, open_genome
    from specdsl.formats.tiling import Tiling, tile_genome

    args = build_parser().parse(argv)
    tiling = Tiling(args.output_length, args.input_length, args.spacing, args.chrom_edge_boundary)
    tiling.check()
    genome = open_genome(args.genome)
    chroms = chosen_chromosomes(genome, None if args.all_chroms else args.allow_chrom, "--allow-chrom")
    blacklists = [read_bed(path) for path in args.blacklist or ()]
    windows = 0
    with atomic_path(args.output_bed) as tmp, open(tmp, "w", encoding="utf-8") as out:
        for chrom, starts in tile_genome(genome, chroms, tiling, blacklists):
            name = genome.names[chrom]
            out.write(bed_text([name] * len(starts), starts, starts + tiling.output_length))
            windows += len(starts)
            if args.verbose:
                print(f"{name}: {len(starts):,} windows", file=sys.stderr)
    print(f"wrote {args.output_bed}: {windows:,} windows of {tiling.output_length} bp on {len(chroms)} "
          f"chromosome(s)", file=sys.stderr)
    return 0


__all__ = ["PROG", "build_parser", "main"]
