"""Search by budget against plain random search and Optuna's TPE, at equal budgets.

For each landscape of bench/landscapes.py and each budget, every method runs with many seeds;
the regret of a run is the landscape's best value minus the best value the run found. Printed:
the median regret and its upper quartile (the bad runs a user would remember), per method.
Random search and TPE do not change when hpsearch does: their results are kept in a cache file,
so that trying a change to hpsearch costs only hpsearch's runs.

    pip install optuna
    python bench/refine.py [--seeds 200] [--budgets 30 60 120] [--landscapes ridge,mlp6] [--jobs 2]
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

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    f, space, _ = LANDSCAPES[name]

    def objective(trial):
        c = {}
        for n, d in space.items():
            if isinstance(d, Categorical):
                c[n] = trial.suggest_categorical(n, list(d.values))
            elif d.scale == "one_minus_log":  # TPE samples log10(1 - beta), as hpsearch does
                c[n] = 1 - 10 ** trial.suggest_float(
                    f"log10_1m_{n}", math.log10(1 - d.high), math.log10(1 - d.low)
                )
            elif isinstance(d, Int):
                c[n] = trial.suggest_int(n, int(d.low), int(d.high), log=d.scale == "log")
            else:
                c[n] = trial.suggest_float(n, d.low, d.high, log=d.scale == "log")
        value = f(c)
        return value if math.isfinite(value) else float("nan")

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed)
    )
    study.optimize(objective, n_trials=budget)
    done = [t.value for t in study.trials if t.value is not None and math.isfinite(t.value)]
    return max(done) if done else -math.inf


RUNNERS = {"hpsearch": run_hpsearch, "random": run_random, "tpe": run_tpe}
CACHED = ("random", "tpe")


def _one(job):
    method, name, budget, seed = job
    return job, RUNNERS[method](name, budget, seed)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--budgets", type=int, nargs="+", default=[30, 60, 120])
    ap.add_argument("--landscapes", default=",".join(LANDSCAPES))
    ap.add_argument("--methods", default="hpsearch,random,tpe")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument(
        "--cache",
        default=str(Path(__file__).with_name(".refine-cache.json")),
        help="where random search's and TPE's results are kept between runs",
    )
    args = ap.parse_args()
    names, methods = args.landscapes.split(","), args.methods.split(",")
    cache_path = Path(args.cache)
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    key = lambda m, n, b, s: f"{m}|{n}|{b}|{s}"  # noqa: E731
    jobs = [
        (m, n, b, s)
        for n in names
        for b in args.budgets
        for m in methods
        for s in range(args.seeds)
        if not (m in CACHED and key(m, n, b, s) in cache)
    ]
    results = {}
    began = time.perf_counter()
    with multiprocessing.Pool(args.jobs) as pool:
        for (m, n, b, s), value in pool.imap_unordered(_one, jobs, chunksize=4):
            results[key(m, n, b, s)] = value
            if m in CACHED:
                cache[key(m, n, b, s)] = value
    cache_path.write_text(json.dumps(cache))
    results.update(cache)
    best = {n: optimum(n) for n in names}
    print(
        "regret (landscape's best minus best found): median / upper quartile over "
        f"{args.seeds} seeds "
        f"({time.perf_counter() - began:.0f} s)"
    )
    for budget in args.budgets:
        print(f"\nbudget {budget}")
        print(f"{'landscape':<10}" + "".join(f"{m:>20}" for m in methods))
        for n in names:
            stats = {}
            for m in methods:
                regrets = [best[n] - results[key(m, n, budget, s)] for s in range(args.seeds)]
                stats[m] = (np.median(regrets), np.percentile(regrets, 75))
            cells = []
            for m, (median, quartile) in stats.items():
                behind = [
                    "*" if "tpe" in stats and m != "tpe" and mine > theirs else " "
                    for mine, theirs in zip(stats[m], stats.get("tpe", stats[m]))
                ]
                cells.append(f"{median:>9.4f}{behind[0]}/ {quartile:.4f}{behind[1]}")
            print(f"{n:<10}" + "".join(f"{c:>20}" for c in cells), flush=True)
    print("\n* behind TPE (compared before rounding)")


if __name__ == "__main__":
    main()
