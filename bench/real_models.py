"""Search on real models: scikit-learn models tuned on datasets scikit-learn ships, by hpsearch
(by budget), Optuna's TPE and GPSampler, and random search, at equal budgets.

A trial's score is the 3-fold cross-validated score (accuracy; R^2 for the regression). Each
method runs 32 trials per seed; the best of its first 16 is its result at 16 trials (each method
decides a trial only from the trials before it, so the first 16 of 32 are a 16-trial search).
Printed per task and budget: the median best score over the seeds (larger is better) and its
lower quartile, per method, '*' where hpsearch's median is below TPE's and '+' below GP's.

    pip install optuna
    python bench/real_models.py [--seeds 5] [--tasks svc_digits,rf_wine] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core per process: the pool runs several

from refine import optuna_values  # noqa: E402
from sklearn import datasets  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier  # noqa: E402
from sklearn.kernel_ridge import KernelRidge  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from hpsearch.space import Categorical, Float, Int  # noqa: E402
from hpsearch.study import search  # noqa: E402

BUDGETS = (16, 32)


def _svc(c):
    return make_pipeline(StandardScaler(), SVC(C=c["C"], gamma=c["gamma"]))


def _hgb(c):
    return HistGradientBoostingClassifier(
        max_iter=30,
        early_stopping=False,
        learning_rate=c["learning_rate"],
        max_leaf_nodes=c["max_leaf_nodes"],
        min_samples_leaf=c["min_samples_leaf"],
        l2_regularization=c["l2_regularization"],
        random_state=0,
    )


def _rf(c):
    return RandomForestClassifier(
        n_estimators=25,
        max_depth=c["max_depth"],
        max_features=c["max_features"],
        min_samples_leaf=c["min_samples_leaf"],
        criterion=c["criterion"],
        random_state=0,
    )


def _kernel_ridge(c):
    return make_pipeline(
        StandardScaler(), KernelRidge(alpha=c["alpha"], gamma=c["gamma"], kernel=c["kernel"])
    )


def _mlp(c):
    return make_pipeline(
        StandardScaler(),
        MLPClassifier(
            hidden_layer_sizes=(c["hidden_units"],),
            alpha=c["alpha"],
            learning_rate_init=c["learning_rate"],
            beta_1=c["beta1"],
            max_iter=25,
            random_state=0,
        ),
    )


TASKS = {  # name: (model from a config, dataset loader, space)
    "svc_digits": (
        _svc,
        lambda return_X_y: tuple(a[:600] for a in datasets.load_digits(return_X_y=True)),
        {"C": Float(1e-3, 1e3, "log"), "gamma": Float(1e-5, 1.0, "log")},
    ),
    "hgb_cancer": (
        _hgb,
        datasets.load_breast_cancer,
        {
            "learning_rate": Float(1e-3, 1.0, "log"),
            "max_leaf_nodes": Int(2, 64, "log"),
            "min_samples_leaf": Int(1, 64, "log"),
            "l2_regularization": Float(1e-6, 10.0, "log"),
        },
    ),
    "rf_wine": (
        _rf,
        datasets.load_wine,
        {
            "max_depth": Int(1, 12),
            "max_features": Float(0.05, 1.0),
            "min_samples_leaf": Int(1, 32, "log"),
            "criterion": Categorical(("gini", "entropy")),
        },
    ),
    "kridge_diabetes": (
        _kernel_ridge,
        datasets.load_diabetes,
        {
            "alpha": Float(1e-4, 10.0, "log"),
            "gamma": Float(1e-4, 1.0, "log"),
            "kernel": Categorical(("rbf", "laplacian")),
        },
    ),
    "mlp_digits": (
        _mlp,
        lambda return_X_y: tuple(a[:600] for a in datasets.load_digits(return_X_y=True)),
        {
            "learning_rate": Float(1e-4, 1.0, "log"),
            "beta1": Float(0.5, 0.999, "one_minus_log"),
            "alpha": Float(1e-6, 10.0, "log"),
            "hidden_units": Int(8, 128, "log"),
        },
    ),
}


def objective(task: str):
    build, load, _ = TASKS[task]
    x, y = load(return_X_y=True)

    def score(config):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = cross_val_score(build(config), x, y, cv=3).mean()
        return float(value) if math.isfinite(value) else math.nan

    return score


def values(method: str, task: str, seed: int) -> list:
    """The scores of the method's trials, in trial order."""
    f, space, budget = objective(task), TASKS[task][2], max(BUDGETS)
    if method == "hpsearch":
        study = search(space, f, budget=budget, seed=seed, goal="maximize")
        return [math.nan if r.value is None else r.value for r in study.trials]
    if method == "random":
        rng = np.random.default_rng([seed, 7])
        return [f({n: d.sample(rng) for n, d in sorted(space.items())}) for _ in range(budget)]
    import optuna

    sampler = (optuna.samplers.TPESampler if method == "tpe" else optuna.samplers.GPSampler)(
        seed=seed
    )
    return optuna_values(sampler, f, space, budget)


CACHED = ("random", "tpe", "gp")  # methods hpsearch's changes do not change


def _one(job):
    return job, values(*job)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--methods", default="hpsearch,tpe,gp,random")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument(
        "--cache",
        default=str(Path(__file__).with_name(".real-models-cache.json")),
        help="where random search's, TPE's and GP's scores are kept between runs",
    )
    args = ap.parse_args()
    tasks, methods = args.tasks.split(","), args.methods.split(",")
    cache_path = Path(args.cache)
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    key = lambda m, t, s: f"{m}|{t}|{s}"  # noqa: E731
    results = {
        (m, t, s): cache[key(m, t, s)]
        for m in CACHED
        for t in tasks
        for s in range(args.seeds)
        if key(m, t, s) in cache
    }
    jobs = [
        (m, t, s)
        for t in tasks
        for s in range(args.seeds)
        for m in methods
        if (m, t, s) not in results
    ]
    began = time.perf_counter()
    with multiprocessing.Pool(args.jobs) as pool:
        for (m, t, s), scores in pool.imap_unordered(_one, jobs):
            results[(m, t, s)] = scores
            if m in CACHED:  # kept as each arrives: an interrupted run keeps its work
                cache[key(m, t, s)] = scores
                cache_path.write_text(json.dumps(cache))
    print(
        f"best cross-validated score: median / lower quartile over {args.seeds} seeds "
        f"({time.perf_counter() - began:.0f} s)"
    )
    for budget in BUDGETS:
        print(f"\nbudget {budget}")
        print(f"{'task':<16}" + "".join(f"{m:>20}" for m in methods))
        for t in tasks:
            stats = {}
            for m in methods:
                best = [np.nanmax(results[(m, t, s)][:budget]) for s in range(args.seeds)]
                stats[m] = (np.median(best), np.percentile(best, 25))
            cells = []
            for m, (median, quartile) in stats.items():
                marks = "" if m != "hpsearch" else _marks(stats)
                cells.append(f"{median:>9.4f}{marks:<2}/ {quartile:.4f}")
            print(f"{t:<16}" + "".join(f"{c:>20}" for c in cells), flush=True)
    print("\n* hpsearch's median below TPE's, + below GP's")


def _marks(stats) -> str:
    mine = stats["hpsearch"][0]
    return "".join(m for m, o in (("*", "tpe"), ("+", "gp")) if o in stats and mine < stats[o][0])


if __name__ == "__main__":
    main()
