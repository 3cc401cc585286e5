"""What a demultiplexing run tells its user: the summary on the terminal and the pictures in ``plots/``.

The summary gives the valid and invalid reads, the match types, the cells with reads and, per
barcode column, the **histogram of the distance** from each valid read's barcode segment to its
nearest whitelist barcode: most reads at 0–1 means the model finds the barcode's boundaries; a
bulk just above the threshold means boundaries off by a few bases (a model to train longer);
a bulk at the distance of random sequences (about 10 for 16-mers) means the segment is not where
the barcode is, or the whitelist is of another library.

``plots/demux_plots.png`` (and ``.pdf``): the match types (every type, also for one barcode
column, where tranquillyzer's plot of its multi-column names prints "No match types to plot"),
the distance and tie-count histograms (tranquillyzer's ``barcode_plots``), the cumulative share
of assigned reads against cells **sorted** by reads (tranquillyzer plots its counts unsorted),
and log10 read-length and cDNA-length histograms of the valid reads.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from specdsl.console import Column, Table
from specdsl.systems.tranquillyzer.demux import Demultiplexer, Stats

FAR = 5  # distances up to threshold + FAR are shown one by one, farther ones together


def _share(n: int, total: int) -> str:
    return f"{100 * n / total:.1f} %" if total else "–"


def summary(totals: Any, demux: Demultiplexer, files: list[Path]) -> list[Any]:
    """The lines and tables a run prints (see the module docstring)."""
    s, t = demux.stats, demux.o.bc_lv_threshold
    rate = totals.reads / totals.seconds if totals.seconds else 0.0
    invalid = s.reads - s.valid
    out: list[Any] = [
        f"annotated and demultiplexed {s.reads:,} reads ({totals.bases:,} bases) in {totals.seconds:.1f}s: "
        f"{rate:,.1f} reads/s",
        f"valid {s.valid:,} ({_share(s.valid, s.reads)}), invalid {invalid:,} ({_share(invalid, s.reads)}; "
        f"concatenated {s.concatenated:,})"]
    kinds = Table(["match type", Column("reads", "right"), Column("share", "right")], title="cell assignment")
    for kind, n in sorted(s.match_types.items(), key=lambda kv: -kv[1]):
        kinds.add_row(kind, f"{n:,}", _share(n, s.valid))
    out.append(kinds)
    for bc in demux.whitelist.columns:
        out.append(distance_table(s.distances[bc], t, f"{bc}: distance to the nearest whitelist barcode "
                                                      f"(corrected when ≤ {t})"))
    assigned = sum(s.cells.values())
    counts = sorted(s.cells.values(), reverse=True)
    median = counts[len(counts) // 2] if counts else 0
    out.append(f"cells: {len(s.cells):,} of {len(demux.whitelist.rows):,} whitelist cells have reads; "
               f"{assigned:,} reads assigned ({_share(assigned, s.valid)} of valid), median {median:,} per cell")
    out.append("wrote " + ", ".join(str(f) for f in files))
    return out


def distance_table(counts: Counter, threshold: int, title: str) -> Table:
    """Reads by distance: one row per distance up to threshold + FAR, then the farther ones, then those not compared."""
    total = sum(counts.values())
    table = Table([Column("distance", "right"), Column("reads", "right"), Column("share", "right"), "result"],
                  title=title)
    measured = [d for d in counts if d is not None]
    for d in range(0, min(max(measured, default=0), threshold + FAR) + 1):
        table.add_row(str(d), f"{counts[d]:,}", _share(counts[d], total), "corrected" if d <= threshold else "NMF")
    far = sum(n for d, n in counts.items() if d is not None and d > threshold + FAR)
    if far:
        table.add_row(f"> {threshold + FAR}", f"{far:,}", _share(far, total), "NMF")
    if counts[None]:
        table.add_row("not compared", f"{counts[None]:,}", _share(counts[None], total), "NMF (length)")
    return table


def _hist(ax: Any, counts: Counter, label: str) -> None:
    import numpy as np

    values = np.array([v for v in counts if v and v > 0], float)
    if not len(values):
        ax.text(0.5, 0.5, "no valid reads", ha="center", transform=ax.transAxes)
        return
    ax.hist(np.log10(values), bins=40, weights=[counts[v] for v in values.astype(int)], color="#4477aa")
    ax.set_xlabel(f"log10 {label}")
    ax.set_ylabel("valid reads")


def write_plots(stats: Stats, cells: int, threshold: int, png: Path, pdf: Path) -> None:
    """The six panels of ``plots/demux_plots`` (see the module docstring), as PNG and PDF."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    (types, dist, ties), (cdf, reads, cdna) = axes
    items = sorted(stats.match_types.items(), key=lambda kv: kv[1])
    types.barh([k for k, _ in items], [n for _, n in items], color="#4477aa")
    types.set_title("match types (valid reads)")
    types.set_xlabel("reads")
    for bc, counts in stats.distances.items():
        xs = sorted(d for d in counts if d is not None)
        dist.plot(xs, [counts[d] for d in xs], marker="o", label=bc)
        tie = sorted(stats.ties[bc])
        ties.bar([str(k) for k in tie], [stats.ties[bc][k] for k in tie], alpha=0.7, label=bc)
    dist.axvline(threshold + 0.5, color="grey", linestyle="--", label=f"threshold {threshold}")
    dist.set_yscale("symlog")
    dist.set_title("minimum distance to the whitelist")
    dist.set_xlabel("Levenshtein distance")
    dist.legend()
    ties.set_title("whitelist barcodes at that distance (0: NMF)")
    ties.set_xlabel("number of matches")
    ranked = np.sort(np.fromiter(stats.cells.values(), float, len(stats.cells)))[::-1]
    if len(ranked):
        cdf.plot(np.arange(1, len(ranked) + 1), np.cumsum(ranked) / ranked.sum(), color="#228833")
        cdf.axvline(cells, color="grey", linestyle="--", label=f"{cells:,} whitelist cells")
        cdf.legend()
    cdf.set_xscale("log")
    cdf.set_title("reads per cell (cells sorted by reads)")
    cdf.set_xlabel("cells, most reads first")
    cdf.set_ylabel("cumulative share of assigned reads")
    _hist(reads, stats.read_lengths, "read length")
    _hist(cdna, stats.cdna_lengths, "cDNA length")
    reads.set_title("read lengths")
    cdna.set_title("cDNA lengths")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    fig.savefig(pdf)
    plt.close(fig)


__all__ = ["distance_table", "summary", "write_plots"]
