"""How analysis time grows with the number of blocks (it should be linear), and how fast synthetic data is written.

    .venv/bin/python benchmarks/bench_scaling.py

Speed is measured here rather than asserted in unit tests, where a wall-clock limit
fails on a slow or busy machine and says nothing about the behaviour.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from specdsl.api import analyse  # noqa: E402


def time_blocks(n: int) -> float:
    start = time.perf_counter()
    graph = analyse(f"conv[8@3,pad=same]_{n - 1}x(bn)", None, {"": (100, 4)})
    assert len(graph.layers) == n + 1  # conv + its ReLU, then n - 1 batch norms
    return time.perf_counter() - start


def time_synthetic(regions: int = 2000) -> float:
    from specdsl.formats.synthetic_profiles import write_synthetic

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_synthetic(Path(tmp) / "a.h5", regions, 2114, 1000, 64, [2], seed=5)
        return time.perf_counter() - start


def main() -> int:
    print("| blocks | analysis s | s per 1,000 blocks |")
    print("| ---: | ---: | ---: |")
    for n in (10_000, 20_000, 50_000, 100_000):
        seconds = time_blocks(n)
        print(f"| {n:,} | {seconds:.2f} | {seconds / n * 1000:.3f} |")
    print(f"\nwrite_synthetic, 2,000 regions of 2114 → 1000 bp with jitter 64: {time_synthetic():.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
