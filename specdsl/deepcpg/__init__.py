"""DeepCpG's data formats as a library: building its HDF5 chunks, synthetic data, evaluation files."""
