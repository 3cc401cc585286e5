"""``signal-csv``: Capfinder's cap signal CSVs (``read_id,cap_class,timeseries``), one read per row.

The files Capfinder's ``extract-cap-signal`` writes (``data__<cap>.csv``, one class each) and
the processed train/val/test files of a Capfinder run (:mod:`specdsl.systems.capfinder.etl`) are the
same format, so a ``specdsl-train`` config trains on either.  Every row is checked before
TensorFlow starts (:mod:`specdsl.formats.signal_csv`: header, fields, a whole-number
``cap_class`` ≥ 0, a non-empty signal of finite numbers), each problem reported as
``FILE:LINE``.

Fields: ``signal`` (target-length × 1, float32: each signal cut or zero-padded to
``target-length`` equally at both ends, rounded to ``dtype``, nothing else) and the target
``cap_class`` (the integer label).  With ``time-warp`` u, every training read is also fed
squished and expanded by a fresh random fraction in [0, u) each epoch (Capfinder's
``use_augmentation``, u = 0.2), so an epoch holds three times the reads.

Streaming: read indices are shuffled each epoch and read a batch at a time by byte offset,
so memory holds one batch whatever the files' size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.schema import Schema, choice, integer, number
from specdsl.training.readers import Fields, Reader, files_of, register

FIELD = "signal"
TARGET = "cap_class"


class SignalCsv(Reader):
    name = "signal-csv"
    doc = ("Capfinder's cap signal CSVs: read_id,cap_class,timeseries, one read per row (data__<cap>.csv files, or "
           "the train/val/test files of a Capfinder run), cut or zero-padded to target-length")
    single_input = FIELD

    def schema_properties(self) -> dict[str, Schema]:
        return {
            "target-length": integer("Signal points per read: longer signals are cut and shorter ones padded with "
                                     "zeros, equally at both ends (Capfinder's target_length).", minimum=1,
                                     default=500),
            "dtype": choice("The precision signals are rounded to (Capfinder's dtype); the model computes in float32.",
                            ["float16", "float32", "float64"], default="float32"),
            "time-warp": number("Also train on each read squished and expanded by a random fraction below this, new "
                                "every epoch (Capfinder's use_augmentation is 0.2); leave out for none.",
                                exclusive_minimum=0, exclusive_maximum=1, optional=True, example=0.2),
        }

    # ------------------------------------------------------------------ what the files offer

    @staticmethod
    def _length(ir: Any) -> int:
        return int(ir.data.get("target_length", 500))

    @staticmethod
    def _copies(ir: Any, role: str) -> int:
        return 3 if role == "train" and ir.data.get("time_warp") else 1

    def indexes(self, ir: Any, role: str) -> list[Any]:
        """Every file of ``role`` checked and indexed (remembered until a file changes)."""
        from specdsl.formats.signal_csv import index_signals

        files = ir.data.train if role == "train" else ir.data.val
        if not files:
            raise SpecError(f"no {role} files given", path=ir.data.key(role))
        out = []
        for name in files:
            index = index_signals(name)
            bad = np.flatnonzero(index.labels < 0)
            if bad.size:
                raise SpecError(f"cap_class {int(index.labels[bad[0]])} is not a class a model can learn",
                                file=index.where(int(bad[0])),
                                expected="labels 0, 1, … (Capfinder's -99 marks reads of unknown cap)",
                                hint="leave reads of unknown cap out of training files")
            out.append(index)
        return out

    def fields(self, ir: Any) -> Fields:
        self.indexes(ir, "train")
        return Fields({FIELD: ((self._length(ir), 1), "float32")}, {TARGET: ()})

    # ------------------------------------------------------------------ checks

    def _rows(self, ir: Any, role: str) -> int:
        n = sum(len(index) for index in self.indexes(ir, role))
        limit = ir.schedule.train_examples if role == "train" else ir.schedule.val_examples
        return min(n, limit) if limit else n

    def check(self, plan: Any, role: str) -> int:
        return self._rows(plan.ir, role) * self._copies(plan.ir, role)

    def labels(self, ir: Any, target: str) -> np.ndarray:
        values = np.concatenate([index.labels for index in self.indexes(ir, "train")]).astype(np.float64)
        return values[:self._rows(ir, "train")]

    # ------------------------------------------------------------------ reading

    def batches(self, plan: Any, role: str, names: list[str], *, shuffle: bool, seed: int) -> Any:
        from specdsl.formats.signal_csv import batch as read_batch
        from specdsl.formats.signal_csv import time_warp
        from specdsl.training.batching import indexed_stream

        ir = plan.ir
        indexes = self.indexes(ir, role)
        starts = np.cumsum([0] + [len(i) for i in indexes])
        labels = np.concatenate([i.labels for i in indexes]).astype(np.float32)
        length, dtype = self._length(ir), str(ir.data.get("dtype", "float32"))
        copies, warp = self._copies(ir, role), float(ir.data.get("time_warp") or 0.0)

        def fetch(positions: np.ndarray, batch_seed: int) -> dict[str, np.ndarray]:
            rows, variants = positions // copies, positions % copies
            signals = np.empty((len(rows), length), dtype=np.float32)
            which = np.searchsorted(starts, rows, side="right") - 1
            for f in np.unique(which):
                at = np.flatnonzero(which == f)
                signals[at] = read_batch(indexes[f], rows[at] - starts[f], length, dtype)
            if copies > 1:  # the time warps differ from batch to batch and from epoch to epoch
                rng = np.random.default_rng(batch_seed)
                for k in np.flatnonzero(variants):
                    signals[k] = time_warp(signals[k], float(rng.uniform(0.0, warp)), expand=variants[k] == 2)
            return {FIELD: signals[:, :, None], TARGET: labels[rows][:, None]}

        return indexed_stream(plan.examples[role], fetch, batch_size=ir.schedule.batch_size, shuffle=shuffle,
                              seed=seed, role=role, noun="reads", file=", ".join(files_of(plan, role)))


register(SignalCsv())
