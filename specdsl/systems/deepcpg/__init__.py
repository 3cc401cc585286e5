"""DeepCpG (seed 001): ``dcpg_data.py``, ``dcpg_train.py``, ``dcpg_eval.py``, ``dcpg_eval_export.py``, filters.

* :mod:`.dataprep`, :mod:`.profiles`, :mod:`.genome`, :mod:`.features`, :mod:`.cpgcheck` — CpG
  profiles and a genome → DeepCpG's HDF5 chunks (:mod:`specdsl.formats.deepcpg_chunks`);
* :mod:`.evaluation` — per-cell metrics and the imputed profiles ``dcpg_eval_export.py`` writes;
* :mod:`.synthetic` — ``specdsl make-data deepcpg``: a genome and cells with planted methylation;
* :mod:`.filter_act`, :mod:`.filter_motifs`, :mod:`.motif_plots`, :mod:`.filter_tomtom` — first-layer
  filter activations and their motifs (``dcpg_filter_act.py``, ``dcpg_filter_motifs.py``);
* :mod:`.commands` — the scripts' own command lines; :mod:`.docs_notes` — notes for docs/presets.md.

The DNA, CpG and joint presets are ``specs/deepcpg*.spec``; the chunks' reader is an entry of
:mod:`specdsl.training.readers`.
"""

from specdsl.plugins import Plugin, System, register

register(Plugin(
    "deepcpg", order=1,
    system=System("deepcpg", "DeepCpG's scripts (dcpg_data.py, dcpg_train.py, dcpg_eval.py, dcpg_eval_export.py, "
                                  "dcpg_filter_act.py, dcpg_filter_motifs.py)", (
        ("data", "specdsl.systems.deepcpg.commands.data", "dcpg_data.py: CpG profiles + genome → DeepCpG HDF5 chunks"),
        ("train", "specdsl.systems.deepcpg.commands.train", "dcpg_train.py: train a DNA, CpG or joint model"),
        ("eval", "specdsl.systems.deepcpg.commands.evaluate", "dcpg_eval.py: predict every site, report per-cell "
                                                              "metrics"),
        ("eval-export", "specdsl.systems.deepcpg.commands.eval_export", "dcpg_eval_export.py: imputed profiles per "
                                                                        "cell"),
        ("filter-act", "specdsl.systems.deepcpg.commands.filter_act", "dcpg_filter_act.py: first-layer filter "
                                                                      "activations of a model"),
        ("filter-motifs", "specdsl.systems.deepcpg.commands.filter_motifs", "dcpg_filter_motifs.py: filter motifs, "
                                                                            "MEME file, logos, Tomtom matches"),
    )),
    make_data=("specdsl.systems.deepcpg.make_data",),
    starters=("specdsl.systems.deepcpg.starter",),
    docs_notes=("specdsl.systems.deepcpg.docs_notes",),
))
