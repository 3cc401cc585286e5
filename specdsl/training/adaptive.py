"""BPReveal's adaptive counts-loss weight (``counts-loss-frac-target``) as a Keras callback.

Reference ``bpreveal.md`` §3 ("Adaptive counts weight"), i.e. BPReveal 5.1 ``ApplyAdaptiveCountsLoss``
with aggression β = 0.3.  For a head with target fraction f:

* ``on_train_begin``: λ₀ = ``counts-loss-weight`` if given, else 37 · f · ĉ (ĉ = mean counts per
  region in the central output window, :func:`specdsl.formats.bpreveal_h5.summarize_counts`).
* ``on_epoch_end`` (E = 0, 1, … counted from the start of this ``fit``): p and c are the head's
  profile loss and *scaled* counts loss of the epoch — the **validation** values at E = 0 (the
  first training batches are huge), the **training** values afterwards::

      c_raw = c / λ_E
      λ'    = f·p / ((1 − f)·c_raw)               # the λ that makes λc/(λc + p) = f
      λ''   = λ'                     if E ≤ 1     # jump early
            = (1 − β)·λ_E + β·λ'     if E > 1     # then damp
      thr   = 10 if E ≤ 1 else 2
      if max(λ'', λ_E) / min(λ'', λ_E) > thr:  λ_{E+1} = λ_E·thr or λ_E/thr

  p is the unweighted profile loss (``profile-loss-weight`` is not applied), as in BPReveal.
* After updating, callbacks monitoring ``val_loss`` (EarlyStopping, ReduceLROnPlateau,
  ModelCheckpoint) get their ``best`` rewritten to the record epoch's validation loss recomputed
  with the new λ, ``Σ_h (w_h·p_val + c_val·λ_now/λ_then)``, so a larger λ is not read as the model
  getting worse.  The record epoch is ``early_stopping.best_epoch`` when an EarlyStopping callback is
  given (as BPReveal does), otherwise tracked here with the same comparison.  This callback must
  come *after* those callbacks in the list, so they have seen the epoch before ``best`` changes.

Differences from BPReveal, all deliberate:

* ĉ comes from whichever file the caller summarises (BPReveal takes it from the validation file by
  accident) and is right for ``max-jitter`` 0 (BPReveal gets 0).
* E counts epochs of this ``fit`` call, so ``initial_epoch`` > 0 does not break history indexing.
* One warning when a jump is clamped at E ≤ 1, whatever the epoch (BPReveal's two messages are
  attached to the wrong epochs).
* An epoch whose p or c is not finite leaves λ unchanged (with a warning) instead of poisoning it.
* On JAX the train/test steps are re-traced after λ changes (:func:`.losses.refresh_compiled_steps`).

History: :attr:`weights` holds, per head, the λ *used in* each epoch; :meth:`history_entry` returns
BPReveal's ``{"counts-loss-weight": {head: [λ…]}}`` for ``history.json``, plus
``"counts-loss-weight-next": {head: λ}``, the λ chosen for the epoch after the last one, so a resumed
run (:meth:`AdaptiveCountsLossWeight.restore`) continues where it stopped instead of re-estimating
λ₀.  Heads without a target are recorded too (their λ stays constant), as in BPReveal.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import keras

from specdsl.errors import SpecError
from specdsl.training.losses import ReweightableMSE, refresh_compiled_steps

log = logging.getLogger(__name__)

HISTORY_KEY = "counts-loss-weight"
NEXT_KEY = "counts-loss-weight-next"
AGGRESSION = 0.3  # β, hard-coded in BPReveal's getCallbacks
MAGIC_INITIAL = 37.0  # BPReveal: λ₀ = 37 · f · ĉ, "experimentation has determined this number"
EARLY_EPOCHS = 1  # E ≤ 1: jump to λ' and clamp at EARLY_CLAMP
EARLY_CLAMP = 10.0
LATE_CLAMP = 2.0


@dataclass
class AdaptiveHead:
    """One head as the callback sees it.

    ``frac_target`` None means a fixed λ (recorded, never changed).  ``initial_weight`` is the
    config's ``counts-loss-weight`` (None: estimate from ``mean_counts``).  ``profile_key`` /
    ``counts_key`` are the log keys of the head's profile loss and scaled counts loss; when None
    they are found from the output names (``<output>_multinomial_nll`` / ``<output>_reweightable_mse``,
    else Keras' per-output ``<output>_loss``).
    """

    name: str
    loss: ReweightableMSE
    profile_output: str
    counts_output: str
    frac_target: float | None = None
    initial_weight: float | None = None
    mean_counts: float | None = None
    profile_weight: float = 1.0
    profile_key: str | None = None
    counts_key: str | None = None

    def __post_init__(self) -> None:
        if self.frac_target is not None and not 0.0 < self.frac_target < 1.0:
            raise SpecError(f"counts-loss-frac-target of head '{self.name}' must lie strictly between 0 and 1, "
                            f"got {self.frac_target}")


def next_weight(epoch: int, weight: float, profile_loss: float, counts_loss: float, frac_target: float,
                aggression: float = AGGRESSION) -> tuple[float, float, bool]:
    """One step of the algorithm: (new λ, the undamped λ', whether the clamp fired).

    ``counts_loss`` is the *scaled* loss λ·MSE of the epoch, as logged.  A pure function so the
    arithmetic is testable without Keras.
    """
    raw = counts_loss / weight
    target = math.inf if raw == 0 else frac_target * profile_loss / ((1.0 - frac_target) * raw)
    new = target if epoch <= EARLY_EPOCHS else (1.0 - aggression) * weight + aggression * target
    threshold = EARLY_CLAMP if epoch <= EARLY_EPOCHS else LATE_CLAMP
    if new <= 0 or max(new, weight) / min(new, weight) > threshold:
        return (weight * threshold if new > weight else weight / threshold), target, True
    return new, target, False


class AdaptiveCountsLossWeight(keras.callbacks.Callback):
    """Keras callback running BPReveal's adaptive counts-loss weight (see the module docstring)."""

    def __init__(self, heads: Sequence[AdaptiveHead], aggression: float = AGGRESSION,
                 monitors: Sequence[keras.callbacks.Callback] = (),
                 early_stopping: keras.callbacks.EarlyStopping | None = None) -> None:
        super().__init__()
        self.heads = list(heads)
        self.aggression = aggression
        self.monitors = [m for m in monitors if getattr(m, "monitor", None) == "val_loss"]
        if early_stopping is not None and early_stopping not in self.monitors \
                and getattr(early_stopping, "monitor", None) == "val_loss":
            self.monitors.append(early_stopping)
        self.early_stopping = early_stopping
        self.weights: dict[str, list[float | None]] = {h.name: [] for h in self.heads}
        self._logs: list[dict[str, float] | None] = []  # None: an epoch of an earlier, resumed run
        self._first_epoch: int | None = None
        self._record: int | None = None  # local index of the best epoch when no EarlyStopping is given
        self._restored: tuple[dict[str, list[float]], dict[str, float]] | None = None
        self._start = 0
        self._restored_logs: list[dict[str, float]] = []  # the epoch logs of a resumed run's history

    def restore(self, history: Mapping[str, Any]) -> None:
        """Continue an interrupted run from its ``history.json`` (call before ``fit``).

        The λ history continues, λ is set to the value chosen after the last finished epoch, and
        the epoch count E continues (so a resumed run damps instead of jumping again).  The
        earlier epochs' losses come from the history, so the record epoch found before the
        interruption still has its ``best`` rewritten when λ changes.
        """
        used = history.get(HISTORY_KEY) or {}
        pending = history.get(NEXT_KEY) or {}
        self._restored = ({h.name: [float(v) for v in used.get(h.name, [])] for h in self.heads},
                          {name: float(v) for name, v in pending.items()})
        columns = {k: v for k, v in history.items() if isinstance(v, list)}
        done = len(columns.get("loss", []))
        self._restored_logs = [{k: float(v[i]) for k, v in columns.items() if i < len(v) and _is_number(v[i])}
                               for i in range(done)]

    # -- setup -------------------------------------------------------------------------------

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Set λ₀ for adaptive heads: the given counts-loss-weight, else 37 · f · ĉ (or the restored λ)."""
        self._first_epoch, self._record = None, None
        pending: dict[str, float] = {}
        if self._restored is not None:
            used, pending = self._restored
            done = max((len(v) for v in used.values()), default=0)
            # A head missing from the old history (renamed, added) gets None for the earlier epochs.
            self.weights = {name: [None] * (done - len(values)) + list(values) for name, values in used.items()}
            known = self._restored_logs[:done]
            self._logs = [None] * (done - len(known)) + list(known)
            for head in self.heads:
                if head.name in pending:
                    head.loss.set_weight(pending[head.name])
        else:
            self.weights = {h.name: [] for h in self.heads}
            self._logs = []
        self._start = len(self._logs)  # epochs of earlier, resumed runs
        for head in self.heads:
            if head.frac_target is None or head.name in pending:
                continue
            if head.initial_weight is not None:
                start = float(head.initial_weight)
            elif head.mean_counts is not None and head.mean_counts > 0:
                start = MAGIC_INITIAL * head.frac_target * float(head.mean_counts)
                log.info("head %s: initial counts-loss-weight %.4g = 37 · %.3g · mean counts %.4g",
                         head.name, start, head.frac_target, head.mean_counts)
            else:
                raise SpecError(f"cannot estimate the initial counts-loss-weight of head '{head.name}': "
                                f"its mean counts is {head.mean_counts}",
                                hint="give counts-loss-weight explicitly, or check that the head has reads")
            head.loss.set_weight(start)

    # -- per epoch ---------------------------------------------------------------------------

    def _key(self, logs: dict, head: AdaptiveHead, kind: str) -> str:
        """The train-side log key of a head's profile or counts loss (see :class:`AdaptiveHead`)."""
        given = head.profile_key if kind == "profile" else head.counts_key
        output = head.profile_output if kind == "profile" else head.counts_output
        metric = "multinomial_nll" if kind == "profile" else head.loss.name
        candidates = [given] if given is not None else [f"{output}_{metric}", f"{output}_loss"]
        for key in candidates:
            if key in logs:
                if kind == "profile":
                    head.profile_key = key
                else:
                    head.counts_key = key
                return key
        raise KeyError(f"adaptive counts weight, head '{head.name}': none of {candidates} is in the epoch logs "
                       f"(keys: {sorted(logs)}); compile with the losses as metrics or set profile_key/counts_key")

    def _losses(self, index: int, head: AdaptiveHead, validation: bool) -> tuple[float, float]:
        logs = self._logs[index]
        assert logs is not None, "losses of a resumed run's earlier epochs are unknown"
        prefix = "val_" if validation else ""
        return (float(logs[prefix + self._key(logs, head, "profile")]),
                float(logs[prefix + self._key(logs, head, "counts")]))

    def _has_validation(self, index: int) -> bool:
        logs = self._logs[index]
        assert logs is not None
        return all("val_" + self._key(logs, h, k) in logs for h in self.heads for k in ("profile", "counts"))

    def _val_loss_at(self, index: int, now: dict[str, float]) -> float:
        """Validation loss of epoch ``index`` had it used the λ values in ``now``."""
        total = 0.0
        for head in self.heads:
            p, c = self._losses(index, head, validation=True)
            total += head.profile_weight * p + c * now[head.name] / self.weights[head.name][index]
        return total

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not logs:
            raise ValueError("the adaptive counts weight needs the epoch logs")
        if self._first_epoch is None:
            self._first_epoch = epoch
        index = len(self._logs)
        self._logs.append({k: float(v) for k, v in logs.items() if _is_number(v)})
        validation = self._has_validation(index)
        current = {h.name: h.loss.weight for h in self.heads}
        for head in self.heads:
            self.weights[head.name].append(current[head.name])
        if validation:
            self._track_record(index, current)

        changed = False
        for head in self.heads:
            if head.frac_target is None:
                continue
            p, c = self._losses(index, head, validation=validation and index == 0)
            weight = current[head.name]
            if not (math.isfinite(p) and math.isfinite(c)):
                log.warning("head %s, epoch %d: losses are not finite (profile %s, counts %s); "
                            "counts-loss-weight stays %.4g", head.name, epoch, p, c, weight)
                continue
            new, target, clamped = next_weight(index, weight, p, c, head.frac_target, self.aggression)
            if clamped and index <= EARLY_EPOCHS:
                log.warning("head %s, epoch %d: the counts-loss-weight %.4g is far from the %.4g the losses ask for; "
                            "clamped to %.4g. Consider starting from counts-loss-weight ≈ %.4g",
                            head.name, epoch, weight, target, new, target)
            log.debug("head %s, epoch %d: λ %.5g → %.5g (undamped %.5g), counts fraction %.3f, target %.3f",
                      head.name, epoch, weight, new, target, c / (p + c) if p + c else math.nan, head.frac_target)
            head.loss.set_weight(new)
            changed = changed or new != weight
        if validation:
            self._reset_monitors()
        if changed:
            refresh_compiled_steps(self.model)

    def _track_record(self, index: int, current: dict[str, float]) -> None:
        """Keep the best epoch (by val loss at today's λ) when no EarlyStopping tells us."""
        if self._record is None or self._val_loss_at(index, current) < self._val_loss_at(self._record, current):
            self._record = index

    def _record_index(self) -> int | None:
        best = getattr(self.early_stopping, "best_epoch", None) if self.early_stopping is not None else None
        if best is not None and self._first_epoch is not None:
            index = self._start + best - self._first_epoch
            if 0 <= index < len(self._logs) and self._logs[index] is not None:
                return index
        return self._record

    def _reset_monitors(self) -> None:
        """Rewrite ``best`` of val_loss monitors with the record epoch's loss at the new λ."""
        record = self._record_index()
        if record is None or not self.monitors:
            return
        corrected = self._val_loss_at(record, {h.name: h.loss.weight for h in self.heads})
        for monitor in self.monitors:
            monitor.best = corrected

    # -- results -----------------------------------------------------------------------------

    def history_entry(self) -> dict[str, dict[str, Any]]:
        """``{"counts-loss-weight": {head: [λ used in epoch 0, 1, …]}, "counts-loss-weight-next": {head: λ}}``.

        The first key is BPReveal's; the second is what :meth:`restore` needs to resume.
        """
        return {HISTORY_KEY: {name: list(values) for name, values in self.weights.items()},
                NEXT_KEY: {h.name: h.loss.weight for h in self.heads}}


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


__all__ = ["AGGRESSION", "HISTORY_KEY", "NEXT_KEY", "AdaptiveCountsLossWeight", "AdaptiveHead", "next_weight"]
