"""Capfinder's training pipeline (adnaniazi/capfinder 0.4.3) on specdsl.

* :mod:`.config` — the ``create-train-config`` template and a typed view of a checked config
  (the schema is the ``capfinder`` config kind, :mod:`specdsl.config.from_capfinder`);
* :mod:`.signals` — the ``read_id,cap_class,timeseries`` CSVs: checked, indexed, read by offset;
  centred pad/truncate, precision, time warps;
* :mod:`.etl` — per-class CSVs → balanced train/val/test files in ``output_dir/dataset``;
* :mod:`.tune` — the search step (:mod:`specdsl.search`), or the default point;
* :mod:`.pipeline` — ETL → search → final training (the normal run) → evaluation;
* :mod:`.evaluation` — metrics JSON, train and test confusion matrices (CSV, PNG);
* :mod:`.predict` — ``specdsl predict MODEL caps.csv``: class probabilities per read;
* :mod:`.synthetic` — ``specdsl make-data capfinder``: cap signals with planted class shapes.

The learning-rate schedules are entries of :mod:`specdsl.training.schedules`, so any run can
use them.  Nothing is imported from TensorFlow until a model is built.
"""
