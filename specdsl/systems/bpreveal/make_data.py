"""``specdsl make-data`` (the default generator): BPReveal training files with planted motifs."""

from __future__ import annotations

import argparse
from pathlib import Path

from specdsl.errors import SpecError

NAME = "bpreveal"
HELP = "bpreveal (default): --train/--val HDF5 files in prepareTrainingData's layout; --genome, a genome to predict"
DEFAULT = True
SHARED = ("seed",)  # of make-data's own options: it writes --train/--val files, not a folder (--out)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--train", metavar="TRAIN.h5", help="training file to write")
    p.add_argument("--val", metavar="VAL.h5", help="validation file to write")
    p.add_argument("--regions", type=int, default=2000, help="regions in the training file")
    p.add_argument("--val-regions", type=int, default=500, help="regions in the validation file")
    p.add_argument("--input-length", type=int, help="input length (required)")
    p.add_argument("--output-length", type=int, help="output length (required)")
    p.add_argument("--max-jitter", type=int, default=0, help="jitter room on each side")
    p.add_argument("--tasks", type=int, nargs="+", default=[2], help="tasks per head, e.g. --tasks 2 1")
    p.add_argument("--genome", metavar="GENOME.fa", help="also write a genome with the same motifs planted, to "
                                                         "predict tracks on (and GENOME.motifs.bed, where they are)")
    p.add_argument("--genome-chroms", type=int, default=2, help="chromosomes of --genome")
    p.add_argument("--genome-length", type=int, default=20000, help="bp per chromosome of --genome")


def _genome(args: argparse.Namespace) -> None:
    from specdsl.atomic import atomic_write_text
    from specdsl.formats.fasta import write_fasta
    from specdsl.formats.synthetic_profiles import synthetic_genome

    if args.genome_chroms < 1 or args.genome_length < 1000:
        raise SpecError("a genome needs at least 1 chromosome of at least 1,000 bp",
                        path="--genome-chroms" if args.genome_chroms < 1 else "--genome-length")
    records, sites = synthetic_genome(args.genome_chroms, args.genome_length, seed=args.seed)
    write_fasta(args.genome, records)
    motifs = Path(args.genome).with_suffix(".motifs.bed")
    atomic_write_text(motifs, "".join(f"{c}\t{s}\t{e}\t{m}\t0\t{strand}\n" for c, s, e, m, strand in sites))
    print(f"wrote {args.genome}: {args.genome_chroms} chromosome(s) of {args.genome_length:,} bp, "
          f"{len(sites):,} planted motifs (listed in {motifs})")


def run(args: argparse.Namespace) -> int:
    from specdsl.formats.synthetic_profiles import write_synthetic

    if not (args.train or args.val or args.genome):
        raise SpecError("nothing to write: give --train, --val or --genome", path="--train")
    if args.genome:
        _genome(args)
    for flag in ("input_length", "output_length"):
        if (args.train or args.val) and getattr(args, flag) is None:
            raise SpecError("make-data bpreveal needs --input-length and --output-length",
                            path="--" + flag.replace("_", "-"))
    for path, n, seed in ((args.train, args.regions, args.seed), (args.val, args.val_regions, args.seed + 1)):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            try:
                write_synthetic(path, n, args.input_length, args.output_length, args.max_jitter, args.tasks,
                                seed=seed)
            except ValueError as err:
                raise SpecError(f"cannot make this data set: {err}", file=path) from None
            heads = ", ".join(f"{t} task(s)" for t in args.tasks)
            print(f"wrote {path}: {n} regions, sequence {args.input_length + 2 * args.max_jitter}x4, "
                  f"heads {heads} of {args.output_length + 2 * args.max_jitter}")
    return 0
