"""What ``specdsl motifs`` leaves beside the results file: logos, ``motifs.meme`` and ``report.html``.

The report is ``modisco report``'s table (pattern, seqlets, forward and reverse CWM logos, the best
database matches) written without pandas' ``to_html``, so every piece of text that came from the
user (database motif names, file names) is HTML-escaped: a JASPAR name with ``<`` or ``&`` cannot
break the page or inject markup.  Logos are drawn with logomaker from the CWM trimmed as modisco
report trims it (:func:`specdsl.interpret.motifs.trim_bounds` with 4 bp of padding), at
``logos/<group>.<pattern>.cwm.fwd.png`` and ``.rev.png``; matplotlib runs headless (Agg).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from specdsl.formats.motif_db import MotifMatrix, write_meme
from specdsl.interpret.motifs import LOGO_PAD, Match, Pattern, require, trim_bounds


def draw_logo(matrix: np.ndarray, path: str | Path) -> None:
    """A logomaker logo of a (W, 4) matrix, its y-axis from the lowest negative sum to the highest sum."""
    require("logomaker")
    import logomaker
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    frame = pd.DataFrame(np.asarray(matrix, np.float64), columns=list("ACGT"))
    frame.index.name = "pos"
    fig, ax = plt.subplots(figsize=(10, 3))
    try:
        logo = logomaker.Logo(frame, ax=ax)
        logo.style_spines(visible=False)
        sums = frame.sum(axis=1)
        low, high = min(float(sums.min()), 0.0), float(sums.max())
        if high > low:
            ax.set_ylim(low, high)
        fig.savefig(path)
    finally:
        plt.close(fig)


def write_logos(patterns: Sequence[Pattern], out_dir: str | Path) -> list[tuple[str, str]]:
    """Forward and reverse-complement CWM logos of each pattern; their paths relative to ``out_dir``."""
    logos = Path(out_dir) / "logos"
    logos.mkdir(parents=True, exist_ok=True)
    paths = []
    for pattern in patterns:
        pair = []
        for strand, cwm in (("fwd", pattern.cwm), ("rev", pattern.cwm[::-1, ::-1])):
            start, end = trim_bounds(cwm, pad=LOGO_PAD)
            name = f"{pattern.tag}.cwm.{strand}.png"
            draw_logo(cwm[start:end], logos / name)
            pair.append(f"logos/{name}")
        paths.append((pair[0], pair[1]))
    return paths


def write_pattern_meme(patterns: Sequence[Pattern], out_dir: str | Path) -> list[Path]:
    """``motifs.meme`` (the patterns' PPMs, as ``modisco meme -t PFM``) and ``motifs.cwm.meme`` (their CWMs,
    as ``modisco meme -t CWM``: not probabilities, for tools that take weight matrices), both untrimmed."""
    nsites = [p.seqlets for p in patterns]
    paths = [Path(out_dir) / "motifs.meme", Path(out_dir) / "motifs.cwm.meme"]
    write_meme(paths[0], [MotifMatrix(p.tag, p.ppm) for p in patterns], nsites)
    write_meme(paths[1], [MotifMatrix(p.tag, p.cwm) for p in patterns], nsites)
    return paths


_STYLE = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:middle}"
          "th{background:#f4f4f4}.note{color:#7a4b00}")


def _number(value: float) -> str:
    return f"{value:.3g}"


def report_html(patterns: Sequence[Pattern], logos: Sequence[tuple[str, str]],
                matches: Sequence[Sequence[Match]] | None, *, title: str, notes: Sequence[str] = (),
                n_matches: int = 3) -> str:
    """The report page: one row per pattern; ``matches`` None when no database was given."""
    e = html.escape
    head = ["pattern", "seqlets", "CWM (forward)", "CWM (reverse)"]
    if matches is not None:
        for k in range(n_matches):
            head += [f"match{k}", f"pval{k}", f"qval{k}"]
    rows = []
    for i, pattern in enumerate(patterns):
        cells = [e(pattern.tag), str(pattern.seqlets),
                 *(f'<img src="{e(path, quote=True)}" width="240" alt="{e(pattern.tag, quote=True)}">'
                   for path in logos[i])]
        if matches is not None:
            found = list(matches[i])
            for k in range(n_matches):
                cells += ([e(found[k].name), _number(found[k].p), _number(found[k].q)] if k < len(found)
                          else ["", "", ""])
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    body = [f"<h1>{e(title)}</h1>"]
    body += [f'<p class="note">{e(note)}</p>' for note in notes]
    if patterns:
        body.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>"
                    + "".join(rows) + "</tbody></table>")
    else:
        body.append("<p>No patterns were found.</p>")
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{e(title)}</title>'
            f"<style>{_STYLE}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n")


def write_report(path: str | Path, text: str) -> None:
    from specdsl.atomic import atomic_write_text

    atomic_write_text(path, text)


__all__ = ["draw_logo", "report_html", "write_logos", "write_pattern_meme", "write_report"]
