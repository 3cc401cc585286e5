"""Genome tiling, the prediction HDF5 layout and bigWig writing, without a model (NumPy, h5py, pyBigWig).

Tiling is checked against cases worked by hand from BPReveal's tileGenome algorithm; the track
writer against a chromosome-long sum/count average (BPReveal's predictToBigwig ≥ 3.6).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from specdsl.errors import SpecError
from specdsl.formats.onehot_csv import codes
from specdsl.formats.tiling import Tiling, tile_chromosome, tile_segments, whitelist_segments


def _starts(seq: str, out: int, inp: int, spacing: int = 0, edge: int = 0, black=()) -> list[int]:
    return tile_chromosome(codes(seq), Tiling(out, inp, spacing, edge), black).tolist()


def test_whitelist_segments_avoid_n_edges_and_blacklists() -> None:
    seq = "ACGT" * 5 + "NN" + "acgt" * 5 + "R" + "ACGT" * 3  # N at 20-21, an ambiguity code at 42
    assert whitelist_segments(codes(seq), 0).tolist() == [[0, 20], [22, 42], [43, 55]]
    assert whitelist_segments(codes(seq), 3).tolist() == [[3, 20], [22, 42], [43, 52]]
    assert whitelist_segments(codes(seq), 3, [(30, 35)]).tolist() == [[3, 20], [22, 30], [35, 42], [43, 52]]
    assert whitelist_segments(codes("ACGTACGT"), 4).tolist() == []  # shorter than twice the edge: all forbidden
    assert whitelist_segments(codes("ACGTACGTA"), 5).tolist() == []


def test_windows_abut_and_the_last_is_right_aligned() -> None:
    seq = "ACGT" * 25  # one segment [0, 100); pad (30 − 10) // 2 = 10 → [10, 90)
    assert _starts(seq, 10, 30) == [10, 20, 30, 40, 50, 60, 70, 80]  # 8 windows fill [10, 90) exactly
    assert _starts(seq[:95], 10, 30) == [10, 20, 30, 40, 50, 60, 70, 75]  # [10, 85): the last one at 85 − 10
    assert _starts(seq, 10, 30, spacing=5) == [10, 25, 40, 55, 70, 80]  # gaps of 5, then 80 to reach 90
    assert _starts(seq[:40], 10, 30, spacing=-5) == [10, 15, 20]  # [10, 30): overlapping by 5


def test_segments_too_short_for_a_window_are_dropped_and_inputs_stay_n_free() -> None:
    seq = "A" * 40 + "N" + "C" * 29 + "N" + "G" * 50  # segments [0,40), [41,70), [71,121)
    starts = _starts(seq, 10, 30)
    assert starts == [10, 20, 81, 91, 101]  # [41,70) shrinks to [51,60): shorter than 10, dropped
    for s in starts:
        assert "N" not in seq[s - 10:s + 20]


def test_edge_boundary_applies_with_a_blacklist() -> None:
    """BPReveal < 4.1.2 ignored the edge boundary when a blacklist was given."""
    seq = "ACGT" * 25
    assert _starts(seq, 10, 10, edge=20, black=[(50, 60)]) == [20, 30, 40, 60, 70]


def test_tiling_options_are_checked() -> None:
    with pytest.raises(SpecError, match="overlaps windows by their whole length"):
        Tiling(10, 30, -10).check()
    with pytest.raises(SpecError, match="at least the output length") as info:
        Tiling(10, 5).check()
    assert info.value.path == "--input-length"
    assert tile_segments(np.empty((0, 2), np.int64), Tiling(10, 30)).tolist() == []


# ---------------------------------------------------------------- bigWig writing


def test_track_writer_averages_overlaps_streams_and_writes_zeros(tmp_path: Path) -> None:
    from specdsl.formats.bigwig import open_tracks, read_track

    rng = np.random.default_rng(1)
    size, width = 5000, 50
    starts = np.sort(rng.integers(0, size - width, 300))
    values = rng.normal(size=(300, width))
    values[:5] = 0.0  # predicted zeros are written as zeros, not left out
    total, cover = np.zeros(size), np.zeros(size)
    for s, v in zip(starts, values):
        total[s:s + width] += v
        cover[s:s + width] += 1
    expected = np.where(cover > 0, total / np.maximum(cover, 1), np.nan)
    path = tmp_path / "t.bw"
    with open_tracks([path], [("chrA", size), ("chrB", 100)]) as (writer,):
        longest = 0
        for at in range(0, 300, 16):
            writer.add(0, starts[at:at + 16], values[at:at + 16])
            longest = max(longest, len(writer.sums))
        writer.add(1, np.array([0]), np.zeros((1, width)))  # a chromosome whose values are all 0
    assert longest < 16 * width * 4  # the buffer holds a batch's span, not the chromosome
    got = read_track(path, "chrA", 0, size)
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got[~np.isnan(got)], expected[~np.isnan(expected)], atol=1e-5)
    assert (read_track(path, "chrB", 0, width) == 0).all()


def test_track_writer_refuses_unsorted_windows_and_leaves_no_file(tmp_path: Path) -> None:
    from specdsl.formats.bigwig import open_tracks

    path = tmp_path / "t.bw"
    with pytest.raises(SpecError, match="sorted by start"), open_tracks([path], [("c", 1000)]) as (writer,):
        writer.add(0, np.array([100]), np.ones((1, 10)))
        writer.add(0, np.array([50]), np.ones((1, 10)))
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the prediction file


def test_prediction_file_dtypes_follow_the_genome(tmp_path: Path) -> None:
    import h5py

    from specdsl.formats.prediction_h5 import Coordinates, HeadShape, create_predictions, open_predictions

    names = [f"c{i}" for i in range(130)]  # more than 127 chromosomes: coords_chrom is uint16
    coords = Coordinates(names, [3_000_000_000] + [100] * 129, np.array([0, 129]), np.array([5, 0]),
                         np.array([15, 10]))
    with create_predictions(tmp_path / "p.h5", 2, [HeadShape("h", 10, 1)], config="{}", coords=coords) as w:
        w.write(np.array([0, 1]), [np.ones((2, 10, 1))], [np.array([0.5, 1.5])])
    with h5py.File(tmp_path / "p.h5") as h5:
        assert h5["coords_chrom"].dtype == np.uint16
        assert h5["coords_start"].dtype == h5["coords_stop"].dtype == np.uint64  # a chromosome > 2^31 − 1
        assert h5["chrom_sizes"].dtype == np.uint64
    with open_predictions(tmp_path / "p.h5") as pf:
        logits, counts = pf.rows(0, np.array([1, 0]))
        assert counts.tolist() == [1.5, 0.5]  # rows in the order asked for


def test_profile_is_a_joint_softmax_over_positions_and_tasks() -> None:
    from specdsl.formats.prediction_h5 import logits_to_profile, track_values

    logits = np.log(np.array([[[1.0, 3.0], [2.0, 2.0]]]))  # (1 region, 2 positions, 2 tasks)
    profile = logits_to_profile(logits, np.log([16.0]))
    np.testing.assert_allclose(profile[0], [[2, 6], [4, 4]])  # probabilities over all 4 values × 16 counts
    np.testing.assert_allclose(track_values("mnlogits", logits, np.zeros(1), 0)[0],
                               np.log([1, 2]) - np.log([1, 2]).mean())
    np.testing.assert_allclose(track_values("counts", logits, np.log([16.0]), 1)[0], [16, 16])


# ---------------------------------------------------------------- BPReveal's command lines (no model needed)


def test_tile_genome_requires_what_bpreveal_requires_and_writes_the_windows(tmp_path: Path, capsys) -> None:
    from specdsl.cli import main
    from specdsl.formats.fasta import write_fasta

    write_fasta(tmp_path / "g.fa", [("chrA", "ACGT" * 25), ("chrB", "ACGT" * 5 + "N" + "ACGT" * 10)])
    base = ["bpreveal", "tile-genome", "--genome", str(tmp_path / "g.fa"), "--output-length", "10",
            "--output-bed", str(tmp_path / "t.bed")]
    assert main([*base, "--all-chroms"]) == 2  # the documented example's options: three are missing
    err = capsys.readouterr().err
    assert "the following arguments are required: --input-length, --chrom-edge-boundary, --spacing" in err
    assert not (tmp_path / "t.bed").exists()
    args = [*base, "--input-length", "30", "--chrom-edge-boundary", "0", "--spacing", "5"]
    assert main([*args, "--allow-chrom", "chrC"]) == 2
    assert "chromosome 'chrC' is not in the genome" in capsys.readouterr().err
    assert main([*args, "--all-chroms"]) == 0
    lines = (tmp_path / "t.bed").read_text().splitlines()
    # chrA: [10, 90) as worked above; chrB: segments [0,20) (too short after padding) and [21, 61) → [31, 51)
    assert lines == [f"chrA\t{s}\t{s + 10}" for s in (10, 25, 40, 55, 70, 80)] + ["chrB\t31\t41", "chrB\t41\t51"]


def test_make_predictions_config_errors_are_placed_and_old_configs_accepted(tmp_path: Path) -> None:
    from specdsl.errors import SpecErrors
    from specdsl.systems.bpreveal.prediction_config import read_prediction_config

    settings = {"output-h5": "p.h5", "batch-size": 4, "heads": 1,
                "architecture": {"model-file": "m.keras", "input-length": 30, "output-length": 10}}
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"settings": {**settings, "genome": "g.fa"}, "bed-file": "r.bed",
                               "verbosity": "INFO"}))
    cfg = read_prediction_config(old)
    assert (cfg.genome, cfg.bed, cfg.fasta) == ("g.fa", "r.bed", None)
    assert "settings.genome" in cfg.warnings[0]
    fasta = tmp_path / "fasta.json"
    fasta.write_text(json.dumps({"settings": settings, "fasta-file": "s.fa", "verbosity": "INFO",
                                 "coordinates": {"bed-file": "r.bed", "genome": "g.fa"}}))
    assert (read_prediction_config(fasta).bed, read_prediction_config(fasta).fasta) == ("r.bed", "s.fa")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"settings": {**settings, "batch-sise": 4}, "bed-file": "r.bed",
                               "fasta-file": "s.fa", "verbosity": "LOUD"}, indent=1))
    with pytest.raises(SpecErrors) as info:
        read_prediction_config(bad)
    text = info.value.render()
    assert "did you mean 'batch-size'?" in text
    assert "give either bed-file and genome, or fasta-file, not both" in text
    assert "verbosity" in text and all(e.span is not None for e in info.value.errors)


def test_make_data_writes_a_genome_with_the_training_motifs_where_its_bed_says(tmp_path: Path) -> None:
    from specdsl.cli import main
    from specdsl.formats.fasta import read_fasta

    assert main(["make-data", "--genome", str(tmp_path / "g.fa"), "--genome-length", "3000"]) == 0
    genome = dict(read_fasta(tmp_path / "g.fa"))
    assert sorted(genome) == ["chr1", "chr2"] and all(len(s) == 3000 for s in genome.values())
    assert "N" * 200 in genome["chr1"]  # an assembly gap for the tiling to avoid
    complement = str.maketrans("ACGT", "TGCA")
    for line in (tmp_path / "g.motifs.bed").read_text().splitlines():
        chrom, start, end, name, _, strand = line.split("\t")
        site = genome[chrom][int(start):int(end)]
        site = site if strand == "+" else site.translate(complement)[::-1]
        assert site == {"GATA": "AGATAAG", "AP1": "TGACTCA"}[name]


def test_train_given_a_make_predictions_config_names_the_command_that_runs_it(tmp_path: Path) -> None:
    from specdsl.config.load import load_config_text

    config = {"settings": {"architecture": {"model-file": "m.keras"}}, "bed-file": "a.bed", "genome": "g.fa"}
    with pytest.raises(SpecError) as info:
        load_config_text(json.dumps(config), "c.json")
    assert info.value.hint.endswith("run it with specdsl bpreveal make-predictions")


def test_a_revcomp_task_order_without_revcomp_is_refused_before_the_model_loads(tmp_path: Path, capsys) -> None:
    from specdsl.cli import main

    (tmp_path / "g.fa").write_text(">chr1\n" + "ACGT" * 50 + "\n")
    (tmp_path / "r.bed").write_text("chr1\t50\t150\n")
    argv = ["predict", str(tmp_path / "missing.keras"), "--bed", str(tmp_path / "r.bed"), "--genome",
            str(tmp_path / "g.fa"), "-o", str(tmp_path / "p.h5"), "--revcomp-task-order", "1,0"]
    assert main(argv) == 2
    assert "--revcomp-task-order: goes with --revcomp" in capsys.readouterr().err
