"""A trial of a scikit-learn estimator: cross-validation fold by fold, for pruning.

`CrossValidation(estimator, X, y, splits, scorer)` is an objective `f(config, trial)` for
`hpsearch.search` (`HPSearchCV`) and for a run whose YAML names an `estimator:`. It fits a
clone of the estimator with the trial's values on each training fold and scores it on the
held-out fold; after fold k it reports the running mean of the k scores as the trial's metric
at "epoch" k, so median or halving stop a trial whose first folds already trail (a fold's
score is a noisy estimate of the mean, as an early epoch is of the final metric).
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import clone
from sklearn.utils import _safe_indexing

from ..errors import UserError, unknown

SCORE = "score"  # the metric a trial reports: the mean of its folds' test scores


class CrossValidation:
    """The objective: `(config, trial) -> metrics` with `metric` (the mean test score over the
    folds run), `split<k>_test_score` (NaN for folds a pruned trial did not run), the fit and
    score times (`mean_fit_time`, `std_fit_time`, `mean_score_time`, `std_score_time`) and
    `n_folds`, the folds run."""

    def __init__(self, estimator, X, y, splits, scorer, metric: str = SCORE):
        self.estimator, self.X, self.y = estimator, X, y
        self.splits, self.scorer, self.metric = list(splits), scorer, metric

    def __call__(self, config: dict, trial=None) -> dict:
        estimator = clone(self.estimator).set_params(**config)
        scores, fit_times, score_times = [], [], []
        for k, (train, test) in enumerate(self.splits):
            start = time.perf_counter()
            fitted = clone(estimator).fit(self._part(self.X, train), self._part(self.y, train))
            fit_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            scores.append(
                float(self.scorer(fitted, self._part(self.X, test), self._part(self.y, test)))
            )
            score_times.append(time.perf_counter() - start)
            last = k + 1 == len(self.splits)
            if trial is not None and trial.report(k + 1, float(np.mean(scores)), last=last):
                break
        out = {self.metric: float(np.mean(scores))}
        for k in range(len(self.splits)):
            out[f"split{k}_test_score"] = scores[k] if k < len(scores) else float("nan")
        for name, times in (("fit_time", fit_times), ("score_time", score_times)):
            out[f"mean_{name}"], out[f"std_{name}"] = float(np.mean(times)), float(np.std(times))
        out["n_folds"] = len(scores)
        return out

    @staticmethod
    def _part(data, indices):
        return None if data is None else _safe_indexing(data, indices)


def fold_pruning(prune):
    """`prune` (none, median, halving, or a mapping as in the YAML) for a trial whose epochs are
    folds: median judges from the first fold (its default warm-up counts 5 epochs, as many as
    the folds, so it would never judge), unless the warm-up is given."""
    if prune == "median":
        return {"method": "median", "warmup": 0}
    if isinstance(prune, dict) and prune.get("method") == "median" and "warmup" not in prune:
        return {**prune, "warmup": 0}
    return prune


def seeded(estimator, seed: int):
    """`estimator` with every `random_state` it leaves to chance (None, nested ones included)
    set to `seed`, as scikit-learn's ensembles seed their parts: the same config and seed give
    the same scores whatever the number of workers, and the refitted best is the model its
    trial scored. A random_state the user gave is kept."""
    unseeded = {
        name: seed
        for name, value in estimator.get_params(deep=True).items()
        if (name == "random_state" or name.endswith("__random_state")) and value is None
    }
    return estimator.set_params(**unseeded) if unseeded else estimator


def check_names(estimator, names, key: str = "space") -> None:
    """Raise UserError for a name that is not one of `estimator`'s parameters (nested ones,
    `step__param`, included), suggesting the nearest."""
    valid = sorted(estimator.get_params(deep=True))
    kind = f"parameter of {type(estimator).__name__}"
    for name in names:
        if name not in valid:
            raise unknown(kind, name, valid, key=f"{key}.{name}")


def as_value_error(error: UserError) -> ValueError:
    """A UserError as scikit-learn's estimators report bad arguments."""
    return ValueError(error.message)
