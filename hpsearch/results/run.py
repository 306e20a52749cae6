"""A run as read back: its trials best first, counts, importance, and its best model.

A `Run`'s `trials` (pandas, best first) show each trial's hyperparameters as it ended (after
nudges and rollbacks, listed in `interventions`). Every order here is `Goal`'s; the CLI only
formats.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import BUILTIN_METRICS, Config
from ..errors import UserError, unknown
from ..importance import MIN_TRIALS, importance
from ..nn.model import Model
from ..store import RunDir
from ..store.checkpoints import UNREADABLE
from ..study import HEAD_COLUMNS, TAIL_COLUMNS, Goal, TrialResult, counts, describe

NOT_PARAMS = {*HEAD_COLUMNS, *BUILTIN_METRICS, "metrics", *TAIL_COLUMNS}


@dataclass
class Run:
    name: str
    path: Path
    results: list  # TrialResult, by trial number
    params: list  # the searched hyperparameters, in table order
    goal: Goal
    config: Config | None = None  # None for a bare trials.csv
    regions: list = field(default_factory=list)  # rounds.json
    best: dict | None = None  # best.json
    curves: pd.DataFrame | None = None

    def __repr__(self) -> str:
        rounds = len(self.regions)
        return f"<Run {self.path}: {describe(self.results, self.goal)}; {rounds} rounds>"

    @property
    def metric(self) -> str:
        return self.goal.metric

    @property
    def space(self) -> dict:
        return self.config.space if self.config else {}

    @property
    def step(self) -> str:
        """'epoch', or 'fold' for an estimator's run (see Config.step)."""
        return self.config.step if self.config else "epoch"

    @property
    def trials(self) -> pd.DataFrame:
        """One row per trial, best first."""
        return self.ranked()

    def frame(self, results=None) -> pd.DataFrame:
        results = self.results if results is None else results
        rows = []
        for r in results:
            row = {"trial": r.trial, "round": r.round, "status": r.status}
            row.update({p: r.final_params.get(p) for p in self.params})
            row.update({self.metric: r.value if r.status != "failed" else None})
            row.update({k: v for k, v in r.metrics.items() if k != self.metric})
            row.update(
                epochs=r.epochs,
                seconds=r.seconds,
                seed=r.seed,
                error=r.error,
                interventions="; ".join(
                    f"after epoch {i['epoch']}: {i['change']}" for i in r.interventions
                ),
            )
            rows.append(row)
        columns = ["trial", "round", "status", *self.params, self.metric]
        return pd.DataFrame(rows, columns=None if rows else columns)

    def ranked(
        self,
        sort: str | None = None,
        ascending: bool | None = None,
        top: int | None = None,
        rnd: int | None = None,
    ) -> pd.DataFrame:
        """Trials best first (by the goal), or ordered by column `sort`: a metric best first
        (by the goal's rule), any other column ascending, or as `ascending` says."""
        results = self.results if rnd is None else [r for r in self.results if r.round == rnd]
        if rnd is not None and not results:
            rounds = sorted({r.round for r in self.results})
            raise UserError(
                f"the run has no round {rnd}",
                key="--round",
                fix=f"rounds: {', '.join(map(str, rounds))}",
            )
        frame = self.frame(self.goal.best_first(results))
        if sort is not None:
            if sort not in frame.columns:
                raise unknown("sort column", sort, list(frame.columns), key="--sort")
            measured = sort == self.metric or any(sort in r.metrics for r in results)
            if ascending is None and not measured:
                ascending = True  # a hyperparameter, the trial number...: smallest first
            elif ascending is None:  # a metric: best first
                ascending = (
                    Goal.of(sort).direction == "minimize"
                    if sort != self.metric
                    else self.goal.sign < 0
                )
            frame = frame.sort_values(
                sort, ascending=ascending, na_position="last", kind="mergesort", key=_orderable
            )
        frame = frame.reset_index(drop=True)
        return frame.head(top) if top else frame

    def counts(self) -> dict:
        return counts(self.results)

    def best_result(self) -> TrialResult | None:
        return self.goal.best(self.results)

    def importance(self) -> tuple[list[dict], int | None]:
        """How much of the metric's variance each hyperparameter explains alone (see
        hpsearch.importance), and the epoch it was judged at: None for the trials' ends, or,
        when pruning left fewer than MIN_TRIALS finished, the last epoch that MIN_TRIALS or
        more trials reached, at which it compares them all. Needs the run directory, whose
        config gives the space."""
        if self.config is None:
            raise UserError(
                "importance needs the run's config",
                key="--importance",
                fix="give the run directory, not a trials.csv file",
            )
        results, epoch = self.results, None
        if len(self.goal.finished(results)) < MIN_TRIALS and self.curves is not None:
            results, epoch = self._at_last_common_epoch(results)
        return importance(self.space, results, self.goal, self.config.seed), epoch

    def _at_last_common_epoch(self, results):
        """The finished and pruned records as they stood at the last epoch MIN_TRIALS or more
        of them reached (each trial's last row for that epoch: a rollback may have trained it
        twice)."""
        ranked = {r.trial for r in results if r.status in ("ok", "pruned")}
        curves = self.curves[self.curves["trial"].isin(ranked)].dropna(subset=[self.metric])
        curves = curves.drop_duplicates(["trial", "epoch"], keep="last")
        counts = curves.groupby("epoch")["trial"].nunique()
        reached = counts[counts >= MIN_TRIALS]
        if reached.empty:
            return results, None
        epoch = int(reached.index.max())
        at = curves[curves["epoch"] == epoch].set_index("trial")[self.metric]
        standing = [
            dataclasses.replace(r, status="ok", value=float(at[r.trial]))
            for r in results
            if r.trial in at.index
        ]
        return standing, epoch

    def load_model(self):
        """The best model, predicting on raw inputs (see hpsearch.load_model)."""
        return load_model(self.path)


def load_model(run_path):
    """The best model of a run, fitted and ready to predict on raw inputs: for the built-in
    network, a scikit-learn `hpsearch.MLP` that standardises them as the run's data was and
    predicts the original labels; for an `estimator:`, the best estimator refitted on train and
    dev (best.joblib)."""
    run = RunDir.open(run_path)
    if run.best_joblib.exists():
        import joblib  # noqa: PLC0415  (only runs of an estimator need it)

        return joblib.load(run.best_joblib)
    if not run.best_npz.exists():
        raise UserError(
            f"run '{run.path}' has no best.npz",
            fix="runs of the built-in network have one once a trial finishes",
        )
    try:
        with np.load(run.best_npz, allow_pickle=False) as f:
            model = Model().load_state_dict(dict(f))
    except UNREADABLE as e:
        raise UserError(
            f"cannot read best.npz ({type(e).__name__}): cut short or damaged",
            file=run.best_npz,
            fix="restore it, or run the search again (best.json names the best trial's values)",
        ) from None
    from ..estimators import MLP  # noqa: PLC0415  (scikit-learn takes 1.4 s: only here)

    return MLP.from_model(model)


def _orderable(column: pd.Series) -> pd.Series:
    """A column's values made comparable to each other: numbers before text (a categorical such
    as batch_size [64, full] holds both), missing ones left missing (they sort last)."""
    if column.dtype != object:
        return column
    return column.map(lambda v: v if v is None or v != v else (isinstance(v, str), v))
