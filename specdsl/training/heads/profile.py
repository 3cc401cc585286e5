"""``profile``: BPReveal's profile + counts head (a solo BPNet's outputs).

Per head a linear convolution of ``output-filter-width`` giving ``num-tasks`` logits per
position (multinomial NLL), and a counts branch, global average pooling → Dense(1), the
log of the head's total counts (λ·MSE).  Outputs carry BPReveal's names
(``solo_profile_<head>``, ``solo_logcounts_<head>``) and order (every profile, then every
counts output), so its users' scripts read the history keys and the model unchanged.
BPReveal's adaptive counts-loss weight is this kind's callback.
"""

from __future__ import annotations

from typing import Any

from specdsl.errors import SpecError
from specdsl.language.parsing import parse_chain
from specdsl.schema import Schema
from specdsl.training.heads import HeadKind, OutputSpec, ResolvedHead, register
from specdsl.training.heads.schema import bpreveal_head_schema

DEFAULT_OUTPUT_FILTER_WIDTH = 75


def profile_field(index: int) -> str:
    return f"profile/{index}"


def counts_field(index: int) -> str:
    return f"logcounts/{index}"


class ProfileHead(HeadKind):
    name = "profile"
    doc = "BPReveal's profile (multinomial NLL over positions) + log-counts (λ·MSE) head"

    def schema(self) -> Schema:
        from specdsl.schema import constant

        return bpreveal_head_schema({"kind": constant("This head's kind; a head without one is a profile head.",
                                                      "profile", optional=True)})

    def from_config(self, item: dict[str, Any], path: str, model: dict[str, Any] | None = None) -> Any:
        """BPReveal's head keys, plus the model's output length and profile width.

        A preset's own ``output_filter_width`` parameter wins over ``model.output-filter-width``.
        ``model["config-path"]`` says where the model section sits in the config (``model``,
        ``settings.architecture``), so a length error names the key the user wrote.
        """
        from dataclasses import replace

        from specdsl.training.ir import settings

        model = model or {}
        width = model.get("output-filter-width", DEFAULT_OUTPUT_FILTER_WIDTH)
        defaults = model.get("preset-defaults") or {}
        if "output_filter_width" in defaults and not isinstance(model.get("architecture"), str):
            width = (model.get("preset-params") or {}).get("output_filter_width", defaults["output_filter_width"])
        head = super().from_config(item, path, model)
        at = model.get("config-path")
        key = f"{at}.output-length" if at else None
        return replace(head, settings=head.settings + settings(output_length=model.get("output-length"),
                                                                output_filter_width=int(width), output_length_key=key))

    def resolve(self, head: Any, index: int, available: dict[str, tuple[int, ...]]) -> ResolvedHead:
        width = int(head.get("output_filter_width", DEFAULT_OUTPUT_FILTER_WIDTH))
        tasks = int(head.get("num_tasks"))
        profile = OutputSpec(f"solo_profile_{head.name}", f"solo_profile_{head.name}", profile_field(index),
                             parse_chain(f"conv[{tasks}@{width},act=linear]"), group=0)
        counts = OutputSpec(f"solo_logcounts_{head.name}", f"solo_logcounts_{head.name}", counts_field(index),
                            parse_chain("gap_dense[1]"), group=1)
        return ResolvedHead(head, [profile, counts], index)

    def check_body(self, rh: ResolvedHead, shape: tuple) -> None:
        if len(shape) != 2:
            raise SpecError(f"the architecture must end in a sequence (length × channels) for the profile heads, "
                            f"but it ends in shape {shape}", path="model.architecture",
                            hint="drop the final pooling/flatten/dense layers; the heads add their own")

    def check_graph(self, heads: list[ResolvedHead], plan: Any) -> None:
        """The profile window: as configured (checked against the network), else what the network gives."""
        from specdsl.language.lengths import check_lengths, lengths_for_input

        length = plan.input_shapes["sequence"][0]
        wanted = heads[0].head.get("output_length")
        if wanted is not None:
            key = heads[0].head.get("output_length_key", "output-length")
            check_lengths(plan.preset, length, int(wanted), plan.params, path=key)
            plan.facts["output_length"] = int(wanted)
        else:
            plan.facts["output_length"] = min(lengths_for_input(plan.preset, length, plan.params).outputs.values())

    def prepare(self, heads: list[ResolvedHead], plan: Any) -> None:
        """ĉ and empty windows from the files (one pass each)."""
        from specdsl.formats.bpreveal_h5 import summarize_counts

        data = plan.ir.data
        jitter = int(data.get("max_jitter", 0))
        length = plan.facts["output_length"]
        summaries = {}
        for files, role in ((data.train, True), (data.val, False)):
            for path in files:
                summaries[(path, role)] = summarize_counts(path, length, jitter, len(heads), jitter=role)
        for rh in heads:
            for (path, _role), summary in summaries.items():
                empty = summary.empty_windows[rh.index]
                if empty:
                    raise SpecError(
                        f"head '{rh.head.name}': {empty} region(s) have a window without any reads, so their "
                        "log-counts target is -inf and the loss would become NaN", file=path,
                        hint="drop regions with too few counts when you prepare the data (BPReveal's prepareBed "
                             "min-counts), or lower max-jitter")
            train = [s for (p, role), s in summaries.items() if role]
            total = sum(s.n_regions for s in train)
            rh.state["mean_counts"] = (sum(s.mean_counts[rh.index] * s.n_regions for s in train) / total
                                       if total else 0.0)

    def compile_parts(self, rh: ResolvedHead) -> tuple[dict, dict, dict]:
        from specdsl.training.losses import LossMean, MultinomialNLL, ReweightableMSE

        head = rh.head
        initial = head.get("counts_loss_weight")
        counts_loss = ReweightableMSE(1.0 if initial is None else float(initial))
        rh.state["counts_loss"] = counts_loss
        profile, counts = rh.outputs
        losses = {profile.layer: MultinomialNLL(), counts.layer: counts_loss}
        weights = {profile.layer: float(head.get("profile_loss_weight", 1.0)), counts.layer: 1.0}
        # LossMean, not the loss object: Keras would log each replica's share on several devices
        return losses, weights, {name: [LossMean(loss)] for name, loss in losses.items()}

    def callbacks(self, heads: list[ResolvedHead], ctx: Any) -> list[Any]:
        from specdsl.training.adaptive import AdaptiveCountsLossWeight, AdaptiveHead

        adaptive = [AdaptiveHead(rh.head.name, rh.state["counts_loss"], rh.outputs[0].layer, rh.outputs[1].layer,
                                 frac_target=rh.head.get("counts_loss_frac_target"),
                                 initial_weight=rh.head.get("counts_loss_weight"),
                                 mean_counts=rh.state["mean_counts"],
                                 profile_weight=float(rh.head.get("profile_loss_weight", 1.0)))
                    for rh in heads]
        callback = AdaptiveCountsLossWeight(adaptive, monitors=ctx.monitors, early_stopping=ctx.early_stopping)
        if ctx.previous_history:
            callback.restore(ctx.previous_history)  # λ and its history continue instead of starting over
        return [callback]

    def history_extra(self, callbacks: list[Any]) -> dict[str, Any]:
        from specdsl.training.adaptive import AdaptiveCountsLossWeight

        out: dict[str, Any] = {}
        for cb in callbacks:
            if isinstance(cb, AdaptiveCountsLossWeight):
                out.update(cb.history_entry())
        return out


register(ProfileHead())
