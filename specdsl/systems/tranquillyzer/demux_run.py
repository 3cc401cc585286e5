"""A whole demultiplexing run: label the reads, judge and assign them, write every result file at once.

``OUTDIR`` receives tranquillyzer's ``annotate-reads`` layout::

    annotations_valid.parquet | .tsv     annotations_invalid.parquet | .tsv
    demuxed_fasta/demuxed.fasta | .fastq demuxed_fasta/ambiguous.fasta | .fastq
    cellId_readCount.tsv (Cell_ID, Read_Count)   matchType_readCount.tsv (Match_Type, Read_Count)
    plots/demux_plots.png, plots/demux_plots.pdf

**Tables**: Parquet (pyarrow) when pyarrow is installed (``pip install 'specdsl[parquet]'``),
else TSV; ``table_format`` forces one.  Numbers are integers in both (empty in a TSV, null in
Parquet, where there is none), unlike tranquillyzer's Parquet, where every column but
``read_length`` is text.  Every file is written to a staging folder inside ``OUTDIR`` while the
reads stream through in bounded memory, then moved into place together
(:func:`specdsl.atomic.replace_together`): an error or a kill part-way leaves the previous
results, never half of new ones.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from specdsl.errors import SpecError
from specdsl.systems.tranquillyzer.demux import INT, Demultiplexer, DemuxOptions, Stats
from specdsl.systems.tranquillyzer.seq_orders import SeqOrder, seq_order

JOURNAL = ".annotate-reads.journal"


def table_format(requested: str) -> str:
    """``parquet`` or ``tsv``: ``auto`` is Parquet when pyarrow is installed."""
    if requested == "auto":
        return "parquet" if importlib.util.find_spec("pyarrow") is not None else "tsv"
    if requested == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise SpecError("Parquet tables need pyarrow, which is not installed", path="--table-format",
                        hint="pip install 'specdsl[parquet]', or --table-format tsv")
    return requested


class TableWriter:
    """Rows (dicts by column; missing keys are empty) streamed to a TSV or a Parquet file of fixed columns."""

    def __init__(self, path: Path, columns: list[tuple[str, str]], fmt: str):
        self.columns, self.fmt = columns, fmt
        self.rows = 0
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            self.pa = pa
            self.schema = pa.schema([(name, pa.int64() if kind == INT else pa.string()) for name, kind in columns])
            self.writer: Any = pq.ParquetWriter(str(path), self.schema)
        else:
            self.handle: IO[str] = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
            self.tsv = csv.writer(self.handle, delimiter="\t", lineterminator="\n")
            self.tsv.writerow([name for name, _ in columns])

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        self.rows += len(rows)
        if self.fmt == "parquet":
            data = {name: [row.get(name) for row in rows] for name, _ in self.columns}
            self.writer.write_table(self.pa.table(data, schema=self.schema))
        else:
            for row in rows:
                self.tsv.writerow(["" if row.get(name) is None else row[name] for name, _ in self.columns])

    def close(self) -> None:
        (self.writer if self.fmt == "parquet" else self.handle).close()


class Staging:
    """Result files written under a hidden folder of ``out_dir``, moved into place together by :meth:`commit`."""

    def __init__(self, out_dir: str | Path):
        from specdsl.atomic import WriteError, finish_replacing

        self.out = Path(out_dir)
        if self.out.exists() and not self.out.is_dir():
            raise SpecError("is a file, not a folder for the results", file=str(self.out), path="-o")
        self.created = not self.out.exists()
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            finish_replacing(self.out / JOURNAL)  # a run killed while moving its files in: finish it
            self.dir = Path(tempfile.mkdtemp(prefix=".annotate-reads.", dir=self.out))
        except OSError as err:
            raise WriteError(f"cannot write here: {err.strerror}", file=str(self.out)) from None
        self.files: list[str] = []

    def path(self, name: str) -> Path:
        p = self.dir / name
        p.parent.mkdir(parents=True, exist_ok=True)
        self.files.append(name)
        return p

    def commit(self) -> list[Path]:
        from specdsl.atomic import replace_together

        for name in self.files:
            (self.out / name).parent.mkdir(parents=True, exist_ok=True)
        replace_together([(self.dir / n, self.out / n) for n in self.files], self.out / JOURNAL)
        shutil.rmtree(self.dir, ignore_errors=True)
        return [self.out / n for n in self.files]

    def abort(self) -> None:
        """Remove the staging folder, and ``out_dir`` too when this run made it and left it empty."""
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.created and not any(self.out.iterdir()):
            self.out.rmdir()


def model_seq_order(model_file: Path, name: str | None, path: str | None) -> SeqOrder:
    """The seq order of a model: ``name`` in ``path`` when given, else the row its train-model run recorded."""
    if name is None:
        try:
            config = json.loads(model_file.with_name(model_file.stem + ".history.json").read_text())["config"]
            name = config["model"]
            path = path or config.get("options", {}).get("training_seq_orders_file")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise SpecError("cannot tell which seq order this model was trained on", file=str(model_file),
                            path="--seq-order", hint="give --seq-order NAME (a row of the seq-orders file)") from None
    return seq_order(str(name), path)


def demultiplex(model: str | Path, reads: str | Path, whitelist: str | Path, out_dir: str | Path, *,
                options: DemuxOptions | None = None, tables: str = "auto", seq_order_name: str | None = None,
                seq_order_file: str | None = None, console: Any = None,
                **annotate: Any) -> tuple[Any, Demultiplexer, list[Path]]:
    """Label ``reads`` with ``model`` and write the results to ``out_dir``; (totals, the run, files written)."""
    from specdsl.formats.fastx import read_fastx
    from specdsl.systems.tranquillyzer.annotate import find_model, load_annotator, progress_line, stream_labelled
    from specdsl.systems.tranquillyzer.barcodes import read_whitelist
    from specdsl.systems.tranquillyzer.demux_report import write_plots

    options = options or DemuxOptions()
    if options.bc_lv_threshold < 0:
        raise SpecError(f"must be ≥ 0, got {options.bc_lv_threshold}", path="--bc-lv-threshold")
    fmt = table_format(tables)
    model_file = find_model(model)
    order = model_seq_order(model_file, seq_order_name, seq_order_file)
    if not order.barcodes:
        raise SpecError(f"the seq order of {order.model} names no barcode segment to demultiplex by",
                        file=order.source, path="--seq-order")
    wl = read_whitelist(whitelist, order.barcodes)
    if not Path(reads).is_file():
        raise SpecError("no such file" if not Path(reads).exists() else "is a folder, not a reads file",
                        file=str(reads))
    if options.output_fmt == "fastq":
        first = next(iter(read_fastx(reads)), None)
        if first is not None and not first.quality:
            raise SpecError("these reads are FASTA: --output-fmt fastq needs FASTQ reads", file=str(reads),
                            path="--output-fmt", hint="give FASTQ reads, or --output-fmt fasta")
    ann = load_annotator(model_file)
    demux = Demultiplexer(ann.classes, order, wl, options)
    ext = options.output_fmt
    staging = Staging(out_dir)
    try:
        valid = TableWriter(staging.path(f"annotations_valid.{fmt}"), demux.valid_columns(), fmt)
        invalid = TableWriter(staging.path(f"annotations_invalid.{fmt}"), demux.invalid_columns(), fmt)
        with open(staging.path(f"demuxed_fasta/demuxed.{ext}"), "w", encoding="utf-8") as demuxed, \
                open(staging.path(f"demuxed_fasta/ambiguous.{ext}"), "w", encoding="utf-8") as ambiguous:

            def consume(chunk: list, totals: Any) -> None:
                batch = demux.process(chunk)
                valid.write(batch.valid)
                invalid.write(batch.invalid)
                demuxed.writelines(batch.demuxed)
                ambiguous.writelines(batch.ambiguous)

            with progress_line(console) as report:
                totals = stream_labelled(ann, read_fastx(reads), consume, progress=report, **annotate)
        valid.close()
        invalid.close()
        _counts(staging, demux.stats)
        write_plots(demux.stats, len(wl.rows), options.bc_lv_threshold, staging.path("plots/demux_plots.png"),
                    staging.path("plots/demux_plots.pdf"))
        files = staging.commit()
    except BaseException:
        staging.abort()
        raise
    return totals, demux, files


def _counts(staging: Staging, stats: Stats) -> None:
    with open(staging.path("matchType_readCount.tsv"), "w", encoding="utf-8") as out:
        out.write("Match_Type\tRead_Count\n")
        out.writelines(f"{kind}\t{n}\n" for kind, n in sorted(stats.match_types.items(), key=lambda kv: -kv[1]))
    with open(staging.path("cellId_readCount.tsv"), "w", encoding="utf-8") as out:
        out.write("Cell_ID\tRead_Count\n")
        out.writelines(f"{cell}\t{n}\n" for cell, n in sorted(stats.cells.items(), key=lambda kv: (-kv[1], kv[0])))


__all__ = ["JOURNAL", "Staging", "TableWriter", "demultiplex", "model_seq_order", "table_format"]
