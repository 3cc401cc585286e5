"""The genomics workshop's drug-resistance classifiers (seed 004), on specdsl.

The workshop aligns reads to the *M. tuberculosis* reference, turns gene regions into a
one-hot CSV (``bam2oh.py``), trains a small network on katG for isoniazid (``inh_model.py -lr
-dr``) and predicts 13 drugs at once (``full_model.py -i X_oh.csv -v -o predictions.csv``).
Its file formats are libraries of :mod:`specdsl.formats` (one-hot CSV, FASTA, BAM pile-up, labels
CSV, samples); the classifier curves, ``specdsl predict`` and ``specdsl evaluate`` are the training
engine's.  This package holds what is the workshop's alone:

* :mod:`.convert`: FASTA records or BAMs → one-hot CSVs (``specdsl onehot``, ``bam2oh.py``);
* :mod:`.synthetic`: isolates with planted resistance mutations (``specdsl make-data workshop``);
* :mod:`.commands`: the scripts' own command lines; :mod:`.verbs`: ``specdsl onehot``.

Nothing here imports TensorFlow at import time; pysam is imported only where a BAM is read.
"""

from specdsl.plugins import Plugin, System, register

register(Plugin(
    "workshop", order=4,
    system=System("workshop", "the genomics workshop's scripts (inh_model.py, full_model.py, bam2oh.py)", (
        ("inh-model", "specdsl.systems.workshop.commands.inh_model", "inh_model.py: train the katG → isoniazid model "
                                                                     "(-lr, -dr)"),
        ("full-model", "specdsl.systems.workshop.commands.full_model", "full_model.py: train the 13-drug model (-lr, "
                                                                       "-dr), or predict with it (-i X_oh.csv -v -o "
                                                                       "predictions.csv)"),
        ("bam2oh", "specdsl.systems.workshop.commands.bam2oh", "bam2oh.py: BAM + --regions → one-hot CSV"),
    )),
    verbs=("specdsl.systems.workshop.verbs",),
    make_data=("specdsl.systems.workshop.make_data",),
    starters=("specdsl.systems.workshop.starter",),
))
