"""``specdsl deepcpg filter-motifs``: ``dcpg_filter_motifs.py``'s command line, unchanged where it applies.

The computation is :mod:`specdsl.systems.deepcpg.filter_motifs`, the figures
:mod:`.motif_plots` (logomaker instead of the WebLogo program), the comparison
:mod:`.filter_tomtom` (memelite instead of the MEME suite's tomtom).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.options import HelpFormatter, ToolParser

log = logging.getLogger(__name__)
PROG = "specdsl deepcpg filter-motifs"

EPILOG = """\
example (DeepCpG's tutorial, with the program names replaced):
  specdsl deepcpg filter-act data/c*.h5 --model_files models/dna -o act.h5 --nb_sample 25000 --store_inputs
  specdsl deepcpg filter-motifs act.h5 --out_dir motifs --motif_db JASPAR2024.meme --plot_heat --plot_dens

Writes meme.txt (MEME version 4), stats.tsv (idx motif act_mean act_std ic nb_site, plus the
PWM's consensus), fa/NNN.fa, logos/NNN.<out_format>, and with --motif_dbs tomtom/tomtom.tsv,
tomtom/meme_motifs.tsv, report.tsv, report_top.tsv, as dcpg_filter_motifs.py does.
Logos are drawn with logomaker and matches found with memelite (the 'motifs' extra:
pip install 'specdsl[motifs]'); --weblogo_opts is accepted and has no effect (there is no
WebLogo), memelite's Tomtom score is its own, not MEME's '-dist pearson'.  --no_logos skips
the logos.  k-mers are cut at the windows the filter saw (DeepCpG miscounts them for even
kernels, strides and 'same' padding); --trim_thr keeps the last informative column.
"""


class _Formatter(argparse.RawDescriptionHelpFormatter, HelpFormatter):
    """Defaults said once, and the epilog's example kept as written."""


def build_parser() -> ToolParser:
    p = ToolParser(PROG, "dcpg_filter_motifs.py", "Visualises and analyses the motifs of first-layer filters.")
    p.formatter_class = _Formatter
    p.epilog = EPILOG
    p.add_argument("in_file", help="HDF5 file of filter activations and DNA windows (filter-act --store_inputs)")
    p.add_argument("-o", "--out_dir", default=".", help="output directory")
    p.add_argument("--act_thr_per", type=float, default=0.5, help="threshold as a fraction of the maximum "
                   "activation above the mean")
    p.add_argument("--act_thr_max", type=int, default=25000, help="maximum number of aligned k-mers")
    p.add_argument("--out_format", default="pdf", choices=("pdf", "png", "svg", "eps"), help="format of logos and "
                   "plots")
    p.add_argument("--weblogo_opts", help="accepted for compatibility; has no effect (logos are drawn by logomaker)")
    p.add_argument("--delete_fasta", action="store_true", help="delete fa/NNN.fa after drawing the logos")
    p.add_argument("--no_logos", action="store_true", help="skip the logos (a specdsl addition)")
    p.add_argument("-m", "--motif_dbs", "--motif_db", nargs="+", help="MEME databases for motif comparison")
    p.add_argument("--fdr", type=float, default=0.05, help="q-value threshold of motif matches")
    p.add_argument("--plot_dens", action="store_true", help="plot each filter's activation density")
    p.add_argument("--plot_heat", action="store_true", help="plot each filter's weights as a heatmap")
    p.add_argument("--plot_pca", action="store_true", help="plot the filters on two principal components")
    p.add_argument("--nb_sample_pca", type=int, default=1000, help="samples in the PCA")
    p.add_argument("--trim_thr", type=float, help="trim PWM end columns below this information content (bits)")
    p.add_argument("--filters", nargs="+", help="filter indices from 0, or ranges: -10 50-60")
    p.add_argument("--nb_sample", type=int, help="maximum number of windows")
    p.add_argument("--seed", type=int, default=0, help="accepted; nothing here is random")
    p.add_argument("--verbose", action="store_true", help="more detailed log messages")
    p.add_argument("--log_file", help="also write log messages to this file")
    return p


def _check(args: Any) -> None:
    from specdsl.systems.deepcpg.filter_tomtom import require_memelite
    from specdsl.systems.deepcpg.motif_plots import require_logomaker

    for flag in ("act_thr_max", "nb_sample", "nb_sample_pca"):
        value = getattr(args, flag)
        if value is not None and value < (0 if flag == "act_thr_max" else 1):
            raise SpecError(f"must be a whole number ≥ {0 if flag == 'act_thr_max' else 1}, got {value}",
                            path=f"--{flag}")
    if args.act_thr_per < 0 or args.act_thr_per > 1:
        raise SpecError(f"must lie in [0, 1], got {args.act_thr_per}", path="--act_thr_per")
    if not 0 < args.fdr <= 1:
        raise SpecError(f"must lie in (0, 1], got {args.fdr}", path="--fdr")
    if args.weblogo_opts:
        log.warning("--weblogo_opts has no effect: logos are drawn by logomaker, not WebLogo")
    if not args.no_logos:
        require_logomaker()
    if args.motif_dbs:
        require_memelite()


def run(args: Any) -> list[Any]:
    from specdsl.systems.deepcpg import filter_motifs as fm
    from specdsl.systems.deepcpg import motif_plots as plots

    _check(args)
    out = Path(args.out_dir)
    if out.exists() and not out.is_dir():
        raise SpecError("is a file; give a folder", file=str(out), path="--out_dir")
    h5, act, weights, seqs = fm.read_activations(args.in_file, args.nb_sample)
    try:
        n, nb_filter = len(seqs), act.shape[-1]
        chosen = fm.ranges_to_list(args.filters, 0, nb_filter - 1) if args.filters else list(range(nb_filter))
        offset, stride = fm.window_offset(h5.attrs, seqs.shape[1], act.shape[1], weights.shape[0])
        dirs = {name: out / name for name in ("logos", "fa", "dens", "heat")}
        for name in ("fa",) + (("logos",) if not args.no_logos else ()) + (("dens",) if args.plot_dens else ()) \
                + (("heat",) if args.plot_heat else ()):
            dirs[name].mkdir(parents=True, exist_ok=True)
        print(f"Filters: {len(chosen)}\nFilter len: {weights.shape[0]}\nSamples: {n}")
        if args.plot_pca:
            sample = np.asarray(act[:min(n, args.nb_sample_pca)])[:, :, chosen]
            for name, summary in (("mean", sample.mean(axis=1)), ("max", sample.max(axis=1))):
                plots.plot_pca(summary, chosen, out / f"pca_{name}.{args.out_format}")
            from specdsl.systems.deepcpg.filter_act import linear_weights

            wmean = np.average(sample, axis=1, weights=linear_weights(sample.shape[1]))
            plots.plot_pca(wmean, chosen, out / f"pca_wmean.{args.out_format}")
        results = []
        for idx in chosen:
            filter_act = np.asarray(act[:n, :, idx])
            filter_w = weights[:, :, idx].T
            result = fm.analyse_filter(idx, filter_act, filter_w, seqs, offset, stride, args.act_thr_per,
                                       args.act_thr_max)
            results.append(result)
            log.info("filter %d: %d sites%s", idx, result.nb_site, "" if result.act_mean else " (dead)")
            if result.act_mean == 0:
                continue
            if args.plot_dens:
                plots.plot_density(filter_act, dirs["dens"] / f"{idx:03d}.{args.out_format}")
            if args.plot_heat:
                plots.plot_heatmap(filter_w, dirs["heat"] / f"{idx:03d}.{args.out_format}")
            if result.pwm is None:
                continue
            fasta = dirs["fa"] / f"{idx:03d}.fa"
            fasta.write_text(fm.kmers_fasta(result.kmers), encoding="ascii")
            if not args.no_logos:
                plots.plot_logo(result.pwm, dirs["logos"] / f"{idx:03d}.{args.out_format}", f"filter{idx}")
            if args.delete_fasta:
                fasta.unlink()
    finally:
        h5.close()
    (out / "meme.txt").write_text(fm.meme_text(results, fm.background(seqs), args.trim_thr), encoding="ascii")
    (out / "stats.tsv").write_text(fm.stats_tsv(results), encoding="ascii")
    print("\nFilter statistics:\n" + fm.stats_tsv(results))
    if args.motif_dbs:
        _compare(args, out, results)
    return results


def _compare(args: Any, out: Path, results: list[Any]) -> None:
    from specdsl.systems.deepcpg import filter_motifs as fm
    from specdsl.systems.deepcpg.filter_tomtom import match, write_reports

    queries = {}
    for r in results:
        pwm = None if r.pwm is None else fm.trim(r.pwm, args.trim_thr)
        if pwm is not None:
            queries[r.idx] = pwm[:, [0, 3, 2, 1]]  # ATGC → ACGT
    hits, targets = match(queries, list(args.motif_dbs), args.fdr)
    rows = [dict(zip(fm.STATS_COLUMNS, line.split("\t"))) for line in fm.stats_tsv(results).splitlines()[1:]]
    for row in rows:
        row["idx"] = int(row["idx"])
    top = write_reports(out, rows, hits, targets)
    print("Tomtom results (best match per filter):")
    for row in top:
        if row["target id"]:
            print(f"  filter{row['idx']}\t{row['target id']}\t{row['protein']}\tq={row['q-value']:.3g}")


def main(argv: list[str]) -> int:
    from specdsl.systems.deepcpg.commands.train import setup_logging

    args = build_parser().parse(argv)
    setup_logging(args.log_file, args.verbose)
    run(args)
    print(f"wrote {args.out_dir}", file=sys.stderr)
    return 0


__all__ = ["build_parser", "main", "run"]
