"""tranquillyzer's files without TensorFlow: seq orders, the params grid, the simulator and its format,
the restricted unpickler, FASTA/FASTQ reading, the length-bucketing batches, windows and segments."""

from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from specdsl.cli import main
from specdsl.errors import SpecError
from specdsl.formats.fastx import read_fastx
from specdsl.formats.reads_h5 import open_reads, write_reads
from specdsl.systems.tranquillyzer.legacy import convert_pickles, load_lists
from specdsl.systems.tranquillyzer.params import read_grid, typed
from specdsl.systems.tranquillyzer.seq_orders import read_seq_orders, seq_order
from specdsl.systems.tranquillyzer.simulator import KINDS, SimulationOptions, Simulator, simulate
from specdsl.systems.tranquillyzer.tokens import decode, encode, reverse_complement
from specdsl.systems.tranquillyzer.training import history_table

ADAPTER_5P = "TCTACACGACGCTCTTCCGATCT"


# ------------------------------------------------------------------ seq orders and params


def test_the_shipped_seq_orders_and_params_are_tranquillyzers() -> None:
    order = seq_order("10x3p_sc_ont")
    assert order.labels == ("5p", "CBC", "UMI", "polyT", "cDNA", "3p") and order.strand == "rev"
    assert [s.kind for s in order.segments] == ["literal", "random", "random", "homopolymer", "cdna", "literal"]
    assert order.classes == ["3p", "5p", "CBC", "UMI", "cDNA", "polyT"]  # LabelBinarizer's sorted order
    assert seq_order("10x5p_sc_ont").labels[-2:] == ("polyA", "3p")
    (variant,) = read_grid("10x3p_sc_ont")
    values = typed(variant)
    assert variant.name == "10x3p_sc_ont_0" and variant.raw()["bidirectional"] == "TRUE"
    assert (values["conv_layers"], values["conv_filters"], values["conv_kernel_size"], values["lstm_units"],
            values["epochs"], values["batch_size"], values["crf_layer"]) == (3, 128, 25, 96, 1, 128, True)


def test_comma_lists_make_a_grid_in_tranquillyzers_order_the_last_row_fastest(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "specdsl/systems/tranquillyzer/data/training_params.tsv").read_text()
    text = text.replace("conv_filters\t128\t128", "conv_filters\t128\t64,128").replace(
        "lstm_units\t96\t96", "lstm_units\t96\t64,96")
    path = tmp_path / "params.tsv"
    path.write_text(text)
    grid = read_grid("10x3p_sc_ont", path)
    assert [v.idx for v in grid] == [0, 1, 2, 3]
    assert [(typed(v)["conv_filters"], typed(v)["lstm_units"]) for v in grid] == [(64, 64), (64, 96), (128, 64),
                                                                                  (128, 96)]
    assert [typed(v)["conv_layers"] for v in grid] == [3, 3, 3, 3]


