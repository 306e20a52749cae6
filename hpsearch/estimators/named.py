"""An estimator a config names (`estimator: sklearn.ensemble.HistGradientBoostingClassifier`):
importing it, checking the config's names against its parameters, and a run's trial of it.

A run cross-validates on the config's train and dev parts together (`cv` folds, shuffled by
the run's seed, stratified for a classifier) and keeps the test part for the best estimator,
refitted on train and dev. The metric is the `scoring` (a scikit-learn scorer's name, or the
estimator's own `score`), greater is better.
"""

from __future__ import annotations

import importlib
import inspect

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import KFold, StratifiedKFold

from ..errors import UserError, unknown
from .folds import CrossValidation, check_names


def import_estimator(name: str):
    """The class `package.module.Class` (or `package.module:Class`); UserError at `estimator`
    when it cannot be imported or is not a scikit-learn estimator."""
    module_name, _, class_name = name.replace(":", ".").rpartition(".")
    fix = "name an importable class, such as sklearn.ensemble.HistGradientBoostingClassifier"
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # any import-time failure of user code is the user's to fix
        problem = f"cannot import '{module_name}': {type(e).__name__}: {e}".splitlines()[0]
        raise UserError(problem, key="estimator", fix=fix) from None
    cls = getattr(module, class_name, None)
    if cls is None:
        close = [n for n in dir(module) if not n.startswith("_")]
        raise unknown(f"class in {module_name}", class_name, close, key="estimator")
    if not inspect.isclass(cls) or not hasattr(cls, "get_params"):
        raise UserError(
            f"'{name}' is not a scikit-learn estimator (no get_params)", key="estimator", fix=fix
        )
    return cls


def is_regression(name: str) -> bool:
    """Whether the class `name` is a regressor: its data's target is numbers."""
    return is_regressor(import_estimator(name)())


def make_estimator(name: str, params: dict):
    """An instance of the class `name` with the fixed `params` (checked: UserError at
    params.NAME for an unknown one, with the nearest)."""
    estimator = import_estimator(name)()
    check_names(estimator, params, key="params")
    return estimator.set_params(**params)


def check_config(name: str, params: dict, space_names, cv, scoring) -> dict:
    """The estimator, cv and scoring of a config, checked: the class imports, `params` and
    `space` name its parameters, cv is a number of folds >= 2, scoring a scorer's name."""
    estimator = make_estimator(name, params)
    check_names(estimator, space_names, key="space")
    if isinstance(cv, bool) or not isinstance(cv, int) or cv < 2:
        raise UserError(f"{cv!r} is not a number of folds >= 2", key="cv", fix="use cv: 5")
    if scoring is not None:
        names = get_scorer_names()
        if scoring not in names:
            raise unknown("scoring", scoring, names, key="scoring")
    return {"estimator": name, "cv": cv, "scoring": scoring}


def metric_of(scoring: str | None) -> str:
    """The metric's name in the run's tables: the scoring's, or `score` (the estimator's own
    `score`: accuracy for a classifier, R^2 for a regressor)."""
    return scoring or "score"


def cross_validation(name, params, data, cv: int, scoring, seed: int) -> CrossValidation:
    """A run's trial: `cv` folds of the data's train and dev parts, reporting the scoring."""
    estimator = make_estimator(name, params)
    X, y = train_and_dev(data)
    splitter = StratifiedKFold if is_classifier(estimator) else KFold
    folds = splitter(n_splits=cv, shuffle=True, random_state=seed)
    scorer = check_scoring(estimator, scoring)
    return CrossValidation(estimator, X, y, folds.split(X, y), scorer, metric=metric_of(scoring))


def train_and_dev(data):
    """The data a run cross-validates on: its train and dev parts, as the user has them."""
    return np.concatenate([data.X_train, data.X_dev]), np.concatenate([data.y_train, data.y_dev])


def refit_and_test(name, params, data, scoring) -> tuple[object, dict | None]:
    """The best estimator refitted on train and dev, and its test score (None without a test
    part)."""
    estimator = make_estimator(name, params).fit(*train_and_dev(data))
    if not len(data.y_test):
        return estimator, None
    score = check_scoring(estimator, scoring)(estimator, data.X_test, data.y_test)
    return estimator, {f"test_{metric_of(scoring)}": float(score)}
