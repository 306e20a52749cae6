"""Stopping unpromising trials early: the median rule and successive halving.

Both compare a trial, at the end of an epoch, with what *earlier* trials measured at that same
epoch: those of earlier rounds, and in the first round, which runs in two halves, the first
half (`loop.waves`). Those trials are known before the trial's group starts, so the rule of a
whole group is fixed before it starts (`Pruning.rule_for`), travels with each trial to
whichever worker runs it, and no decision depends on which worker finished first, on the number
of workers, or on an interruption: a resumed run decides exactly as an uninterrupted one. The
price is that a group does not learn from its own trials, and a wait at the end of each group.

- median: a trial whose metric at epoch e is worse than the median of the earlier trials'
  metrics at epoch e stops (after `warmup` epochs, where at least `min_trials` earlier trials
  reached epoch e).
- halving: rungs at min_epochs x reduction^k epochs; at a rung a trial goes on only if it is
  among the best 1/reduction of the earlier trials that reached the rung, itself counted (and at
  least `min_trials` of them did). A promoted trial simply trains on: it is never restarted.
  Accuracy on a small dev set moves in steps, so many trials tie at a rung;
  a tie goes to the lower value of the `tiebreak` metric when the objective names one (the
  built-in network: its dev cost), and otherwise the trial goes on. One ordering (`_key`)
  both ranks the earlier trials and judges a trial against the threshold; the median rule's
  threshold has no tie-break, so a trial level with the median goes on.

Past halving's last rung a trial will train to its end whatever happens, so it need not hold up
the next group: it pauses there, keeping its state (weights, optimiser moments, random state),
and finishes beside the next group's trials (`loop.Groups`). The next round ranks such trials
by their metric at the last rung, what is known of all of them when it starts
(`Pruning.standing`), so nothing depends on whether one had finished by then. The first half of
the first round, with nothing to compare with, pauses there too, and only the best 1/reduction
of it goes on: the second half's rule, which counts it, judges it.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from dataclasses import dataclass, field

from ..errors import UserError, check_whole, unknown
from .record import Goal

METHODS = ("none", "median", "halving")
SETTINGS = {
    "median": ("warmup", "min_trials"),
    "halving": ("min_epochs", "reduction", "min_trials"),
}
LOWEST = {"warmup": 0, "min_trials": 1, "min_epochs": 1, "reduction": 2}


@dataclass(frozen=True)
class Pruning:
    """The `search.prune` setting."""

    method: str = "none"
    warmup: int = 5
    min_trials: int = 5
    min_epochs: int = 1
    reduction: int = 3
    epochs: int | None = (
        None  # how long trials train, when known (not a YAML setting): else no pause
    )
    tiebreak: str | None = (
        None  # halving: of two trials level on the metric, the lower one goes on
    )

    @classmethod
    def parse(cls, value, key: str = "search.prune") -> Pruning:
        """`none`, `median`, `halving`, or a mapping {method: ..., setting: value}."""
        if value is None:
            value = "none"
        if isinstance(value, str):
            value = {"method": value}
        if not isinstance(value, dict):
            raise UserError(
                f"{value!r} is not a pruning method",
                key=key,
                fix="write none, median, halving or {method: halving, min_epochs: 2}",
            )
        method = value.get("method", "none")
        if method not in METHODS:
            raise unknown(
                "pruning method", method, METHODS, key=f"{key}.method" if len(value) > 1 else key
            )
        allowed = SETTINGS.get(method, ())
        settings = {}
        for name, setting in value.items():
            if name == "method":
                continue
            if name not in allowed:
                if any(name in names for names in SETTINGS.values()):
                    raise UserError(
                        f"{name} does not apply to {method}",
                        key=f"{key}.{name}",
                        fix=f"{method} takes: {', '.join(allowed) or 'no settings'}",
                    )
                raise unknown(
                    f"{method} setting", name, allowed or ["method"], key=f"{key}.{name}"
                )
            low = LOWEST[name]
            check_whole(setting, low, f"{key}.{name}", f"use {low} or more")
            settings[name] = setting
        return cls(method, **settings)

    def to_dict(self) -> dict | str:
        if self.method == "none":
            return "none"
        return {"method": self.method, **{k: getattr(self, k) for k in SETTINGS[self.method]}}

    def pause_rung(self, epochs: int | None) -> int | None:
        """Halving's last rung before `epochs`: a trial promoted there trains to its end."""
        if self.method != "halving" or not epochs:
            return None
        rung, last = self.min_epochs, None
        while rung < epochs:
            last, rung = rung, rung * self.reduction
        return last

    def standing(self, result, goal: Goal, epochs: int | None = None):
        """`result` as a later round ranks it: a trial that reached halving's last rung before
        its `epochs` (by default the trials' length), as it stood there (a paused trial and the
        same trial finished stand alike)."""
        rung = self.pause_rung(epochs if epochs is not None else self.epochs)
        if rung is None or result.status in ("pruned", "failed"):
            return result
        value = result.intermediate(goal.metric).get(rung)
        if value is None:
            return result
        return dataclasses.replace(result, status="ok", value=value)

    def rule_for(self, earlier: list, goal: Goal) -> PruneRule | None:
        """The rule of a round, from the records (with curves) of the rounds before it."""
        if self.method == "none":
            return None
        by_epoch: dict[int, list[tuple]] = {}
        for result in earlier:
            tiebreak = self.tiebreak if self.tiebreak != goal.metric else None
            ties = result.intermediate(tiebreak) if tiebreak else {}
            for epoch, value in result.intermediate(goal.metric).items():
                by_epoch.setdefault(epoch, []).append((value, ties.get(epoch)))
        thresholds = {}
        for epoch, values in sorted(by_epoch.items()):
            if len(values) < self.min_trials or not self._checked(epoch):
                continue
            if self.method == "median":
                thresholds[epoch] = (statistics.median(v for v, _ in values), len(values), None)
            else:
                best = sorted(values, key=lambda v: _key(goal, *v), reverse=True)
                survivors = max(1, (len(values) + 1) // self.reduction)
                value, tie = best[survivors - 1]
                thresholds[epoch] = (value, len(values), tie)
        if not thresholds and self.pause_rung(self.epochs) is None:
            return None
        return PruneRule(self, goal, thresholds)

    def _checked(self, epoch: int) -> bool:
        if self.method == "median":
            return epoch > self.warmup
        rung = self.min_epochs
        while rung < epoch:
            rung *= self.reduction
        return rung == epoch


@dataclass(frozen=True)
class PruneRule:
    """A round's pruning decisions: epoch -> (threshold, how many earlier trials set it, the
    threshold trial's `tiebreak` value or None)."""

    pruning: Pruning
    goal: Goal
    thresholds: dict = field(default_factory=dict)

    def check(self, epoch: int, value: float, tie: float | None = None) -> str | None:
        """Why a trial whose metric is `value` (and tie-break metric `tie`) after `epoch`
        epochs stops, or None to go on."""
        if epoch not in self.thresholds or self.goal.score(value) == -float("inf"):
            return None
        threshold, n, threshold_tie = self.thresholds[epoch]
        if _key(self.goal, value, tie) >= _key(self.goal, threshold, threshold_tie):
            return None
        metric = self.goal.metric
        if self.goal.score(value) == self.goal.score(threshold):  # lost on the tie-break
            return (
                f"{metric} {value:.4g} at epoch {epoch} ties the last of the best "
                f"1/{self.pruning.reduction} of {n} earlier trials, whose {self.pruning.tiebreak} "
                f"{threshold_tie:.4g} is lower" + (f" than {tie:.4g}" if tie is not None else "")
            )
        if self.pruning.method == "median":
            return (
                f"{metric} {value:.4g} at epoch {epoch} is worse than {threshold:.4g}, "
                f"the median of {n} earlier trials"
            )
        share = f"1/{self.pruning.reduction}"
        return (
            f"{metric} {value:.4g} at epoch {epoch} is not among the best {share} of {n} earlier "
            f"trials (needs {threshold:.4g})"
        )


def _key(goal: Goal, value: float, tie: float | None) -> tuple:
    """Larger is better: by the metric, then by the lower tie-break metric (a missing one last, so
    trials that record none, like a custom objective's, stay level)."""
    return (goal.score(value), -tie if tie is not None and math.isfinite(tie) else -math.inf)
