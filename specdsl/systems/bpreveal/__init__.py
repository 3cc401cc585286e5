"""BPReveal's profile models (seed 000): its ``trainSoloModel`` config kind and its training files.

The BPNet preset is ``specs/bpnet.spec``; the HDF5 layout of ``prepareTrainingData`` is a format
of :mod:`specdsl.formats.bpreveal_h5` and its reader an entry of :mod:`specdsl.training.readers`,
so any profile model trains on it.  This package adds what is BPReveal's alone: the config kind
``bpreveal-solo`` (:mod:`.config_kind`), ``specdsl make-data`` for its files (:mod:`.make_data`), and
its programs after training (:mod:`.commands`: ``tile-genome``, ``make-predictions`` with its config,
:mod:`.prediction_config`, ``predict-to-bigwig``, ``interpret-flat`` with its config,
:mod:`.interpret_config`, ``shap-to-numpy`` and ``shap-to-bigwig``), thin over the formats and the prediction and
interpretation engines every profile model uses (``specdsl predict --bed``, ``specdsl tracks``,
``specdsl interpret``).
"""

from specdsl.plugins import Plugin, System, register

_COMMANDS = "specdsl.systems.bpreveal.commands"

register(Plugin(
    "bpreveal", order=0,
    system=System("bpreveal", "BPReveal's programs after training (tileGenome, makePredictions, predictToBigwig, "
                              "interpretFlat, shapToNumpy, shapToBigwig)", (
        ("tile-genome", f"{_COMMANDS}.tile_genome", "tileGenome: prediction windows over a genome, as a BED"),
        ("make-predictions", f"{_COMMANDS}.make_predictions", "makePredictions CONFIG.json: a profile model's "
                                                              "predictions into BPReveal's HDF5"),
        ("make-predictions-bed", f"{_COMMANDS}.make_predictions_bed", "makePredictionsBed: deprecated name of "
                                                                      "make-predictions"),
        ("make-predictions-fasta", f"{_COMMANDS}.make_predictions_fasta", "makePredictionsFasta: deprecated name "
                                                                          "of make-predictions"),
        ("predict-to-bigwig", f"{_COMMANDS}.predict_to_bigwig", "predictToBigwig: one head and task of a "
                                                                "prediction file as a bigWig"),
        ("interpret-flat", f"{_COMMANDS}.interpret_flat", "interpretFlat CONFIG.json: DeepLIFT-SHAP scores of the "
                                                          "profile and counts metrics into BPReveal's HDF5"),
        ("shap-to-numpy", f"{_COMMANDS}.shap_to_numpy", "shapToNumpy: a score file's sequences and scores as "
                                                        "(N, 4, L) arrays for modisco"),
        ("shap-to-bigwig", f"{_COMMANDS}.shap_to_bigwig", "shapToBigwig: a score file's per-base contributions "
                                                          "as a bigWig"),
    )),
    config_kinds=("specdsl.systems.bpreveal.config_kind",),
    config_checks=("specdsl.systems.bpreveal.checks",),
    make_data=("specdsl.systems.bpreveal.make_data",),
    starters=("specdsl.systems.bpreveal.starter", "specdsl.systems.bpreveal.solo_starter"),
))
