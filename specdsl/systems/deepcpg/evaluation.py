"""dcpg_eval's and dcpg_eval_export's files: predictions with labels, the report, imputed profiles.

Layouts as DeepCpG writes them (``scripts/dcpg_eval.py`` ``H5Writer``,
``scripts/dcpg_eval_export.py``), so files move freely between DeepCpG and specdsl:

* ``--out_data`` (HDF5): ``chromo`` (fixed-width bytes, ``S2`` from dcpg_data), ``pos`` (int32,
  1-based), ``outputs/<output>`` (int8 labels, ``-1`` = unobserved) and ``preds/<output>``
  (float32), one row per site, every dataset gzip-compressed.  Output names keep their
  ``cpg/`` prefix as a group path: ``outputs/cpg/BS27_4_SER``.
* ``--out_report`` (TSV): see :func:`specdsl.training.metrics.report_tsv`.
* exported profiles, one file per output: ``<cell>.h5`` (``chromo``, ``pos``, ``value``) or
  ``<cell>.bedGraph.gz``; ``value`` is the observed state where there is one, else the
  prediction (the imputed profile).

Every file is written under a temporary name and renamed into place, so an interrupted
whole-genome run never leaves a truncated file behind.
"""

from __future__ import annotations

import contextlib
import gzip
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from specdsl.atomic import atomic_path, atomic_write_text
from specdsl.errors import SpecError, did_you_mean, quoted_list
from specdsl.training.metrics import MISSING_LABEL as CPG_NAN
from specdsl.training.metrics import report_tsv

OUTPUT_SEP = "/"
FORMATS = ("bedGraph", "hdf")
_ROWS_PER_CHUNK = 1 << 15
_TEXT_BLOCK = 1 << 18  # bedGraph lines formatted at a time: bounded memory for any genome
_EXPECTED = "the --out_data file of dcpg_eval.py or 'specdsl deepcpg eval'"


# --------------------------------------------------------------------------- --out_data writer


