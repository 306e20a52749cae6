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
import re

from sklearn.base import clone, is_classifier, is_regressor
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import KFold, StratifiedKFold

from ..errors import UserError, unknown
from .folds import CrossValidation, check_names, seeded


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


def make_estimator(name: str, params: dict, seed: int | None = None):
    """An instance of the class `name` with the fixed `params` (checked: UserError at
    params.NAME for an unknown one, with the nearest), its random_state the run's `seed`
    where neither the class nor `params` fix it."""
    estimator = import_estimator(name)()
    check_names(estimator, params, key="params")
    estimator.set_params(**params)
    return estimator if seed is None else seeded(estimator, seed)


def check_values(estimator, params: dict, space: dict) -> None:
    """Raise UserError when scikit-learn's own checks of the estimator's parameters refuse a
    fixed value (at params.NAME) or a value the space can give (at space.NAME: each of its
    values, both ends of a range), so that `validate` refuses what every trial would fail on.
    An estimator without scikit-learn's parameter constraints is not checked here."""
    if not hasattr(estimator, "_parameter_constraints"):  # scikit-learn's own classes have them
        return
    tries = [("params", None, None)]
    for name, dist in space.items():
        values = getattr(dist, "values", None) or (dist.from_unit(0.0), dist.from_unit(1.0))
        tries += [("space", name, value) for value in values]
    for section, name, value in tries:
        candidate = estimator if name is None else clone(estimator).set_params(**{name: value})
        try:
            candidate._validate_params()
        except (ValueError, TypeError) as e:  # scikit-learn's InvalidParameterError is both
            problem = str(e).splitlines()[0].rstrip(".")
            named = re.match(r"The '([^']+)' parameter", problem)
            key = f"{section}.{name or (named.group(1) if named else '')}".rstrip(".")
            raise UserError(problem, key=key, fix="use a value the message allows") from None


def check_config(name: str, params: dict, space: dict, cv, scoring) -> dict:
    """The estimator, cv and scoring of a config, checked: the class imports, `params` and
    `space` name its parameters with values it accepts, cv is a number of folds >= 2, scoring
    a scorer's name."""
    estimator = make_estimator(name, params)
    check_names(estimator, space, key="space")
    check_values(estimator, params, space)
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
    estimator = make_estimator(name, params, seed)
    X, y = train_and_dev(data)
    splitter = StratifiedKFold if is_classifier(estimator) else KFold
    folds = splitter(n_splits=cv, shuffle=True, random_state=seed)
    scorer = check_scoring(estimator, scoring)
    return CrossValidation(estimator, X, y, folds.split(X, y), scorer, metric=metric_of(scoring))


def train_and_dev(data):
    """The data a run cross-validates on: its train and dev parts, as the user has them (a
    view of the loaded block, not a copy: see Dataset.train_and_dev)."""
    return data.train_and_dev()


def refit_and_test(name, params, data, scoring, seed: int) -> tuple[object, dict | None]:
    """The best estimator refitted on train and dev (seeded as its trials were), and its test
    score (None without a test part)."""
    estimator = make_estimator(name, params, seed).fit(*train_and_dev(data))
    if not len(data.y_test):
        return estimator, None
    score = check_scoring(estimator, scoring)(estimator, data.X_test, data.y_test)
    return estimator, {f"test_{metric_of(scoring)}": float(score)}
