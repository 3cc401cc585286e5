"""``specdsl bpreveal shap-to-bigwig --h5 SCORES.h5 --bw OUT.bw``: BPReveal's ``shapToBigwig``.

A contribution-score file (interpretFlat's, ``specdsl interpret``'s) as a genome track: at each
base the actual contribution, ``Σ_bases hyp_scores × input_seqs``, over the window the file's
coordinates give for each row (``coords_start``–``coords_end``, as wide as the scores).  The
options are BPReveal's (``--h5``, ``--bw``, ``--verbose``); the writing is
:mod:`specdsl.formats.bigwig`'s, in one streaming pass, a block of rows at a time.

**Differences from BPReveal** (``src/shapToBigwig.py``): where two windows overlap, BPReveal
writes the first window's values up to the middle of the overlap and the second's after it; here
the overlapping bases get the mean of both, as ``predict-to-bigwig`` does (BPReveal ≥ 3.6) — on
bases where the two scores agree the tracks are the same.  The header lists the chromosomes in the
file's order, not sorted by name; files whose ``coords_chrom`` holds names (BPReveal < 5) are
refused with a hint rather than read.
"""

from __future__ import annotations

import sys

import numpy as np

from specdsl.options import ToolParser

PROG = "specdsl bpreveal shap-to-bigwig"
READ_ROWS = 512  # score rows read at a time: (rows, L, 4) float16 twice


def build_parser() -> ToolParser:
    p = ToolParser(PROG, "shapToBigwig", "Write a contribution-score file's per-base contributions (hypothetical "
                                         "scores × sequence, summed over the bases) as a bigWig (shapToBigwig).")
    p.add_argument("--h5", required=True, metavar="SCORES.h5", help="a file interpret-flat or specdsl interpret "
                                                                    "wrote from BED regions (with coordinates)")
    p.add_argument("--bw", required=True, metavar="OUT.bw", help="the bigWig to write")
    p.add_argument("--verbose", action="store_true", help="show a progress bar and a summary")
    return p


def contributions(hypothetical: np.ndarray, sequences: np.ndarray) -> np.ndarray:
    """Per-base actual contributions (B, L): hypothetical scores times the one-hot input, summed over A C G T."""
    return (np.asarray(hypothetical, np.float32) * np.asarray(sequences, np.float32)).sum(axis=2)


def main(argv: list[str]) -> int:
    import h5py

    from specdsl.errors import SpecError
    from specdsl.formats.bigwig import open_tracks
    from specdsl.formats.scores_h5 import SCORES, SEQUENCES, read_score_coordinates
    from specdsl.training.profile_predict import check_writable
    from specdsl.training.region_progress import RegionProgress

    args = build_parser().parse(argv)
    check_writable(args.bw)
    try:
        h5 = h5py.File(args.h5, "r")
    except OSError as err:
        raise SpecError(f"cannot read it as HDF5: {err}", file=args.h5) from None
    with h5:
        missing = [name for name in (SCORES, SEQUENCES) if name not in h5]
        if missing:
            raise SpecError(f"not a contribution-score file: no {' or '.join(missing)}", file=args.h5)
        coords = read_score_coordinates(h5, args.h5)
        n, length = h5[SCORES].shape[:2]
        widths = coords.stop - coords.start
        bad = np.flatnonzero(widths != length)
        if bad.size:
            i = int(bad[0])
            raise SpecError(f"row {i} spans {coords.start[i]}-{coords.stop[i]} ({widths[i]} bp) but holds {length} "
                            "scores", file=args.h5, hint="each window must be as wide as the scored sequences")
        order = np.lexsort((coords.start, coords.chrom))
        chroms = list(zip(coords.chrom_names, coords.chrom_sizes))
        with RegionProgress("writing", n, show=None if args.verbose else False) as bar, \
                open_tracks([args.bw], chroms) as (writer,):
            for at in range(0, n, READ_ROWS):
                rows = order[at:at + READ_ROWS]
                stored = np.sort(rows)  # h5py reads increasing indices
                back = np.searchsorted(stored, rows)
                values = contributions(h5[SCORES][stored], h5[SEQUENCES][stored])[back]
                chrom = coords.chrom[rows]
                for piece in np.split(np.arange(len(rows)), np.flatnonzero(np.diff(chrom)) + 1):
                    writer.add(int(chrom[piece[0]]), coords.start[rows[piece]], values[piece])
                bar.advance(len(rows))
    if args.verbose:
        print(bar.summary(f"wrote {args.bw} ({writer.bases:,} bases)"), file=sys.stderr)
    return 0


__all__ = ["PROG", "READ_ROWS", "build_parser", "contributions", "main"]
