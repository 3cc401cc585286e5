"""Core-compiler benchmark: how fast specdsl answers without TensorFlow, and how fast it parses.

Why these numbers: specdsl's promise (docs/DESIGN principle 2) is that ``presets``,
``params`` and ``check`` answer in a blink because they never import TensorFlow.
The honest comparison is the other way to get the same parameter count, importing
Keras, building the model and calling ``count_params()``, each measured as a fresh
process the way a user runs it.  The second half measures the compiler itself:
architecture strings parsed to IR per second, and full analyses per second.

Run (one command, about a minute)::

    .venv/bin/python benchmarks/bench_core.py            # table
    .venv/bin/python benchmarks/bench_core.py --markdown # a block for docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # measure this checkout, even without an editable install

from machine_info import cpu_model, usable_cores, version  # noqa: E402

from specdsl.api import analyse, presets_table  # noqa: E402
from specdsl.language.parsing import parse_chain  # noqa: E402
from specdsl.language.printer import format_chain  # noqa: E402
from specdsl.language.report import chain_input_shape  # noqa: E402

PRESET = "CnnL2h128"
KERAS_SNIPPET = (
    "from specdsl.api import build_model; "
    f"print(build_model({PRESET!r}).count_params())"
)


@dataclass
class Timing:
    label: str
    command: str
    runs: list[float]
    count: int

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


def _cli_command() -> list[str]:
    """The ``specdsl`` console script beside this interpreter, else ``python -m specdsl``."""
    script = Path(sys.executable).parent / "specdsl"
    return [str(script)] if script.exists() else [sys.executable, "-m", "specdsl"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # the same quiet for both sides; no effect on timing
    # An installed package runs from its bytecode; a shell that disables writing it would make
    # both sides compile their own modules from source on every run, which no user pays for.
    # The untimed first run of each command writes the bytecode.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _time_process(cmd: list[str], runs: int, parse: Callable[[str], int],
                  extra_env: dict[str, str] | None = None) -> tuple[list[float], int]:
    """Wall time of ``runs`` fresh processes, and the parameter count each printed (all equal)."""
    times, counts = [], set()
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env={**_env(), **(extra_env or {})}, cwd=ROOT,
                              timeout=600)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
        counts.add(parse(done.stdout))
    if len(counts) != 1:
        raise SystemExit(f"{' '.join(cmd)} printed different counts: {counts}")
    return times, counts.pop()


def _count_from_params(out: str) -> int:
    match = re.search(r"total params:\s*([\d,]+)", out)
    if not match:
        raise SystemExit(f"no 'total params' in the output of specdsl params:\n{out[-2000:]}")
    return int(match.group(1).replace(",", ""))


def _count_from_keras(out: str) -> int:
    return int(out.strip().splitlines()[-1])


#: A terminal's width asked for: the table is drawn with rich, as a user at a terminal sees it.
DRAWN = {"COLUMNS": "120"}


def measure_cli(cli_runs: int, keras_runs: int) -> tuple[Timing, Timing, Timing, Timing]:
    cli = _cli_command() + ["params", PRESET]
    keras = [sys.executable, "-c", KERAS_SNIPPET]
    bare = [sys.executable, "-c", "pass"]
    # One untimed run each, so the first timed run does not pay for a cold disk cache.
    _time_process(cli, 1, _count_from_params)
    _time_process(keras, 1, _count_from_keras)
    t_bare, _ = _time_process(bare, cli_runs, lambda out: 0)
    t_cli, n_cli = _time_process(cli, cli_runs, _count_from_params)
    t_drawn, _ = _time_process(cli, cli_runs, _count_from_params, DRAWN)
    t_keras, n_keras = _time_process(keras, keras_runs, _count_from_keras)
    if n_cli != n_keras:
        raise SystemExit(f"the counts differ: specdsl params {n_cli:,}, Keras count_params() {n_keras:,}")
    shown_cli = " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cli))
    return (
        Timing("interpreter start alone", "python -c pass", t_bare, 0),
        Timing(f"`specdsl params {PRESET}` (no TensorFlow; output piped: plain table)", shown_cli, t_cli, n_cli),
        Timing("the same, table drawn with rich (`COLUMNS=120`, as on a terminal)", shown_cli, t_drawn, n_cli),
        Timing("import Keras, build, `count_params()`", f'python -c "{KERAS_SNIPPET}"', t_keras, n_keras),
    )


def _best_rate(work: Callable[[], int], repeats: int, min_seconds: float) -> tuple[float, int]:
    """Items per second: best of ``repeats`` timed batches, each at least ``min_seconds`` long."""
    work()  # warm-up: Lark parser built, registry loaded, caches filled
    loops, best = 1, 0.0
    while True:  # size a batch so that one takes about min_seconds
        start = time.perf_counter()
        for _ in range(loops):
            work()
        if time.perf_counter() - start >= min_seconds:
            break
        loops *= 2
    items = 0
    for _ in range(repeats):
        start = time.perf_counter()
        items = sum(work() for _ in range(loops))
        best = max(best, items / (time.perf_counter() - start))
    return best, items // loops


def measure_compiler(repeats: int, min_seconds: float) -> dict[str, tuple[float, int, float]]:
    """Parse-only, full analysis of the strings, and analysis of the (already parsed) presets."""
    table = presets_table()
    strings = [(format_chain(c), chain_input_shape(p, g)) for p, g in table if (c := p.main_chain()) is not None]
    names = [p.name for p, _ in table]
    avg_len = sum(len(text) for text, _ in strings) / max(len(strings), 1)

    def parse_all() -> int:
        for text, _ in strings:
            parse_chain(text)
        return len(strings)

    def analyse_strings() -> int:
        for text, shape in strings:  # a $param-free string; some presets' strings use $params
            if "$" not in text:
                analyse(text, None, {"": shape})
        return sum("$" not in text for text, _ in strings)

    def analyse_presets() -> int:
        for name in names:
            analyse(name)
        return len(names)

    parse_rate, n_strings = _best_rate(parse_all, repeats, min_seconds)
    string_rate, n_free = _best_rate(analyse_strings, repeats, min_seconds)
    preset_rate, n_presets = _best_rate(analyse_presets, repeats, min_seconds)
    return {
        "parse": (parse_rate, n_strings, avg_len),
        "analyse_string": (string_rate, n_free, 0.0),
        "analyse_preset": (preset_rate, n_presets, 0.0),
    }


def machine() -> dict[str, str]:
    cpu = cpu_model()
    usable = usable_cores()

    return {
        "CPU": cpu,
        "cores": f"{usable} usable of {os.cpu_count()}",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "TensorFlow": version("tensorflow"),
        "Keras": version("keras"),
        "Lark": version("lark"),
    }


def render(cli: Sequence[Timing], compiler: dict[str, tuple[float, int, float]], info: dict[str, str],
           markdown: bool, args: argparse.Namespace) -> str:
    bare, ours, drawn, keras = cli
    ratio = keras.median / ours.median
    parse_rate, n_strings, avg_len = compiler["parse"]
    string_rate, n_free, _ = compiler["analyse_string"]
    preset_rate, n_presets, _ = compiler["analyse_preset"]
    rows = [
        (bare.label, f"{bare.median * 1000:.0f} ms", f"median of {len(bare.runs)}"),
        (ours.label, f"{ours.median * 1000:.0f} ms", f"median of {len(ours.runs)}; {ours.count:,} params"),
        (drawn.label, f"{drawn.median * 1000:.0f} ms",
         f"median of {len(drawn.runs)}; speed-up {keras.median / drawn.median:.1f}×"),
        (keras.label, f"{keras.median:.2f} s", f"median of {len(keras.runs)}; {keras.count:,} params"),
        ("speed-up of `specdsl params`", f"{ratio:.1f}×", "goal ≥ 40×: " + ("met" if ratio >= 40 else "NOT met")),
        ("parse string → IR", f"{parse_rate:,.0f} strings/s",
         f"{n_strings} preset strings, {avg_len:.0f} chars on average; best of {args.repeats}"),
        ("`analyse(string)`: parse, shapes, counts, MACs", f"{string_rate:,.0f} strings/s",
         f"the {n_free} preset strings without $params, on their inputs; best of {args.repeats}"),
        ("`analyse(preset)`: bind, shapes, counts, MACs", f"{preset_rate:,.0f} presets/s",
         f"all {n_presets} presets (spec files parsed once, cached); best of {args.repeats}"),
    ]
    if markdown:
        out = ["| measurement | result | notes |", "| --- | ---: | --- |"]
        out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
        out += ["", "| machine | |", "| --- | --- |"]
        out += [f"| {k} | {v} |" for k, v in info.items()]
        out += ["", "Command: `" + " ".join([".venv/bin/python", "benchmarks/bench_core.py", *args.argv]) + "`"]
        return "\n".join(out)
    width = max(len(a) for a, _, _ in rows)
    out = [f"{a:<{width}}  {b:>22}  {c}" for a, b, c in rows]
    out += [""] + [f"{k:<11} {v}" for k, v in info.items()]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli-runs", type=int, default=7, help="timed runs of specdsl params (default 7)")
    parser.add_argument("--keras-runs", type=int, default=3, help="timed runs of the Keras build (default 3)")
    parser.add_argument("--repeats", type=int, default=5, help="timed batches for the throughputs (default 5)")
    parser.add_argument("--min-seconds", type=float, default=0.5, help="least length of one batch (default 0.5)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown block for docs/benchmarks.md")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    cli = measure_cli(args.cli_runs, args.keras_runs)
    compiler = measure_compiler(args.repeats, args.min_seconds)
    print(render(cli, compiler, machine(), args.markdown, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
