"""Section 6 of docs/language.md: search spaces written inside architecture strings.

Every size and listing shown is computed here by :mod:`specdsl.search` when the page is
generated, so the page cannot drift from what ``specdsl space`` answers.
"""

from __future__ import annotations

from specdsl.language.parsing import parse_chain
from specdsl.language.printer import format_chain
from specdsl.language.spaces.points import list_points
from specdsl.language.spaces.space import Space

EXAMPLE = "conv[{16,32}@{3,5,7},pad=same]_mp[2]_{1..2}x(lstm[{16..64:16},seq=yes])_gap_dense[4,act=softmax]"


def _example_listing() -> list[str]:
    space = Space.of(EXAMPLE, input_shapes={"": (200, 1)})
    rows = [f"| `{name}` | {where.split(';')[0]} |" for name, where in space.axes]
    listing = list_points(space, 3)
    points = [f"| {p.index} | {p.params:,} | `{p.spec}` |" for p in listing.points]
    return [
        "```sh",
        f"specdsl space '{EXAMPLE}' --input 200x1 --limit 3",
        "```",
        "",
        f"answers that the space has {len(space.axes)} axes and **{space.size:,} points** "
        "(the depth's count is summed over, not multiplied: one LSTM has 4 choices, two have 16):",
        "",
        "| axis | values |",
        "|---|---|",
        *rows,
        "",
        "and lists its first points in grid order, each analysed like `specdsl params` would:",
        "",
        "| # | params | architecture |",
        "|---:|---:|---|",
        *points,
        "",
    ]


def search_section() -> list[str]:
    cnn_lstm = Space.of("cnn_lstm", params={"target_length": 500, "num_classes": 4})
    return [
        "## 6. Search spaces",
        "",
        "A `{…}` goes wherever a value or a repeat count goes, and turns the string into a **search space**:",
        "every point of it is an ordinary architecture, analysed and built like any other.",
        "",
        "| written | means |",
        "|---|---|",
        "| `{32,64,128}` / `{relu,gelu}` | a choice among the values (numbers or words) |",
        "| `{1..7}` | the whole numbers 1 to 7 |",
        "| `{32..128:32}` | 32, 64, 96, 128; a range of fractions needs its step: `{0.1..0.5:0.1}` |",
        "| `{1e-4~1e-2}` / `{1e-4~1e-2:log}` | a continuous range, sampled uniformly or log-uniformly by a "
        "tuner; a grid cannot enumerate it and sizes do not count it |",
        "| `{1..4}x(conv[{32,64}@{3,5,7},pad=same]_mp[2])` | a searched depth: each copy makes its own choices |",
        "| `{$units: 32..128:32}` then `$units` | a named choice, shared by every `$units` in its scope |",
        "| `{1..$layers}` / `{8..$widest:8}` | bounds written with preset parameters (`--set layers=3`) |",
        "",
        *_example_listing(),
        "**Names.** Every hyperparameter has a stable name, so a tuner's trials can be resumed and a point",
        "can be written down: `<layer><n>.<argument>` by position (`conv1.filters`, `lstm1.units`), `repeatN` for",
        "a searched count, `_k` after the name for the k-th copy of a repeat (`conv2.kernel_3`), or the name you",
        "give with `{$name: …}`. A name inside a repeat is one choice per copy (`f_1`, `f_2`); outside, it is",
        "one choice shared by every place that writes `$name`. Declaring a name twice, or giving an explicit",
        "name that collides with a positional one, is an error at its caret.",
        "",
        "**Sizes** are computed, not enumerated: Capfinder's `cnn_lstm` space at `target_length` 500 has",
        f"{cnn_lstm.size:,} points (about 10^{len(str(cnn_lstm.size)) - 1}) and `specdsl space cnn_lstm` sizes it",
        "at once. Points are numbered like nested loops, the last axis fastest; a searched depth comes count",
        "by count, its first copy slowest. The default point (point 0: every choice's first value, every",
        "range's lower bound) is what `specdsl params` and `specdsl compile` show for a space.",
        "",
        "**`specdsl space STRING|PRESET|FILE [--input SHAPE] [--set K=V] [--json] [--limit N] [--max-params N]",
        "[--sample --seed S]`** prints the axes, the exact size and up to N points with their parameter counts",
        "and MACs, without TensorFlow. A point whose shapes are impossible (a kernel longer than its input, a",
        "pooling past the length) is pruned and counted with the reason; `--max-params` keeps points within a",
        "parameter budget; `--sample` draws points at random instead of taking the first ones.",
        "",
        "**Spec files** take spaces too: `param lr = {1e-4~1e-2:log} \"learning rate\"` declares a searched",
        "parameter; one that no layer uses is a training hyperparameter that a search hands to each trial's",
        "fit (Capfinder's presets declare their learning rates this way). A space prints back to canonical",
        "text and parses to the same IR: `fc[{ $units : 32 .. 128 : 32 }]` prints as "
        f"`{format_chain(parse_chain('fc[{ $units : 32 .. 128 : 32 }]'))}`.",
        "",
        "**Searching.** One machinery drives every space: a grid (every point, in order) and KerasTuner's",
        "hyperband, random search and bayesian optimisation; each trial binds the IR at its point and builds",
        "through the normal backend. Ctrl+C during a search keeps the best finished trial (and says so plainly",
        "when none has finished); a search started again with `overwrite` false continues; a failed trial is",
        "reported with its error and the search goes on. Capfinder's pipeline searches this way",
        "(`specdsl capfinder train-model`, see [capfinder.md](capfinder.md)); from Python:",
        "",
        "```python",
        "from specdsl.search import Space, SearchSettings, run_search",
        "space = Space.of(\"cnn_lstm\", params={\"target_length\": 500, \"num_classes\": 4})",
        "result = run_search(space, SearchSettings(tuner=\"random_search\", max_trials=20, max_epochs=5,",
        "                                          objective=\"val_accuracy\", direction=\"max\"),",
        "                    fit_trial=fit)   # fit(model, values, epochs, extra) -> history dict",
        "space.bind(result.best_values)      # the best point as a preset, ready to compile or train",
        "```",
        "",
    ]


__all__ = ["search_section"]
