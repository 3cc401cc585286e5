"""The genomics workshop's scripts (seed 004): ``inh_model.py``, ``full_model.py``, ``bam2oh.py``."""
