"""The genomics workshop's drug-resistance classifiers (seed 004), on specdsl.

The workshop aligns reads to the *M. tuberculosis* reference, turns gene regions into a
one-hot CSV (``bam2oh.py``), trains a small network on katG for isoniazid (``inh_model.py -lr
-dr``) and predicts 13 drugs at once (``full_model.py -i X_oh.csv -v -o predictions.csv``).
This package holds the pieces those steps need, each usable from Python:

* :mod:`.onehot`: the one-hot CSV (``A,C,G,T`` header, one row per position) and the A/C/G/T
  encoding every other module shares;
* :mod:`.fasta`: FASTA files of equal-length sequences, indexed so records stream from disk;
* :mod:`.pileup`: a BAM plus a regions CSV → one-hot, the majority base per reference position;
* :mod:`.samples` and :mod:`.labels`: sequence sources (FASTA, one-hot CSVs) matched strictly to a
  labels CSV — what the ``sequence-labels`` reader, ``predict`` and ``evaluate`` read;
* :mod:`.synthetic`: isolates with planted resistance mutations (``specdsl make-data workshop``);
* :mod:`.curves`: the workshop's ``<model>_LR:<lr>-DR:<dr>-ACC.png`` / ``-LOSS.png`` pictures;
* :mod:`.predictions` and :mod:`.evaluation`: ``specdsl predict`` and ``specdsl evaluate``.

Nothing here imports TensorFlow at import time; pysam is imported only where a BAM is read.
"""
