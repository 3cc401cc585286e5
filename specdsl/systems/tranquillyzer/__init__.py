"""tranquillyzer (seed 002): simulated reads of a library, CNN-LSTM-CRF read labelling, annotation.

* :mod:`.seq_orders`, :mod:`.params`, :mod:`.tokens` — its ``training_seq_orders.tsv`` and
  ``training_params.tsv`` files and the base tokens;
* :mod:`.simulator` — ``simulate-data``: reads of a library with its error model, into
  ``reads.h5`` (:mod:`specdsl.formats.reads_h5`); :mod:`.legacy` reads its old pickles safely;
* :mod:`.training` — ``train-model``: every variant of the params grid as a normal run;
* :mod:`.annotate`, :mod:`.picture` — ``specdsl annotate``: segments of real reads;
* :mod:`.validity`, :mod:`.barcodes`, :mod:`.demux`, :mod:`.demux_run`, :mod:`.demux_report` —
  ``annotate-reads`` (``specdsl annotate --whitelist``): valid reads, corrected barcodes, cells,
  demultiplexed reads;
* :mod:`.presets` — the ``CnnLstmCrf`` preset builder; :mod:`.commands` — its command lines.
"""

from specdsl.plugins import Plugin, System, register

LATER = ("is one of tranquillyzer's downstream steps, which specdsl does not implement (yet): "
         "specdsl covers simulate-data, train-model, labelling reads ('specdsl annotate MODEL "
         "READS.fastq -o annotations.tsv') and annotate-reads (barcode correction and demultiplexing); "
         "preprocessing, alignment and deduplication stay with tranquillyzer")

register(Plugin(
    "tranquillyzer", order=2,
    system=System("tranquillyzer", "tranquillyzer's model training and demultiplexing (simulate-data, train-model, "
                                   "annotate-reads)", (
        ("simulate-data", "specdsl.systems.tranquillyzer.commands.simulate_data",
         "simulate labelled reads of a library (training_seq_orders.tsv) into simulated_data/reads.h5"),
        ("train-model", "specdsl.systems.tranquillyzer.commands.train_model",
         "train every variant of a model's training_params.tsv grid on them, with a validation picture"),
        ("annotate-reads", "specdsl.systems.tranquillyzer.commands.annotate_reads",
         "label reads with a trained model, correct their barcodes against a whitelist, demultiplex them"),
    ), tuple((verb, LATER) for verb in (
        "preprocess", "readlengthdist", "visualize", "align", "dedup", "split-bam", "featurecounts",
        "qc-metrics", "assess-model")) + (
        ("availablemodels", "tranquillyzer's pretrained models (tf2crf weights and a pickled LabelBinarizer) cannot "
                            "be imported; train one with 'specdsl tranquillyzer train-model'"),
        ("available-gpus", "not implemented; TensorFlow lists the GPUs a run will use: python -c \"import "
                           "tensorflow as tf; print(tf.config.list_physical_devices('GPU'))\""))),
    verbs=("specdsl.systems.tranquillyzer.verbs",),
    preset_builders=("specdsl.systems.tranquillyzer.presets",),
    starters=("specdsl.systems.tranquillyzer.starter",),
))
