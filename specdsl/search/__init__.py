"""Search spaces written in the language, and one search machinery over them.

``Space`` (pure Python: sizes, points, binding, analysis) never imports TensorFlow, so
``specdsl space`` answers in a blink; ``run_search`` drives a grid or KerasTuner's tuners over a
space and imports KerasTuner (and TensorFlow) only when it is called.

    from specdsl.search import Space, SearchSettings, run_search
    space = Space.of("cnn_lstm", params={"target_length": 500, "num_classes": 4})
    result = run_search(space, SearchSettings(tuner="hyperband", max_epochs=3), fit_trial=fit)
"""

from __future__ import annotations

from typing import Any

from specdsl.language.spaces.space import Space
from specdsl.search.settings import SearchResult, SearchSettings, TrialRecord


def run_search(*args: Any, **kwargs: Any) -> SearchResult:
    """Search a space with a grid or a KerasTuner tuner; see :func:`specdsl.search.runner.run_search`."""
    from specdsl.search.runner import run_search as _run

    return _run(*args, **kwargs)


__all__ = ["Space", "SearchSettings", "SearchResult", "TrialRecord", "run_search"]
