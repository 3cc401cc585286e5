"""tranquillyzer's ``training_seq_orders.tsv``: which segments a library's reads hold, in order.

One row a model, six tab-separated fields and no header (the file tranquillyzer v0.2.2 ships,
read the way its ``seq_orders()`` reads it: quotes dropped, blank and ``#`` lines skipped)::

    10x3p_sc_ont  "5p,CBC,UMI,polyT,cDNA,3p"  "TCTACACG…,N16,N12,T,NN,CCCATG…"  CBC  UMI  rev

1. the model name; 2. the segment labels, comma-separated; 3. one pattern per label;
4. the barcode segment(s); 5. the UMI segment(s); 6. the strand (``fwd``/``rev``, optional).

Patterns (tranquillyzer's ``generate_segment``): ``N<k>`` k random bases; ``NN`` a cDNA
fragment; ``A`` / ``T`` a homopolymer; anything else a literal adapter of A, C, G, T (N).
Unlike tranquillyzer, a row is checked completely when it is read, so a typo is reported with
its file, line and column instead of surfacing as a crash in the middle of a simulation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from specdsl.errors import Source, Span, SpecError, did_you_mean

RANDOM = re.compile(r"N(\d+)$")
LITERAL = re.compile(r"[ACGTN]+$")
FIELDS = ("model_name", "segment labels", "patterns", "barcodes", "UMIs", "strand")


def default_file(name: str) -> Path:
    """A file tranquillyzer ships in ``utils/`` (copied into specdsl as package data)."""
    return Path(str(resources.files("specdsl.systems.tranquillyzer") / "data" / name))


@dataclass(frozen=True)
class Segment:
    """One segment of a read: its label and pattern, and what kind of pattern that is."""

    label: str
    pattern: str

    @property
    def kind(self) -> str:
        """``random`` (N<k>), ``cdna`` (NN), ``homopolymer`` (A or T) or ``literal`` (an adapter)."""
        if self.pattern == "NN":
            return "cdna"
        if self.pattern in ("A", "T"):
            return "homopolymer"
        if RANDOM.match(self.pattern):
            return "random"
        return "literal"


@dataclass(frozen=True)
class SeqOrder:
    """A model's row of ``training_seq_orders.tsv``."""

    model: str
    segments: tuple[Segment, ...]
    barcodes: tuple[str, ...]
    umis: tuple[str, ...]
    strand: str
    source: str  # file:line, for messages

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.segments)

    @property
    def classes(self) -> list[str]:
        """The label names in label-id order: sorted, as tranquillyzer's LabelBinarizer sorts them.

        ``cDNA`` is always one: the simulator puts random cDNA flanks around every read."""
        return sorted(set(self.labels) | {"cDNA"})


def _span(source: Source, line: int, text: str, start: int, value: str) -> Span:
    return Span(source, line, start + 1, line, start + 1 + max(len(value), 1))


def _items(value: str) -> list[str]:
    return [v.strip() for v in value.replace('"', "").replace("'", "").split(",")]


