"""HPSearchCV against scikit-learn's RandomizedSearchCV and HalvingRandomSearchCV, and Optuna's
TPE, tuning scikit-learn models on data sets scikit-learn ships, side by side in one run.

Every method gets the same number of candidates' cross-validation fits (budget x folds; for
HalvingRandomSearchCV, the largest n_candidates whose rounds add up to at most the budget's
candidates, each fit on its growing share of the samples), the same folds and one core.
HPSearchCV prunes across folds (median: a trial whose running mean trails the earlier trials'
median after a fold stops), so it runs fewer fits. The score of a method is the
cross-validated score, on those same folds and all the samples, of the parameters it chose (so
HalvingRandomSearchCV's choice is judged as the others' are); the time is its search's wall
time. Printed per task: the median over seeds of the score and its lower quartile, the fits
run, and the wall time with its ratio to RandomizedSearchCV's (median of per-seed ratios).

    pip install optuna
    python bench/sklearn_search.py [--seeds 5] [--budget 30] [--tasks hgb,svc,logreg,elasticnet]
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
from scipy.stats import loguniform, uniform
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import ElasticNet, LogisticRegression
from sklearn.model_selection import (
    HalvingRandomSearchCV,
    KFold,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

from hpsearch import Categorical, Float, HPSearchCV, Int

FOLDS = 5


def _log(low, high):
    return {"hp": Float(low, high, "log"), "sk": loguniform(low, high), "tpe": (low, high, True)}


def _int_log(low, high):
    return {
        "hp": Int(low, high, "log"),
        "sk": loguniform(low, high + 1),  # cast to int below
        "tpe": (low, high, "int"),
        "int": True,
    }


def _linear(low, high):
    return {"hp": Float(low, high), "sk": uniform(low, high - low), "tpe": (low, high, False)}


def _choice(*values):
    return {"hp": Categorical(values), "sk": list(values), "tpe": values}


TASKS = {  # name: (estimator, data, space, classification)
    "hgb": (
        lambda: HistGradientBoostingClassifier(max_iter=40, early_stopping=False, random_state=0),
        lambda: load_breast_cancer(return_X_y=True),
        {
            "learning_rate": _log(0.01, 1.0),
            "max_leaf_nodes": _int_log(4, 64),
            "min_samples_leaf": _int_log(2, 100),
            "l2_regularization": _log(1e-6, 10.0),
        },
        True,
    ),
    "svc": (
        lambda: make_pipeline(StandardScaler(), SVC()),
        lambda: load_digits(return_X_y=True),
        {"svc__C": _log(1e-2, 1e3), "svc__gamma": _log(1e-5, 1.0)},
        True,
    ),
    "logreg": (
        lambda: make_pipeline(StandardScaler(), LogisticRegression(solver="liblinear")),
        lambda: load_breast_cancer(return_X_y=True),
        {
            "logisticregression__C": _log(1e-4, 1e2),
            "logisticregression__penalty": _choice("l1", "l2"),
        },
        True,
    ),
    "elasticnet": (
        lambda: make_pipeline(StandardScaler(), ElasticNet(max_iter=5000)),
        lambda: load_diabetes(return_X_y=True),
        {"elasticnet__alpha": _log(1e-4, 10.0), "elasticnet__l1_ratio": _linear(0.0, 1.0)},
        False,
    ),
}


class IntLogUniform:
    """scipy's loguniform, drawn as integers (RandomizedSearchCV takes any .rvs)."""

    def __init__(self, dist):
        self.dist = dist

    def rvs(self, size=None, random_state=None):
        out = self.dist.rvs(size=size, random_state=random_state)
        return np.floor(out).astype(int) if size is not None else int(out)


def sk_space(space):
    return {n: IntLogUniform(d["sk"]) if d.get("int") else d["sk"] for n, d in space.items()}


def halving_candidates(budget, n_samples, classification, n_classes):
    """The largest n_candidates whose halving rounds hold at most `budget` candidates."""
    smallest = 2 * FOLDS * (n_classes if classification else 1)
    possible = 1 + int(math.floor(math.log(n_samples / smallest, 3)))
    best = 1
    for c in range(1, budget + 1):
        rounds = min(possible, 1 + int(math.floor(math.log(c, 3))) if c > 1 else 1)
        if sum(math.ceil(c / 3**i) for i in range(rounds)) <= budget:
            best = c
    return best