@pytest.mark.parametrize(("edit", "message"), [
    (("lstm_units\t96", "lstm_unitz\t96"), "unknown parameter 'lstm_unitz'"),
    (("conv_layers\t4\t3", "conv_layers\t4\tthree"), "'three' is not valid for conv_layers"),
    (("bidirectional\tTRUE\tTRUE", "bidirectional\tTRUE\tyes"), "'yes' is not valid for bidirectional"),
    (("vocab_size\t5\t5", "vocab_size\t5\t4"), "at least 5"),
    (("epochs\t5\t1\n", ""), "lacks epochs"),
])
def test_a_bad_params_file_is_reported_where_it_is_wrong(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    text = (Path(__file__).parents[1] / "specdsl/systems/tranquillyzer/data/training_params.tsv").read_text()
    assert edit[0] in text
    path = tmp_path / "params.tsv"
    path.write_text(text.replace(*edit))
    with pytest.raises(SpecError) as err:
        read_grid("10x3p_sc_ont", path)
    assert message in str(err.value) and (str(path) in err.value.render())


def test_bad_seq_orders_and_missing_models_exit_2_with_a_clear_message(tmp_path: Path, capsys) -> None:
    assert main(["tranquillyzer", "simulate-data", "10x3p_sc_ontt", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "model '10x3p_sc_ontt' is not in" in err and "did you mean '10x3p_sc_ont'" in err
    bad = tmp_path / "orders.tsv"
    bad.write_text('mine\t"5p,CBC,cDNA"\t"ACGT,N16"\tCBC\n')  # three labels, two patterns, five fields missing one
    assert main(["tranquillyzer", "simulate-data", "mine", str(tmp_path), "--training-seq-orders-file", str(bad)]) == 2
    assert f"{bad}:1:1:" in capsys.readouterr().err
    bad.write_text('mine\t"5p,CBC,cDNA"\t"ACGT,N16"\tCBC\tUMI\n')
    with pytest.raises(SpecError, match="3 segment labels but 2 patterns"):
        read_seq_orders(bad)
    bad.write_text('mine\t"5p,CBC,cDNA"\t"ACGT,X16,NN"\tCBC\tUMI\tfwd\n')
    with pytest.raises(SpecError, match="'X16', which is not N<k>") as err:
        read_seq_orders(bad)
    assert err.value.span.line == 1 and err.value.span.column > 10
    assert main(["tranquillyzer", "train-model", "nosuch", str(tmp_path)]) == 2
    assert "model 'nosuch' is not in" in capsys.readouterr().err
    assert main(["tranquillyzer", "preprocess", str(tmp_path)]) == 2
    assert "downstream steps" in capsys.readouterr().err


# ------------------------------------------------------------------ the simulator and its file


def _sim(**kw) -> tuple[Simulator, list]:
    options = SimulationOptions(**{"num_reads": 600, "seed": 11, **kw})
    sim = Simulator(seq_order("10x3p_sc_ont"), options)
    chunks = list(simulate(sim, 1))
    return sim, chunks


def _flat(chunks: list) -> tuple[list, list, np.ndarray, np.ndarray]:
    tokens = [t for c in chunks for t in c[0]]
    labels = [lab for c in chunks for lab in c[1]]
    return tokens, labels, np.array([k for c in chunks for k in c[2]]), np.array([s for c in chunks for s in c[3]])


def _segments_of(sim: Simulator, tokens: np.ndarray, labels: np.ndarray, name: str) -> list[str]:
    """The bases of each run of label ``name`` in a read."""
    target = sim.classes.index(name)
    inside = np.concatenate([[0], (labels == target).astype(int), [0]])
    starts, ends = np.flatnonzero(np.diff(inside) == 1), np.flatnonzero(np.diff(inside) == -1)
    return [decode(tokens[a:b]) for a, b in zip(starts, ends)]


def test_seeded_runs_repeat_whatever_the_threads() -> None:
    _, one = _sim()
    sim, chunks = _sim(num_reads=1200)
    two = list(simulate(sim, 2))
    assert all(np.array_equal(a, b) for a, b in zip(_flat(chunks)[0], _flat(two)[0]))
    assert all(np.array_equal(a, b) for a, b in zip(_flat(one)[0], _flat(chunks)[0]))  # a prefix of a longer run
    _, other = _sim(seed=12)
    assert not np.array_equal(_flat(one)[0][0], _flat(other)[0][0])


def test_valid_reads_follow_the_seq_order_and_rc_pairs_mirror_each_other() -> None:
    sim, chunks = _sim(mismatch_rate=0, insertion_rate=0, deletion_rate=0, polyT_error_rate=0, invalid_fraction=0)
    tokens, labels, kinds, strands = _flat(chunks)
    assert len(tokens) == 1200 and list(strands[:4]) == [0, 1, 0, 1] and not kinds.any()
    names = np.array(sim.classes)
    for t, lab in zip(tokens[::2], labels[::2]):
        runs = [names[lab[0]]] + [names[b] for a, b in zip(lab[:-1], lab[1:]) if a != b]
        core = [r for r in runs if r != "cDNA"]
        assert core in (["5p", "CBC", "UMI", "polyT", "3p"], ["5p", "CBC", "UMI", "3p"])  # polyT may be empty
        assert _segments_of(sim, t, lab, "5p") == [ADAPTER_5P]
        assert set("".join(_segments_of(sim, t, lab, "polyT"))) <= {"T"}
        cdna = sum(len(s) for s in _segments_of(sim, t, lab, "cDNA"))
        assert 100 <= cdna <= 499 + 2 * 49
    for a, b, la, lb in zip(tokens[::2], tokens[1::2], labels[::2], labels[1::2]):
        assert np.array_equal(reverse_complement(a), b) and np.array_equal(la[::-1], lb)


@pytest.mark.parametrize(("rates", "length", "mismatches"), [
    ({"mismatch_rate": 0.1, "insertion_rate": 0, "deletion_rate": 0}, 23.0, 0.1),
    ({"mismatch_rate": 0, "insertion_rate": 0.1, "deletion_rate": 0}, 23 * 1.1, None),
    ({"mismatch_rate": 0, "insertion_rate": 0, "deletion_rate": 0.1}, 23 * 0.9, None),
])
def test_the_error_model_hits_adapters_at_the_given_rates(rates: dict, length: float, mismatches: float | None) -> None:
    sim, chunks = _sim(num_reads=1500, rc=False, invalid_fraction=0, polyT_error_rate=0, **rates)
    tokens, labels, _, _ = _flat(chunks)
    adapters = [s for t, lab in zip(tokens, labels) for s in _segments_of(sim, t, lab, "5p")]
    assert len(adapters) == 1500
    mean = np.mean([len(a) for a in adapters])
    assert abs(mean - length) < 0.25, mean  # ± ~4 standard errors
    if mismatches is not None:
        wrong = np.mean([x != y for a in adapters for x, y in zip(a, ADAPTER_5P)])
        assert abs(wrong - mismatches) < 0.012, wrong
    polyt = "".join(s for t, lab in zip(tokens, labels) for s in _segments_of(sim, t, lab, "polyT"))
    assert set(polyt) <= {"T"}  # polyT error rate 0


def test_cdna_gets_no_errors_and_comes_from_the_transcriptome(tmp_path: Path) -> None:
    fasta = tmp_path / "tx.fa.gz"
    with gzip.open(fasta, "wt") as f:
        f.write(">t1 one\n" + "G" * 300 + "\nG" * 1 + "\n>t2\n" + "G" * 40 + "\n")
    from specdsl.systems.tranquillyzer.simulator import load_transcripts

    transcripts = load_transcripts(str(fasta))
    assert [len(t) for t in transcripts] == [301, 40]
    options = SimulationOptions(num_reads=300, seed=3, mismatch_rate=0.3, insertion_rate=0.1, deletion_rate=0.1,
                                invalid_fraction=0, rc=False)
    sim = Simulator(seq_order("10x3p_sc_ont"), options, transcripts)
    tokens, labels, _, _ = _flat(list(simulate(sim, 1)))
    cdna = "".join(s for t, lab in zip(tokens, labels) for s in _segments_of(sim, t, lab, "cDNA"))
    assert set(cdna) == {"G"}
    adapters = "".join(s for t, lab in zip(tokens, labels) for s in _segments_of(sim, t, lab, "5p"))
    assert adapters.count("G") < len(adapters)


def test_invalid_reads_come_in_five_types_at_the_given_fraction() -> None:
    sim, chunks = _sim(num_reads=3000, invalid_fraction=0.3, rc=False)
    tokens, labels, kinds, _ = _flat(chunks)
    share = np.bincount(kinds, minlength=len(KINDS)) / len(kinds)
    assert abs(1 - share[0] - 0.3) < 0.04 and all(abs(s - 0.06) < 0.02 for s in share[1:])
    names = np.array(sim.classes)
    for t, lab, kind in zip(tokens, labels, kinds):
        if KINDS[kind] == "repeat_adapter_5p":  # the first segment three times before a valid read
            assert names[lab[0]] == "5p" and sum(len(s) for s in _segments_of(sim, t, lab, "5p")) >= 60
        if KINDS[kind] == "concat":
            assert (lab == sim.classes.index("3p")).sum() >= 50


def test_reads_h5_round_trips_and_refuses_damaged_files(tmp_path: Path) -> None:
    sim, chunks = _sim(num_reads=100)
    path = tmp_path / "reads.h5"
    with write_reads(path, sim.classes, KINDS, {"seed": 11}) as w:
        for c in chunks:
            w.append(*c)
    opened = open_reads(path)
    tokens, labels, kinds, strands = _flat(chunks)
    assert opened.reads == 200 and opened.label_names == sim.classes and opened.info == {"seed": 11}
    got = opened.block(0, 200, with_kinds=True)
    assert all(np.array_equal(a, b) for a, b in zip(got["tokens"], tokens))
    assert all(np.array_equal(a, b) for a, b in zip(got["labels"], labels))
    assert np.array_equal(got["kinds"], kinds) and np.array_equal(got["strands"], strands)
    import h5py

    with h5py.File(path, "a") as h5:
        h5["labels"][5] = 9
    with pytest.raises(SpecError, match="label id 9"):
        open_reads(path)
    (tmp_path / "junk.h5").write_text("not hdf5")
    with pytest.raises(SpecError, match="not an HDF5 file"):
        open_reads(tmp_path / "junk.h5")


def test_simulate_data_command_writes_reads_h5_and_fasta(tmp_path: Path, capsys) -> None:
    args = ["tranquillyzer", "simulate-data", "10x3p_sc_ont", str(tmp_path), "--num-reads", "50", "--seed", "4",
            "--fasta", "--min-cdna", "20", "--max-cDNA", "40", "--no-rc"]
    assert main(args) == 0
    opened = open_reads(tmp_path / "simulated_data" / "reads.h5")
    assert opened.reads == 50 and opened.info["options"]["seed"] == 4 and not opened.info["options"]["rc"]
    records = list(read_fastx(tmp_path / "simulated_data" / "reads.fasta.gz"))
    assert [r.id for r in records[:2]] == ["sim0", "sim1"]
    assert records[0].sequence.decode() == decode(opened.block(0, 1)["tokens"][0])
    assert main(args[:-1]) == 0 and open_reads(tmp_path / "simulated_data" / "reads.h5").reads == 100  # --rc
    assert main(["tranquillyzer", "simulate-data", "10x3p_sc_ont", str(tmp_path), "--mismatch-rate", "1.5"]) == 2
    assert "--mismatch-rate: must lie in [0, 1]" in capsys.readouterr().err


# ------------------------------------------------------------------ tranquillyzer's pickles


class _Evil:
    def __reduce__(self):  # noqa: D105 - a pickle that runs code when loaded
        return (os.system, ("touch PWNED",))


def test_the_unpickler_admits_lists_and_strings_only(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    reads, labels = tmp_path / "reads.pkl", tmp_path / "labels.pkl"
    reads.write_bytes(pickle.dumps(["ACGTN", "TTT"]))
    labels.write_bytes(pickle.dumps([["5p"] * 5, ["cDNA", "cDNA", "3p"]]))
    assert load_lists(reads, 1) == ["ACGTN", "TTT"] and load_lists(labels, 2)[1] == ["cDNA", "cDNA", "3p"]
    for value, why in ((_Evil(), "posix.system"), ([_Evil()], "posix.system"), ({"a": "b"}, "dict"),
                       (("ACGT",), "tuple"), ([1, 2], "not a string"), ([b"ACGT"], "not a string"),
                       (np.zeros(3), "numpy")):
        bad = tmp_path / "bad.pkl"
        bad.write_bytes(pickle.dumps(value))
        with pytest.raises(SpecError, match="refused") as err:
            load_lists(bad, 1)
        assert why in str(err.value) or why == "posix.system" and "system" in str(err.value)
    assert not (tmp_path / "PWNED").exists()  # the payload never ran
    out = tmp_path / "reads.h5"
    assert convert_pickles(reads, labels, out, ["3p", "5p", "cDNA"], {}) == 2
    got = open_reads(out).block(0, 2)
    assert decode(got["tokens"][0]) == "ACGTN" and list(got["labels"][1]) == [2, 2, 0]
    labels.write_bytes(pickle.dumps([["5p"] * 5, ["cDNA", "UMI", "3p"]]))
    with pytest.raises(SpecError, match="label\\(s\\) UMI"):
        convert_pickles(reads, labels, out, ["3p", "5p", "cDNA"], {})


# ------------------------------------------------------------------ FASTA / FASTQ


def test_fastq_and_fasta_stream_and_damage_is_named_with_its_line(tmp_path: Path) -> None:
    fq = tmp_path / "r.fastq"
    fq.write_text("@a x\nACGT\n+\nIIII\n\n@b\nGG\n+b\nII\n")
    assert [(r.id, r.sequence, r.line) for r in read_fastx(fq)] == [("a", b"ACGT", 1), ("b", b"GG", 6)]
    fa = tmp_path / "r.fa.gz"
    with gzip.open(fa, "wt") as f:
        f.write(">one desc\nACG\nTT\n>two\n\n>three\nA\n")
    assert [(r.id, r.sequence) for r in read_fastx(fa)] == [("one", b"ACGTT"), ("two", b""), ("three", b"A")]
    cases = {"@a\nACGT\n+\nIIII\n@b\nACGT\n": "truncated FASTQ record 'b' (line 5): the file ends before its '+'",
             "@a\nACGT\n+\nIII\n": "line 4: the quality line of 'a' has 3 characters but its sequence has 4",
             "@a\nACGT\nIIII\n": "line 3: expected '+' after the sequence of 'a'",
             "@a\nACGT\n+\nIIII\nb\nACGT\n+\nIIII\n": "line 5: expected a FASTQ header",
             "hello\n": "neither FASTA"}
    for text, message in cases.items():
        fq.write_text(text)
        with pytest.raises(SpecError) as err:
            list(read_fastx(fq))
        assert message in str(err.value) and str(fq) in str(err.value)
    whole = gzip.compress(b"@a\nACGT\n+\nIIII\n" * 2000)
    (tmp_path / "cut.fq.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(SpecError, match="gzip stream ends early"):
        list(read_fastx(tmp_path / "cut.fq.gz"))


def test_tokens() -> None:
    assert list(encode("ACGTNacgtuRY-")) == [1, 2, 3, 4, 5, 1, 2, 3, 4, 4, 5, 5, 5]
    assert decode(reverse_complement(encode("AACGN"))) == "NCGTT"


# ------------------------------------------------------------------ batches, windows, segments, history


def test_batches_group_reads_by_length_and_pad_with_0_and_minus_1(tmp_path: Path) -> None:
    from specdsl.training.readers.labelled_reads import Span, length_batches

    sim, chunks = _sim(num_reads=1500)
    path = tmp_path / "reads.h5"
    with write_reads(path, sim.classes, KINDS, {}) as w:
        for c in chunks:
            w.append(*c)
    lengths = open_reads(path).lengths
    for rng in (None, np.random.default_rng(0)):
        seen, padding = [], 0
        batches = list(length_batches([Span(str(path), 100, 3000)], 32, rng))
        assert len(batches) == -(-2900 // 32)
        for x, y in batches:
            assert x.shape == y.shape and x.shape[1] % 8 == 0 and len(x) <= 32
            real = x > 0
            assert np.array_equal(real, y >= 0) and (x[~real] == 0).all() and (y[~real] == -1).all()
            n = real.sum(1)
            assert (real == (np.arange(x.shape[1])[None] < n[:, None])).all()  # right-padded
            seen += list(n)
            padding += (~real).sum()
        assert sorted(seen) == sorted(lengths[100:3000])
        assert padding < 0.1 * sum(seen)  # sorted by length: little padding


def test_windows_tile_a_long_read_and_keep_away_from_window_edges() -> None:
    from specdsl.systems.tranquillyzer.annotate import segments, windows

    assert windows(100, 4096, 256) == [(0, 100, 0, 100)]
    for n in (4097, 10_000, 100_003):
        ws = windows(n, 4096, 256)
        assert ws[0][2] == 0 and ws[-1][3] == n and all(b - a == 4096 for a, b, _, _ in ws)
        assert all(ws[k][3] == ws[k + 1][2] for k in range(len(ws) - 1))
        for k, (a, b, k0, k1) in enumerate(ws):
            assert a <= k0 < k1 <= b
            assert k == 0 or k0 - a >= 256
            assert k == len(ws) - 1 or b - k1 >= 256
    assert segments(np.array([2, 2, 0, 0, 0, 3])) == [(2, 0, 2), (0, 2, 5), (3, 5, 6)]


def test_the_history_tsv_uses_keras_metric_names() -> None:
    history = {"acc": [0.5, 0.8], "loss": [3.0, 1.0], "val_acc": [0.6, 0.9], "val_loss": [2.0, 1.5],
               "learning_rate": [0.01, 0.005], "config": {}, "validation-scores": {}}
    names, rows = history_table(history)
    assert names == ["loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"]
    assert rows == [[3.0, 0.5, 2.0, 0.6, 0.01], [1.0, 0.8, 1.5, 0.9, 0.005]]


def test_train_model_reads_tranquillyzers_pickles_once_converted(tmp_path: Path) -> None:
    from specdsl.systems.tranquillyzer.commands.train_model import reads_file

    folder = tmp_path / "simulated_data"
    folder.mkdir()
    (folder / "reads.pkl").write_bytes(pickle.dumps(["ACGT", "GGA"]))
    (folder / "labels.pkl").write_bytes(pickle.dumps([["5p", "5p", "cDNA", "cDNA"], ["3p"] * 3]))
    order = seq_order("10x3p_sc_ont")
    path = reads_file(tmp_path, order, 0)
    assert path == str(folder / "reads.h5") and open_reads(path).reads == 2
    (folder / "reads.pkl").write_bytes(pickle.dumps(_Evil()))
    assert reads_file(tmp_path, order, 0) == path  # reads.h5 is there now: the pickles are not read again
    with pytest.raises(SpecError, match="no simulated reads"):
        reads_file(tmp_path / "elsewhere", order, 0)
