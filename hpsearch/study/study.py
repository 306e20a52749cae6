"""`Study`: the outcome of a search, for people in notebooks (much as Optuna's Study)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import count
from .record import Goal, TrialResult, counts

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Study:
    space: dict
    goal: Goal
    trials: list = field(default_factory=list)  # TrialResult, by trial number
    regions: list = field(default_factory=list)  # each round's region, as recorded

    def __repr__(self) -> str:
        return f"<Study {describe(self.trials, self.goal)}; {len(self.regions)} rounds>"

    @property
    def best_trial(self) -> TrialResult | None:
        """The best finished trial (None when none finished)."""
        return self.goal.best(self.trials)

    @property
    def best_params(self) -> dict | None:
        """The hyperparameters the best trial ended with."""
        best = self.best_trial
        return best.final_params if best else None

    @property
    def best_value(self) -> float | None:
        best = self.best_trial
        return best.value if best else None

    def trials_dataframe(self) -> pd.DataFrame:
        """One row per trial, best first: trial, round, status, each hyperparameter (NaN where
        it did not apply), the value, each metric, epochs, seconds, seed, error."""
        import pandas as pd  # noqa: PLC0415  (0.4 s to import: searching does not need it)

        rows = []
        for r in self.goal.best_first(self.trials):
            row = {
                "trial": r.trial,
                "round": r.round,
                "status": r.status,
                **{n: r.params.get(n) for n in self.space},
            }
            row[self.goal.metric] = r.value
            row.update({k: v for k, v in r.metrics.items() if k != self.goal.metric})
            row.update(epochs=r.epochs, seconds=r.seconds, seed=r.seed, error=r.error)
            rows.append(row)
        return pd.DataFrame(rows)


def describe(trials: list, goal: Goal) -> str:
    """What a list of records holds, in a line: '40 trials (38 ok, 2 failed), value
    maximized; best 0.9889 (trial 5: lr=0.01, units=64)'."""
    words = ", ".join(f"{n} {s}" for s, n in counts(trials).items() if n)
    text = f"{count(len(trials), 'trial')} ({words or 'none'}), {goal.metric} {goal.direction}d"
    best = goal.best(trials)
    if best is not None:
        values = "".join(f", {k}={_short(v)}" for k, v in best.final_params.items())
        text += f"; best {_short(best.value)} (trial {best.trial}{values})"
    return text


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
