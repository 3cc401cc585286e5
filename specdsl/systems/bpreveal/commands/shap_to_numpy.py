"""``specdsl bpreveal shap-to-numpy --h5 SCORES.h5 --seqs SEQS.npz --scores ATTRS.npz``: BPReveal's ``shapToNumpy``.

modisco-lite's ``-s/-a`` inputs are length-last, ``(N, 4, L)``, while interpretFlat's file is
length-first: this transposes ``input_seqs`` and ``hyp_scores`` and writes each as BPReveal does, a
name ending in ``.npz`` with ``np.savez`` (uncompressed, key ``arr_0``), anything else with
``np.save``; the scores float16, the sequences uint8.  (``modisco motifs -i SCORES.h5`` reads the
HDF5 itself and needs no conversion.)  Both files are written under temporary names, renamed only
once both are complete.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from specdsl.options import ToolParser

PROG = "specdsl bpreveal shap-to-numpy"


def build_parser() -> ToolParser:
    p = ToolParser(PROG, "shapToNumpy", "Write a contribution-score file's sequences and hypothetical scores as "
                                        "(N, 4, L) NumPy arrays for modisco motifs -s/-a (shapToNumpy).")
    p.add_argument("--h5", required=True, metavar="SCORES.h5", help="a file interpret-flat or specdsl interpret "
                                                                    "wrote (hyp_scores, input_seqs)")
    p.add_argument("--seqs", required=True, metavar="SEQS.npz|.npy", help="where the one-hot sequences go (uint8)")
    p.add_argument("--scores", required=True, metavar="SCORES.npz|.npy", help="where the hypothetical scores go "
                                                                              "(float16)")
    p.add_argument("--verbose", action="store_true", help="say what was written")
    return p


def save_array(path: str | Path, array: np.ndarray, name: str | Path) -> None:
    """``array`` at ``path`` by ``np.savez`` (key ``arr_0``) when the final ``name`` ends in ``.npz``, else
    ``np.save``, as BPReveal writes them; the file object keeps NumPy from adding a suffix to ``path``."""
    with open(path, "wb") as handle:
        (np.savez if str(name).endswith(".npz") else np.save)(handle, array)


def main(argv: list[str]) -> int:
    from specdsl.atomic import atomic_path
    from specdsl.errors import SpecError
    from specdsl.formats.scores_h5 import read_scores
    from specdsl.training.profile_predict import check_writable

    args = build_parser().parse(argv)
    if Path(args.seqs).resolve() == Path(args.scores).resolve():
        raise SpecError("--seqs and --scores name the same file", path="--scores")
    for path in (args.seqs, args.scores):
        check_writable(path)
    scores = read_scores(args.h5)
    seqs = np.ascontiguousarray(scores.sequences.transpose(0, 2, 1)).astype(np.uint8)
    hyp = np.ascontiguousarray(scores.hypothetical.transpose(0, 2, 1)).astype(np.float16)
    with atomic_path(args.seqs, suffix=".tmp", need_bytes=seqs.nbytes + hyp.nbytes + 8192) as seq_tmp, \
            atomic_path(args.scores, suffix=".tmp") as score_tmp:
        save_array(seq_tmp, seqs, args.seqs)
        save_array(score_tmp, hyp, args.scores)
    if args.verbose:
        print(f"wrote {args.seqs} and {args.scores}: {hyp.shape[0]:,} × 4 × {hyp.shape[2]:,}", file=sys.stderr)
    return 0


__all__ = ["PROG", "build_parser", "main", "save_array"]
