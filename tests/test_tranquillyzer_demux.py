"""tranquillyzer's annotate-reads: read validity, barcode correction, cell assignment and the result files.

No model is trained here: the logic is tested on constructed label sequences, and the whole run
(``demultiplex``, the files it writes) with an annotator that returns the simulator's true labels.
Reads from a trained model are tested in test_tranquillyzer_train.py.
"""

from __future__ import annotations

import csv
import itertools
import json
import random
from pathlib import Path

import numpy as np
import pytest

from specdsl.cli import main
from specdsl.errors import SpecError
from specdsl.systems.tranquillyzer import annotate
from specdsl.systems.tranquillyzer.barcodes import Assigner, Corrector, Whitelist, read_whitelist, reverse_complement
from specdsl.systems.tranquillyzer.demux import DemuxOptions
from specdsl.systems.tranquillyzer.seq_orders import seq_order
from specdsl.systems.tranquillyzer.simulator import SimulationOptions, Simulator, simulate
from specdsl.systems.tranquillyzer.tokens import decode
from specdsl.systems.tranquillyzer.validity import Layout

ORDER = ("5p", "CBC", "UMI", "polyT", "cDNA", "3p")
LAYOUT = Layout(ORDER, ["polyT"])


# ------------------------------------------------------------------ validity


def test_a_read_in_seq_order_or_reversed_with_or_without_polyt_and_flanks_is_valid() -> None:
    v = LAYOUT.check(["cDNA", *ORDER, "cDNA"])
    assert (v.valid, v.orientation, v.names[0], v.names[-1]) == (True, "+", "random_s", "random_e")
    assert LAYOUT.check(ORDER[::-1]).orientation == "-"
    bare = [x for x in ORDER if x != "polyT"]
    assert LAYOUT.check(bare).valid and LAYOUT.check(["cDNA", *bare[::-1]]).orientation == "-"
    assert LAYOUT.check(ORDER).architecture == "valid" and LAYOUT.check(ORDER).reason == ""


def test_concatenated_and_broken_reads_are_invalid_with_tranquillyzers_reasons() -> None:
    two = LAYOUT.check(["cDNA", *ORDER, "cDNA", *ORDER[::-1], "cDNA"])
    assert not two.valid and two.copies == 2
    assert two.reason == "concatenated reads x2 (+:1, -:1) — extra segments: []"
    three = LAYOUT.check([*ORDER, *ORDER, "5p", *ORDER])
    assert three.reason == "concatenated reads x3 (+:3, -:0) — extra segments: ['5p']"
    cut = LAYOUT.check(["UMI", "polyT", "cDNA", "3p"])
    assert (cut.valid, cut.copies, cut.orientation) == (False, 0, "")
    assert cut.reason == "Unexpected pattern: ['UMI', 'polyT', 'cDNA', '3p']"
    assert LAYOUT.check(["5p", "5p", "5p", *ORDER]).reason.startswith("Unexpected pattern")


# ------------------------------------------------------------------ correction and assignment


def _levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def test_correction_is_the_nearest_whitelist_barcodes_of_the_segment_or_its_reverse_complement() -> None:
    wl = ["AAAACCCCGGGGTTTT", "ACGTACGTACGTACGT", "TTTTGGGGCCCCAAAC"]
    c = Corrector(wl, threshold=2)
    exact, sub, ins, rc, far, long = c.correct(["AAAACCCCGGGGTTTT", "AAAACCCCGTGGTTTT", "ACGTACGTAACGTACGT",
                                                 reverse_complement("ACGTACGTACGTACGT"), "GATCGATCGATCGATC", "A" * 30])
    assert (exact.corrected, exact.min_dist, exact.ties) == ("AAAACCCCGGGGTTTT", 0, 1)
    assert (sub.corrected, sub.min_dist) == ("AAAACCCCGGGGTTTT", 1)
    assert (ins.corrected, ins.min_dist) == ("ACGTACGTACGTACGT", 1)
    assert (rc.corrected, rc.min_dist) == ("ACGTACGTACGTACGT", 0)
    assert far.corrected == "NMF" and far.min_dist > 2 and far.ties == 0
    assert (long.corrected, long.min_dist) == ("NMF", None)  # 14 bases longer than any: never compared
    tie = Corrector(["AAAAAAAA", "AAAAAAAT", "CCCCCCCC"], threshold=2).correct(["AAAAAAAG"])[0]
    assert (tie.corrected, tie.ties, tie.min_dist) == ("AAAAAAAA,AAAAAAAT", 2, 1)


