"""Label the bases of real reads with a trained model, streaming, in bounded memory.

Reads come one at a time from FASTA/FASTQ (:mod:`.fastx`) and are processed in chunks of about
a million bases.  Each read is labelled

* **in both orientations** (``strand="both"``, the default): the read as given and its reverse
  complement are decoded, and the orientation whose path the model finds more probable — the
  higher mean log-probability per base of its decoded path, log p(path | read) / length (for a
  CRF, Viterbi path score − log Z; for a softmax, the sum of each position's log-probability)
  — is kept, ties going to the read as given.  Positions are always reported on the read as
  given; the ``strand`` column says which orientation the model read (``+`` as given, ``-``
  reverse complement).  ``strand="forward"`` decodes the read as given only (half the work; a
  model trained with tranquillyzer's ``--rc`` sees both orientations in training anyway);
* **in overlapping windows** when it is longer than ``window`` bases: windows of ``window``
  bases overlap by at least 2 × ``overlap``; each position takes the label of the window whose
  edge is farthest from it (cuts in the middle of overlaps), so memory and decoding depend on
  the window, never on the read's length.

Pieces (window × orientation) of a chunk are sorted by length and batched under a token budget,
each batch padded to a multiple of 64 (a few padded shapes, so the compiled model is reused).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.formats.fastx import Record, read_fastx
from specdsl.systems.tranquillyzer.tokens import encode, reverse_complement

PAD_TO = 64
COLUMNS = ("read_id", "label", "start", "end", "strand", "score", "sequence")


@dataclass
class Annotator:
    """A loaded labelling model: the Keras model, its class names, and its CRF weights if it has one."""

    model: Any
    classes: list[str]
    path: str
    crf: tuple[np.ndarray, np.ndarray, np.ndarray] | None  # transitions, start, end

    def decode(self, tokens: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(paths (B, T) with −1 at padding, summed log-probability of each path (B,)) for a padded batch."""
        out = np.asarray(self.model.predict_on_batch(tokens), dtype=np.float64)
        if self.crf is not None:
            scores, path = out[..., :-1], np.rint(out[..., -1]).astype(np.int64)
            logp = crf_path_logprob(scores, path, lengths, *self.crf)
        else:
            path = out.argmax(-1)
            best = np.log(np.maximum(np.take_along_axis(out, path[..., None], -1)[..., 0], 1e-30))
            inside = np.arange(out.shape[1])[None, :] < lengths[:, None]
            logp = (best * inside).sum(1)
            path = np.where(inside, path, -1)
        return path, logp


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    top = x.max(axis=axis, keepdims=True)
    return (top + np.log(np.exp(x - top).sum(axis=axis, keepdims=True))).squeeze(axis)


def crf_path_logprob(scores: np.ndarray, path: np.ndarray, lengths: np.ndarray, a: np.ndarray, s: np.ndarray,
                     e: np.ndarray) -> np.ndarray:
    """log p(path | read) = S(path) − log Z per read (the CRF's score, :mod:`specdsl.backend.crf`)."""
    b, t, _ = scores.shape
    alpha = s[None, :] + scores[:, 0]
    for i in range(1, int(lengths.max(initial=1))):
        moved = _logsumexp(alpha[:, :, None] + a[None], axis=1) + scores[:, i]
        alpha = np.where((i < lengths)[:, None], moved, alpha)
    log_z = _logsumexp(alpha + e[None, :], axis=1)
    inside = np.arange(t)[None, :] < lengths[:, None]
    y = np.where(inside, path, 0)
    unary = (np.take_along_axis(scores, y[..., None], -1)[..., 0] * inside).sum(1)
    pairs = (a[y[:, :-1], y[:, 1:]] * inside[:, 1:]).sum(1)
    last = y[np.arange(b), np.maximum(lengths - 1, 0)]
    return unary + pairs + s[y[:, 0]] + e[last] - log_z


