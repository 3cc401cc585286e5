"""``specdsl bpreveal interpret-flat CONFIG.json``: BPReveal's ``interpretFlat``, its config unchanged.

The config (:mod:`specdsl.systems.bpreveal.interpret_config`) and its inputs are read and checked,
the model loaded and compared with the config's lengths, heads and tasks, and only then does
DeepLIFT-SHAP run, once per metric: the profile metric (BPReveal's weighted mean-normed logits of
``profile-task-ids``, :func:`specdsl.interpret.deeplift.profile_target`) into ``profile-h5``, the
counts metric (the head's log counts, :func:`~specdsl.interpret.deeplift.counts_target`) into
``counts-h5``.  Each file has interpretFlat's layout (:mod:`specdsl.formats.scores_h5`) and
appears only when complete.  The work is :func:`specdsl.interpret.score_files.interpret_to_h5`, the
same as ``specdsl interpret MODEL --method deepshap``.
"""

from __future__ import annotations

import sys

from specdsl.options import ToolParser
from specdsl.systems.bpreveal.commands.make_predictions import check_model
from specdsl.systems.bpreveal.interpret_config import InterpretConfig, read_interpret_config

PROG = "specdsl bpreveal interpret-flat"

DIFFERENCE = ("Documented difference from BPReveal: every sequence gets its own references, seeded by its "
              "position in the input, and kmer-size 1 is a mononucleotide shuffle, 2 a dinucleotide shuffle, "
              "k a k-mer shuffle.  BPReveal recreates one fixed generator for every sequence, so with kmer-size "
              "1 all sequences are shuffled by the same permutations.  Convergence is checked: the largest "
              "delta |sum of contributions - (f(x) - f(reference))| is printed, with a warning naming the layers "
              "treated as linear when it is above 1e-3 (BPReveal removed that check).")


def build_parser() -> ToolParser:
    p = ToolParser(PROG, "interpretFlat", "DeepLIFT-SHAP contribution scores of a profile model's profile and/or "
                                          "counts metric for BED regions of a genome or FASTA records, into "
                                          "interpretFlat's HDF5 (hyp_scores, input_seqs, input_predictions).")
    p.epilog = DIFFERENCE
    p.add_argument("config", metavar="CONFIG.json",
                   help="an interpretFlat config: genome and bed-file, or fasta-file (optional coordinates); "
                        "model-file, input-length, output-length, heads, head-id, profile-task-ids and "
                        "profile-h5 and/or counts-h5, num-shuffles, kmer-size, verbosity")
    return p


def _check_tasks(cfg: InterpretConfig, tasks: int) -> None:
    bad = [t for t in cfg.profile_tasks or () if t >= tasks]
    if bad:
        raise cfg.error(f"head {cfg.head_id} has {tasks} task(s): 0…{tasks - 1}, not {bad[0]}", "profile-task-ids")


def main(argv: list[str]) -> int:
    from specdsl.interpret.deeplift import counts_target, profile_target
    from specdsl.interpret.score_files import interpret_to_h5
    from specdsl.training.profile_predict import check_writable, load_profile_model, read_inputs
    from specdsl.training.region_progress import RegionProgress

    args = build_parser().parse(argv)
    cfg = read_interpret_config(args.config)
    for warning in cfg.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    inputs = read_inputs(cfg.bed, cfg.genome, cfg.fasta,
                         names={"bed": "bed-file", "genome": "genome", "fasta": "fasta-file"})
    runs = [(cfg.profile_h5, profile_target(cfg.head_id, cfg.profile_tasks)),
            (cfg.counts_h5, counts_target(cfg.heads + cfg.head_id))]
    runs = [(output, target) for output, target in runs if output is not None]
    if cfg.profile_h5 is not None and cfg.profile_h5 == cfg.counts_h5:
        raise cfg.error("profile-h5 and counts-h5 name the same file", "counts-h5")
    for output, _ in runs:
        check_writable(output)
    pm = load_profile_model(cfg.model_file)
    check_model(cfg, pm, arch=(), heads=("heads",))
    _check_tasks(cfg, pm.heads[cfg.head_id].tasks)
    quiet = cfg.verbosity not in ("DEBUG", "INFO")
    for output, target in runs:
        with RegionProgress(f"interpreting ({output})", inputs.count, show=False if quiet else None) as bar:
            summary = interpret_to_h5(pm.model, inputs, output, target, input_length=pm.input_length,
                                      output_length=pm.output_length, n_shuffles=cfg.num_shuffles,
                                      kmer_size=cfg.kmer_size, config=str(cfg.config), progress=bar.advance)
        for line in summary.report(output):
            if line.startswith("warning:") or cfg.verbosity not in ("ERROR", "CRITICAL"):
                print(line, file=sys.stderr)
    return 0


__all__ = ["DIFFERENCE", "PROG", "build_parser", "main"]
