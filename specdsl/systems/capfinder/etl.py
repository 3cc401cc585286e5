"""Capfinder's ETL: per-class signal CSVs → a balanced, split, fixed-length dataset in ``output_dir/dataset``.

What Capfinder 0.4.3's ``train_etl`` does, without Comet and without its interactive prompt:

* every ``data__<name>.csv`` in ``caps_data_dir`` is one class; its ``cap_class`` (the same on
  every row) is the label and ``<name>`` the class's name — the class map;
* classes are balanced by taking the same number n of reads from each: ``examples_per_class``,
  capped by the smallest class (null: the smallest class's size), chosen at random (seeded by
  ``tune_params.seed``);
* each class's n reads are split into train (⌊train_test_fraction·n⌋, of which
  ⌊train_val_fraction·that⌋ train and the rest validate) and test (the rest), so every split
  is balanced, and the classes are interleaved round-robin within a split;
* each signal is cut or zero-padded to ``target_length`` equally at both ends and rounded to
  ``dtype``; nothing else is done to it.

The result is three signal CSVs (``train.csv``, ``val.csv``, ``test.csv``: read_id, cap_class,
timeseries, the format of the inputs, so the ``signal-csv`` reader trains on them) and
``dataset.json``, which records the settings, the source files (size and time) and the class
map.  A later run reuses the dataset when that record matches its own settings and files,
and rebuilds it otherwise, saying why; ``--reprocess`` always rebuilds.  ``dataset.json`` is
written last, so a dataset whose build was killed is rebuilt.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError, quoted_list
from specdsl.formats.signal_csv import SignalIndex, fit_length, index_signals, to_precision
from specdsl.systems.capfinder.config import CapfinderConfig

DATA_PREFIX = "data__"
MANIFEST = "dataset.json"
FORMAT = 1
SPLITS = ("train", "val", "test")
CHUNK = 2048  # reads per class held in memory while writing
KEY_DIR = "etl_params.caps_data_dir"
KEY_CLASSES = "shared_params.num_classes"


@dataclass(frozen=True)
class ClassFile:
    name: str
    cap_class: int
    index: SignalIndex


@dataclass
class Dataset:
    """A processed dataset: where its files are, its classes and how many reads each split holds."""

    folder: Path
    classes: dict[int, str]
    counts: dict[str, int]
    per_class: int
    reused: bool
    why: str = ""

    def file(self, split: str) -> Path:
        return self.folder / f"{split}.csv"

    @property
    def names(self) -> list[str]:
        return [self.classes[i] for i in sorted(self.classes)]


def class_files(caps_dir: str | Path, num_classes: int) -> list[ClassFile]:
    """The classes of ``caps_dir``, checked: one class per file, distinct, exactly 0 … num_classes−1."""
    folder = Path(caps_dir)
    if not folder.is_dir():
        raise SpecError("no such folder" if not folder.exists() else "is a file, not a folder", file=str(folder),
                        path=KEY_DIR, expected="the folder of Capfinder's data__<cap>.csv files")
    files = sorted(p for p in folder.glob(f"{DATA_PREFIX}*.csv") if p.is_file())
    if not files:
        others = sorted(p.name for p in folder.glob("*.csv"))
        raise SpecError(f"no {DATA_PREFIX}<cap>.csv files in this folder", file=str(folder), path=KEY_DIR,
                        expected="one data__<cap name>.csv per class, as Capfinder's extract-cap-signal writes",
                        hint=f"it holds {quoted_list(others, limit=4)}: rename them data__<cap name>.csv"
                        if others else None)
    found: list[ClassFile] = []
    for path in files:
        index = index_signals(path)
        first = int(index.labels[0])
        other = np.flatnonzero(index.labels != first)
        if other.size:
            row = int(other[0])
            raise SpecError(f"cap_class {int(index.labels[row])}, but the file's first read (line "
                            f"{int(index.lines[0])}) has {first}", file=index.where(row),
                            expected="one class per file (data__<cap name>.csv)")
        if first < 0:
            raise SpecError(f"cap_class {first} (an unknown cap) cannot be trained", file=index.where(0),
                            expected=f"a class 0 … {num_classes - 1}")
        twin = next((c for c in found if c.cap_class == first), None)
        if twin is not None:
            raise SpecError(f"cap_class {first} is also the class of {Path(twin.index.path).name}",
                            file=index.where(0), expected="a different cap_class in each file")
        found.append(ClassFile(path.name[len(DATA_PREFIX):-len(".csv")] or path.stem, first, index))
    listed = ", ".join(f"{c.name} ({c.cap_class})" for c in found)
    if len(found) != num_classes:
        raise SpecError(f"{folder} holds {len(found)} class file(s) — {listed} — but num_classes is {num_classes}",
                        path=KEY_CLASSES, hint="set num_classes to the number of data__<cap>.csv files")
    for c in found:
        if c.cap_class >= num_classes:
            raise SpecError(f"cap_class {c.cap_class} is not below num_classes {num_classes}", file=c.index.where(0),
                            expected=f"the classes 0 … {num_classes - 1} (the model's labels), one per file",
                            hint=f"the files' classes are {listed}")
    return sorted(found, key=lambda c: c.cap_class)


def split_sizes(n: int, train_test: float, train_val: float) -> dict[str, int]:
    """Reads per class in each split (Capfinder's integer rounding); an empty split is an error."""
    trainval = int(train_test * n)
    train = int(train_val * trainval)
    sizes = {"train": train, "val": trainval - train, "test": n - trainval}
    empty = [name for name, size in sizes.items() if size == 0]
    if empty:
        raise SpecError(f"with {n} read(s) per class, train_test_fraction {train_test} and train_val_fraction "
                        f"{train_val} leave no {empty[0]} reads", path="shared_params.train_test_fraction"
                        if empty[0] == "test" else "shared_params.train_val_fraction",
                        hint="use more reads per class (examples_per_class, or larger class files) or other fractions")
    return sizes


def _record(cfg: CapfinderConfig, classes: list[ClassFile]) -> dict[str, Any]:
    """What a dataset is built from: reused only when a new run's record is the same."""
    sources = []
    for c in classes:
        stat = os.stat(c.index.path)
        sources.append({"file": os.path.abspath(c.index.path), "class": c.cap_class, "name": c.name,
                        "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    settings = {k: cfg.shared[k] for k in ("target_length", "dtype", "train_test_fraction", "train_val_fraction")}
    settings.update(examples_per_class=cfg.etl["examples_per_class"], seed=cfg.seed)
    return {"format": FORMAT, "settings": settings, "sources": sources}


def _difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    for key, value in new["settings"].items():
        if old.get("settings", {}).get(key) != value:
            return f"it was built with {key} {old.get('settings', {}).get(key)!r}, this run has {value!r}"
    if old.get("sources") != new["sources"]:
        return f"the files in {Path(new['sources'][0]['file']).parent} changed since it was built"
    return "it was written by another version of specdsl"


def _existing(folder: Path, record: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    path = folder / MANIFEST
    if not path.exists():
        return None, "there is none yet"
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, f"{path} cannot be read"
    if any(old.get(k) != record[k] for k in record):
        return None, _difference(old, record)
    missing = [s for s in SPLITS if not (folder / f"{s}.csv").is_file()]
    if missing:
        return None, f"{folder / (missing[0] + '.csv')} is missing"
    return old, ""


def _write_split(path: Path, classes: list[ClassFile], rows: list[np.ndarray], length: int, dtype: str) -> None:
    """Reads of every class, interleaved round-robin, fitted to ``length`` and rounded to ``dtype``."""
    from specdsl.atomic import atomic_path

    fmt = ",".join(["%.5g" if dtype == "float16" else "%.9g"] * length)
    with atomic_path(path, suffix=".csv") as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["read_id", "cap_class", "timeseries"])
        for start in range(0, len(rows[0]), CHUNK):
            chunks = [c.index.fetch(r[start:start + CHUNK]) for c, r in zip(classes, rows)]
            for k in range(len(chunks[0][0])):
                for c, (ids, signals) in zip(classes, chunks):
                    values = to_precision(fit_length(signals[k], length), dtype)
                    writer.writerow([ids[k], c.cap_class, fmt % tuple(values.tolist())])


def prepare_dataset(cfg: CapfinderConfig, *, reprocess: bool = False,
                    log: Callable[[str], None] = lambda _m: None) -> Dataset:
    """The processed dataset of ``cfg``: reused when up to date (unless ``reprocess``), built otherwise."""
    from specdsl.atomic import atomic_write_text
    from specdsl.systems.capfinder.config_kind import dataset_dir

    classes = class_files(cfg.etl["caps_data_dir"], cfg.num_classes)
    names = {c.cap_class: c.name for c in classes}
    smallest = min(len(c.index) for c in classes)
    wanted = cfg.etl["examples_per_class"]
    n = smallest if wanted is None else min(int(wanted), smallest)
    sizes = split_sizes(n, float(cfg.shared["train_test_fraction"]), float(cfg.shared["train_val_fraction"]))
    folder = dataset_dir(cfg.output_dir)
    record = _record(cfg, classes)
    old, why = (None, "--reprocess was given") if reprocess else _existing(folder, record)
    counts = {s: sizes[s] * len(classes) for s in SPLITS}
    if old is not None:
        log(f"ETL: reusing the processed dataset in {folder} ({counts['train']:,} train, {counts['val']:,} "
            f"validation, {counts['test']:,} test reads; --reprocess rebuilds it)")
        return Dataset(folder, names, counts, n, reused=True)
    log(f"ETL: building the processed dataset in {folder} ({why}): {n:,} reads of each of "
        f"{len(classes)} classes ({', '.join(c.name for c in classes)}), "
        f"target_length {cfg.target_length}, {cfg.shared['dtype']}")
    (folder / MANIFEST).unlink(missing_ok=True)  # until the new files are all written, there is no dataset
    rng = np.random.default_rng(cfg.seed)
    chosen = [rng.permutation(len(c.index))[:n] for c in classes]
    bounds = {"train": (0, sizes["train"]), "val": (sizes["train"], sizes["train"] + sizes["val"]),
              "test": (sizes["train"] + sizes["val"], n)}
    for split, (lo, hi) in bounds.items():
        _write_split(folder / f"{split}.csv", classes, [c[lo:hi] for c in chosen], cfg.target_length,
                     str(cfg.shared["dtype"]))
    manifest = {**record, "classes": {str(k): v for k, v in names.items()}, "per_class": n, "counts": counts}
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return Dataset(folder, names, counts, n, reused=False, why=why)


__all__ = ["ClassFile", "DATA_PREFIX", "Dataset", "MANIFEST", "class_files", "prepare_dataset", "split_sizes"]
