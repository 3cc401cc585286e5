"""``sequence-labels``: equal-length sequences with a labels CSV (the workshop's drug-resistance data).

Sequences come from FASTA files (one sample per record) or the workshop's one-hot CSVs (one
sample per file; a folder of them); both kinds may be mixed.  Labels come from CSVs with a
``sample`` column and one column per output (:mod:`specdsl.formats.labels_csv`): by default the
file beside each source named after it (``isolates/train.fa`` → ``isolates/train.labels.csv``),
or those listed under ``labels``.  Samples and label rows must match exactly, both ways.

Fields: ``sequence`` (length × 4, one-hot A, C, G, T) and one target per labels column, named
as the column (float32; unknown = −1, masked by :mod:`specdsl.training.masked`).  A target
read by a ``multiclass`` head may hold class names; they become indices in the head's order.

Streaming: sample indices are shuffled each epoch and read a batch at a time from disk (FASTA
records by offset, one-hot files one by one), so memory holds one batch whatever the data size.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.schema import Schema, either, file_name, list_of
from specdsl.training.readers import Fields, Reader, files_of, register

FIELD = "sequence"
ROLES = ("train", "val")


def _classes(ir: Any, target: str) -> tuple[str, ...] | None:
    """The class names of the multiclass head reading ``target``, if one does."""
    for head in ir.heads:
        pattern = head.get("target")
        if head.kind == "multiclass" and pattern and (pattern == target or re.match(pattern, target)):
            return tuple(head.get("classes") or ()) or None
    return None


class SequenceLabels(Reader):
    name = "sequence-labels"
    doc = ("equal-length sequences (FASTA records, or the workshop's one-hot CSVs: one file per sample, a folder "
           "of them) with a labels CSV: a sample column and one 0/1 column per output, blank = unknown")
    single_input = FIELD

    def schema_properties(self) -> dict[str, Schema]:
        one = file_name("A labels CSV.", example="isolates/train.labels.csv")
        return {"labels": {**either("The labels CSV(s) of the training and validation samples: a 'sample' column and "
                                    "one column per output (1, 0, blank = unknown).  Default: beside each sequence "
                                    "file, named after it (train.fa → train.labels.csv).", one,
                                    list_of(one, "Labels CSVs; together they label every sample once.")),
                           "x-optional": True}}

    # ------------------------------------------------------------------ what the files offer

    def labelled(self, ir: Any) -> Any:
        """Sample sets and label rows of the training and validation files (checked; cached below)."""
        from specdsl.formats.samples import check_length, labels_for, match_labels, open_samples

        data = ir.data
        if not data.train:
            raise SpecError("no training files given", path=data.key("train"))
        sets = {}
        for role in ROLES:
            files = data.train if role == "train" else data.val
            if not files:
                continue
            try:
                sets[role] = open_samples(files)
            except SpecError as err:
                err.path = err.path or data.key(role)
                raise
        if "val" in sets:
            first = sets["train"].samples[0]
            for sample in sets["val"].samples:
                check_length(sample, first.length, f"the training sample '{first.name}' ({first.where}) has")
            overlap = sorted(set(sets["train"].names) & set(sets["val"].names))
            if overlap:
                raise SpecError(f"sample '{overlap[0]}' is both a training and a validation sample "
                                f"({len(overlap)} shared)", path=data.key("val"),
                                hint="validation scores are only honest on held-out samples")
        given = data.get("labels")
        labels = [given] if isinstance(given, str) else list(given or ())
        every = [f for files in (data.train, data.val) for f in files]
        return match_labels(sets, labels_for(every, labels), key=data.name_of("labels"))

    def fields(self, ir: Any) -> Fields:
        found = self.labelled(ir)
        length = found.sets["train"].length
        return Fields({FIELD: ((length, 4), "float32")}, {c: () for c in found.columns}, {"labelled": found})

    # ------------------------------------------------------------------ checks

    def check(self, plan: Any, role: str) -> int:
        found = plan.fields.facts["labelled"]
        if role not in found.sets:  # pragma: no cover - the plan asks only for roles with files
            raise SpecError(f"no {role} files", path=plan.ir.data.key(role))
        for target in plan.target_fields:  # every label of every target is checked before TensorFlow starts
            found.targets(role, target, _classes(plan.ir, target))
        n = len(found.sets[role].samples)
        limit = plan.ir.schedule.train_examples if role == "train" else plan.ir.schedule.val_examples
        return min(n, limit) if limit else n

    def labels(self, ir: Any, target: str) -> np.ndarray:
        values = self.labelled(ir).targets("train", target, _classes(ir, target))
        limit = ir.schedule.train_examples
        return values[:limit] if limit else values

    # ------------------------------------------------------------------ reading

    def batches(self, plan: Any, role: str, names: list[str], *, shuffle: bool, seed: int) -> Any:
        from specdsl.training.batching import indexed_stream

        found = plan.fields.facts["labelled"]
        samples = found.sets[role]
        n = plan.examples[role]
        targets = [t for t in names if t != FIELD]
        labels = np.stack([found.targets(role, t, _classes(plan.ir, t)).astype(np.float32)[:n] for t in targets],
                          axis=1) if targets else np.zeros((n, 0), dtype=np.float32)

        def fetch(positions: np.ndarray, batch_seed: int) -> dict[str, np.ndarray]:
            out = {FIELD: np.asarray(samples.fetch(positions), dtype=np.float32)}
            for j, t in enumerate(targets):
                out[t] = labels[positions, j:j + 1]
            return out

        return indexed_stream(n, fetch, batch_size=plan.ir.schedule.batch_size, shuffle=shuffle, seed=seed, role=role,
                              noun="samples", file=", ".join(files_of(plan, role)))


register(SequenceLabels())
