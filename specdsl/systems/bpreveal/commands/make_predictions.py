"""``specdsl bpreveal make-predictions CONFIG.json``: BPReveal's ``makePredictions``, its config unchanged.

The config is read and checked (:mod:`specdsl.systems.bpreveal.prediction_config`), its inputs
read and checked, the model loaded and compared with the config's lengths and head count, and
only then is anything predicted; the output HDF5 has BPReveal's layout and appears only when
complete.  The work is :func:`specdsl.training.profile_predict.predict_to_h5`, the same as
``specdsl predict MODEL --bed … --genome …``.  ``make-predictions-bed`` and
``make-predictions-fasta`` are BPReveal's deprecated ``makePredictionsBed`` / ``makePredictionsFasta``
(:func:`alias`): the same program, with BPReveal's deprecation warning.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from specdsl.errors import SpecErrors
from specdsl.options import ToolParser
from specdsl.systems.bpreveal.prediction_config import ModelConfig, read_prediction_config

if TYPE_CHECKING:  # pragma: no cover
    from specdsl.training.profile_predict import ProfileModel

PROG = "specdsl bpreveal make-predictions"


def build_parser(prog: str = PROG, tool: str = "makePredictions") -> ToolParser:
    p = ToolParser(prog, tool, f"Predict a profile model over BED regions of a genome or FASTA records into "
                               f"BPReveal's prediction HDF5 ({tool}).")
    p.add_argument("config", metavar="CONFIG.json", help="a makePredictions config (settings, bed-file and genome, "
                                                         "or fasta-file, verbosity)")
    return p


def check_model(cfg: ModelConfig, pm: ProfileModel, arch: tuple[str, ...] = ("settings", "architecture"),
                heads: tuple[str, ...] = ("settings", "heads")) -> None:
    """The model must be the one the config describes: its lengths and its number of heads.  ``arch`` and
    ``heads`` are where those keys sit (interpretFlat's are at the top level)."""
    problems = []
    if pm.input_length != cfg.input_length:
        problems.append(cfg.error(f"the model reads {pm.input_length} bp, not {cfg.input_length}",
                                  *arch, "input-length"))
    if pm.output_length != cfg.output_length:
        problems.append(cfg.error(f"the model predicts {pm.output_length} bp windows, not {cfg.output_length}",
                                  *arch, "output-length"))
    if len(pm.heads) != cfg.heads:
        problems.append(cfg.error(f"the model has {len(pm.heads)} head(s), not {cfg.heads}", *heads))
    problems.sort(key=lambda e: (e.span.line, e.span.column) if e.span is not None else (0, 0))
    if problems:
        raise SpecErrors(problems) if len(problems) > 1 else problems[0]


def run(argv: list[str], prog: str = PROG, tool: str = "makePredictions") -> int:
    from specdsl.training.profile_predict import check_writable, load_profile_model, predict_to_h5, read_inputs
    from specdsl.training.region_progress import RegionProgress

    args = build_parser(prog, tool).parse(argv)
    cfg = read_prediction_config(args.config)
    for warning in cfg.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    inputs = read_inputs(cfg.bed, cfg.genome, cfg.fasta,
                         names={"bed": "bed-file", "genome": "genome", "fasta": "fasta-file"})
    check_writable(cfg.output_h5)
    pm = load_profile_model(cfg.model_file)
    check_model(cfg, pm)
    quiet = cfg.verbosity not in ("DEBUG", "INFO")
    with RegionProgress("predicting", inputs.count, show=False if quiet else None) as bar:
        done = predict_to_h5(pm, inputs, cfg.output_h5, batch_size=cfg.batch_size, config=str(cfg.config),
                             progress=bar.advance)
    if cfg.verbosity not in ("ERROR", "CRITICAL"):
        print(f"wrote {cfg.output_h5}: {done.regions:,} regions in {done.seconds:.1f} s ({done.rate:,.0f} regions/s)",
              file=sys.stderr)
    return 0


def main(argv: list[str]) -> int:
    return run(argv)


def alias(tool: str, verb: str) -> tuple[Callable[[], ToolParser], Callable[[list[str]], int]]:
    """(build_parser, main) of one of BPReveal's deprecated names for makePredictions."""
    prog = f"specdsl bpreveal {verb}"

    def alias_main(argv: list[str]) -> int:
        print(f"warning: {tool} is deprecated in BPReveal and will be removed in 6.0.0; use "
              "specdsl bpreveal make-predictions", file=sys.stderr)
        return run(argv, prog, tool)

    return (lambda: build_parser(prog, tool)), alias_main


__all__ = ["PROG", "alias", "build_parser", "check_model", "main", "run"]
