"""DeepCpG data-preparation benchmark: sites per second, peak memory and disk of ``specdsl deepcpg data``.

Why these numbers: dcpg_data.py is the first step of every DeepCpG project and it runs over a
whole genome (about 20 M CpG sites for mouse).  What users need to know is whether it fits their
machine (peak RAM), how long it takes and how much disk the chunks take, and how those grow
with the data.  Each run is a fresh ``specdsl deepcpg data`` process, as a user runs it, on a
synthetic data set (:func:`specdsl.systems.deepcpg.synthetic.write_synthetic_deepcpg`: Ensembl-named
gzipped FASTAs, one TSV profile per cell, ~30 % of sites missing per cell), with DeepCpG's
recommended geometry (``--dna_wlen 1001 --cpg_wlen 50``); the peak RSS is the child's own
(``os.wait4``), the wall time includes reading, checking, extracting and compressing.

The data are written by a separate child process and this script never imports numpy: Linux
gives a child started with vfork/fork + exec the *parent's* peak RSS as its own starting
``ru_maxrss``, so a parent that had just generated two million sites would inflate every figure.

A run is ``SITES:CHROMOSOMES``: the sites are spread over that many chromosomes, about 100 bp
apart, so ``2000000:1`` has one 200 Mb chromosome, the size of mouse chromosome 1, to measure the
memory of the largest sequence held at once.

Run (about five minutes on a 2-core machine)::

    .venv/bin/python benchmarks/bench_deepcpg_data.py              # 100k, 300k, 1M over 2 chromosomes, 2M on 1
    .venv/bin/python benchmarks/bench_deepcpg_data.py --markdown   # a block for docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # measure this checkout, even without an editable install

from machine_info import cpu_model, usable_cores, version  # noqa: E402

GENERATE = ("import json, sys; from specdsl.systems.deepcpg.synthetic import write_synthetic_deepcpg as w; "
            "a = json.loads(sys.argv[1]); r = w(a.pop('out'), **a); "
            "print(json.dumps({k: [str(p) for p in r[k]] for k in ('profiles', 'dna_files')}))")

MOUSE_SITES = 20_000_000
MOUSE_CHR1_BP = 195_471_971  # GRCm38 chromosome 1


@dataclass
class Run:
    label: str
    sites: int  # written
    chromosomes: int
    largest_bp: int
    profile_lines: int
    seconds: float
    peak_rss: int  # bytes
    output: int  # bytes

    @property
    def rate(self) -> float:
        return self.sites / self.seconds


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "specdsl"
    return [str(script)] if script.exists() else [sys.executable, "-m", "specdsl"]


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _measure(cmd: list[str]) -> tuple[float, int, str]:
    """Wall time, peak RSS (bytes, this child's own via wait4) and stdout of one child process."""
    env = _env()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{err.read().decode()[-2000:]}")
        return seconds, usage.ru_maxrss * 1024, out.read().decode()


def measure(work: Path, spec: str, cells: int, dna_wlen: int, cpg_wlen: int) -> Run:
    total, _, chromosomes = spec.partition(":")
    n_chrom = int(chromosomes or 2)
    per_chromosome = int(float(total)) // n_chrom
    folder = work / spec.replace(":", "x")
    request = {"out": str(folder), "chromosomes": [str(i + 1) for i in range(n_chrom)],
               "sites_per_chromosome": per_chromosome, "cells": cells, "seed": 0}
    done = subprocess.run([sys.executable, "-c", GENERATE, json.dumps(request)], capture_output=True, text=True,
                          env=_env(), cwd=ROOT, check=True)
    made = {k: [Path(p) for p in v] for k, v in json.loads(done.stdout).items()}
    out_dir = folder / "out"
    cmd = [*_cli(), "deepcpg", "data", "--cpg_profiles", *map(str, made["profiles"]), "--dna_files",
           str(folder / "dna"), "--dna_wlen", str(dna_wlen), "--cpg_wlen", str(cpg_wlen), "--out_dir", str(out_dir)]
    seconds, rss, stdout = _measure(cmd)
    written = re.search(r"([\d,]+) sites, cells", stdout)
    if not written:
        raise SystemExit(f"no site count in the output:\n{stdout}")
    lines = sum(sum(1 for _ in open(p, "rb")) for p in made["profiles"])
    largest = max(_fasta_bases(p) for p in made["dna_files"])
    output = sum(p.stat().st_size for p in out_dir.glob("*.h5"))
    shutil.rmtree(folder)
    return Run(f"{float(total) / 1e6:g}M" if float(total) >= 1e6 else f"{float(total) / 1e3:g}k",
               int(written.group(1).replace(",", "")), n_chrom, largest, lines, seconds, rss, output)


def _fasta_bases(path: Path) -> int:
    import gzip

    with gzip.open(path, "rb") as handle:
        handle.readline()
        return sum(len(line) - 1 for line in handle)


def _solve3(rows: list[tuple[float, float, float]], ys: list[float]) -> tuple[float, float, float]:
    """Least squares y = a + b·x1 + c·x2 (rows are (1, x1, x2)), by the normal equations and Cramer's rule."""
    m = [[sum(r[i] * r[j] for r in rows) for j in range(3)] for i in range(3)]
    v = [sum(r[i] * y for r, y in zip(rows, ys)) for i in range(3)]

    def det(a: list[list[float]]) -> float:
        return (a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
                + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]))

    d = det(m)
    out = []
    for k in range(3):
        mk = [[v[i] if j == k else m[i][j] for j in range(3)] for i in range(3)]
        out.append(det(mk) / d)
    return out[0], out[1], out[2]


