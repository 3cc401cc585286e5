"""BPReveal's profile models (seed 000): its ``trainSoloModel`` config kind and its training files.

The BPNet preset is ``specs/bpnet.spec``; the HDF5 layout of ``prepareTrainingData`` is a format
of :mod:`specdsl.formats.bpreveal_h5` and its reader an entry of :mod:`specdsl.training.readers`,
so any profile model trains on it.  This package adds what is BPReveal's alone: the config kind
``bpreveal-solo`` (:mod:`.config_kind`) and ``specdsl make-data`` for its files (:mod:`.make_data`).
"""

from specdsl.plugins import Plugin, register

register(Plugin(
    "bpreveal", order=0,
    config_kinds=("specdsl.systems.bpreveal.config_kind",),
    config_checks=("specdsl.systems.bpreveal.checks",),
    make_data=("specdsl.systems.bpreveal.make_data",),
    starters=("specdsl.systems.bpreveal.starter", "specdsl.systems.bpreveal.solo_starter"),
))
