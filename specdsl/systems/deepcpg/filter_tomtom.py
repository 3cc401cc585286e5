"""Filter motifs against MEME databases with memelite's Tomtom, in DeepCpG's report files.

DeepCpG runs the MEME suite's ``tomtom -dist pearson -thresh FDR`` and joins its table with
``stats.tsv``.  memelite is a reimplementation that needs no MEME install; its score is not
Pearson's (its default, the complete score), so p-values differ from MEME's.  Hits are kept at
q ≤ ``--fdr``, q-values by Benjamini–Hochberg over each filter's targets, E = p · #targets.
Files: ``tomtom/tomtom.tsv`` (MEME 5's columns, which DeepCpG 1.0.7 fails to read),
``tomtom/meme_motifs.tsv`` (``id protein url``), ``report.tsv`` and ``report_top.tsv``.

The databases are read by :func:`specdsl.formats.motif_db.read_meme` (``specdsl motifs``' reader,
which keeps the alternate names and URLs that memelite's reader drops), the q-values come from
:func:`specdsl.interpret.motifs.benjamini_hochberg`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.motif_db import MotifMatrix, read_meme
from specdsl.interpret.motifs import benjamini_hochberg

INSTALL = "pip install 'specdsl[motifs]' (or: pip install memelite)"
TOMTOM_COLUMNS = ("Query_ID", "Target_ID", "Optimal_offset", "p-value", "E-value", "q-value", "Overlap",
                  "Query_consensus", "Target_consensus", "Orientation")
REPORT_EXTRA = ("target id", "p-value", "e-value", "q-value", "overlap", "query consensus", "target consensus",
                "orientation", "protein", "url")


def require_memelite() -> None:
    try:
        import memelite  # noqa: F401
    except ImportError:
        raise SpecError("motif comparison (--motif_dbs) needs memelite, which is not installed", hint=INSTALL) from None


def deepcpg_protein(alt_name: str) -> str:
    """DeepCpG's protein of a motif: its alternate name, parentheses dropped, up to the first '_'."""
    return re.sub(r"\(([^)]+)\)", r"\1", alt_name).split("_")[0]


def _consensus(pwm: np.ndarray) -> str:
    return "".join("ACGT"[i] for i in pwm.argmax(axis=1))


def match(queries: dict[int, np.ndarray], dbs: list[str], fdr: float
          ) -> tuple[list[dict[str, object]], list[MotifMatrix]]:
    """Tomtom hits (q ≤ fdr) of each filter's (w, 4) ACGT PWM, and every database motif."""
    from memelite import tomtom

    targets = [m for path in dbs for m in read_meme(path, option="--motif_dbs")]
    if not queries:
        return [], targets
    ids = sorted(queries)
    p, _, offsets, overlaps, strands = tomtom([queries[i].T for i in ids], [t.matrix.T for t in targets])
    hits: list[dict[str, object]] = []
    for row, idx in enumerate(ids):
        q = benjamini_hochberg(np.asarray(p[row], dtype=np.float64))
        for col in np.flatnonzero(q <= fdr):
            hits.append({"Query_ID": f"filter{idx}", "Target_ID": targets[col].identifier,
                         "Optimal_offset": int(offsets[row, col]), "p-value": float(p[row, col]),
                         "E-value": float(p[row, col]) * len(targets), "q-value": float(q[col]),
                         "Overlap": int(overlaps[row, col]), "Query_consensus": _consensus(queries[idx]),
                         "Target_consensus": _consensus(targets[col].matrix),
                         "Orientation": "-" if int(strands[row, col]) else "+", "idx": idx})
    hits.sort(key=lambda h: (h["idx"], h["q-value"], h["E-value"]))
    return hits, targets


def _fmt(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def write_reports(out_dir: Path, stats_rows: list[dict[str, object]], hits: list[dict[str, object]],
                  targets: list[MotifMatrix]) -> list[dict[str, object]]:
    """The four files; returns the rows of ``report_top.tsv`` (best hit per filter)."""
    tom = out_dir / "tomtom"
    tom.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(TOMTOM_COLUMNS)] + ["\t".join(_fmt(h[c]) for c in TOMTOM_COLUMNS) for h in hits]
    (tom / "tomtom.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tom / "meme_motifs.tsv").write_text("id\tprotein\turl\n" + "".join(
        f"{t.identifier}\t{deepcpg_protein(t.alt_name)}\t{t.url}\n" for t in targets), encoding="utf-8")
    info = {t.identifier: t for t in targets}
    report: list[dict[str, object]] = []
    for stats in stats_rows:
        mine = [h for h in hits if h["idx"] == stats["idx"]] or [None]
        for h in mine:
            row = dict(stats)
            for key in REPORT_EXTRA:
                row[key] = ""
            if h is not None:
                row.update({k.lower().replace("_", " "): v for k, v in h.items() if k not in ("Query_ID", "idx",
                                                                                          "Optimal_offset")})
                target = info[str(h["Target_ID"])]
                row.update({"protein": deepcpg_protein(target.alt_name), "url": target.url})
            report.append(row)
    none = float("inf")
    report.sort(key=lambda r: (r["idx"], r["q-value"] if r["q-value"] != "" else none, -float(r["act_mean"])))
    top = {}
    for row in report:
        top.setdefault(row["idx"], row)
    best = sorted(top.values(), key=lambda r: (r["q-value"] if r["q-value"] != "" else none, -float(r["act_mean"])))
    for name, rows in (("report.tsv", report), ("report_top.tsv", best)):
        cols = list(rows[0]) if rows else []
        text = "\t".join(cols) + "\n" + "".join("\t".join(_fmt(r[c]) for c in cols) + "\n" for r in rows)
        (out_dir / name).write_text(text, encoding="utf-8")
    return best


__all__ = ["INSTALL", "deepcpg_protein", "match", "require_memelite", "write_reports"]
