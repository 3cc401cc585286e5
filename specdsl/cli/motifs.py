"""``specdsl motifs SCORES.h5 -o DIR``: TF-MoDISco patterns of a contribution-score file, with a report.

One verb for what takes modisco-lite's users two (``modisco motifs -i`` then ``modisco report -l``):
any file with ``hyp_scores`` and ``input_seqs`` (N, L, 4) — ``specdsl interpret``'s,
``specdsl bpreveal interpret-flat``'s, BPReveal's — goes through TF-MoDISco's Python API and comes
out as ``DIR/modisco_results.h5`` (modisco's layout), ``DIR/motifs.meme`` (PPMs) and
``motifs.cwm.meme`` (CWMs), ``DIR/logos/`` and ``DIR/report.html`` with tomtom matches against
``--meme-db`` (MEME or JASPAR).  The inputs and the database are read and checked before modisco
starts (numba's compilation takes a while).  The work is :mod:`specdsl.interpret.motifs` and
:mod:`specdsl.interpret.motif_report`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from specdsl.errors import SpecError


def _positive(args: argparse.Namespace) -> None:
    for flag in ("max_seqlets", "window", "n_matches", "n_leiden", "size", "trim_size"):
        value = getattr(args, flag)
        if value < 1:
            raise SpecError(f"must be ≥ 1, got {value}", path="--" + flag.replace("_", "-"))
    for flag in ("seqlet_flank_size", "initial_flank_to_add", "final_flank_to_add"):
        value = getattr(args, flag)
        if value < 0:
            raise SpecError(f"must be ≥ 0, got {value}", path="--" + flag.replace("_", "-"))


def cmd_motifs(args: argparse.Namespace) -> int:
    from specdsl.formats.motif_db import read_motif_db
    from specdsl.formats.scores_h5 import read_scores
    from specdsl.interpret.motif_report import report_html, write_logos, write_pattern_meme, write_report
    from specdsl.interpret.motifs import ModiscoOptions, check_window, match_patterns, require, run_modisco

    _positive(args)
    for module in ("modiscolite", "logomaker", *(("memelite",) if args.meme_db else ())):
        require(module)
    db = read_motif_db(args.meme_db) if args.meme_db else None
    out = Path(args.o)
    if out.exists() and not out.is_dir():
        raise SpecError("exists and is not a directory", file=str(out), path="-o")
    scores = read_scores(args.scores)
    options = ModiscoOptions(max_seqlets=args.max_seqlets, window=args.window, n_leiden=args.n_leiden,
                             sliding_window_size=args.size, trim_size=args.trim_size,
                             seqlet_flank_size=args.seqlet_flank_size,
                             initial_flank_to_add=args.initial_flank_to_add,
                             final_flank_to_add=args.final_flank_to_add)
    check_window(scores.hypothetical.shape[1], options, args.scores)  # before the folder is made
    out.mkdir(parents=True, exist_ok=True)
    run = run_modisco(scores.hypothetical, scores.sequences, out / "modisco_results.h5", options,
                      source=args.scores, verbose=args.verbose)
    write_pattern_meme(run.patterns, out)
    logos = write_logos(run.patterns, out)
    matches, notes = (None, []) if db is None else match_patterns(run.patterns, db, min(args.n_matches, len(db)))
    notes = [*run.notes, *notes]
    title = f"TF-MoDISco patterns of {args.scores}"
    write_report(out / "report.html", report_html(run.patterns, logos, matches, title=title, notes=notes,
                                                  n_matches=min(args.n_matches, len(db)) if db else 0))
    n, length = scores.hypothetical.shape[:2]
    print(f"{len(run.patterns)} pattern(s) in {n:,} sequences ({run.window} of {length} bp each); wrote "
          f"{out}/modisco_results.h5, motifs.meme, logos/ and report.html")
    for i, pattern in enumerate(run.patterns):
        best = ""
        if matches is not None and matches[i]:
            top = matches[i][0]
            best = f"  best match {top.name} (p={top.p:.3g}, q={top.q:.3g})"
        print(f"  {pattern.tag}: {pattern.seqlets} seqlets{best}")
    for note in notes:
        print(f"note: {note}")
    return 0


def add_verbs(sub: Any) -> None:
    p = sub.add_parser(
        "motifs", help="TF-MoDISco patterns of a contribution-score file, with logos and tomtom matches",
        description="Run TF-MoDISco (modisco-lite's Python API) on a contribution-score file with hyp_scores and "
                    "input_seqs (N, L, 4): what specdsl interpret or specdsl bpreveal interpret-flat write. DIR "
                    "gets modisco_results.h5 (modisco's own layout), motifs.meme (the patterns' PPMs), "
                    "motifs.cwm.meme (their CWMs), logos/ (trimmed CWM logos, forward and reverse) and report.html "
                    "(with --meme-db: each pattern's best tomtom matches, p- and q-values).",
        epilog="Defaults are modisco motifs' command-line defaults. Needs the motifs extra: pip install "
               "'specdsl[motifs]'.")
    p.add_argument("scores", metavar="SCORES.h5", help="a contribution-score file (hyp_scores, input_seqs)")
    p.add_argument("-o", required=True, metavar="DIR", help="the folder to write the results and report into")
    p.add_argument("-n", "--max-seqlets", type=int, default=2000, metavar="N",
                   help="the most seqlets per metacluster (positive, negative)")
    p.add_argument("-w", "--window", type=int, default=400, metavar="W",
                   help="the centred window of each sequence to search; clipped to the sequence length")
    p.add_argument("-m", "--meme-db", metavar="DB.meme|DB.jaspar",
                   help="motifs to match the patterns against with tomtom (MEME or JASPAR)")
    p.add_argument("--n-matches", type=int, default=3, metavar="N", help="best database matches per pattern")
    p.add_argument("-l", "--n-leiden", type=int, default=2, metavar="N", help="Leiden clustering runs")
    p.add_argument("-z", "--size", type=int, default=20, metavar="N", help="seqlet core width (sliding window)")
    p.add_argument("-t", "--trim-size", type=int, default=30, metavar="N", help="width patterns are trimmed to")
    p.add_argument("-f", "--seqlet-flank-size", type=int, default=5, metavar="N", help="flank added to each seqlet")
    p.add_argument("-g", "--initial-flank-to-add", type=int, default=10, metavar="N",
                   help="flank added to patterns before they are merged")
    p.add_argument("-j", "--final-flank-to-add", type=int, default=0, metavar="N",
                   help="flank added to the final patterns")
    p.add_argument("-v", "--verbose", action="store_true", help="show modisco's own progress")
    p.set_defaults(func=cmd_motifs)


__all__ = ["add_verbs", "cmd_motifs"]
