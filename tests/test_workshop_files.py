"""The workshop's files without TensorFlow: one-hot CSVs, FASTA, labels, the BAM pileup, and every bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from specdsl.cli import main
from specdsl.errors import SpecError
from specdsl.formats.onehot_csv import decode, encode, read_onehot, sample_name, write_onehot

# --------------------------------------------------------------------------- one-hot files


def test_encoding_is_acgt_with_zero_rows_for_anything_else() -> None:
    onehot = encode("ACGTNacgtR-")
    assert onehot.shape == (11, 4) and onehot.dtype == np.float32
    assert onehot[:4].tolist() == np.eye(4).tolist() and onehot[5:9].tolist() == np.eye(4).tolist()
    assert not onehot[[4, 9, 10]].any()
    assert decode(onehot) == "ACGTNACGTNN"


def test_write_read_round_trip_with_uncovered_positions(tmp_path: Path) -> None:
    seq = "ACGTTGCANNA" * 30
    path = write_onehot(tmp_path / "ISO1_oh.csv", encode(seq))
    text = path.read_text()
    assert text.startswith("A,C,G,T\n1,0,0,0\n0,1,0,0\n0,0,1,0\n0,0,0,1\n") and "\n0,0,0,0\n" in text
    assert decode(read_onehot(path)) == seq
    assert sample_name(path) == "ISO1" and sample_name("x/ERR6634978_oh.csv") == "ERR6634978"


def test_windows_line_ends_spaces_and_decimals_read_the_same(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(b"A,C,G,T\r\n1, 0, 0, 0\r\n0.0,1.0,0,0\r\n0,0,0,0\r\n\r\n")
    assert read_onehot(path).tolist() == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]


@pytest.mark.parametrize(("body", "where", "words"), [
    ("A,C,T,G\n1,0,0,0\n", 1, "not A,C,G,T"),
    ("a,c,g,t\n1,0,0,0\n", 1, "upper case"),
    ("A,C,G,T\n1,0,0,0\n1,1,0,0\n", 3, "not one-hot"),
    ("A,C,G,T\n1,0,0,0\n0,2,0,0\n", 3, "'2' is not 0 or 1"),
    ("A,C,G,T\n1,0,0\n", 2, "3 value(s)"),
    ("A,C,G,T\n1,0,0,0\n\n0,1,0,0\n", 3, "blank line"),
    ("A,C,G,T\n", None, "no positions"),
])
def test_a_bad_onehot_file_is_named_with_its_line(tmp_path: Path, body: str, where: int | None, words: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(SpecError) as info:
        read_onehot(path)
    assert info.value.file == (f"{path}:{where}" if where else str(path))
    assert words in info.value.message


def test_onehot_verb_writes_one_file_per_fasta_record(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    fasta = tmp_path / "isolates.fa"
    fasta.write_text(">ISO1 lineage 2\nACGTAC\nGTNN\n>ISO2\nTTTTGGGGCC\n")
    assert main(["onehot", str(fasta), "-o", str(tmp_path / "oh")]) == 0
    assert "wrote 2 one-hot file(s) of 10 positions" in capsys.readouterr().out
    assert decode(read_onehot(tmp_path / "oh" / "ISO1.csv")) == "ACGTACGTNN"
    assert decode(read_onehot(tmp_path / "oh" / "ISO2.csv")) == "TTTTGGGGCC"


# --------------------------------------------------------------------------- the data set, checked without training


def _dataset(root: Path, *, seqs: dict[str, str] | None = None, labels: str | None = None) -> Path:
    seqs = seqs or {"S1": "ACGTACGTAA" * 3, "S2": "ACGTACGTCC" * 3, "S3": "TTGTACGTAA" * 3, "S4": "ACGAACGTAA" * 3}
    (root / "train.fa").write_text("".join(f">{k}\n{v}\n" for k, v in seqs.items()))
    (root / "train.labels.csv").write_text(labels or "sample,isoniazid,rifampicin\nS1,1,0\nS2,0,\nS3,1,1\nS4,NA,0\n")
    config = {"kind": "specdsl-train", "output-prefix": str(root / "out" / "m"),
              "model": {"architecture": "conv[4@3]_gmp"},
              "heads": [{"kind": "binary", "head-name": "drugs", "targets": [".*"]}],
              "data": {"reader": "sequence-labels", "train": str(root / "train.fa")},
              "schedule": {"batch-size": 2}}
    (root / "cfg.json").write_text(json.dumps(config))
    return root / "cfg.json"


def test_check_reads_sequences_and_labels_without_tensorflow(tmp_path: Path) -> None:
    config = _dataset(tmp_path)
    code = ("import sys; from specdsl.cli import main; rc = main(['check', sys.argv[1]]); "
            "bad = [m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules]; "
            "sys.exit(f'imported {bad}' if bad else rc)")
    done = subprocess.run([sys.executable, "-c", code, str(config)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "outputs isoniazid, rifampicin; 4 training and 0 validation examples (sequence-labels)" in done.stdout


def test_labels_are_masked_where_blank(tmp_path: Path) -> None:
    from specdsl.api import check_config

    plan = check_config(str(_dataset(tmp_path)))
    assert plan.reader.labels(plan.ir, "rifampicin").tolist() == [0, -1, 1, 0]
    assert plan.reader.labels(plan.ir, "isoniazid").tolist() == [1, 0, 1, -1]


def _check_fails(config: Path, capsys: pytest.CaptureFixture) -> str:
    assert main(["check", str(config)]) == 2
    return capsys.readouterr().err


def test_sequences_of_unequal_length_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = _dataset(tmp_path, seqs={"S1": "ACGT" * 5, "S2": "ACGT" * 5, "S3": "ACG", "S4": "ACGT" * 5})
    err = _check_fails(config, capsys)
    # the config's line is shown with a caret under data.train; the message names the FASTA's line
    assert f"{tmp_path}/train.fa:5: sample 'S3' has 3 positions, but 'S1' ({tmp_path}/train.fa:1) has 20" in err


def test_labels_naming_missing_samples_and_samples_without_labels_are_refused(tmp_path: Path,
                                                                              capsys: pytest.CaptureFixture) -> None:
    config = _dataset(tmp_path, labels="sample,isoniazid\nS1,1\nS2,0\nS3,1\nS9,0\n")
    err = _check_fails(config, capsys)
    assert f"{tmp_path}/train.fa:7: sample 'S4' has no row in {tmp_path}/train.labels.csv" in err
    assert f"{tmp_path}/train.labels.csv:5: sample 'S9' is labelled but is not in {tmp_path}/train.fa" in err


@pytest.mark.parametrize(("labels", "where", "words"), [
    ("id,isoniazid\nS1,1\n", 1, "no 'sample' column"),
    ("sample,isoniazid\nS1,1\nS2,R\nS3,0\nS4,1\n", 3, "'R' in column 'isoniazid' is not a label"),
    ("sample,isoniazid\nS1,1\nS2\nS3,0\nS4,1\n", 3, "1 cell(s), but the header has 2 columns"),
    ("sample,isoniazid\nS1,1\nS1,0\n", 3, "sample 'S1' appears twice (first at line 2)"),
])
def test_bad_labels_files_name_the_line(tmp_path: Path, capsys: pytest.CaptureFixture, labels: str, where: int,
                                        words: str) -> None:
    err = _check_fails(_dataset(tmp_path, labels=labels), capsys)
    assert f"{tmp_path}/train.labels.csv:{where}:" in err and words in err


@pytest.mark.parametrize(("fasta", "where", "words"), [
    (">S1\nACGTX\n", 2, "'X' (column 5) is not a DNA letter"),
    (">S1\nACGT\n>S1\nACGT\n", 3, "record 'S1' appears twice"),
    ("ACGT\n", 1, "not a FASTA file"),
    (">S1\n>S2\nACGT\n", 1, "record 'S1' has no sequence"),
])
def test_bad_fasta_files_name_the_line(tmp_path: Path, capsys: pytest.CaptureFixture, fasta: str, where: int,
                                       words: str) -> None:
    config = _dataset(tmp_path)
    (tmp_path / "train.fa").write_text(fasta)
    err = _check_fails(config, capsys)
    assert f"{tmp_path}/train.fa:{where}:" in err and words in err


def test_a_folder_of_onehot_files_trains_like_the_fasta(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from specdsl.api import check_config

    config = _dataset(tmp_path)
    assert main(["onehot", str(tmp_path / "train.fa"), "-o", str(tmp_path / "train")]) == 0
    cfg = json.loads(config.read_text())
    cfg["data"]["train"] = str(tmp_path / "train")
    config.write_text(json.dumps(cfg))
    plan = check_config(str(config))  # default labels: train.labels.csv beside the folder
    found = plan.fields.facts["labelled"]
    assert found.sets["train"].names == ["S1", "S2", "S3", "S4"]
    assert decode(found.sets["train"].fetch([2])[0]) == "TTGTACGTAA" * 3
    (tmp_path / "train" / "S2.csv").write_text("A,C,G,T\n1,0,0,0\n0,1,1,0\n")
    assert "S2.csv:3: the row '0,1,1,0' is not one-hot" in _check_fails(config, capsys)


# --------------------------------------------------------------------------- BAM pileup


def _bam(tmp_path: Path, reads: list[tuple[int, str, str, str]], index: bool = True) -> Path:
    """A coordinate-sorted BAM on chr1 (60 bp) from (start 0-based, cigar, sequence, qualities)."""
    import pysam

    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chr1", "LN": 60}]}
    path = tmp_path / "sample.bam"
    with pysam.AlignmentFile(str(path), "wb", header=header) as bam:
        for k, (start, cigar, seq, quals) in enumerate(sorted(reads)):
            read = pysam.AlignedSegment()
            read.query_name = f"r{k}"
            read.query_sequence = seq
            read.flag = 0
            read.reference_id = 0
            read.reference_start = start
            read.mapping_quality = 60
            read.cigarstring = cigar
            read.query_qualities = pysam.qualitystring_to_array(quals)
            bam.write(read)
    if index:
        pysam.index(str(path))
    return path


@pytest.fixture
def small_bam(tmp_path: Path) -> Path:
    q = "I" * 6
    reads = [
        (10, "6M", "AACCGG", q), (10, "6M", "AACCGG", q), (10, "6M", "ATCCGG", q),  # pos 11-16 (1-based)
        (12, "4M", "GCGG", "II#I"),  # pos 13-16; its C at 14 has quality 2: not counted
        (20, "2M1D3M", "ACTTT", "IIIII"), (20, "2M1D3M", "ACTTT", "IIIII"), (20, "5M", "ACGTT", "IIIII"),
    ]
    return _bam(tmp_path, reads)


def test_majority_base_per_reference_position(tmp_path: Path, small_bam: Path) -> None:
    from specdsl.formats.bam_pileup import bam_onehot

    (tmp_path / "regions.csv").write_text("chrom,start,end,name\nchr1,11,16,a\nchr1,21,25,b\n")
    onehot = bam_onehot(small_bam, tmp_path / "regions.csv", min_depth=2)
    # region a: A A C C G G with depth 3 (pos 12: A,A,T → A); pos 13: C,C,C,G → C; pos 14's G is low quality
    # region b: pos 21 A, 22 C, 23 deleted in two reads (only one G, depth 1 < 2 → N), 24 T, 25 T
    assert decode(onehot) == "AACCGG" + "ACNTT"
    ties = bam_onehot(small_bam, tmp_path / "regions.csv", min_depth=1)
    assert decode(ties) == "AACCGG" + "ACGTT"  # depth 1 is enough: the one G counts


def test_a_tie_is_no_call() -> None:
    from specdsl.formats.bam_pileup import majority

    counts = np.array([[3, 0, 0, 1], [2, 2, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]])
    assert decode(majority(counts, 1)) == "ANNA"
    assert decode(majority(counts, 2)) == "ANNN"


def test_bam_cli_and_the_workshops_bam2oh(tmp_path: Path, small_bam: Path, capsys: pytest.CaptureFixture) -> None:
    regions = tmp_path / "gene.csv"
    regions.write_text("chrom,start,end\nchr1,21,25\nchr1,11,16\n")  # file order, not genome order
    assert main(["onehot", str(small_bam), "--regions", str(regions), "-o", str(tmp_path / "s_oh.csv")]) == 0
    assert decode(read_onehot(tmp_path / "s_oh.csv")) == "ACNTT" + "AACCGG"
    assert main(["workshop", "bam2oh", str(small_bam), "--regions", str(regions), "--output",
                 str(tmp_path / "w_oh.csv"), "--min-depth", "1"]) == 0
    assert decode(read_onehot(tmp_path / "w_oh.csv")) == "ACGTT" + "AACCGG"
    assert (tmp_path / "w_oh.csv").read_text().startswith("A,C,G,T\n1,0,0,0\n0,1,0,0\n")


def test_bam_without_index_and_regions_outside_the_reference(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bam = _bam(tmp_path, [(0, "4M", "ACGT", "IIII")], index=False)
    regions = tmp_path / "gene.csv"
    regions.write_text("chrom,start,end\nchr1,1,4\n")
    assert main(["onehot", str(bam), "--regions", str(regions), "-o", str(tmp_path / "x.csv")]) == 2
    assert f"{bam}: the BAM has no index" in capsys.readouterr().err
    import pysam

    pysam.index(str(bam))
    regions.write_text("chrom,start,end\nchr1,1,4\nchr1,50,61\n")
    assert main(["onehot", str(bam), "--regions", str(regions), "-o", str(tmp_path / "x.csv")]) == 2
    assert f"{regions}:3: --regions: chr1:50-61 ends outside the reference: chr1 has 60 bp" in capsys.readouterr().err
    regions.write_text("chrom,start,end\nChr1,1,4\n")
    assert main(["onehot", str(bam), "--regions", str(regions), "-o", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert f"{regions}:2: --regions: chromosome 'Chr1' is not in the reference" in err and "did you mean 'chr1'" in err
    regions.write_text("chrom,start,end\nchr1,5,4\n")
    assert main(["onehot", str(bam), "--regions", str(regions), "-o", str(tmp_path / "x.csv")]) == 2
    assert "is not a region: coordinates are 1-based and start ≤ end" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
    assert main(["onehot", str(bam), "-o", str(tmp_path / "x.csv")]) == 2
    assert "a BAM needs --regions" in capsys.readouterr().err


# --------------------------------------------------------------------------- synthetic isolates


def test_synthetic_isolates_bam_and_fasta_routes_agree(tmp_path: Path) -> None:
    from specdsl.formats.bam_pileup import bam_onehot
    from specdsl.formats.fasta import read_fasta
    from specdsl.formats.labels_csv import read_labels
    from specdsl.systems.workshop.synthetic import DRUGS, write_isolates

    made = write_isolates(tmp_path, isolates=30, bams=1, seed=5)
    labels = read_labels(tmp_path / "isolates" / "train.labels.csv")
    assert labels.columns == DRUGS and len(labels.samples) == 18
    assert len(read_labels(tmp_path / "isolates" / "test.labels.csv").samples) == 6
    records = dict(read_fasta(tmp_path / "isolates" / "test.fa"))
    bam = made["bams"][0]
    assert np.array_equal(bam_onehot(bam, tmp_path / "regions.csv"), encode(records[bam.stem]))
    katg = dict(read_fasta(tmp_path / "katg" / "test.fa"))
    assert katg[bam.stem] == records[bam.stem][:400]
    truth = (tmp_path / "mutations.csv").read_text().splitlines()
    assert truth[0] == "sample,split,lineage,mutations" and len(truth) == 31