def _classes_beside(model_file: Path) -> list[str] | None:
    """Label names from ``<stem>_labels.json``, else from the run's ``<stem>.history.json`` config."""
    labels = model_file.with_name(model_file.stem + "_labels.json")
    if labels.is_file():
        try:
            names = json.loads(labels.read_text())
        except ValueError:
            raise SpecError("not a JSON list of label names", file=str(labels)) from None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise SpecError("not a JSON list of label names", file=str(labels))
        return names
    history = model_file.with_name(model_file.stem + ".history.json")
    try:
        config = json.loads(history.read_text()).get("config", {})
    except (OSError, ValueError, AttributeError):
        return None
    if isinstance(config.get("classes"), list):
        return config["classes"]
    for head in config.get("heads", []) if isinstance(config.get("heads"), list) else []:
        if isinstance(head, dict) and head.get("kind") == "labels" and isinstance(head.get("classes"), list):
            return head["classes"]
    return None


NOT_TRANQUILLYZER = ("models trained by tranquillyzer itself (tf2crf weights in .h5 and a pickled LabelBinarizer) "
                     "cannot be imported: retrain with 'specdsl tranquillyzer train-model' (same params TSV), which "
                     "writes a .keras model and its label names")


def find_model(path: str | Path) -> Path:
    """The ``.keras`` model of a train-model folder (not its checkpoint), or the file given."""
    p = Path(path)
    if p.is_dir():
        found = sorted(f for f in p.glob("*.keras") if not f.name.endswith(".checkpoint.keras"))
        if len(found) == 1:
            return found[0]
        if not found and (any(p.glob("*.h5")) or any(p.glob("*_lbl_bin.pkl"))):
            raise SpecError(NOT_TRANQUILLYZER, file=str(p))
        raise SpecError("no .keras model in this folder" if not found else
                        f"{len(found)} .keras models in this folder: give one", file=str(p),
                        hint="give the folder of one variant, e.g. OUT/10x3p_sc_ont_0, or its .keras file")
    if p.suffix.lower() in (".h5", ".hdf5") or p.name.endswith("_lbl_bin.pkl"):
        raise SpecError(NOT_TRANQUILLYZER, file=str(p))
    if not p.exists():
        raise SpecError("no such model file or folder", file=str(p))
    return p


def load_annotator(path: str | Path) -> Annotator:
    """Load a model (a train-model variant folder or a ``.keras`` file) and its label names."""
    model_file = find_model(path)
    classes = _classes_beside(model_file)
    if classes is None:
        raise SpecError("cannot tell the label names of this model", file=str(model_file),
                        hint=f"put them beside it as {model_file.stem}_labels.json (a JSON list, label id order)")
    from specdsl.backend.quiet import import_keras

    import_keras()  # before anything imports Keras: TensorFlow's start-up chatter stays quiet
    from specdsl.backend.crf import crf_layers
    from specdsl.backend.keras_model import load_model
    model = load_model(model_file)
    if len(model.inputs) != 1 or "int" not in str(model.inputs[0].dtype) or len(model.outputs) != 1:
        raise SpecError("not a read-labelling model: it needs one integer token input and one output",
                        file=str(model_file))
    crfs = crf_layers(model)
    width = int(model.outputs[0].shape[-1])
    expected = len(classes) + (1 if crfs else 0)
    if width != expected:
        raise SpecError(f"the model labels {width - (1 if crfs else 0)} classes but {len(classes)} label names were "
                        "found", file=str(model_file))
    crf = None
    if crfs:
        layer = crfs[0]
        crf = tuple(np.asarray(w, dtype=np.float64) for w in (layer.transitions.numpy(), layer.start.numpy(),
                                                                layer.end.numpy()))
    return Annotator(model, list(classes), str(model_file), crf)  # type: ignore[arg-type]


