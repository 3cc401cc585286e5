"""What machine a benchmark ran on: shared by every script in this folder."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int | None:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def render_results(rows: list[tuple[str, str, str]], info: dict[str, str], command: str, markdown: bool) -> str:
    """The results table every benchmark prints: markdown for docs/benchmarks.md, else plain text."""
    if markdown:
        out = ["| measurement | result | notes |", "| --- | ---: | --- |"]
        out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
        out += ["", "| machine | |", "| --- | --- |"]
        out += [f"| {k} | {v} |" for k, v in info.items()]
        out += ["", f"Command: `{command}`"]
        return "\n".join(out)
    width = max(len(a) for a, _, _ in rows)
    out = [f"{a:<{width}}  {b}\n{'':<{width}}  {c}" for a, b, c in rows]
    out += [""] + [f"{k:<11} {v}" for k, v in info.items()]
    return "\n".join(out)


def training_machine(tf: Any, *extra_packages: str) -> dict[str, str]:
    """The machine a training benchmark ran on: CPU, usable cores, GPUs, OS and library versions."""
    gpus = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            gpus.append(tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name))
        except (RuntimeError, ValueError):
            gpus.append(gpu.name)
    info = {
        "CPU": cpu_model(),
        "cores": f"{usable_cores()} usable of {os.cpu_count()}",
        "GPU": ", ".join(gpus) or "none (CPU only)",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "TensorFlow": version("tensorflow"),
        "Keras": version("keras"),
    }
    info.update({name: version(name) for name in extra_packages})
    return info
