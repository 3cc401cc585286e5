"""``specdsl bpreveal make-predictions-bed CONFIG.json``: BPReveal's deprecated ``makePredictionsBed``."""

from specdsl.systems.bpreveal.commands.make_predictions import alias

build_parser, main = alias("makePredictionsBed", "make-predictions-bed")