def _chunks(shape: tuple[int, ...]) -> tuple[int, ...]:
    per_row = int(np.prod(shape, dtype=np.int64)) or 1
    return (max(1, _ROWS_PER_CHUNK // per_row), *shape)


def _label_array(values: Any) -> np.ndarray:
    """Integer labels as int8 (DeepCpG's dtype); continuous ones (statistics) as float32."""
    array = np.asarray(values)
    if array.dtype.kind in "iub":
        return array.astype(np.int8)
    return array.astype(np.float32)


class EvalDataWriter:
    """Stream batches into dcpg_eval's ``--out_data`` layout; the file appears only on :meth:`close`.

    Datasets are resizable, so a whole-genome evaluation appends batch after batch in bounded
    memory and needs no site count up front (DeepCpG pre-sizes them; the layout a reader sees is
    the same); batches of any size are buffered and written ``_ROWS_PER_CHUNK`` sites at a time.
    The output names and their order are fixed by the first batch.  ``chromo`` is
    fixed-width bytes: the width of the first batch, at least 2 (dcpg_data's ``S2``), or
    ``chromo_width`` when later chromosomes have longer names.  Use it as a context manager:
    an exception removes the temporary file and leaves any earlier file untouched.
    """

    def __init__(self, path: str | Path, chromo_width: int | None = None) -> None:
        self.path = Path(path)
        self.n = 0  # sites appended
        self._written = 0  # sites in the file; the rest wait in _pending
        self._pending: dict[str, list[np.ndarray]] = {}
        self._chromo_width = chromo_width
        self._names: list[str] | None = None
        self._stack = contextlib.ExitStack()
        tmp = self._stack.enter_context(atomic_path(self.path, suffix=".h5"))
        self._file: h5py.File | None = h5py.File(tmp, "w")

    def _create(self, name: str, trailing: tuple[int, ...], dtype: Any) -> None:
        assert self._file is not None
        self._file.create_dataset(name, shape=(0, *trailing), maxshape=(None, *trailing), dtype=dtype,
                                  chunks=_chunks(trailing), compression="gzip")

    def _start(self, chromo: np.ndarray, outputs: Mapping[str, np.ndarray], preds: Mapping[str, np.ndarray]) -> None:
        width = self._chromo_width or max(2, chromo.dtype.itemsize)
        self._create("chromo", (), f"S{width}")
        self._create("pos", (), np.int32)
        self._names = list(outputs)
        for name in self._names:
            self._create(f"outputs/{name}", outputs[name].shape[1:], outputs[name].dtype)
            self._create(f"preds/{name}", preds[name].shape[1:], np.float32)

    def append(self, chromo: Any, pos: Any, outputs: Mapping[str, Any], preds: Mapping[str, Any]) -> None:
        """Add one batch: ``chromo``/``pos`` per site, ``outputs``/``preds`` keyed by output name."""
        if self._file is None:
            raise SpecError("the evaluation data writer is closed", file=str(self.path))
        chromo = np.char.encode(chromo, "ascii") if np.asarray(chromo).dtype.kind == "U" else np.asarray(chromo)
        chromo = chromo.astype(np.bytes_)
        pos = np.asarray(pos)
        labels = {str(k): _label_array(v) for k, v in outputs.items()}
        scores = {str(k): np.asarray(v, dtype=np.float32) for k, v in preds.items()}
        if set(scores) != set(labels):
            raise SpecError(f"outputs and predictions name different outputs: {sorted(set(labels) ^ set(scores))}",
                            file=str(self.path))
        for name, array in [("chromo", chromo), ("pos", pos), *labels.items(), *scores.items()]:
            if len(array) != len(pos):
                raise SpecError(f"'{name}' has {len(array)} rows, 'pos' has {len(pos)}", file=str(self.path))
        if self._names is None:
            self._start(chromo, labels, scores)
        elif sorted(labels) != sorted(self._names):
            raise SpecError(f"this batch has outputs {sorted(labels)}, the first had {sorted(self._names)}",
                            file=str(self.path))
        width = self._file["chromo"].dtype.itemsize
        if len(chromo) and chromo.dtype.itemsize > width:
            long = max(chromo.tolist(), key=len).decode()
            raise SpecError(f"chromosome name '{long}' is longer than the {width} bytes of 'chromo'",
                            file=str(self.path), hint="pass chromo_width= the longest chromosome name")
        rows = [("chromo", chromo), ("pos", pos.astype(np.int32))]
        rows += [(f"outputs/{k}", v) for k, v in labels.items()] + [(f"preds/{k}", v) for k, v in scores.items()]
        for name, array in rows:
            self._pending.setdefault(name, []).append(array)
        self.n += len(pos)
        if self.n - self._written >= _ROWS_PER_CHUNK:
            self._flush()

    def _flush(self) -> None:
        """Write the buffered batches: one resize and one write per dataset, whatever the batch size
        (a gzip chunk rewritten for every 128-site batch made whole-genome runs ~100× slower)."""
        assert self._file is not None
        for name, parts in self._pending.items():
            dataset = self._file[name]
            dataset.resize(self.n, axis=0)
            dataset[self._written:self.n] = np.concatenate(parts)
        self._pending.clear()
        self._written = self.n

    def close(self) -> Path:
        """Finish the file and rename it into place."""
        if self._file is not None:
            if self._names is None:  # no batch: an empty, still well-formed file
                self._start(np.zeros(0, dtype="S2"), {}, {})
            self._flush()
            self._file.close()
            self._file = None
            self._stack.close()
        return self.path

    def abort(self) -> None:
        """Drop the temporary file; an existing file at ``path`` stays as it was."""
        if self._file is not None:
            self._file.close()
            self._file = None
            self._pending.clear()
            error = RuntimeError("aborted")
            self._stack.__exit__(RuntimeError, error, None)

    def __enter__(self) -> EvalDataWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_eval_data(path: str | Path, chromo: Any, pos: Any, outputs: Mapping[str, Any],
                    preds: Mapping[str, Any], chromo_width: int | None = None) -> Path:
    """Write dcpg_eval's ``--out_data`` file in one go (see :class:`EvalDataWriter` to stream)."""
    with EvalDataWriter(path, chromo_width=chromo_width) as writer:
        writer.append(chromo, pos, outputs, preds)
    return Path(path)


def write_eval_report(path: str | Path, per_output_metrics: Mapping[str, Mapping[str, Any]],
                      deepcpg: bool = True) -> Path:
    """Write dcpg_eval's ``--out_report`` TSV (``metric``, ``output``, ``value``), atomically."""
    return atomic_write_text(path, report_tsv(per_output_metrics, deepcpg=deepcpg))


# --------------------------------------------------------------------------- --out_data reader


def _require(condition: bool, message: str, path: Path, hint: str | None = None) -> None:
    if not condition:
        raise SpecError(message, file=str(path), expected=_EXPECTED, hint=hint)


class EvalData:
    """An opened ``--out_data`` file, checked; labels and predictions are read per output.

    Per-output reads keep memory to one output at a time, which a genome-wide file with many
    cells needs.  Every problem is a :class:`SpecError` naming the file and the dataset.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise SpecError("no such file", file=str(self.path))
        _require(self.path.is_file(), "is a directory, not a file", self.path)
        _require(h5py.is_hdf5(self.path), "not an HDF5 file", self.path)
        self.file = h5py.File(self.path, "r")
        self.n = 0  # sites: the length of 'pos'
        try:
            self.output_names = self._check()
        except BaseException:
            self.file.close()
            raise

    def _check(self) -> list[str]:
        for name in ("chromo", "pos"):
            _require(isinstance(self.file.get(name), h5py.Dataset), f"no dataset '{name}'", self.path)
        self.n = len(self.file["pos"])
        _require(len(self.file["chromo"]) == self.n,
                 f"'chromo' has {len(self.file['chromo'])} rows, 'pos' has {self.n}", self.path)
        group = self.file.get("outputs")
        _require(isinstance(group, h5py.Group), "no group 'outputs' (the observed labels)", self.path)
        names: list[str] = []
        group.visititems(lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None)
        _require(bool(names), "the group 'outputs' holds no dataset", self.path)
        return sorted(names)

    def select(self, patterns: Sequence[str] | None = None) -> list[str]:
        """Output names matching any regex (``re.search``, as DeepCpG's ``filter_regex``), sorted.

        A pattern matching nothing is an error with the nearest name: with DeepCpG it silently
        exported nothing.  Each selected output must have its ``preds/<output>`` dataset.
        """
        selected = set(self.output_names) if not patterns else set()
        for pattern in patterns or ():
            try:
                regex = re.compile(pattern)
            except re.error as err:
                raise SpecError(f"'{pattern}' is not a regular expression: {err}", path="output_names") from None
            hits = [n for n in self.output_names if regex.search(n)]
            if not hits:
                raise SpecError(f"no output in {self.path} matches '{pattern}'", path="output_names",
                                expected="one of " + quoted_list(self.output_names),
                                hint=did_you_mean(pattern, self.output_names))
            selected.update(hits)
        for name in sorted(selected):
            self._dataset("preds", name)
        return sorted(selected)

    def _dataset(self, group: str, name: str) -> h5py.Dataset:
        dataset = self.file.get(f"{group}/{name}")
        _require(isinstance(dataset, h5py.Dataset), f"no dataset '{group}/{name}'", self.path,
                 hint="the file has labels for this output but no predictions" if group == "preds" else None)
        _require(len(dataset) >= self.n, f"'{group}/{name}' has {len(dataset)} rows, 'pos' has {self.n}", self.path)
        return dataset

    def labels(self, name: str, rows: slice = slice(None)) -> np.ndarray:
        return self._dataset("outputs", name)[rows]

    def preds(self, name: str, rows: slice = slice(None)) -> np.ndarray:
        return self._dataset("preds", name)[rows]

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> EvalData:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_eval_data(path: str | Path, output_names: Sequence[str] | None = None) -> dict[str, Any]:
    """The whole file in memory: ``{"chromo", "pos", "outputs": {name: …}, "preds": {name: …}}``."""
    with EvalData(path) as data:
        names = data.select(output_names)
        return {"chromo": data.file["chromo"][:], "pos": data.file["pos"][:],
                "outputs": {n: data.labels(n, slice(0, data.n)) for n in names},
                "preds": {n: data.preds(n, slice(0, data.n)) for n in names}}


# --------------------------------------------------------------------------- dcpg_eval_export


def profile_name(output_name: str) -> str:
    """File stem of an exported profile: ``cpg/BS27_4_SER`` → ``BS27_4_SER``, ``a/b`` → ``a_b``."""
    parts = output_name.split(OUTPUT_SEP)
    return parts[-1] if parts[0] == "cpg" else "_".join(parts)


def impute(labels: np.ndarray, preds: np.ndarray) -> np.ndarray:
    """The observed state where there is one, else the prediction (float32)."""
    value = np.asarray(preds, dtype=np.float32).copy()
    observed = labels != CPG_NAN
    value[observed] = labels[observed]
    return value


def _decode(chromo: Iterable[bytes]) -> list[str]:
    return [c.decode() if isinstance(c, bytes) else str(c) for c in chromo]


def _select_rows(chromo: np.ndarray, chromos: Sequence[str] | None, path: Path) -> np.ndarray | None:
    if not chromos:
        return None
    present = sorted(set(_decode(np.unique(chromo))))
    for name in chromos:
        if name not in present:
            bare = re.sub("^chr", "", name, flags=re.IGNORECASE)
            hint = (f"DeepCpG stores chromosomes without 'chr': use '{bare}'" if bare in present
                    else did_you_mean(name, present))
            raise SpecError(f"no chromosome '{name}' in {path}", path="chromos",
                            expected="one of " + quoted_list(present), hint=hint)
    return np.isin(chromo, [c.encode() for c in chromos])


def _write_hdf(path: Path, chromo: np.ndarray, pos: np.ndarray, value: np.ndarray) -> None:
    with atomic_path(path, suffix=".h5") as tmp, h5py.File(tmp, "w") as out:
        for name, data in (("chromo", chromo), ("pos", pos), ("value", value)):
            out.create_dataset(name, data=data, compression="gzip")


def _write_bedgraph(path: Path, chromo: np.ndarray, pos: np.ndarray, value: np.ndarray, shift: int) -> None:
    labels, inverse = np.unique(chromo, return_inverse=True)
    chrom = [n if n.lower().startswith("chr") else "chr" + n for n in _decode(labels)]
    start = pos.astype(np.int64) - 1 + shift
    with atomic_path(path, suffix=".gz") as tmp, open(tmp, "wb") as raw, \
            gzip.GzipFile(filename=path.name[:-3], mode="wb", fileobj=raw, compresslevel=6, mtime=0) as gz:
        for lo in range(0, len(pos), _TEXT_BLOCK):
            rows = slice(lo, lo + _TEXT_BLOCK)
            gz.write("".join(f"{chrom[c]}\t{s}\t{s + 1}\t{v:.5f}\n" for c, s, v in
                             zip(inverse[rows].tolist(), start[rows].tolist(), value[rows].tolist())).encode())


def export_profiles(data_file: str | Path, out_dir: str | Path = ".", out_format: str = "hdf",
                    output_names: Sequence[str] | None = None, chromos: Sequence[str] | None = None,
                    nb_sample: int | None = None, *, deepcpg_coordinates: bool = False,
                    log: Callable[[str], None] | None = None) -> list[Path]:
    """Export one imputed methylation profile per output, as dcpg_eval_export.py does.

    ``output_names`` are regexes (any match selects), ``chromos`` chromosome names as stored
    (``'18'``, not ``'chr18'``), ``nb_sample`` keeps the first sites only (0 or None: all).
    bedGraph rows are ``chr<chromo> start end value`` with the 0-based ``start = pos - 1`` and
    ``end = pos`` (``pos`` is 1-based); DeepCpG itself writes ``start = pos``, ``end = pos + 1``,
    one base to the right — ``deepcpg_coordinates=True`` reproduces that.  Everything is checked
    before the first file is written; each file appears whole or not at all.
    """
    if out_format not in FORMATS:
        raise SpecError(f"unknown output format '{out_format}'", path="out_format", expected=" or ".join(FORMATS),
                        hint=did_you_mean(out_format, FORMATS))
    if nb_sample is not None and nb_sample < 0:
        raise SpecError(f"must be a positive number of sites, got {nb_sample}", path="nb_sample")
    say = log or (lambda _msg: None)
    out_dir = Path(out_dir)
    written: list[Path] = []
    with EvalData(data_file) as data:
        names = data.select(output_names)
        rows = slice(0, min(data.n, nb_sample) if nb_sample else data.n)
        chromo, pos = data.file["chromo"][rows], data.file["pos"][rows]
        keep = _select_rows(chromo, chromos, data.path)
        if keep is not None:
            chromo, pos = chromo[keep], pos[keep]
        for name in names:
            if data.file[f"outputs/{name}"].ndim != 1 or data.file[f"preds/{name}"].ndim != 1:
                raise SpecError(f"'{name}' is not one value per site: only CpG-state outputs can be exported",
                                file=str(data.path), path="output_names")
        say(f"{len(pos)} sites, {len(names)} output(s) → {out_dir}")
        for name in names:
            value = impute(data.labels(name, rows), data.preds(name, rows))
            value = value if keep is None else value[keep]
            stem = out_dir / profile_name(name)
            if out_format == "hdf":
                target = stem.with_name(stem.name + ".h5")
                _write_hdf(target, chromo, pos, value)
            else:
                target = stem.with_name(stem.name + ".bedGraph.gz")
                _write_bedgraph(target, chromo, pos, value, shift=1 if deepcpg_coordinates else 0)
            say(f"{name} → {target}")
            written.append(target)
    return written


__all__ = [
    "CPG_NAN", "EvalData", "EvalDataWriter", "FORMATS", "OUTPUT_SEP", "export_profiles", "impute", "profile_name",
    "read_eval_data", "write_eval_data", "write_eval_report",
]