def test_correction_matches_brute_force_over_mixed_lengths_and_blocks(monkeypatch) -> None:
    from specdsl.systems.tranquillyzer import barcodes

    monkeypatch.setattr(barcodes, "MAX_CELLS", 50)  # many small cdist blocks
    rng = random.Random(4)
    wl = ["".join(rng.choice("ACGT") for _ in range(rng.choice((6, 7, 8)))) for _ in range(40)]
    queries = ["".join(rng.choice("ACGT") for _ in range(rng.randint(4, 11))) for _ in range(60)]
    queries += [w[:3] + w[4:] for w in wl[:10]]
    for q, got in zip(queries, Corrector(wl, threshold=2).correct(queries)):
        dist = {w: min(_levenshtein(q, w), _levenshtein(reverse_complement(q), w)) for w in wl}
        best = min(dist.values())
        near = got.min_dist if got.min_dist is not None and got.min_dist <= 2 else None
        assert near == (best if best <= 2 else None)
        expected = [w for w in dict.fromkeys(wl) if dist[w] == best] if best <= 2 else []
        assert list(got.values) == expected


def test_cells_are_assigned_from_one_or_several_barcode_columns() -> None:
    one = Assigner(Whitelist(("CBC",), (("AAAA",), ("CCCC",), ("AAAA",)), "wl"))
    fix = Corrector(["AAAA", "CCCC"], threshold=1)
    assert one.assign(fix.correct(["CCCC"])) == (2, "Exact match (CBC)")
    assert one.assign(fix.correct(["AAAA"])) == (None, "Ambiguous match (CBC)")  # two rows hold it
    assert one.assign(fix.correct(["GTGT"])) == (None, "No match (CBC)")
    rows = tuple((i7, i5, cbc) for (i7, i5), cbc in zip(itertools.product(("AAAA", "CCCC"), ("GGGG", "TTTT")),
                                                         ("ACACACAC", "AGAGAGAG", "CTCTCTCT", "TGTGTGTG")))
    many = Assigner(Whitelist(("i7", "i5", "CBC"), rows, "wl"))
    i7, i5, cbc = (Corrector([r[k] for r in rows], threshold=1) for k in range(3))

    def assign(a: str, b: str, c: str):
        return many.assign([i7.correct([a])[0], i5.correct([b])[0], cbc.correct([c])[0]])

    assert assign("CCCC", "GGGG", "CTCTCTCT") == (3, "Exact match (i7, i5, CBC)")
    assert assign("CCCC", "GGGG", "GATCGATC") == (3, "Partial match (i7, i5)")
    assert assign("ACGT", "ACGT", "TGTGTGTG") == (4, "Partial match (CBC)")
    assert assign("AAAA", "ACGT", "GATCGATC") == (None, "Ambiguous match")  # i7 alone: two rows
    assert assign("ACGT", "ACGT", "GATCGATC") == (None, "No match")


def test_whitelist_errors_name_the_file_line_and_column(tmp_path: Path) -> None:
    wl = tmp_path / "barcodes.tsv"
    wl.write_text("CB\nACGT\n")
    with pytest.raises(SpecError, match="no column 'CBC'") as err:
        read_whitelist(wl, ["CBC"])
    assert err.value.span.line == 1 and "CBC" in (err.value.hint or "")
    wl.write_text("CBC\nACGT\nACXT\n")
    with pytest.raises(SpecError, match="'ACXT' is not a barcode") as err:
        read_whitelist(wl, ["CBC"])
    assert (err.value.span.line, err.value.span.column) == (3, 1)
    wl.write_text("CBC\n")
    with pytest.raises(SpecError, match="no cells"):
        read_whitelist(wl, ["CBC"])
    assert read_whitelist(_write(tmp_path / "ok.tsv", "x\tCBC\n1\tacgt\n"), ["CBC"]).rows == (("ACGT",),)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ------------------------------------------------------------------ a whole run on true labels


