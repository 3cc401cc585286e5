"""Contribution scores for any specdsl Keras model, on every Keras backend.

What users do after training a sequence model is ask *which bases made it say that*: DeepLIFT-SHAP
(BPReveal's ``interpretFlat``, tangermeme's ``deep_lift_shap``) and in-silico mutagenesis (tangermeme's
``saturation_mutagenesis``), whose scores go on to TF-MoDISco and genome tracks.  This package gives
those results for a model built by specdsl, whatever Keras backend runs it, so everything numerical is
NumPy or ``keras.ops`` (an import-linter contract forbids TensorFlow, JAX and PyTorch here).

- :mod:`specdsl.interpret.references`: shuffled reference sequences (dinucleotide, mononucleotide,
  k-mer), seeded per sequence, NumPy only.
- :mod:`specdsl.interpret.ism`: exact, batched in-silico mutagenesis over any prediction function.
- :mod:`specdsl.interpret.deeplift`: DeepLIFT-SHAP (rescale rule averaged over references) with its
  completeness check; the graph walk, the per-layer rules, the targets (BPReveal's profile and
  counts metrics, classifier logits, DeepCpG cells) and the batched run are in the ``deeplift_*``
  modules.  The gradients come from the backend's autodiff (:mod:`specdsl.backend.gradients`).
- :mod:`specdsl.interpret.gradient_methods`: gradient × input and integrated gradients of the same
  targets through the unmodified graph (no rules needed, so exact up to quadrature where DeepLIFT
  treats a layer as linear).
- :mod:`specdsl.interpret.score_files`: any method over every BED region or FASTA record of an
  input, a batch at a time, into BPReveal's interpretFlat HDF5 (``specdsl interpret``,
  ``specdsl bpreveal interpret-flat``).

Arrays are length-first like the rest of specdsl: one sequence is ``(L, 4)``, a batch ``(N, L, 4)``
(tangermeme and modisco's ``.npz`` inputs are ``(N, 4, L)``: transpose at the boundary).

Importing this package imports nothing heavy; references and ism import NumPy only, deeplift Keras.
"""
