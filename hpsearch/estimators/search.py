"""`HPSearchCV`: hpsearch's search as a scikit-learn meta-estimator.

`HPSearchCV(estimator, space, budget=40).fit(X, y)` searches any estimator's parameters as
`hpsearch.search` searches a function (it is that search, on `folds.CrossValidation`): values
on their scales, rounds sized by the budget and refined coarse-to-fine, trials pruned across
folds. The outcome reads as scikit-learn's searches' does: `best_params_`, `best_score_`,
`best_estimator_` (refitted on all the data), `cv_results_` (a dict of arrays that
`pandas.DataFrame` takes), and `predict`, `score` and the rest delegating to the best estimator.
"""

from __future__ import annotations

import copy
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, indexable

from ..errors import UserError
from ..space import parse_distribution
from ..study import Goal, SearchFailed, search
from .folds import SCORE, CrossValidation, as_value_error, check_names, fold_pruning, seeded

GOAL = Goal(SCORE, "maximize")  # scikit-learn's scores are all greater-is-better


def parse_space(space: dict) -> dict:
    """name -> distribution: hpsearch's distributions as they are, YAML-style dicts parsed."""
    if not isinstance(space, dict) or not space:
        raise UserError(f"{space!r} is not a space", key="space", fix="give {name: distribution}")
    out = {}
    for name, entry in space.items():
        if hasattr(entry, "from_unit"):
            out[name] = entry
        else:
            out[name] = parse_distribution(entry, key=f"space.{name}")
    return out


def _best_has(attr: str):
    def check(self) -> bool:
        estimator = getattr(self, "best_estimator_", self.estimator)
        return hasattr(estimator, attr)

    return check


class HPSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Search `estimator`'s parameters over `space` by cross-validation, the hpsearch way.

    space: {name: Float(1e-4, 1, "log") | Int(...) | Categorical(...) | a YAML-style dict such
    as {"low": 0.9, "high": 0.999, "scale": "one_minus_log"}}; names are the estimator's
    parameters (`step__param` in a pipeline). budget: the number of trials (candidates), split
    into coarse-to-fine rounds. cv, scoring, n_jobs: as in scikit-learn's searches (one metric;
    n_jobs runs trials in parallel, each trial's folds in turn). prune: none, median or halving
    (or a mapping as in the YAML): a trial reports its running mean score after each fold and
    stops when it trails the earlier trials there. random_state: the search's seed (None: a
    fresh one), also given to every `random_state` of the estimator left at None, so the result
    is the same whatever n_jobs. refit: refit the best on all the data.
    """

    def __init__(
        self,
        estimator,
        space,
        *,
        budget=40,
        cv=None,
        scoring=None,
        n_jobs=None,
        random_state=0,
        refit=True,
        prune="median",
    ):
        self.estimator = estimator
        self.space = space
        self.budget = budget
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.refit = refit
        self.prune = prune

    def fit(self, X, y=None, groups=None) -> HPSearchCV:
        try:
            space = parse_space(self.space)
            check_names(self.estimator, space)
        except UserError as e:
            raise as_value_error(e) from None
        if isinstance(self.budget, bool) or not isinstance(self.budget, int) or self.budget < 1:
            raise ValueError(f"HPSearchCV.budget: {self.budget!r} is not a number of trials >= 1")
        seed = self.random_state
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        X, y, groups = indexable(X, y, groups)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))
        self.scorer_ = check_scoring(self.estimator, self.scoring)
        estimator = seeded(clone(self.estimator), seed)
        objective = CrossValidation(estimator, X, y, splits, self.scorer_)
        try:
            study = search(
                space,
                objective,
                budget=self.budget,
                seed=seed,
                goal=GOAL.direction,
                metric=GOAL.metric,
                prune=fold_pruning(self.prune),
                n_jobs=self.n_jobs,
            )
        except UserError as e:
            raise as_value_error(e.at(key="HPSearchCV.prune")) from None
        except SearchFailed as e:
            objective(e.results[0].params)  # the first trial's error, raised as it was
            raise ValueError(f"HPSearchCV: {e}") from None
        self.n_splits_, self.study_ = len(splits), study
        self.cv_results_ = cv_results(study.trials, space, len(splits))
        failed = [r for r in study.trials if r.status == "failed"]
        if failed:
            warnings.warn(
                f"{len(failed)} of {len(study.trials)} trials failed; the first with: "
                f"{failed[0].error}",
                FitFailedWarning,
                stacklevel=2,
            )
        best = study.best_trial
        if best is None:
            raise ValueError("HPSearchCV: no trial finished with a finite score")
        self.best_index_, self.best_params_, self.best_score_ = best.trial, best.params, best.value
        if self.refit:
            start = time.perf_counter()
            self.best_estimator_ = clone(estimator).set_params(**self.best_params_)
            self.best_estimator_.fit(X, y)
            self.refit_time_ = time.perf_counter() - start
        return self

    def score(self, X, y=None) -> float:
        """The scoring's score of the best estimator on (X, y)."""
        check_is_fitted(self, "best_estimator_")
        return float(self.scorer_(self.best_estimator_, X, y))

    @available_if(_best_has("predict"))
    def predict(self, X):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    @available_if(_best_has("predict_proba"))
    def predict_proba(self, X):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    @available_if(_best_has("decision_function"))
    def decision_function(self, X):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.decision_function(X)

    @available_if(_best_has("transform"))
    def transform(self, X):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.transform(X)

    @property
    def classes_(self):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.classes_

    @property
    def n_features_in_(self):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.n_features_in_

    def __sklearn_tags__(self):
        """The searched estimator's kind, inputs and targets, as scikit-learn's searches say."""
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = copy.deepcopy(inner.classifier_tags)
        tags.regressor_tags = copy.deepcopy(inner.regressor_tags)
        tags.target_tags = copy.deepcopy(inner.target_tags)
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags


