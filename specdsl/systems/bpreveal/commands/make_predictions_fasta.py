"""``specdsl bpreveal make-predictions-fasta CONFIG.json``: BPReveal's deprecated ``makePredictionsFasta``."""

from specdsl.systems.bpreveal.commands.make_predictions import alias

build_parser, main = alias("makePredictionsFasta", "make-predictions-fasta")