def run(method, task, seed, budget):
    """(chosen params, fits, seconds) of one method's search."""
    make, load, space, classification = TASKS[task]
    X, y = load()
    splitter = StratifiedKFold if classification else KFold
    cv = splitter(n_splits=FOLDS, shuffle=True, random_state=seed)
    scoring = "accuracy" if classification else "r2"
    start = time.perf_counter()
    if method == "hpsearch":
        hp = {n: d["hp"] for n, d in space.items()}
        search = HPSearchCV(
            make(), hp, budget=budget, cv=cv, scoring=scoring, random_state=seed, refit=False
        ).fit(X, y)
        params, fits = search.best_params_, int(np.sum(search.cv_results_["n_folds"]))
    elif method == "random":
        search = RandomizedSearchCV(
            make(), sk_space(space), n_iter=budget, cv=cv, scoring=scoring,
            random_state=seed, refit=False,
        ).fit(X, y)  # fmt: skip
        params, fits = search.best_params_, budget * FOLDS
    elif method == "halving":
        c = halving_candidates(budget, len(y), classification, len(np.unique(y)))
        search = HalvingRandomSearchCV(
            make(), sk_space(space), n_candidates=c, cv=cv, scoring=scoring,
            random_state=seed, refit=False,
        ).fit(X, y)  # fmt: skip
        params, fits = search.best_params_, int(sum(search.n_candidates_)) * FOLDS
    else:
        params, fits = _tpe(make, space, X, y, cv, scoring, seed, budget), budget * FOLDS
    seconds = time.perf_counter() - start
    return params, fits, seconds, X, y, cv, scoring


def _tpe(make, space, X, y, cv, scoring, seed, budget):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)

    def objective(trial):
        params = {}
        for name, d in space.items():
            spec = d["tpe"]
            if isinstance(d["hp"], Categorical):
                params[name] = trial.suggest_categorical(name, list(spec))
            elif spec[2] == "int":
                params[name] = trial.suggest_int(name, spec[0], spec[1], log=True)
            else:
                params[name] = trial.suggest_float(name, spec[0], spec[1], log=spec[2])
        return cross_val_score(make().set_params(**params), X, y, cv=cv, scoring=scoring).mean()

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed)
    )
    study.optimize(objective, n_trials=budget)
    return study.best_params


METHODS = ("hpsearch", "random", "halving", "tpe")
NAMES = {
    "hpsearch": "HPSearchCV (median)",
    "random": "RandomizedSearchCV",
    "halving": "HalvingRandomSearchCV",
    "tpe": "Optuna TPE",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=30)
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args()
    methods = args.methods.split(",")
    warnings.filterwarnings("ignore")
    print(f"budget {args.budget} candidates x {FOLDS} folds, {args.seeds} seeds, one core each")
    for task in args.tasks.split(","):
        out = {m: {"score": [], "fits": [], "seconds": []} for m in methods}
        for seed in range(args.seeds):
            for k in range(len(methods)):  # interleaved: each seed starts with another method
                method = methods[(k + seed) % len(methods)]
                with threadpool_limits(1):
                    params, fits, seconds, X, y, cv, scoring = run(method, task, seed, args.budget)
                    make = TASKS[task][0]
                    score = cross_val_score(
                        make().set_params(**params), X, y, cv=cv, scoring=scoring
                    ).mean()
                out[method]["score"].append(score)
                out[method]["fits"].append(fits)
                out[method]["seconds"].append(seconds)
        _report(task, out, methods)


def _report(task, out, methods):
    _, _, _, classification = TASKS[task]
    metric = "accuracy" if classification else "R^2"
    print(f"\n{task} ({metric}, cross-validated, of the chosen parameters)")
    print(f"{'method':<24}{'median':>9}{'q25':>9}{'fits':>7}{'seconds':>9}{'vs random':>11}")
    base = out["random"]["seconds"] if "random" in out else None
    for m in methods:
        score, seconds = np.array(out[m]["score"]), np.array(out[m]["seconds"])
        ratio = f"{np.median(seconds / np.array(base)):.2f}x" if base is not None else ""
        print(
            f"{NAMES[m]:<24}{np.median(score):>9.5f}{np.quantile(score, 0.25):>9.5f}"
            f"{np.median(out[m]['fits']):>7.0f}{np.median(seconds):>9.2f}{ratio:>11}"
        )


if __name__ == "__main__":
    main()
