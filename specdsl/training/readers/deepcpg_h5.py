"""``deepcpg-h5``: DeepCpG's data chunks (``dcpg_data.py`` or ``specdsl deepcpg data``).

Layout (reference ``deepcpg.md`` §5): ``inputs/dna`` int8 (N, W) coded A0 T1 G2 C3 N4,
``inputs/cpg/<cell>/state`` and ``/dist`` (N, 2K), −1 where missing, ``outputs/cpg/<cell>``
int8 0/1/−1, plus ``chromo`` and ``pos``.

Preprocessing is DeepCpG's (``DataReader``): one-hot in ATGC order with N → zeros; the DNA
window centre-cropped to ``dna-wlen`` (clamped, with a warning, when the files are narrower,
as DeepCpG's ``get_dna_wlen`` does); the centre ``cpg-wlen`` neighbours kept; a missing
neighbour gets state 0.5 and the largest distance; distances become min(d, 25000)/25000.
Fields: ``dna`` (W, 4), ``cpg/state`` and ``cpg/dist`` (cells, K2), and one target
``cpg/<cell>`` per output (float32 labels, −1 unknown).

Bad data is named before or while reading (:mod:`.validate`): the labels of every file are
checked in full before training; DNA codes, CpG states and distances as each block is read.

Streaming: the (file, block) pairs of the first ``train-examples`` rows are shuffled each
epoch and blocks are mixed in a bounded shuffle buffer (DeepCpG shuffles file order and rows
within a file), so memory depends on the block and buffer sizes, never on the data size.
"""

from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from specdsl.errors import SpecError, quoted_list
from specdsl.formats.block_checks import CPG_DIST, CPG_LABEL, CPG_STATE, DNA_CODES, Rule, checked
from specdsl.schema import Schema, integer, list_of, string
from specdsl.training.readers import Fields, Reader, files_of, register

log = logging.getLogger(__name__)

CPG_MAX_DIST = 25000.0
BLOCK_ROWS = 512
SHUFFLE_BUFFER = 4096
LABEL_BLOCK_ROWS = 1 << 16  # rows of labels checked at a time before training
# code → one-hot row, DeepCpG's channel order A, T, G, C; N (4) and anything else → zeros
_ONE_HOT = np.vstack([np.eye(4, dtype=np.float32), np.zeros((252, 4), dtype=np.float32)])


def one_hot(codes: np.ndarray) -> np.ndarray:
    return _ONE_HOT[np.asarray(codes).astype(np.uint8)]


