"""BPReveal's own command lines after training: ``tileGenome``, ``makePredictions``, ``predictToBigwig``."""
