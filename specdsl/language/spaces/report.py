"""``specdsl space``'s report: plain data first (``--json``), rendering second."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from specdsl.language.ir import Hyper
from specdsl.language.report import human
from specdsl.language.spaces.points import Listing
from specdsl.language.spaces.space import Space

if TYPE_CHECKING:
    from specdsl.console import Printer


def _magnitude(n: int) -> str:
    return f"about 10^{math.log10(n):.1f}" if n >= 10**6 else ""


def space_report(space: Space, listing: Listing, max_params: int | None = None) -> dict[str, Any]:
    t = space.template
    docs = {p.name: p.doc for p in t.preset.params}
    bound = {k: v for k, v in t.params.items() if not isinstance(v, Hyper) and docs.get(k) != "model-wide default"}
    return {
        "space": t.preset.name,
        "text": space.text(),
        "params": bound,
        "size": space.size,
        "size_text": f"{space.size:,}",
        "continuous": space.continuous,
        "axes": [{"name": name, "describes": what} for name, what in space.axes],
        "extras": sorted(space.extras),
        "order": listing.order,
        "scanned": listing.scanned,
        "pruned": listing.pruned,
        "over_budget": listing.over_budget,
        "max_params": max_params,
        "pruned_because": listing.reasons,
        "points": [p.as_dict() for p in listing.points],
    }


def render_space(report: dict[str, Any], out: Printer) -> None:
    """The space's axes and its first points; every architecture string verbatim."""
    from specdsl.console import Column, Table, styled

    shown = ", ".join(f"{k}={v}" for k, v in report["params"].items())
    size, cont = report["size"], report["continuous"]
    magnitude = _magnitude(size)
    out.print(styled((report["space"], "bold"), (f" ({shown})" if shown else "")
                     + f": {len(report['axes'])} axes, ", (report["size_text"], "bold"), " points"
                     + (f" ({magnitude})" if magnitude else "")
                     + (f" × {len(cont)} continuous ax{'is' if len(cont) == 1 else 'es'} ({', '.join(cont)})"
                        if cont else "")))
    table = Table(["axis", "values, where, when"], title="axes")
    for axis in report["axes"]:
        table.add_row(axis["name"], axis["describes"])
    out.print(table)
    if report["extras"]:
        out.print("training hyperparameters (no layer uses them; a search passes them to fit_trial): "
                  + ", ".join(report["extras"]))
    order = "in grid order from point 0" if report["order"] == "grid" else "random"
    budget = f", {report['over_budget']:,} over {report['max_params']:,} params" if report["max_params"] else ""
    out.print(f"points ({order}): {report['scanned']:,} analysed, {len(report['points']):,} listed, "
              f"{report['pruned']:,} pruned for impossible shapes{budget}"
              + ("; continuous axes at their lower bound" if cont and report["order"] == "grid" else ""))
    for reason in report["pruned_because"]:
        out.print(f"  pruned: {reason}")
    if not report["points"]:
        return
    points = Table([Column("#", "right"), Column("params", "right"), Column("MACs", "right"), "architecture"])
    for p in report["points"]:
        points.add_row("" if p["index"] is None else f"{p['index']:,}", f"{p['params']:,}", human(p["macs"]),
                       p["architecture"])
    out.print(points)