def prepro_cpg(state: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A missing neighbour → state 0.5 and the largest distance; distances scaled to [0, 1]."""
    state = np.asarray(state, dtype=np.float32).copy()
    dist = np.asarray(dist, dtype=np.float32).copy()
    missing = state < 0
    state[missing] = 0.5
    dist[missing] = CPG_MAX_DIST
    return state, np.minimum(dist, CPG_MAX_DIST) / CPG_MAX_DIST


def centre(width: int, wanted: int) -> slice:
    start = (width - wanted) // 2
    return slice(start, start + wanted)


def open_h5(path: str) -> Any:
    import h5py

    if not os.path.isfile(path):
        raise SpecError("data file not found" if not os.path.isdir(path) else "is a folder, not a data file",
                        file=path, hint="give DeepCpG data chunks such as data/c1_000000-032768.h5")
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise SpecError("not an HDF5 file, or a damaged one", file=path, expected="a DeepCpG data file",
                        hint=f"h5py says: {err}") from None


def _groups(h5: Any, name: str) -> list[str]:
    import h5py

    group = h5.get(name)
    return sorted(group.keys()) if isinstance(group, h5py.Group) else []


@dataclass(frozen=True)
class Layout:
    """What the run reads from every file: resolved once from the first training file."""

    dna_wlen: int | None  # None: no DNA input
    cpg_wlen: int | None  # None: no CpG inputs
    cells: tuple[str, ...]


class DeepCpGH5(Reader):
    name = "deepcpg-h5"
    doc = "DeepCpG data chunks: DNA windows, neighbouring CpG states/distances per cell, one label per cell"
    aliases = {"cpg_state": "cpg/state", "cpg_dist": "cpg/dist"}  # DeepCpG's presets name their inputs so

    def schema_properties(self) -> dict[str, Schema]:
        return {
            "dna-wlen": integer("DNA window length (odd); the centre of the files' windows; default: the files' "
                                "width.", minimum=1, optional=True, example=1001),
            "cpg-wlen": integer("Neighbouring CpG sites per cell (even; half on each side); default: the files'.",
                                minimum=2, optional=True, example=50),
            "replicate-names": list_of(string("A regular expression matched against cell names from their start.",
                                              example=".*"),
                                       "Which cells feed the CpG inputs (DeepCpG's --replicate_names); "
                                       "default: every cell.", min_items=1) | {"default": [".*"]},
            "nb-replicate": integer("At most this many cells feed the CpG inputs.", minimum=1, optional=True,
                                    example=10),
        }

    # ------------------------------------------------------------------ what the files offer

    def layout(self, ir: Any) -> Layout:
        data = ir.data
        first = data.train[0] if data.train else None
        if first is None:
            raise SpecError("no training files given", path=data.key("train"))
        wants = {i.field for i in ir.inputs}
        with open_h5(first) as h5:
            dna_wlen = None
            if "dna" in wants:
                if "inputs/dna" not in h5:
                    raise SpecError("dataset 'inputs/dna' is missing, but the model has a DNA input", file=first,
                                    hint="write the files with --dna_files, or train a CpG model only")
                width = int(h5["inputs/dna"].shape[1])
                dna_wlen = int(data.get("dna_wlen") or width)
                if dna_wlen > width:
                    log.warning("dna-wlen %d is wider than the files' windows (%d): using %d, as DeepCpG does",
                                dna_wlen, width, width)
                    dna_wlen = width
                if dna_wlen % 2 == 0:
                    raise SpecError(f"the DNA window length must be odd (the CpG sits in the middle), got {dna_wlen}",
                                    path=data.name_of("dna_wlen"), hint=f"use {dna_wlen + 1}")
            cells: tuple[str, ...] = ()
            cpg_wlen = None
            if wants & {"cpg/state", "cpg/dist"}:
                all_cells = _groups(h5, "inputs/cpg")
                if not all_cells:
                    raise SpecError("group 'inputs/cpg' is missing or empty, but the model has CpG inputs",
                                    file=first, hint="write the files with --cpg_wlen, or train a DNA model only")
                cells = tuple(self._select(all_cells, data.get("replicate_names"), data.get("nb_replicate"),
                                           data.name_of("replicate_names")))
                width = int(h5[f"inputs/cpg/{cells[0]}/state"].shape[1])
                cpg_wlen = int(data.get("cpg_wlen") or width)
                if cpg_wlen % 2:
                    raise SpecError(f"must be even (half the neighbours on each side), got {cpg_wlen}",
                                    path=data.name_of("cpg_wlen"), hint=f"use {cpg_wlen + 1}")
                if cpg_wlen > width:
                    raise SpecError(f"{cpg_wlen} neighbours per cell asked for, but the files hold {width}",
                                    expected=f"an even number ≤ {width}", path=data.name_of("cpg_wlen"), file=first)
        return Layout(dna_wlen, cpg_wlen, cells)

    @staticmethod
    def cells_of(path: str) -> list[str]:
        with open_h5(path) as h5:
            return _groups(h5, "inputs/cpg")

    @staticmethod
    def outputs_of(path: str) -> list[str]:
        with open_h5(path) as h5:
            return [f"cpg/{c}" for c in _groups(h5, "outputs/cpg")]

    @staticmethod
    def select_cells(cells: list[str], patterns: Any, limit: int | None) -> list[str]:
        return DeepCpGH5._select(cells, patterns, limit, "--replicate_names")

    @staticmethod
    def _select(cells: list[str], patterns: Any, limit: int | None, key: str) -> list[str]:
        chosen = [c for c in cells if not patterns or any(re.match(p, c) for p in patterns)]
        chosen = chosen[:limit] if limit else chosen
        if not chosen:
            raise SpecError(f"no cell matches {quoted_list(list(patterns or ()))}",
                            expected="one of " + quoted_list(cells), path=key)
        return chosen

    def fields(self, ir: Any) -> Fields:
        lay = self.layout(ir)
        inputs: dict[str, tuple[tuple[int, ...], str]] = {}
        if lay.dna_wlen is not None:
            inputs["dna"] = ((lay.dna_wlen, 4), "float32")
        if lay.cpg_wlen is not None:
            for name in ("cpg/state", "cpg/dist"):
                inputs[name] = ((len(lay.cells), lay.cpg_wlen), "float32")
        with open_h5(ir.data.train[0]) as h5:
            targets = {f"cpg/{c}": () for c in _groups(h5, "outputs/cpg")}
        return Fields(inputs, targets, {"layout": lay})

    # ------------------------------------------------------------------ checks

    def check(self, plan: Any, role: str) -> int:
        lay: Layout = plan.fields.facts["layout"]
        needed = self._datasets(lay, plan.target_fields)
        limit = plan.ir.schedule.train_examples if role == "train" else plan.ir.schedule.val_examples
        total = 0
        for path in files_of(plan, role):
            with open_h5(path) as h5:
                missing = [d for d in needed if d not in h5]
                if missing:
                    cells = _groups(h5, "inputs/cpg") or _groups(h5, "outputs/cpg")
                    raise SpecError(f"dataset(s) {quoted_list(missing)} missing", file=path,
                                    hint=(f"this file's cells are {quoted_list(cells)}; train and validation files "
                                          "must hold the same cells") if cells else None)
                n = int(h5[needed[0]].shape[0])
                for name in needed:
                    ds = h5[name]
                    if ds.shape[0] != n:
                        raise SpecError(f"dataset '{name}' has {ds.shape[0]} rows, '{needed[0]}' has {n}", file=path)
                    if name == "inputs/dna" and ds.shape[1] < (lay.dna_wlen or 0):
                        raise SpecError(f"DNA windows of {ds.shape[1]} bp, narrower than the {lay.dna_wlen} bp the "
                                        "model reads", file=path, hint="all files must share one window length")
                    if name.endswith(("/state", "/dist")) and ds.shape[1] < (lay.cpg_wlen or 0):
                        raise SpecError(f"'{name}' holds {ds.shape[1]} neighbours, fewer than cpg-wlen "
                                        f"{lay.cpg_wlen}", file=path)
                used = n if not limit else max(0, min(n, limit - total))
                for name in needed:  # labels are small (one byte a site): checked in full before training
                    if name.startswith("outputs/"):
                        for start in range(0, used, LABEL_BLOCK_ROWS):
                            checked(h5, name, start, min(used, start + LABEL_BLOCK_ROWS), CPG_LABEL, file=path)
                total += n
        if limit:
            total = min(total, limit)
        if total == 0:
            raise SpecError(f"the {role} files hold no sites", file=", ".join(files_of(plan, role)))
        return total

    @staticmethod
    def _datasets(lay: Layout, targets: list[str]) -> list[str]:
        names = [f"outputs/{t}" for t in targets]
        if lay.dna_wlen is not None:
            names.append("inputs/dna")
        for cell in lay.cells if lay.cpg_wlen is not None else ():
            names += [f"inputs/cpg/{cell}/state", f"inputs/cpg/{cell}/dist"]
        return names

    def labels(self, ir: Any, target: str) -> np.ndarray:
        out, left = [], ir.schedule.train_examples or math.inf
        for path in ir.data.train:
            if left <= 0:
                break
            with open_h5(path) as h5:
                stop = int(min(left, h5[f"outputs/{target}"].shape[0]))
                values = checked(h5, f"outputs/{target}", 0, stop, CPG_LABEL, file=path)
            out.append(values.astype(np.float64))
            left -= len(values)
        return np.concatenate(out) if out else np.zeros(0)

    # ------------------------------------------------------------------ reading

    def blocks(self, plan: Any, role: str) -> list[tuple[str, int, int]]:
        """(file, start, stop) row ranges covering the first examples-per-epoch rows, in file order."""
        limit = plan.examples[role]
        out, seen = [], 0
        for path in files_of(plan, role):
            with open_h5(path) as h5:
                n = int(h5[self._datasets(plan.fields.facts["layout"], plan.target_fields)[0]].shape[0])
            for start in range(0, n, BLOCK_ROWS):
                if seen >= limit:
                    return out
                stop = min(n, start + BLOCK_ROWS, start + limit - seen)
                out.append((path, start, stop))
                seen += stop - start
        return out

    def read_block(self, lay: Layout, path: str, start: int, stop: int, names: list[str]) -> dict[str, np.ndarray]:
        """Preprocessed fields of rows [start, stop) of one file (pure NumPy; also used by evaluation).

        Every dataset is checked as read (:mod:`.validate`): a value out of its range, a NaN or an
        unreadable chunk is a SpecError naming the file, dataset and row.
        """
        out: dict[str, np.ndarray] = {}
        with open_h5(path) as h5:
            def read(dataset: str, rule: Rule) -> np.ndarray:
                return checked(h5, dataset, start, stop, rule, file=path)

            if "dna" in names:
                codes = read("inputs/dna", DNA_CODES)
                out["dna"] = one_hot(codes[:, centre(codes.shape[1], lay.dna_wlen)])
            if "cpg/state" in names or "cpg/dist" in names:
                states, dists = [], []
                for cell in lay.cells:
                    state = read(f"inputs/cpg/{cell}/state", CPG_STATE)
                    cut = centre(state.shape[1], lay.cpg_wlen)
                    s, d = prepro_cpg(state[:, cut], read(f"inputs/cpg/{cell}/dist", CPG_DIST)[:, cut])
                    states.append(s)
                    dists.append(d)
                out["cpg/state"] = np.stack(states, axis=1)
                out["cpg/dist"] = np.stack(dists, axis=1)
            for name in names:
                if name not in out:
                    out[name] = read(f"outputs/{name}", CPG_LABEL).astype(np.float32)[:, None]
        return {k: out[k] for k in names}

    def batches(self, plan: Any, role: str, names: list[str], *, shuffle: bool, seed: int) -> Any:
        from specdsl.training.batching import block_stream

        blocks = self.blocks(plan, role)
        layout = plan.fields.facts["layout"]

        def read(index: int, block_seed: int) -> dict[str, np.ndarray]:
            path, start, stop = blocks[index]
            return self.read_block(layout, path, start, stop, names)

        return block_stream(len(blocks), read, rows=plan.examples[role], batch_size=plan.ir.schedule.batch_size,
                            shuffle=shuffle, seed=seed, buffer=min(SHUFFLE_BUFFER, plan.examples[role]), role=role,
                            noun="sites")


register(DeepCpGH5())