def cv_results(trials: list, space: dict, n_splits: int) -> dict:
    """scikit-learn's `cv_results_` of a search's trials (by trial number): mean and std fit
    and score times, `param_<name>` (masked where a conditional one did not apply), `params`,
    `split<k>_test_score` (NaN for a fold a pruned trial did not run), `mean_test_score` (over
    the folds run), `std_test_score`, `rank_test_score` (finished trials first, then pruned
    ones, as `hpsearch results` ranks them), and hpsearch's `round`, `status` and `n_folds`."""
    metric = lambda name: np.array([r.metrics.get(name, np.nan) for r in trials], dtype=float)
    out = {}
    for name in ("fit_time", "score_time"):
        out[f"mean_{name}"], out[f"std_{name}"] = metric(f"mean_{name}"), metric(f"std_{name}")
    for name in space:
        values = np.empty(len(trials), dtype=object)
        values[:] = [r.params.get(name) for r in trials]
        mask = [name not in r.params for r in trials]
        out[f"param_{name}"] = np.ma.MaskedArray(values, mask=mask)
    out["params"] = [dict(r.params) for r in trials]
    splits = np.column_stack([metric(f"split{k}_test_score") for k in range(n_splits)])
    for k in range(n_splits):
        out[f"split{k}_test_score"] = splits[:, k]
    out["mean_test_score"] = metric(SCORE)
    with warnings.catch_warnings():  # a failed trial's folds are all NaN: its std is NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        out["std_test_score"] = np.nanstd(splits, axis=1)
    order = GOAL.best_first(trials)
    rank, ranks = 0, {}
    for i, r in enumerate(order):
        if i == 0 or GOAL.rank_key(r)[:3] != GOAL.rank_key(order[i - 1])[:3]:
            rank = i + 1
        ranks[r.trial] = rank
    out["rank_test_score"] = np.array([ranks[r.trial] for r in trials], dtype=np.int32)
    out["round"] = np.array([r.round for r in trials])
    out["status"] = np.array([r.status for r in trials], dtype=object)
    out["n_folds"] = np.nan_to_num(metric("n_folds")).astype(int)  # a failed trial: none
    return out