class TrueLabels:
    """An annotator that 'decodes' every read to the labels the simulator gave it."""

    def __init__(self, classes: list[str], truth: dict[bytes, np.ndarray]):
        self.classes, self.truth = classes, truth

    def decode(self, tokens: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        paths = np.full(tokens.shape, -1, np.int64)
        for row, n in enumerate(lengths):
            paths[row, :n] = self.truth[tokens[row, :n].astype(np.uint8).tobytes()]
        return paths, np.zeros(len(lengths))


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> dict:
    """40 cells, 150 molecules (300 reads) at 1 % errors, a tenth of them invalid, as FASTQ, with the truth."""
    out = tmp_path_factory.mktemp("demux")
    order = seq_order("10x3p_sc_ont")
    rng = np.random.default_rng(0)
    cells = [(decode(rng.integers(1, 5, 16, dtype=np.uint8)),) for _ in range(40)]
    sim = Simulator(order, SimulationOptions(num_reads=150, seed=9, mismatch_rate=0.01, insertion_rate=0.01,
                                             deletion_rate=0.01, min_cDNA=30, max_cDNA=60, invalid_fraction=0.1),
                    cells=cells)
    truth, reads, kinds = {}, [], []
    for tokens, labels, kind, _, cell in simulate(sim, 1, cells=True):
        for t, lab, k, c in zip(tokens, labels, kind, cell):
            truth[t.tobytes()] = lab.astype(np.int64)
            reads.append((f"r{len(reads)}", decode(t), c + 1))
            kinds.append(k)
    fastq = out / "reads.fastq"
    fastq.write_text("".join(f"@{name}\n{seq}\n+\n{'I' * len(seq)}\n" for name, seq, _ in reads))
    whitelist = _write(out / "barcodes.tsv", "CBC\n" + "".join(f"{c[0]}\n" for c in cells))
    model = out / "m" / "m.keras"
    model.parent.mkdir()
    model.write_text("")
    (out / "m" / "m.history.json").write_text(json.dumps({"config": {"model": "10x3p_sc_ont"}}))
    return {"out": out, "reads": reads, "kinds": kinds, "fastq": fastq, "whitelist": whitelist, "model": model,
            "annotator": TrueLabels(sim.classes, truth), "classes": sim.classes}


def _run(library: dict, out: Path, monkeypatch, **options):
    from specdsl.systems.tranquillyzer.demux_run import demultiplex

    monkeypatch.setattr(annotate, "load_annotator", lambda path: library["annotator"])
    return demultiplex(library["model"], library["fastq"], library["whitelist"], out, strand="forward",
                       tables="tsv", **options)


def _table(path: Path) -> list[dict]:
    with open(path) as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_a_run_assigns_reads_to_their_true_cells_and_writes_tranquillyzers_files(library: dict, tmp_path: Path,
                                                                                  monkeypatch) -> None:
    totals, demux, files = _run(library, tmp_path / "res", monkeypatch)
    res = tmp_path / "res"
    assert {f.relative_to(res).as_posix() for f in files} == {
        "annotations_valid.tsv", "annotations_invalid.tsv", "demuxed_fasta/demuxed.fasta",
        "demuxed_fasta/ambiguous.fasta", "matchType_readCount.tsv", "cellId_readCount.tsv",
        "plots/demux_plots.png", "plots/demux_plots.pdf"}
    assert not [p for p in res.iterdir() if p.name.startswith(".")]  # no staging folder or journal left
    true_cell = {name: cell for name, _, cell in library["reads"]}
    valid = _table(res / "annotations_valid.tsv")
    assigned = [r for r in valid if r["cell_id"]]
    assert len(valid) >= 0.85 * len(library["reads"]) and totals.reads == len(library["reads"])
    assert all(int(r["cell_id"]) == true_cell[r["ReadName"]] for r in assigned)
    assert len(assigned) >= 0.9 * len(valid)
    row = assigned[0]
    assert int(row["cDNA_Ends"]) - int(row["cDNA_Starts"]) == int(row["cDNA_length"]) > 0
    assert row["architecture"] == "valid" and row["match_type"] == "Exact match (CBC)" and not row["reason"]
    invalid = _table(res / "annotations_invalid.tsv")
    assert len(invalid) + len(valid) == len(library["reads"]) and all(r["architecture"] == "invalid" for r in invalid)
    assert any(r["reason"].startswith("concatenated reads x2") for r in invalid) or not invalid
    counts = _table(res / "cellId_readCount.tsv")
    assert sum(int(r["Read_Count"]) for r in counts) == len(assigned)
    assert [int(r["Read_Count"]) for r in counts] == sorted((int(r["Read_Count"]) for r in counts), reverse=True)
    kinds = {r["Match_Type"]: int(r["Read_Count"]) for r in _table(res / "matchType_readCount.tsv")}
    assert sum(kinds.values()) == len(valid) and kinds["Exact match (CBC)"] == len(assigned)
    assert demux.stats.distances["CBC"][0] > 0


def test_demuxed_records_use_tranquillyzers_header_and_orient_the_cdna(library: dict, tmp_path: Path,
                                                                       monkeypatch) -> None:
    _run(library, tmp_path / "res", monkeypatch, options=DemuxOptions(output_fmt="fastq", include_barcode_quals=True))
    res = tmp_path / "res"
    valid = {r["ReadName"]: r for r in _table(res / "annotations_valid.tsv")}
    sequences = {name: seq for name, seq, _ in library["reads"]}
    lines = (res / "demuxed_fasta" / "demuxed.fastq").read_text().splitlines()
    assert lines and len(lines) % 4 == 0
    wl = [line for line in library["whitelist"].read_text().split()[1:]]
    for header, seq, plus, qual in zip(lines[::4], lines[1::4], lines[2::4], lines[3::4]):
        name = header[1:].split("_")[0]
        row = valid[name]
        cdna = sequences[name][int(row["cDNA_Starts"]):int(row["cDNA_Ends"])]
        umi = sequences[name][int(row["UMI_Starts"]):int(row["UMI_Ends"])]
        flip = row["orientation"] == "+"  # 10x 3' is a 'rev' library: + reads are reverse-complemented
        assert seq == (reverse_complement(cdna) if flip else cdna) and plus == "+" and len(qual) == len(seq)
        umi = reverse_complement(umi) if flip else umi
        cell, bq = int(row["cell_id"]), "I" * (int(row["CBC_Ends"]) - int(row["CBC_Starts"]))
        assert header == (f"@{name}_{wl[cell - 1]}_{umi} cell_id:{cell}|Barcodes:CBC:{row['corrected_CBC']}|UMI:"
                          f"{umi}|orientation:{row['orientation']}|BQ:CBC:{bq};UMI:{'I' * len(umi)}")


def test_a_failed_run_leaves_the_previous_results(library: dict, tmp_path: Path, monkeypatch) -> None:
    res = tmp_path / "res"
    _run(library, res, monkeypatch)
    before = (res / "annotations_valid.tsv").read_text()
    from specdsl.systems.tranquillyzer.demux import Demultiplexer

    process, calls = Demultiplexer.process, []

    def fails_later(self, chunk):  # type: ignore[no-untyped-def]
        calls.append(len(chunk))
        if len(calls) == 3:
            raise SpecError("stopped part-way")
        return process(self, chunk)

    monkeypatch.setattr(Demultiplexer, "process", fails_later)
    with pytest.raises(SpecError, match="stopped part-way"):
        _run(library, res, monkeypatch, options=DemuxOptions(output_fmt="fastq"), chunk_bases=2000)
    assert (res / "annotations_valid.tsv").read_text() == before and len(calls) == 3
    assert not (res / "demuxed_fasta" / "demuxed.fastq").exists()
    assert not [p for p in res.iterdir() if p.name.startswith(".")]
    fasta = tmp_path / "reads.fa"
    fasta.write_text("".join(f">{n}\n{s}\n" for n, s, _ in library["reads"]))
    with pytest.raises(SpecError, match="--output-fmt fastq needs FASTQ reads"):
        _run({**library, "fastq": fasta}, tmp_path / "new", monkeypatch, options=DemuxOptions(output_fmt="fastq"))
    assert not (tmp_path / "new").exists()


def test_parquet_tables_keep_numbers_as_numbers(library: dict, tmp_path: Path, monkeypatch) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    from specdsl.systems.tranquillyzer.demux_run import demultiplex

    monkeypatch.setattr(annotate, "load_annotator", lambda path: library["annotator"])
    demultiplex(library["model"], library["fastq"], library["whitelist"], tmp_path, strand="forward", tables="parquet")
    table = pq.read_table(tmp_path / "annotations_valid.parquet")
    assert str(table.schema.field("cDNA_Starts").type) == "int64" and str(table.schema.field("cell_id").type) == "int64"
    assert table.num_rows == len(_table_of(tmp_path))


def _table_of(res: Path) -> list[str]:
    return [line for line in (res / "demuxed_fasta" / "demuxed.fasta").read_text().splitlines() if
            line.startswith(">")] + [line for line in (res / "demuxed_fasta" / "ambiguous.fasta").read_text()
                                     .splitlines() if line.startswith(">")]


# ------------------------------------------------------------------ command lines


def test_command_lines_refuse_bad_input_with_exit_2(library: dict, tmp_path: Path, capsys) -> None:
    assert main(["annotate", "m.keras", "r.fq", "-o", "x.tsv", "--bc-lv-threshold", "1"]) == 2
    assert "--bc-lv-threshold: demultiplexing option(s) without --whitelist" in capsys.readouterr().err
    bad = _write(tmp_path / "wl.tsv", "barcode\nACGT\n")
    assert main(["annotate", str(library["model"]), str(library["fastq"]), "--whitelist", str(bad), "-o",
                 str(tmp_path / "o")]) == 2
    assert "no column 'CBC'" in capsys.readouterr().err and not (tmp_path / "o").exists()
    assert main(["tranquillyzer", "annotate-reads", str(tmp_path), str(library["whitelist"]), "--reads",
                 str(library["fastq"]), "--model-name", "nosuch"]) == 2
    assert "no model 'nosuch'" in capsys.readouterr().err


def test_simulate_data_records_every_reads_true_cell(tmp_path: Path) -> None:
    assert main(["tranquillyzer", "simulate-data", "10x3p_sc_ont", str(tmp_path), "--num-reads", "20", "--seed", "3",
                 "--num-cells", "5", "--fasta", "--mismatch-rate", "0", "--insertion-rate", "0", "--deletion-rate",
                 "0", "--invalid-fraction", "0"]) == 0
    folder = tmp_path / "simulated_data"
    cells = [line for line in (folder / "barcodes.tsv").read_text().split()[1:]]
    truth = _table(folder / "true_cells.tsv")
    assert len(cells) == 5 and len(truth) == 40 and {len(c) for c in cells} == {16}
    from specdsl.formats.fastx import read_fastx

    for record, row in zip(read_fastx(folder / "reads.fasta.gz"), truth):
        seq = record.sequence.decode()
        assert row["CBC"] == cells[int(row["cell_id"]) - 1]
        assert (row["CBC"] if row["strand"] == "+" else reverse_complement(row["CBC"])) in seq


def test_the_seq_order_is_the_one_the_model_was_trained_on_unless_named(tmp_path: Path) -> None:
    from specdsl.systems.tranquillyzer.demux_run import model_seq_order

    model = _write(tmp_path / "m.keras", "")
    with pytest.raises(SpecError, match="cannot tell which seq order") as err:
        model_seq_order(model, None, None)
    assert err.value.path == "--seq-order"
    assert model_seq_order(model, "10x5p_sc_ont", None).labels[-1] == "3p"
    _write(tmp_path / "m.history.json", json.dumps({"config": {"model": "10x3p_sc_ont"}}))
    assert model_seq_order(model, None, None).barcodes == ("CBC",)
