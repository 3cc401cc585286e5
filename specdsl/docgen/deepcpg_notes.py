"""DeepCpG's documentation table and notebook counts, as data, with the rounding arithmetic that reads them.

These are facts about DeepCpG (reference/deepcpg.md), not about specdsl: docs/presets.md
compares them with the exact counts of the presets.
"""

from __future__ import annotations

from ..lowering import LayerGraph

#: DeepCpG's documentation table (docs/source/models.rst, as stored in seeds/003), with
#: its rounded counts and its spec strings as printed (reST escapes removed).
DEEPCPG_DOCS_TABLE: tuple[tuple[str, int, str], ...] = (
    ("CnnL1h128", 4_100_000, "conv[128@11]_mp[4]_fc[128]_do"),
    ("CnnL1h256", 8_100_000, "conv[128@11]_mp[4]_fc[256]_do"),
    ("CnnL2h128", 4_100_000, "conv[128@11]_mp[4]_conv[256@3]_mp[2]_fc[128]_do"),
    ("CnnL2h256", 8_100_000, "conv[128@11]_mp[4]_conv[256@3]_mp[2]_fc[256]_do"),
    ("CnnL3h128", 4_400_000, "conv[128@11]_mp[4]_conv[256@3]_mp[2]_conv[512@3]_mp[2]_fc[128]_do"),
    ("CnnL3h256", 8_300_000, "conv[128@11]_mp[4]_conv[256@3]_mp[2]_conv[512@3]_mp[2]_fc[128]_do"),
    ("CnnRnn01", 1_100_000, "conv[128@11]_pool[4]_conv[256@7]_pool[4]_bgru[256]_do"),
    ("ResNet01", 1_700_000, "conv[128@11]_mp[2]_resb[2x128|2x256|2x512|1x1024]_gap_do"),
    ("ResNet02", 2_000_000, "conv[128@11]_mp[2]_resb[3x128|3x256|3x512|1x1024]_gap_do"),
    ("ResConv01", 2_800_000, "conv[128@11]_mp[2]_resc[2x128|1x256|1x256|1x512]_gap_do"),
    ("ResAtrous01", 2_000_000, "conv[128@11]_mp[2]_resa[3x128|3x256|3x512|1x1024]_gap_do"),
    ("FcAvg", 54_000, "fc[512]_gap"),
    ("RnnL1", 810_000, "fc[256]_bgru[256]_do"),
    ("RnnL2", 1_100_000, "fc[256]_bgru[128]_bgru[256]_do"),
    ("JointL0", 0, ""),
    ("JointL1h512", 524_000, "fc[512]"),
    ("JointL2h512", 786_000, "fc[512]_fc[512]"),
    ("JointL3h512", 1_000_000, "fc[512]_fc[512]_fc[512]"),
)

#: Why a docs string reads differently from ours (reference/deepcpg.md §4).
STRING_NOTES: dict[str, str] = {
    "CnnL3h256": "typo: the docs print `fc[128]`; DeepCpG's code and docstring use 256 units, and the docs' "
                 "own count (8.3 M) is that of `fc[256]`",
    "CnnRnn01": "the docs write `pool[4]` (specdsl reads it as `mp[4]`, an alias) and the GRU without its "
                "Keras 2 layout",
    "ResNet01": "the docs leave out the stem's batch normalisation (`bn=yes`) and the projection shortcuts "
                "(built by `resb` itself)",
    "ResNet02": "as ResNet01",
    "ResConv01": "as ResNet01; its shortcuts are kernel-3 convolutions, built by `resc`",
    "ResAtrous01": "same string: ResAtrous01's stem has no batch normalisation; the dilations 1, 2, 4 are "
                   "implied by `resa`",
    "FcAvg": "the CpG `fc` is per cell (DeepCpG's TimeDistributed), `each[fc[512]]` here; the docs also leave "
             "out the trailing dropout that DeepCpG's code adds",
    "RnnL1": "per-cell `fc` is `each[fc[256]]`; the GRU is DeepCpG's Keras 2 GRU (`reset-after=no`)",
    "RnnL2": "as RnnL1",
    "JointL1h512": "the docs leave out the dropout after each `fc` (and the ReLU, which `fc` includes)",
    "JointL2h512": "as JointL1h512",
    "JointL3h512": "as JointL1h512",
}

#: DeepCpG's stored ``model.summary()`` output (examples/notebooks/basics/index.ipynb in
#: cangermueller/deepcpg), the only counts DeepCpG itself ever printed.
NOTEBOOK_TOTALS = {"CnnL2h128": 4_102_789, "RnnL1": 816_389, "DeepCpG": 5_509_381}
NOTEBOOK_LAYERS = {"CnnL2h128": (5_760, 98_560, 3_997_824), "RnnL1": (25_856, 787_968),
                   "JointL2h512": (328_192, 262_656)}
NOTEBOOK_CELLS = 5


def _round_sig(n: int, digits: int = 2, truncate: bool = False) -> int:
    """``n`` to ``digits`` significant figures (rounded half up, or truncated)."""
    if n == 0:
        return 0
    scale = 10 ** max(len(str(abs(n))) - digits, 0)
    q = n // scale if truncate else (n + scale // 2) // scale
    return q * scale


def _percent(a: int, b: int) -> str:
    return "—" if b == 0 else f"{(a - b) / b * 100:+.1f}%"


def _signed(n: int) -> str:
    return f"{n:+,}" if n else "0"


def _how_rounded(docs: int, exact: int) -> str:
    if docs == exact:
        return "exact"
    for digits in (2, 3):
        if _round_sig(exact, digits) == docs:
            return f"rounded ({digits} s.f.)"
        if _round_sig(exact, digits, truncate=True) == docs:
            return f"truncated ({digits} s.f.)"
    return "neither"


def _heads(graph: LayerGraph, cells: int) -> int:
    """Parameters of ``cells`` sigmoid heads (Dense(1)) on the graph's single output."""
    (width,) = [s[-1] for s in graph.output_shapes().values()]
    return cells * (width + 1)


def _param_layers(graph: LayerGraph) -> tuple[int, ...]:
    return tuple(n.params for n in graph.layers if n.params)