def _parse_row(source: Source, number: int, raw: str) -> SeqOrder:
    cols = tab_fields(raw)
    where = f"{source.name}:{number}"
    if len(cols) < 5:
        missing = ", ".join(FIELDS[len(cols):5])
        raise SpecError(f"this row has {len(cols)} tab-separated field(s); a seq-orders row has 5 or 6 (missing: "
                        f"{missing})", span=_span(source, number, raw, 0, raw),
                        expected="model_name<TAB>\"labels,…\"<TAB>\"patterns,…\"<TAB>barcodes<TAB>UMIs[<TAB>strand]",
                        hint="fields are separated by tabs, not spaces")
    (_, name), (lcol, labels_text), (pcol, patterns_text) = cols[0], cols[1], cols[2]
    name = name.strip().strip('"')
    labels, patterns = _items(labels_text), _items(patterns_text)
    if any(not lab for lab in labels):
        raise SpecError("an empty segment label", span=_span(source, number, raw, lcol, labels_text),
                        hint="labels are separated by single commas")
    if len(labels) != len(patterns):
        raise SpecError(f"{len(labels)} segment labels but {len(patterns)} patterns",
                        span=_span(source, number, raw, pcol, patterns_text),
                        expected="one pattern per label, in the same order")
    for label, pattern in zip(labels, patterns):
        upper = pattern.upper()
        if not (upper == "NN" or RANDOM.match(upper) or LITERAL.match(upper)):
            raise SpecError(f"segment '{label}' has the pattern '{pattern}', which is not N<k>, NN, A, T or an "
                            "adapter of A, C, G, T", span=_span(source, number, raw, pcol + patterns_text.find(pattern),
                                                                 pattern),
                            expected="N16 (random bases), NN (cDNA), A or T (homopolymer), or ACGT… (adapter)")
        if upper == "NN" and label != "cDNA":
            raise SpecError(f"the cDNA pattern NN belongs to a segment labelled 'cDNA', not '{label}'",
                            span=_span(source, number, raw, pcol + patterns_text.find(pattern), pattern),
                            hint="tranquillyzer simulates NN only for the cDNA segment")
        if RANDOM.match(upper) and int(upper[1:]) == 0:
            raise SpecError(f"segment '{label}' has no bases (N0)",
                            span=_span(source, number, raw, pcol, patterns_text))
    segments = tuple(Segment(lab, pat.upper()) for lab, pat in zip(labels, patterns))
    strand = cols[5][1].strip().strip('"') if len(cols) > 5 else ""
    if strand not in ("", "fwd", "rev"):
        raise SpecError(f"strand '{strand}' is neither fwd nor rev",
                        span=_span(source, number, raw, cols[5][0], strand))
    barcodes = tuple(x for x in _items(cols[3][1]) if x)
    return SeqOrder(name, segments, barcodes, tuple(x for x in _items(cols[4][1]) if x), strand, where)


def read_tsv(path: str | Path | None, shipped: str, what: str, option: str) -> Source:
    """A TSV file as a :class:`Source` (for positioned errors); ``None``: the shipped one."""
    path = Path(path) if path is not None else default_file(shipped)
    try:
        return Source(str(path), path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{what} not found", file=str(path), path=option) from None
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError(f"cannot read the {what}: {err}", file=str(path)) from None


def tab_fields(raw: str) -> list[tuple[int, str]]:
    """(column offset, text) of each tab-separated field of a line."""
    out, at = [], 0
    for part in raw.split("\t"):
        out.append((at, part))
        at += len(part) + 1
    return out


def read_seq_orders(path: str | Path | None = None) -> dict[str, SeqOrder]:
    """Every row of a seq-orders file (the shipped one when ``path`` is None), by model name."""
    source = read_tsv(path, "training_seq_orders.tsv", "seq-orders file", "--training-seq-orders-file")
    rows: dict[str, SeqOrder] = {}
    for number, raw in enumerate(source.lines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        row = _parse_row(source, number, raw)
        rows.setdefault(row.model, row)  # tranquillyzer takes the first row of a name
    return rows


def seq_order(model: str, path: str | Path | None = None) -> SeqOrder:
    """The row of ``model``; a name the file lacks is an error listing the names it has."""
    rows = read_seq_orders(path)
    if model not in rows:
        shown = str(path) if path is not None else "the shipped training_seq_orders.tsv"
        raise SpecError(f"model '{model}' is not in {shown}", path="MODEL_NAME",
                        expected="one of " + ", ".join(sorted(rows)) if rows else "a file with at least one row",
                        hint=did_you_mean(model, rows) or "add a row for it, or give --training-seq-orders-file")
    return rows[model]


__all__ = ["SeqOrder", "Segment", "default_file", "read_seq_orders", "read_tsv", "seq_order", "tab_fields"]