def windows(n: int, window: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """(start, stop, keep_from, keep_to) of each window of a read of n bases (see the module docstring)."""
    if n <= window:
        return [(0, n, 0, n)]
    step = max(1, window - 2 * overlap)
    starts = list(range(0, n - window, step)) + [n - window]
    cuts = [0] + [(starts[k + 1] + starts[k] + window) // 2 for k in range(len(starts) - 1)] + [n]
    return [(a, a + window, cuts[k], cuts[k + 1]) for k, a in enumerate(starts)]


@dataclass
class _Read:
    record: Record
    tokens: np.ndarray
    paths: dict[int, np.ndarray] = field(default_factory=dict)  # orientation → labels on its own coordinates
    logp: dict[int, float] = field(default_factory=dict)


def _decode_chunk(ann: Annotator, reads: list[_Read], strands: tuple[int, ...], window: int, overlap: int,
                  batch_tokens: int, max_batch: int) -> None:
    pieces = []  # (length, read index, orientation, start, stop, keep_from, keep_to)
    for r, read in enumerate(reads):
        n = len(read.tokens)
        for o in strands:
            read.paths[o] = np.zeros(n, np.int64)
            read.logp[o] = 0.0
            for a, b, k0, k1 in windows(n, window, overlap):
                pieces.append((b - a, r, o, a, b, k0, k1))
    pieces.sort(key=lambda p: p[0])
    oriented = {(r, o): (read.tokens if o == 0 else reverse_complement(read.tokens))
                for r, read in enumerate(reads) for o in strands}
    i = 0
    while i < len(pieces):
        width = max(PAD_TO, -(-pieces[i][0] // PAD_TO) * PAD_TO)
        j = i
        while j < len(pieces) and j - i < max_batch:
            w = max(PAD_TO, -(-pieces[j][0] // PAD_TO) * PAD_TO)
            if (j - i + 1) * w > batch_tokens and j > i:
                break
            width = w
            j += 1
        batch = pieces[i:j]
        x = np.zeros((len(batch), width), np.int32)
        for row, (length, r, o, a, b, _, _) in enumerate(batch):
            x[row, :length] = oriented[(r, o)][a:b]
        lengths = np.array([p[0] for p in batch], np.int64)
        paths, logp = ann.decode(x, lengths)
        for row, (length, r, o, a, _, k0, k1) in enumerate(batch):
            read = reads[r]
            read.paths[o][k0:k1] = paths[row, k0 - a:k1 - a]
            read.logp[o] += float(logp[row]) * (k1 - k0) / length
        i = j


def segments(path: np.ndarray) -> list[tuple[int, int, int]]:
    """(label id, start, end) of each run of equal labels."""
    if len(path) == 0:
        return []
    change = np.flatnonzero(np.diff(path)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(path)]])
    return [(int(path[s]), int(s), int(e)) for s, e in zip(starts, ends)]


@dataclass
class Labelled:
    """One read's labelling: the label id of every base on the read as given, and its orientation rule's result."""

    record: Record
    path: np.ndarray
    strand: str  # "+": the model read the read as given; "-": its reverse complement
    score: float  # the kept orientation's mean log-probability per base


def _finish(reads: list[_Read], strands: tuple[int, ...]) -> list[Labelled]:
    out = []
    for read in reads:
        n = max(len(read.tokens), 1)
        best = max(strands, key=lambda o: (read.logp[o] / n, -o))  # ties: the read as given
        path = read.paths[best] if best == 0 else read.paths[best][::-1]
        out.append(Labelled(read.record, path, "+" if best == 0 else "-", read.logp[best] / n))
    return out


def _rows(ann: Annotator, read: Labelled) -> Iterator[str]:
    text = read.record.sequence.decode("ascii", "replace")
    score = f"{read.score:.4f}"
    for label, s, e in segments(read.path):
        yield f"{read.record.id}\t{ann.classes[label]}\t{s}\t{e}\t{read.strand}\t{score}\t{text[s:e]}\n"


def label_reads(ann: Annotator, tokens: list[np.ndarray], strand: str = "both", window: int = 4096,
                overlap: int = 256, batch_tokens: int = 65536) -> list[np.ndarray]:
    """Label ids of every base of each read (on the read as given), by the rule of :func:`annotate_stream`."""
    strands = (0, 1) if strand == "both" else (0,)
    reads = [_Read(Record(str(i), b"", 0), np.asarray(t, np.uint8)) for i, t in enumerate(tokens)]
    _decode_chunk(ann, reads, strands, window, overlap, batch_tokens, 256)
    return [read.path for read in _finish(reads, strands)]


@dataclass
class Totals:
    reads: int = 0
    bases: int = 0
    rows: int = 0
    seconds: float = 0.0


def labelled_chunks(ann: Annotator, records: Iterator[Record], *, strand: str = "both", window: int = 4096,
                    overlap: int = 256, batch_tokens: int = 65536, max_batch: int = 256,
                    chunk_bases: int = 1 << 20) -> Iterator[list[Labelled]]:
    """The reads of ``records`` labelled, a chunk of about ``chunk_bases`` bases at a time (empty reads skipped)."""
    if window < 2 * overlap + 1 or window < 1:
        raise SpecError(f"--window {window} must be larger than twice --overlap {overlap}", path="--window")
    strands = (0, 1) if strand == "both" else (0,)
    chunk: list[_Read] = []
    held = 0
    for record in records:
        if not record.sequence:
            continue
        chunk.append(_Read(record, encode(record.sequence)))
        held += len(record.sequence)
        if held >= chunk_bases:
            _decode_chunk(ann, chunk, strands, window, overlap, batch_tokens, max_batch)
            yield _finish(chunk, strands)
            chunk, held = [], 0
    if chunk:
        _decode_chunk(ann, chunk, strands, window, overlap, batch_tokens, max_batch)
        yield _finish(chunk, strands)


def stream_labelled(ann: Annotator, records: Iterator[Record], consume: Callable[[list[Labelled], Totals], None], *,
                    progress: Callable[[Totals], None] | None = None, **options: Any) -> Totals:
    """Label every read and hand each chunk to ``consume``; the totals, reported to ``progress`` after each chunk."""
    totals = Totals()
    started = time.monotonic()
    for chunk in labelled_chunks(ann, records, **options):
        consume(chunk, totals)
        totals.reads += len(chunk)
        totals.bases += sum(len(read.path) for read in chunk)
        totals.seconds = time.monotonic() - started
        if progress is not None:
            progress(totals)
    totals.seconds = time.monotonic() - started
    if progress is not None:
        progress(totals)
    return totals


def annotate_stream(ann: Annotator, records: Iterator[Record], out: IO[str], *,
                    progress: Callable[[Totals], None] | None = None, **options: Any) -> Totals:
    """Write the header and one row per segment of every read to ``out``; returns the totals.

    ``options``: those of :func:`labelled_chunks` (strand, window, overlap, batch_tokens, max_batch,
    chunk_bases)."""
    out.write("\t".join(COLUMNS) + "\n")

    def write(chunk: list[Labelled], totals: Totals) -> None:
        for read in chunk:
            for row in _rows(ann, read):
                out.write(row)
                totals.rows += 1

    return stream_labelled(ann, records, write, progress=progress, **options)


def annotate_file(model: str | Path, reads: str | Path, output: str | Path, *, console: Any = None,
                  **options: Any) -> Totals:
    """``specdsl annotate``: label every read of a FASTA/FASTQ file, write the TSV atomically."""
    import gzip

    from specdsl.atomic import atomic_path

    ann = load_annotator(model)
    show = progress_line(console)
    with atomic_path(output) as tmp:
        opener = gzip.open if str(output).endswith(".gz") else open
        with opener(tmp, "wt", encoding="utf-8", newline="") as handle:  # type: ignore[operator]
            with show as report:
                totals = annotate_stream(ann, read_fastx(reads), handle, progress=report, **options)
    return totals


class progress_line:
    """A rich progress line (reads, reads/s, bases/s) on stderr, or nothing without a console."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.bar: Any = None

    def __enter__(self) -> Callable[[Totals], None]:
        if self.console is None:
            return lambda totals: None
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.bar = Progress(SpinnerColumn(), TextColumn("annotating"), TextColumn("{task.fields[line]}"),
                            TimeElapsedColumn(), console=self.console, transient=False)
        self.bar.start()
        task = self.bar.add_task("annotate", total=None, line="")

        def report(t: Totals) -> None:
            rate = t.reads / t.seconds if t.seconds else 0.0
            bases = t.bases / t.seconds if t.seconds else 0.0
            self.bar.update(task, line=f"{t.reads:,} reads, {t.bases:,} bases · {rate:,.1f} reads/s · "
                                       f"{bases:,.0f} bases/s")

        return report

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()


__all__ = ["Annotator", "COLUMNS", "Labelled", "Totals", "annotate_file", "annotate_stream", "crf_path_logprob",
           "find_model", "label_reads", "labelled_chunks", "load_annotator", "progress_line", "segments",
           "stream_labelled", "windows"]
