"""tranquillyzer's workflow end to end: simulate-data → train-model (a small layout) → specdsl annotate.

One short training run (module fixture, about a minute on 2 CPU cores: 500 reads, 3 epochs of a
25 k-parameter CnnLstmCrf; 32 filters and 16 LSTM units took as long and reached only 0.8999)
serves every test: its artifacts and formats, ≥ 90 % per-base accuracy on freshly simulated reads
(0.93), annotation of FASTQ reads in both orientations and of a long read in windows, and the
errors users meet.  The reads are valid ones (``--invalid-fraction 0``; cDNA 50–150 bases, 55–60 %
of the bases): the invalid types are tested on the simulator, and leaving them
out keeps the run short enough for the suite.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from specdsl.cli import main

pytestmark = pytest.mark.slow
keras = pytest.importorskip("keras")

MODEL = "10x3p_sc_ont"
SMALL = {"batch_size": "8", "train_fraction": "0.85", "vocab_size": "5", "embedding_dim": "8", "conv_layers": "1",
         "conv_filters": "64", "conv_kernel_size": "15", "lstm_layers": "1", "lstm_units": "24",
         "bidirectional": "TRUE", "crf_layer": "TRUE", "attention_heads": "0", "dropout_rate": "0.0",
         "regularization": "0", "learning_rate": "0.01", "epochs": "3"}
CDNA = ["--min-cDNA", "50", "--max-cDNA", "150", "--invalid-fraction", "0"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("tq")
    params = out / "params.tsv"
    params.write_text(f"parameter\t{MODEL}\n" + "".join(f"{k}\t{v}\n" for k, v in SMALL.items()))
    assert main(["tranquillyzer", "simulate-data", MODEL, str(out), "--num-reads", "500", "--seed", "5", *CDNA]) == 0
    assert main(["tranquillyzer", "train-model", MODEL, str(out), "--param-file", str(params), "--num-val-reads", "10",
                 *CDNA]) == 0
    return {"out": out, "folder": out / f"{MODEL}_0", "prefix": out / f"{MODEL}_0" / f"{MODEL}_0", "params": params}


def fresh_reads(count: int, seed: int):
    from specdsl.systems.tranquillyzer.seq_orders import seq_order
    from specdsl.systems.tranquillyzer.simulator import SimulationOptions, Simulator, simulate

    sim = Simulator(seq_order(MODEL), SimulationOptions(num_reads=count, seed=seed, min_cDNA=50, max_cDNA=150,
                                                        invalid_fraction=0))
    tokens, labels = [], []
    for chunk in simulate(sim, 1):
        tokens += chunk[0]
        labels += chunk[1]
    return tokens, labels, sim.classes


def test_train_model_writes_tranquillyzers_artifacts(trained: dict) -> None:
    p = trained["prefix"]
    for suffix in (".keras", ".history.json", "_params.json", "_labels.json", "_history.tsv", "_val_viz.png",
                   "_val_viz.pdf"):
        assert Path(f"{p}{suffix}").is_file(), suffix
    assert json.loads(Path(f"{p}_params.json").read_text()) == SMALL  # the values as written, strings
    assert json.loads(Path(f"{p}_labels.json").read_text()) == ["3p", "5p", "CBC", "UMI", "cDNA", "polyT"]
    rows = list(csv.reader(open(f"{p}_history.tsv"), delimiter="\t"))
    assert rows[0][:4] == ["loss", "accuracy", "val_loss", "val_accuracy"] and "val_val_accuracy" not in rows[0]
    history = json.loads(Path(f"{p}.history.json").read_text())
    assert len(rows) - 1 == len(history["loss"]) >= 1
    assert float(rows[-1][1]) == pytest.approx(history["acc"][-1])
    assert Path(f"{p}_val_viz.pdf").read_bytes()[:4] == b"%PDF"
    from specdsl.api import load_model

    model = load_model(f"{p}.keras")  # safe_mode=True
    assert model.count_params() > 0 and model.inputs[0].dtype == "int32"


def test_a_short_run_labels_fresh_reads_at_90_percent_per_base(trained: dict) -> None:
    from specdsl.systems.tranquillyzer.annotate import label_reads, load_annotator

    tokens, truth, classes = fresh_reads(150, seed=99)
    cdna = sum(int((t == classes.index("cDNA")).sum()) for t in truth) / sum(len(t) for t in truth)
    assert 0.5 <= cdna <= 0.7  # labelling everything cDNA would score this
    predicted = label_reads(load_annotator(trained["folder"]), tokens)
    accuracy = sum(int((p == t).sum()) for p, t in zip(predicted, truth)) / sum(len(t) for t in truth)
    assert accuracy >= 0.90, accuracy


def _rows(path: Path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_annotate_labels_fastq_reads_in_both_orientations(trained: dict, tmp_path: Path, capsys) -> None:
    from specdsl.systems.tranquillyzer.tokens import decode

    tokens, truth, classes = fresh_reads(40, seed=7)
    fastq = tmp_path / "reads.fastq"
    with open(fastq, "w") as f:
        for i, t in enumerate(tokens):
            f.write(f"@read{i} extra words\n{decode(t)}\n+\n{'I' * len(t)}\n")
    out = tmp_path / "annotations.tsv"
    assert main(["annotate", str(trained["folder"]), str(fastq), "-o", str(out)]) == 0
    assert "reads/s" in capsys.readouterr().out
    rows = _rows(out)
    assert list(rows[0]) == ["read_id", "label", "start", "end", "strand", "score", "sequence"]
    right = total = 0
    for i, (t, y) in enumerate(zip(tokens, truth)):
        mine = [r for r in rows if r["read_id"] == f"read{i}"]
        starts, ends = [int(r["start"]) for r in mine], [int(r["end"]) for r in mine]
        assert starts[0] == 0 and ends[-1] == len(t) and starts[1:] == ends[:-1]  # segments tile the read
        assert all(r["sequence"] == decode(t)[int(r["start"]):int(r["end"])] for r in mine)
        assert len({r["strand"] for r in mine}) == 1
        path = np.zeros(len(t), int)
        for r in mine:
            path[int(r["start"]):int(r["end"])] = classes.index(r["label"])
        right += int((path == y).sum())
        total += len(y)
    assert right / total >= 0.88


def test_annotate_reads_demultiplexes_a_trained_models_reads(trained: dict, tmp_path: Path, capsys) -> None:
    out = tmp_path / "sim"
    assert main(["tranquillyzer", "simulate-data", MODEL, str(out), "--num-reads", "30", "--seed", "8", "--num-cells",
                 "5", "--fasta", *CDNA]) == 0
    data = out / "simulated_data"
    capsys.readouterr()
    assert main(["tranquillyzer", "annotate-reads", str(trained["out"]), str(data / "barcodes.tsv"), "--reads",
                 str(data / "reads.fasta.gz"), "--model-name", f"{MODEL}_0", "--table-format", "tsv"]) == 0
    said = capsys.readouterr().out
    assert "CBC: distance to the nearest whitelist barcode" in said and "reads/s" in said
    res = trained["out"]
    truth = {r["read_id"]: r["cell_id"] for r in _rows(data / "true_cells.tsv")}
    valid = _rows(res / "annotations_valid.tsv")
    assert len(valid) + len(_rows(res / "annotations_invalid.tsv")) == 60
    assigned = [r for r in valid if r["cell_id"]]
    assert sum(r["cell_id"] == truth[r["ReadName"]] for r in assigned) >= 0.9 * len(assigned)
    assert (res / "demuxed_fasta" / "demuxed.fasta").is_file() and (res / "plots" / "demux_plots.png").is_file()


def test_annotate_decodes_a_long_read_in_windows(trained: dict, tmp_path: Path) -> None:
    from specdsl.systems.tranquillyzer.tokens import decode

    tokens, _, _ = fresh_reads(30, seed=3)
    read = "".join(decode(t) for t in tokens)  # ≈ 12 kb of concatenated molecules
    fasta = tmp_path / "long.fa"
    fasta.write_text(f">long\n{read[:5000]}\n{read[5000:]}\n>short\nACGTACGT\n")
    out = tmp_path / "long.tsv"
    assert main(["annotate", str(trained["prefix"]) + ".keras", str(fasta), "-o", str(out), "--window", "2048",
                 "--overlap", "128", "--strand", "forward"]) == 0
    rows = [r for r in _rows(out) if r["read_id"] == "long"]
    assert int(rows[-1]["end"]) == len(read) > 10_000 and "".join(r["sequence"] for r in rows) == read
    assert sum(r["label"] == "5p" for r in rows) >= 20  # most of the 60 molecules' adapters found across windows


def test_bad_inputs_exit_2_with_a_clear_message(trained: dict, tmp_path: Path, capsys) -> None:
    fastq = tmp_path / "cut.fastq"
    fastq.write_text("@a\nACGTACGT\n+\nIIIIIIII\n@b\nACGTAC\n")
    out = tmp_path / "never.tsv"
    assert main(["annotate", str(trained["folder"]), str(fastq), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{fastq}: truncated FASTQ record 'b' (line 5)" in err and not out.exists()
    (tmp_path / "old_w_CRF.h5").write_bytes(b"\x89HDF")
    assert main(["annotate", str(tmp_path / "old_w_CRF.h5"), str(fastq), "-o", str(out)]) == 2
    assert "models trained by tranquillyzer itself" in capsys.readouterr().err
    empty = tmp_path / "empty_run"
    assert main(["tranquillyzer", "train-model", MODEL, str(empty), "--param-file", str(trained["params"])]) == 2
    assert "no simulated reads" in capsys.readouterr().err


def test_resume_keeps_finished_variants(trained: dict, capsys) -> None:
    before = Path(f"{trained['prefix']}.keras").stat().st_mtime_ns
    assert main(["tranquillyzer", "train-model", MODEL, str(trained["out"]), "--param-file", str(trained["params"]),
                 "--resume", *CDNA]) == 0
    assert "already trained" in capsys.readouterr().err
    assert Path(f"{trained['prefix']}.keras").stat().st_mtime_ns == before


def test_the_native_config_example_reads_the_same_file(trained: dict, tmp_path: Path) -> None:
    from specdsl.api import check_config

    example = Path(__file__).resolve().parent.parent / "examples" / "tranquillyzer_native.json"
    config = tmp_path / "native.json"
    config.write_text(example.read_text().replace("out/tranquillyzer-demo", str(trained["out"])))
    plan = check_config(config)
    assert plan.reader.name == "labelled-reads" and (plan.examples["train"], plan.examples["val"]) == (800, 200)
