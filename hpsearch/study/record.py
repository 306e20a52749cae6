"""One trial's record, and one goal that says which records are best.

`TrialResult` is what every objective returns, what the search loop keeps, what a run's
trials.csv holds a row of (`to_row` / `from_row`), and what results, plots and best.json are
made from. `Goal` holds a metric's direction, decided by one rule (`Goal.of`), and the one
"best first" order of records.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

from ..errors import unknown

# Every status a trial can have, in the order ranked. `paused`: stopped at a pruning rung until
# the trials it is judged with get there; the search continues or prunes it, so no table holds it.
STATUSES = ("ok", "pruned", "paused", "diverged", "failed")
RECORDED = tuple(s for s in STATUSES if s != "paused")  # the statuses a table holds
# A metric is minimised when its last word, past a statistic (error_rate, val_loss_mean), names
# a cost; or when the name ends in one (logloss). scikit-learn's neg_* scores are maximised.
MINIMISED = re.compile(r"(cost|loss|error|regret|seconds|time)$")
COST_WORDS = {"cost", "loss", "error", "errors", "regret", "seconds", "time", "mse", "rmse"}
COST_WORDS |= {"mae", "nll", "perplexity", "latency", "err", "wer", "cer"}
STATISTICS = {"mean", "avg", "average", "median", "rate", "pct", "percent", "total", "sum"}
DIRECTIONS = ("maximize", "minimize")
HEAD_COLUMNS = ("trial", "round", "status")
TAIL_COLUMNS = ("epochs", "seconds", "seed", "error")


def counts(results) -> dict:
    """status -> how many of `results` have it, for every status a table holds."""
    return {s: sum(r.status == s for r in results) for s in RECORDED}


def table_columns(space_names, metric_columns) -> list[str]:
    """trials.csv's columns, in the contract's order."""
    return [*HEAD_COLUMNS, *space_names, *metric_columns, *TAIL_COLUMNS]


@dataclass
class TrialResult:
    """A finished trial: how it ended, what it was given, what it measured."""

    trial: int
    round: int
    status: str  # one of STATUSES: ok | pruned (stopped early; `epochs` says when) | ...
    params: dict  # the sampled values; a conditional hyperparameter that did not apply is absent
    value: float | None = None  # the goal's metric at the end (None when failed)
    metrics: dict = field(default_factory=dict)  # every metric at the end, the goal's included
    epochs: int | None = None  # epochs trained
    seconds: float = 0.0  # training time, across resumes and rollbacks
    seed: int | None = None
    error: str = ""
    interventions: list = field(default_factory=list)  # dicts: epoch, kind, change, values
    curve: list = field(default_factory=list, repr=False)  # per-epoch dicts: epoch, metrics
    model: dict | None = field(default=None, repr=False)  # trained weights; never in a table
    traceback: str = field(default="", repr=False)  # a failed trial's last frames, as text
    exception: BaseException | None = field(default=None, repr=False, compare=False)

    def __getstate__(self):
        """Pickled (to or from a worker) without the exception object, which may not unpickle
        in another process; its traceback text travels."""
        return {**self.__dict__, "exception": None}

    @property
    def final_params(self) -> dict:
        """The values the trial ended with: the sampled ones, changed by its interventions."""
        out = dict(self.params)
        for intervention in self.interventions:
            out.update(dict(intervention.get("values", {}).items()))
        return out

    def intermediate(self, metric: str) -> dict:
        """epoch -> the metric at the end of that epoch, from the curve."""
        out = {}
        for record in self.curve:
            value = record.get(metric)
            if value is not None and math.isfinite(value):
                out[int(record["epoch"])] = float(value)
        return out

    def to_row(self, space_names, metric_columns) -> dict:
        """The trials.csv row: trial, round, status, one cell per hyperparameter (empty when
        it did not apply), the metric columns, epochs, seconds, seed, error. A column named
        `metrics` holds, as JSON, the metrics that have no column of their own."""
        row = {"trial": self.trial, "round": self.round, "status": self.status}
        row.update({n: self.params.get(n) for n in space_names})
        for column in metric_columns:
            if column == "metrics":
                rest = {k: v for k, v in self.metrics.items() if k not in metric_columns}
                row[column] = json.dumps(rest) if rest else None
            else:
                row[column] = self.metrics.get(column)  # empty when it did not measure it
        row.update(
            epochs=self.epochs, seconds=round(self.seconds, 3), seed=self.seed, error=self.error
        )
        return row

    @classmethod
    def from_row(cls, row: dict, space: dict, metric: str) -> TrialResult:
        """A trials.csv row (strings) back as a record; raises ValueError on a bad cell."""
        params = {n: d.parse(row[n]) for n, d in space.items() if row.get(n) not in (None, "")}
        metrics = json.loads(row["metrics"]) if row.get("metrics") else {}
        for column, text in row.items():
            if column not in space and column not in (
                "trial",
                "round",
                "status",
                "metrics",
                *TAIL_COLUMNS,
            ):
                metrics[column] = _number(text)
        value = metrics.get(metric)
        status = row["status"]
        if status not in RECORDED:
            raise ValueError(f"status {status!r} is not one of {', '.join(RECORDED)}")
        return cls(
            trial=int(row["trial"]),
            round=int(row["round"]),
            status=status,
            params=params,
            value=value if status in ("ok", "pruned") else None,
            metrics=metrics,
            epochs=int(row["epochs"]) if row.get("epochs") else None,
            seconds=_number(row.get("seconds")) or 0.0,
            seed=int(row["seed"]) if row.get("seed") else None,
            error=row.get("error") or "",
        )


def _number(text):
    return float(text) if text not in (None, "") else math.nan


@dataclass(frozen=True)
class Goal:
    """The metric a search optimises and its direction."""

    metric: str = "value"
    direction: str = "maximize"

    def __post_init__(self):  # anything but maximize counted as minimize (goal="max")
        if self.direction not in DIRECTIONS:
            raise unknown("goal", self.direction, DIRECTIONS, key="goal")

    @classmethod
    def of(cls, metric: str, direction: str | None = None) -> Goal:
        """The goal for `metric`: `direction` when given, else the one rule: costs, losses,
        errors, regrets and times are minimised, everything else maximised."""
        return cls(metric, direction or ("minimize" if _minimised(metric) else "maximize"))

    @property
    def sign(self) -> float:
        return 1.0 if self.direction == "maximize" else -1.0

    def score(self, value) -> float:
        """`value` turned so that larger is better; -inf for a missing or non-finite one."""
        if value is None or not math.isfinite(value):
            return -math.inf
        return self.sign * float(value)

    def better(self, a, b) -> bool:
        """Whether value `a` is strictly better than `b`."""
        return self.score(a) > self.score(b)

    def rank_key(self, result: TrialResult) -> tuple:
        """Best first: finished trials by their value, then pruned ones and then paused ones
        (those that went further first, then by value), then diverged, then failed; ties by
        trial number."""
        order = STATUSES.index(result.status)
        if result.status == "ok":
            return (order, 0, -self.score(result.value), result.trial)
        if result.status in ("pruned", "paused"):
            return (order, -(result.epochs or 0), -self.score(result.value), result.trial)
        return (order, 0, 0.0, result.trial)

    def best_first(self, results) -> list:
        return sorted(results, key=self.rank_key)

    def finished(self, results) -> list:
        """The trials trained to the end with a finite value: those a result compares."""
        return [r for r in results if r.status == "ok" and self.score(r.value) > -math.inf]

    def best(self, results) -> TrialResult | None:
        """The best finished trial with a finite value, or None."""
        ok = self.finished(results)
        return min(ok, key=self.rank_key) if ok else None


def _minimised(metric: str) -> bool:
    words = [w for w in re.split(r"[^a-z0-9]+", str(metric).lower()) if w]
    if not words or words[0] == "neg":
        return False
    while len(words) > 1 and words[-1] in STATISTICS:
        words.pop()
    return words[-1] in COST_WORDS or bool(MINIMISED.search(words[-1]))
