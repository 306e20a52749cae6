"""`Study`: the outcome of a search, for people in notebooks (much as Optuna's Study)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .record import Goal, TrialResult

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Study:
    space: dict
    goal: Goal
    trials: list = field(default_factory=list)  # TrialResult, by trial number
    regions: list = field(default_factory=list)  # each round's region, as recorded

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
