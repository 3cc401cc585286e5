"""Capfinder's training pipeline (adnaniazi/capfinder 0.4.3) on specdsl.

* :mod:`.config` — the ``create-train-config`` template and a typed view of a checked config
  (the schema is the ``capfinder`` config kind, :mod:`specdsl.systems.capfinder.config_kind`);
* :mod:`.config_kind` — the ``capfinder`` config kind and its checks (:mod:`.checks`);
* :mod:`.presets` — the classifiers' search-space presets (``cnn_lstm``, ``encoder``, ``resnet``, …);
* :mod:`.etl` — per-class CSVs → balanced train/val/test files in ``output_dir/dataset``;
* :mod:`.tune` — the search step (:mod:`specdsl.search`), or the default point;
* :mod:`.pipeline` — ETL → search → final training (the normal run) → evaluation;
* :mod:`.evaluation` — metrics JSON, train and test confusion matrices (CSV, PNG);
* :mod:`.predict` — ``specdsl predict MODEL caps.csv``: class probabilities per read;
* :mod:`.synthetic` — ``specdsl make-data capfinder``: cap signals with planted class shapes;
* :mod:`.commands` — Capfinder's own command lines.

The signal CSVs (``read_id,cap_class,timeseries``) are a format of :mod:`specdsl.formats.signal_csv`.

The learning-rate schedules are entries of :mod:`specdsl.training.schedules`, so any run can
use them.  Nothing is imported from TensorFlow until a model is built.
"""

from specdsl.plugins import Plugin, System, register

register(Plugin(
    "capfinder", order=3,
    system=System("capfinder", "Capfinder's training commands (capfinder create-train-config, train-model)", (
        ("create-train-config", "specdsl.systems.capfinder.commands.create_train_config",
         "write Capfinder's training config template (--file_path)"),
        ("train-model", "specdsl.systems.capfinder.commands.train_model", "ETL, search, final training and evaluation "
                                                                          "from a Capfinder config (--config_file)"),
    )),
    make_data=("specdsl.systems.capfinder.make_data",),
    starters=("specdsl.systems.capfinder.starter", "specdsl.systems.capfinder.config_starter"),
    config_kinds=("specdsl.systems.capfinder.config_kind",),
    config_checks=("specdsl.systems.capfinder.checks",),
    preset_builders=("specdsl.systems.capfinder.presets",),
    predict_inputs=("specdsl.systems.capfinder.predict",),
))
