"""``labelled-reads``: reads with one label per base (``reads.h5``, :mod:`specdsl.formats.reads_h5`).

Fields: ``tokens`` (length,) int32, A C G T N = 1..5 and 0 at padding, for the model's token
input; ``labels`` (length,) int32 label ids, −1 at padding, for a ``labels`` head.  Reads have
many lengths, so batches are grouped by length: reads are taken in pools of a few thousand,
sorted by length, cut into batches of ``batch-size`` reads and each batch padded to its longest
read (to a multiple of 8), which keeps padding small without changing which reads an epoch
sees.  Training shuffles the order of the file's blocks,
the reads of a pool and the batches; validation reads in file order.  Memory depends on the
pool size, never on the file size.

``train-fraction`` splits one file as tranquillyzer's ``train_fraction`` does: the first
⌊N·fraction⌋ reads train and the rest validate.  The simulator writes reads in random order
(a read and its reverse complement next to each other, so they stay on the same side), so this
is a random split, computed without reading the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.schema import Schema, number
from specdsl.training.readers import Fields, Reader, files_of, register

TOKENS, LABELS = "tokens", "labels"
BLOCK = 1024  # reads read from disk at once
POOL_BLOCKS = 4  # blocks sorted by length together
PAD_TO = 8


@dataclass(frozen=True)
class Span:
    """Reads [start, stop) of one file."""

    path: str
    start: int
    stop: int


def _open(path: str) -> Any:
    from specdsl.formats.reads_h5 import open_reads

    return open_reads(path, check_values=False)


def role_spans(plan_ir: Any, role: str) -> list[Span]:
    """The reads a role reads: every read of its files, or its side of the ``train-fraction`` split."""
    fraction = plan_ir.data.get("train_fraction")
    files = plan_ir.data.train if role == "train" else plan_ir.data.val
    spans = []
    for path in files:
        n = _open(path).reads
        if fraction is None:
            spans.append(Span(path, 0, n))
            continue
        cut = int(math.floor(n * float(fraction)))
        spans.append(Span(path, 0, cut) if role == "train" else Span(path, cut, n))
    return spans


def pad_batch(tokens: list[np.ndarray], labels: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(tokens, labels) padded on the right to a multiple of 8: tokens 0, labels −1.

    Padding is not free for these models: their convolutions drop Keras' mask, so the backward
    LSTM reads the padding, and rounding widths up further (to fewer shapes, which JAX and PyTorch
    would compile less often) cost 2 points of per-base accuracy in the tests."""
    longest = max((len(t) for t in tokens), default=0)
    width = max(PAD_TO, -(-longest // PAD_TO) * PAD_TO)
    x = np.zeros((len(tokens), width), np.int32)
    y = np.full((len(tokens), width), -1, np.int32)
    for i, (t, lab) in enumerate(zip(tokens, labels)):
        x[i, :len(t)] = t
        y[i, :len(lab)] = lab
    return x, y


def length_batches(spans: list[Span], batch: int, rng: np.random.Generator | None):
    """Padded batches grouped by length (see the module docstring); ``rng`` None: no shuffling."""
    files = {s.path: _open(s.path) for s in spans}
    blocks = [(s.path, a, min(a + BLOCK, s.stop)) for s in spans for a in range(s.start, s.stop, BLOCK)]
    if rng is not None:
        rng.shuffle(blocks)
    carry_t: list[np.ndarray] = []
    carry_l: list[np.ndarray] = []
    for g in range(0, len(blocks), POOL_BLOCKS):
        toks, labs = list(carry_t), list(carry_l)
        for path, a, b in blocks[g:g + POOL_BLOCKS]:
            got = files[path].block(a, b)
            toks += got["tokens"]
            labs += got["labels"]
        order = np.argsort([len(t) for t in toks], kind="stable")
        if rng is not None:  # ties broken at random, then sorted by length
            order = sorted(rng.permutation(len(toks)), key=lambda i: len(toks[i]))
        last = g + POOL_BLOCKS >= len(blocks)
        full = len(order) if last else len(order) // batch * batch
        cuts = [order[i:i + batch] for i in range(0, full, batch)]
        carry_t = [toks[i] for i in order[full:]]
        carry_l = [labs[i] for i in order[full:]]
        if rng is not None:
            rng.shuffle(cuts)
        for cut in cuts:
            yield pad_batch([toks[i] for i in cut], [labs[i] for i in cut])


class LabelledReads(Reader):
    name = "labelled-reads"
    doc = "reads with one label per base (reads.h5 from 'specdsl tranquillyzer simulate-data'), batched by length"
    whole_batches = False  # the reads left over from the length pools end the epoch as one short batch
    single_input = TOKENS

    def schema_properties(self) -> dict[str, Schema]:
        return {"train-fraction": number("Split each file: its first reads (this fraction) train, the rest validate "
                                         "(tranquillyzer's train_fraction); give the same file as train and val.",
                                         minimum=0, maximum=1, optional=True, example=0.8)}

    def holds_out(self, ir: Any) -> bool:
        return ir.data.get("train_fraction") is not None  # the same file is train and validation data, split

    def fields(self, ir: Any) -> Fields:
        if not ir.data.train:
            raise SpecError("no training files given", path=ir.data.key("train"))
        first = _open(ir.data.train[0])
        return Fields({TOKENS: ((None,), "int32")}, {LABELS: (None,)}, {"label_names": first.label_names})

    def check(self, plan: Any, role: str) -> int:
        from specdsl.formats.reads_h5 import open_reads

        names = plan.fields.facts["label_names"]
        for path in files_of(plan, role):
            opened = open_reads(path)
            if opened.label_names != names:
                raise SpecError(f"its labels are {', '.join(opened.label_names)}, but the first training file's are "
                                f"{', '.join(names)}", file=path, hint="train on files simulated for the same model")
        for rh in plan.heads:
            classes = rh.head.get("classes")
            if rh.head.kind == "labels" and classes is not None and list(classes) != list(names):
                raise SpecError(f"head '{rh.head.name}' names the classes {', '.join(classes)}, but the reads are "
                                f"labelled {', '.join(names)}", path=rh.head.path or "heads",
                                hint="list the file's label names, in its order")
        total = sum(s.stop - s.start for s in role_spans(plan.ir, role))
        limit = plan.ir.schedule.train_examples if role == "train" else plan.ir.schedule.val_examples
        if total == 0:
            raise SpecError(f"no {role} reads (train-fraction {plan.ir.data.get('train_fraction')})",
                            file=", ".join(files_of(plan, role)))
        return min(total, limit) if limit else total

    def labels(self, ir: Any, target: str) -> np.ndarray:  # pragma: no cover - labels heads take no class weights
        raise SpecError(f"{self.name}: per-read class weights are not available for '{target}'")

    def batches(self, plan: Any, role: str, names: list[str], *, shuffle: bool, seed: int) -> Any:
        from specdsl.training.batching import BatchStream, epoch_seed

        spans = role_spans(plan.ir, role)
        limit = plan.examples[role]
        cut, kept = [], 0
        for s in spans:  # at most the examples one epoch reads
            take = min(s.stop - s.start, limit - kept)
            if take > 0:
                cut.append(Span(s.path, s.start, s.start + take))
                kept += take
        steps = math.ceil(kept / plan.ir.schedule.batch_size)

        def epoch(k: int):  # type: ignore[no-untyped-def]
            rng = np.random.default_rng(epoch_seed(seed, k)) if shuffle else None
            for x, y in length_batches(cut, plan.ir.schedule.batch_size, rng):
                yield {key: v for key, v in ((TOKENS, x), (LABELS, y)) if key in names}

        return BatchStream(steps, epoch, varying=(TOKENS, LABELS))


register(LabelledReads())