def table(runs: list[Run]) -> str:
    rows = ["| sites | chromosomes (largest) | profile lines | wall time | sites/s | peak RSS | output | bytes/site |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in runs:
        rows.append(f"| {r.sites:,} | {r.chromosomes} ({r.largest_bp / 1e6:.0f} Mb) | {r.profile_lines:,} | "
                    f"{r.seconds:.1f} s | {r.rate:,.0f} | {r.peak_rss / 2**20:,.0f} MiB | "
                    f"{r.output / 2**20:,.0f} MiB | {r.output / r.sites:,.0f} |")
    return "\n".join(rows)


def extrapolation(runs: list[Run]) -> str:
    """Time and disk scale with the sites; memory with the sites (profiles, site table) and the largest chromosome.

    Peak RSS is fitted as a + b·(bases of the largest chromosome) + c·sites over all runs (the
    one-chromosome run separates the two slopes), then evaluated for mouse.
    """
    multi = [r for r in runs if r.chromosomes > 1] or runs
    big = max(multi, key=lambda r: r.sites)
    lines = [f"- time: {MOUSE_SITES / big.rate / 60:.0f} min at the {big.rate:,.0f} sites/s of the {big.label} run",
             f"- disk: {MOUSE_SITES * big.output / big.sites / 2**30:.1f} GiB at {big.output / big.sites:,.0f} "
             "bytes per site"]
    if len({(r.largest_bp, r.sites) for r in runs}) >= 3 and len({r.chromosomes for r in runs}) > 1:
        a, per_bp, per_site = _solve3([(1.0, r.largest_bp, r.sites) for r in runs], [r.peak_rss for r in runs])
        mouse = a + per_bp * MOUSE_CHR1_BP + per_site * MOUSE_SITES
        lines.append(f"- peak RSS: {mouse / 2**30:.1f} GiB, from the fit {a / 2**20:,.0f} MiB + {per_bp:.2f} bytes "
                     f"per base of the largest chromosome + {per_site:.1f} bytes per site (with {len(runs)} runs)")
    return "\n".join(lines)


def machine() -> str:
    rows = ["| machine | |", "| --- | --- |", f"| CPU | {cpu_model()} |",
            f"| cores | {usable_cores()} usable of {os.cpu_count()} |",
            f"| OS | {platform.system()} {platform.release()} |", f"| Python | {platform.python_version()} |",
            f"| numpy | {version('numpy')} |", f"| h5py | {version('h5py')} |"]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", nargs="+", default=["100000:2", "300000:2", "1000000:2", "2000000:1"],
                        help="SITES:CHROMOSOMES for each run")
    parser.add_argument("--cells", type=int, default=4)
    parser.add_argument("--dna-wlen", type=int, default=1001)
    parser.add_argument("--cpg-wlen", type=int, default=50)
    parser.add_argument("--workdir", help="where the synthetic data go (default: a temporary folder)")
    parser.add_argument("--markdown", action="store_true", help="print a block for docs/benchmarks.md")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_deepcpg_data."))
    runs = []
    try:
        for spec in args.runs:
            runs.append(measure(work, spec, args.cells, args.dna_wlen, args.cpg_wlen))
            r = runs[-1]
            print(f"{spec}: {r.sites:,} sites in {r.seconds:.1f} s, peak RSS {r.peak_rss / 2**20:,.0f} MiB",
                  file=sys.stderr)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(table(runs))
    print()
    print(f"Extrapolated to a mouse genome ({MOUSE_SITES / 1e6:.0f} M sites, largest chromosome "
          f"{MOUSE_CHR1_BP / 1e6:.0f} Mb):")
    print(extrapolation(runs))
    if args.markdown:
        print()
        print(machine())
        print()
        print(f"{args.cells} cells, --dna_wlen {args.dna_wlen} --cpg_wlen {args.cpg_wlen}, chunk size 32768.")


if __name__ == "__main__":
    main()
