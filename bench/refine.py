"""Search by budget against plain random search, Optuna's TPE and its GPSampler, at equal budgets.

For each landscape of bench/landscapes.py and each budget, every method runs with many seeds;
the regret of a run is the landscape's best value minus the best value the run found. Printed:
the median regret and its upper quartile (the bad runs a user would remember), per method.
Random search, TPE and GP do not change when hpsearch does: their results are kept in a cache
file, so that trying a change to hpsearch costs only hpsearch's runs. GP (Gaussian-process
Bayesian optimisation, log-EI, one trial at a time) costs seconds per run, so it runs over the
first --gp-seeds seeds only (its median and quartile are over those).

    pip install optuna
    python bench/refine.py [--seeds 200] [--gp-seeds 20] [--budgets 20 30 60 120]
        [--landscapes ridge,mlp6] [--methods hpsearch,random,tpe,gp] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import time
from pathlib import Path

import numpy as np
from landscapes import LANDSCAPES

from hpsearch.space import Categorical, Int
from hpsearch.study import search


def optimum(name: str) -> float:
    """The landscape's best value: written down, or the best of a dense random scan."""
    f, space, best = LANDSCAPES[name]
    if best is not None:
        return best
    rng = np.random.default_rng(0)
    names = sorted(space)
    values = [f({n: space[n].sample(rng) for n in names}) for _ in range(300_000)]
    return float(np.nanmax(values))


def run_hpsearch(name, budget, seed):
    f, space, _ = LANDSCAPES[name]
    study = search(space, f, budget=budget, seed=seed)
    return study.best_value if study.best_value is not None else -math.inf


def run_random(name, budget, seed):
    f, space, _ = LANDSCAPES[name]
    rng = np.random.default_rng([seed, 7])
    values = [f({n: d.sample(rng) for n, d in sorted(space.items())}) for _ in range(budget)]
    finite = [v for v in values if math.isfinite(v)]
    return max(finite) if finite else -math.inf


def run_tpe(name, budget, seed):
    import optuna

    return _optuna(optuna.samplers.TPESampler(seed=seed), name, budget)


def run_gp(name, budget, seed):
    import optuna

    return _optuna(optuna.samplers.GPSampler(seed=seed), name, budget)


def _optuna(sampler, name, budget):
    f, space, _ = LANDSCAPES[name]
    values = optuna_values(sampler, f, space, budget)
    done = [v for v in values if math.isfinite(v)]
    return max(done) if done else -math.inf


def optuna_values(sampler, f, space, budget) -> list:
    """The values of `budget` trials of an Optuna study of `f` (maximised) over `space`, in
    trial order (NaN where `f` was not finite). Each hyperparameter is sampled on its scale
    (log10(1 - beta) for one_minus_log, as hpsearch does)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)

    def objective(trial):
        c = {}
        for n, d in space.items():
            if isinstance(d, Categorical):
                c[n] = trial.suggest_categorical(n, list(d.values))
            elif d.scale == "one_minus_log":
                c[n] = 1 - 10 ** trial.suggest_float(
                    f"log10_1m_{n}", math.log10(1 - d.high), math.log10(1 - d.low)
                )
            elif isinstance(d, Int):
                c[n] = trial.suggest_int(n, int(d.low), int(d.high), log=d.scale == "log")
            else:
                c[n] = trial.suggest_float(n, d.low, d.high, log=d.scale == "log")
        value = f(c)
        return value if math.isfinite(value) else float("nan")

    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=budget)
    return [math.nan if t.value is None else t.value for t in study.trials]


RUNNERS = {"hpsearch": run_hpsearch, "random": run_random, "tpe": run_tpe, "gp": run_gp}
CACHED = ("random", "tpe", "gp")


def _one(job):
    method, name, budget, seed = job
    return job, RUNNERS[method](name, budget, seed)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--gp-seeds", type=int, default=20, help="GP runs over this many seeds")
    ap.add_argument("--budgets", type=int, nargs="+", default=[20, 30, 60, 120])
    ap.add_argument("--landscapes", default=",".join(LANDSCAPES))
    ap.add_argument("--methods", default="hpsearch,random,tpe,gp")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument(
        "--cache",
        default=str(Path(__file__).with_name(".refine-cache.json")),
        help="where random search's, TPE's and GP's results are kept between runs",
    )
    args = ap.parse_args()
    names, methods = args.landscapes.split(","), args.methods.split(",")
    cache_path = Path(args.cache)
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    key = lambda m, n, b, s: f"{m}|{n}|{b}|{s}"  # noqa: E731
    seeds = {m: range(args.gp_seeds if m == "gp" else args.seeds) for m in methods}
    jobs = [
        (m, n, b, s)
        for b in args.budgets
        for n in names
        for m in methods
        for s in seeds[m]
        if not (m in CACHED and key(m, n, b, s) in cache)
    ]
    results = {}
    began = time.perf_counter()
    with multiprocessing.Pool(args.jobs) as pool:
        saved = began
        for (m, n, b, s), value in pool.imap_unordered(_one, jobs, chunksize=1):
            results[key(m, n, b, s)] = value
            if m in CACHED:
                cache[key(m, n, b, s)] = value
                if time.perf_counter() > saved + 30:  # an interrupted run keeps most of its work
                    cache_path.write_text(json.dumps(cache))
                    saved = time.perf_counter()
    cache_path.write_text(json.dumps(cache))
    results.update(cache)
    best = {n: optimum(n) for n in names}
    print(
        "regret (landscape's best minus best found): median / upper quartile over "
        f"{args.seeds} seeds (GP: {args.gp_seeds}) "
        f"({time.perf_counter() - began:.0f} s)"
    )
    for budget in args.budgets:
        print(f"\nbudget {budget}")
        print(f"{'landscape':<10}" + "".join(f"{m:>20}" for m in methods))
        for n in names:
            stats = {}
            for m in methods:
                regrets = [best[n] - results[key(m, n, budget, s)] for s in seeds[m]]
                stats[m] = (np.median(regrets), np.percentile(regrets, 75))
            cells = []
            for m, (median, quartile) in stats.items():
                marks = [_marks(m, i, stats) for i in (0, 1)]
                cells.append(f"{median:>9.4f}{marks[0]:<2}/ {quartile:.4f}{marks[1]:<2}")
            print(f"{n:<10}" + "".join(f"{c:>22}" for c in cells), flush=True)
    print("\n* behind TPE, + behind GP (hpsearch only; compared before rounding)")


def _marks(method, i, stats) -> str:
    """'*' where hpsearch's statistic `i` is worse than TPE's, '+' where worse than GP's."""
    if method != "hpsearch":
        return ""
    return "".join(
        mark
        for mark, other in (("*", "tpe"), ("+", "gp"))
        if other in stats and stats[method][i] > stats[other][i]
    )


if __name__ == "__main__":
    main()
