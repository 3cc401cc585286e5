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


def _gpus(tf: Any) -> list[str]:
    """The GPUs the backend computes on (TensorFlow's when ``tf`` is given, else Keras' backend's)."""
    if tf is None:
        import keras

        backend = keras.backend.backend()
        if backend == "jax":
            import jax

            return [d.device_kind for d in jax.devices() if d.platform == "gpu"]
        if backend == "torch":
            import torch

            return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        import tensorflow as tf
    gpus = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            gpus.append(tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name))
        except (RuntimeError, ValueError):
            gpus.append(gpu.name)
    return gpus


def training_machine(tf: Any = None, *extra_packages: str) -> dict[str, str]:
    """The machine a training benchmark ran on: CPU, usable cores, the Keras backend, GPUs, OS and
    library versions (``tf`` None: whatever backend Keras runs on, TensorFlow not imported unless it is)."""
    import keras

    backend = keras.backend.backend()
    gpus = _gpus(tf)
    packages = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
    info = {
        "backend": f"{packages.get(backend, backend)} {version(backend)} on {'GPU' if gpus else 'CPU'}",
        "CPU": cpu_model(),
        "cores": f"{usable_cores()} usable of {os.cpu_count()}",
        "GPU": ", ".join(gpus) or "none (CPU only)",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Keras": version("keras"),
    }
    info.update({name: version(name) for name in extra_packages})
    return info
