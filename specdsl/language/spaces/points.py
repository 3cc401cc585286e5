"""Points of a space with their parameter counts and MACs: what ``specdsl space`` lists.

Each point is bound and analysed in pure Python (no TensorFlow), a thousand or more a second
(benchmarks/bench_search.py).  A point whose shapes are impossible (a pooling longer than what is
left of the sequence …) is *pruned*: counted, with the first reasons kept, and never listed; so
is a point above the parameter budget.  Scanning stops after ``scan`` points, so a space whose
points are nearly all impossible still answers at once, saying how far it looked.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from specdsl.errors import SpecError
from specdsl.language.ir import Block, Chain, Repeat
from specdsl.language.printer import format_chain
from specdsl.language.spaces.space import Space


@dataclass
class Point:
    """One analysed point: ``index`` in the documented order (None for a random one)."""

    index: int | None
    values: dict[str, Any]
    params: int
    trainable: int
    macs: int | None
    spec: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "params": self.params, "trainable": self.trainable, "macs": self.macs,
                "architecture": self.spec, "values": self.values}


@dataclass
class Listing:
    points: list[Point] = field(default_factory=list)
    scanned: int = 0
    pruned: int = 0
    over_budget: int = 0
    reasons: list[str] = field(default_factory=list)  # the first few pruning reasons, for the user
    order: str = "grid"


def analyse_point(space: Space, values: dict[str, Any], index: int | None = None) -> Point:
    """Bind and analyse one point; raises the SpecError that prunes it (an impossible shape …)."""
    bound = space.bind(values)
    graph = space.analyse(bound)
    chains = [n.chain for n in bound.nodes if n.chain.items] + [h.chain for h in bound.heads]
    spec = " | ".join("_".join(_text(item) for item in c.items) for c in chains)
    return Point(index, values, graph.total, graph.trainable, graph.macs, spec)


@lru_cache(maxsize=8192)
def _text(item: Block | Repeat) -> str:
    """Canonical text of one block or repeat; points share most of theirs, so it is remembered."""
    return format_chain(Chain((item,)))


def list_points(space: Space, limit: int = 10, *, max_params: int | None = None, sample: bool = False,
                seed: int = 0, scan: int | None = None) -> Listing:
    """Up to ``limit`` possible points within the budget, in grid order from point 0 (or random ones with
    ``sample``), looking at no more than ``scan`` points (default: 100 per point asked, at least 1,000)."""
    scan = scan if scan is not None else max(1_000, 100 * limit)
    out = Listing(order="random" if sample else "grid")
    rng = random.Random(seed)
    total = space.size
    while len(out.points) < limit and out.scanned < scan and (sample or out.scanned < total):
        index = None if sample else out.scanned
        values = space.sample(rng) if sample else space.point(out.scanned)
        out.scanned += 1
        try:
            point = analyse_point(space, values, index)
        except SpecError as err:
            out.pruned += 1
            if len(out.reasons) < 3:
                out.reasons.append(err.message)
            continue
        if max_params is not None and point.params > max_params:
            out.over_budget += 1
            continue
        out.points.append(point)
    return out


__all__ = ["Point", "Listing", "analyse_point", "list_points"]
