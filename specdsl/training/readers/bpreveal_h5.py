"""``bpreveal-h5``: BPReveal's ``prepareTrainingData`` files (see :mod:`specdsl.formats.bpreveal_h5`).

Fields: ``sequence`` (input-length × 4) and, per profile head i, ``profile/i`` (output-length ×
num-tasks) and ``logcounts/i`` (1).  The jitter is baked into the files; ``max-jitter`` says
by how much.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.bpreveal_h5 import BASES, SEQUENCE, check_dataset
from specdsl.schema import Schema, integer
from specdsl.training.heads.profile import counts_field, profile_field
from specdsl.training.profile_stream import profile_stream
from specdsl.training.readers import Fields, Reader, files_of, register


def _profile_heads(ir: Any) -> list[Any]:
    return [h for h in ir.heads if h.kind == "profile"]


class BPRevealH5(Reader):
    name = "bpreveal-h5"
    doc = "BPReveal prepareTrainingData HDF5: one-hot sequence + one profile dataset per head"
    needs_val = True
    single_input = SEQUENCE

    def input_shape(self, field: str, model: dict[str, Any]) -> tuple[int | None, ...] | None:
        if model.get("input-length") is None:
            raise SpecError("model.input-length is needed to read bpreveal-h5 files", path="model.input-length")
        return (int(model["input-length"]), BASES)

    def schema_properties(self) -> dict[str, Schema]:
        return {"max-jitter": integer("The largest random shift of each region during training, in bases; must "
                                      "equal the jitter the data files were prepared with.", minimum=0, default=0)}

    def fields(self, ir: Any) -> Fields:
        seq = next((i for i in ir.inputs if i.field == SEQUENCE), None)
        if seq is None or len(ir.inputs) != 1:
            raise SpecError(f"{ir.body.label} cannot be trained on BPReveal files: it needs exactly one sequence "
                            "input", hint="use BPNet or an architecture string", path="model.architecture")
        targets: dict[str, tuple[int, ...]] = {}
        for i, head in enumerate(_profile_heads(ir)):
            targets[profile_field(i)] = (int(head.get("num_tasks")),)
            targets[counts_field(i)] = (1,)
        return Fields({SEQUENCE: (tuple(seq.shape), "float32")}, targets)

    def _layout(self, plan: Any) -> tuple[int, int, int, list[int], list[str]]:
        heads = _profile_heads(plan.ir)
        return (plan.input_shapes[SEQUENCE][0], plan.facts["output_length"], int(plan.ir.data.get("max_jitter", 0)),
                [int(h.get("num_tasks")) for h in heads], [h.name for h in heads])

    def check(self, plan: Any, role: str) -> int:
        length, out, jitter, tasks, names = self._layout(plan)
        files = files_of(plan, role)
        if len(files) != 1:
            raise SpecError(f"{self.name} reads one {role} file, got {len(files)}", hint="BPReveal writes one HDF5 "
                            "file per split; join them with prepareTrainingData")
        total = 0
        for path in files:
            total += check_dataset(path, length, out, jitter, tasks, head_names=names)
        return total

    def labels(self, ir: Any, target: str) -> np.ndarray:  # pragma: no cover - profile heads take no class weights
        raise SpecError(f"{self.name} files hold profiles, not labels ('{target}')")

    def batches(self, plan: Any, role: str, names: list[str], *, shuffle: bool, seed: int) -> Any:
        files = files_of(plan, role)
        length, out, jitter, tasks, head_names = self._layout(plan)
        fields = [profile_field(i) for i in range(len(tasks))] + [counts_field(i) for i in range(len(tasks))]
        stream = profile_stream(files[0], length, out, jitter, tasks, plan.ir.schedule.batch_size, shuffle=shuffle,
                                seed=seed, jitter=role == "train", output_names=fields, head_names=head_names)
        return stream.map(lambda batch: {k: batch[k] for k in names})


register(BPRevealH5())
