"""Coarse-to-fine against plain random search and Optuna's TPE, at equal budgets.

Each objective is cheap and shaped like a real landscape, written in sampling coordinates
(log10 learning rate, log10(1 - beta)). Reports the median regret (best possible minus best
found) over many seeds for each method.

    pip install optuna
    python bench/refine.py [--seeds 20] [--trials 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from hpsearch.search import search
from hpsearch.space import Categorical, Float, Int


def lr(c):
    return math.log10(c["learning_rate"])


def b1(c):
    return math.log10(1 - c["beta1"])


def ridge(c):
    """A curved ridge: the best learning rate moves with 1 - beta1 (lr ~ (1 - beta1)^0.8),
    narrow across the ridge, wide along it, best at lr 10^-2.2, beta1 1 - 10^-1.5."""
    along = b1(c) + 1.5
    across = lr(c) - (-2.2 + 0.8 * along - 0.4 * along**2)
    return -(across**2 / 0.05 + along**2 / 2.0)


def bowl(c):
    """Four hyperparameters of unequal importance: the learning rate matters most."""
    return -((lr(c) + 2.7) ** 2 + 0.3 * (b1(c) + 1.3) ** 2 + 0.5 * (math.log2(c["hidden_units"]) - 7) ** 2 / 4
             + 2 * (c["keep_prob"] - 0.85) ** 2)


def cliff(c):
    """Accuracy-like: rises with the learning rate up to a cliff at 10^-1.5 where training
    diverges (NaN), so the best trials sit at the edge of failure."""
    x = lr(c)
    if x > -1.5 + 0.5 * (b1(c) + 1):
        return math.nan
    return 1 - 0.5 * (x + 1.5) ** 2 - 0.05 * (b1(c) + 2) ** 2


def mixed(c):
    """A categorical changes where the continuous optimum is: tanh wants a smaller rate."""
    shift = {"relu": 0.0, "tanh": -0.7, "sigmoid": -1.2}[c["activation"]]
    bonus = {"relu": 0.0, "tanh": 0.05, "sigmoid": -0.3}[c["activation"]]
    return bonus - (lr(c) + 2.5 - shift) ** 2 - 0.5 * (c["layers"] - 3) ** 2 / 4


LR = Float(1e-5, 1.0, "log")
B1 = Float(0.5, 0.9999, "one_minus_log")
OBJECTIVES = {
    "ridge": (ridge, {"learning_rate": LR, "beta1": B1}, 0.0),
    "bowl": (bowl, {"learning_rate": LR, "beta1": B1, "hidden_units": Int(16, 1024, "log"),
                    "keep_prob": Float(0.5, 1.0)}, 0.0),
    "cliff": (cliff, {"learning_rate": LR, "beta1": B1}, None),
    "mixed": (mixed, {"learning_rate": LR, "activation": Categorical(("relu", "tanh", "sigmoid")),
                      "layers": Int(1, 6)}, 0.05),
}


def best_value(objective, space):
    """The optimum of objectives whose maximum is not written down: a dense random scan."""
    rng = np.random.default_rng(0)
    names = sorted(space)
    vals = [objective({n: space[n].sample(rng) for n in names}) for _ in range(200_000)]
    return float(np.nanmax(vals))


def run_hpsearch(objective, space, seed, trials, rounds, method):
    res = search(space, objective, trials=trials, rounds=rounds, seed=seed, method=method)
    return res.best["value"] if res.best else -math.inf


def run_tpe(objective, space, seed, budget):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)

    def wrapped(trial):
        c = {}
        for n, d in space.items():
            if isinstance(d, Categorical):
                c[n] = trial.suggest_categorical(n, list(d.values))
            elif d.scale == "one_minus_log":
                c[n] = 1 - 10 ** trial.suggest_float(f"log10_1m_{n}", math.log10(1 - d.high), math.log10(1 - d.low))
            elif isinstance(d, Int):
                c[n] = trial.suggest_int(n, int(d.low), int(d.high), log=d.scale == "log")
            else:
                c[n] = trial.suggest_float(n, d.low, d.high, log=d.scale == "log")
        v = objective(c)
        return v if math.isfinite(v) else float("nan")

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(wrapped, n_trials=budget)
    done = [t.value for t in study.trials if t.value is not None and math.isfinite(t.value)]
    return max(done) if done else -math.inf


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--trials", type=int, default=20, help="trials per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-tpe", action="store_true")
    ap.add_argument("--methods", default="boxes,box,random", help="hpsearch's methods to compare (random: one round)")
    args = ap.parse_args()
    budget = args.trials * args.rounds
    methods = args.methods.split(",") + ([] if args.no_tpe else ["tpe"])
    print(f"median regret over {args.seeds} seeds at {budget} trials ({args.rounds} rounds of {args.trials})")
    print(f"{'objective':<10}" + "".join(f"{m:>12}" for m in methods))
    for name, (objective, space, optimum) in OBJECTIVES.items():
        optimum = best_value(objective, space) if optimum is None else optimum
        medians = []
        for m in methods:
            regrets = []
            for seed in range(args.seeds):
                if m == "tpe":
                    found = run_tpe(objective, space, seed, budget)
                elif m == "random":
                    found = run_hpsearch(objective, space, seed, budget, 1, "boxes")
                else:
                    found = run_hpsearch(objective, space, seed, args.trials, args.rounds, m)
                regrets.append(max(optimum - found, 0.0))
            medians.append(float(np.median(regrets)))
        print(f"{name:<10}" + "".join(f"{v:>12.4f}" for v in medians))


if __name__ == "__main__":
    t0 = time.time()
    main()
    print(f"({time.time() - t0:.0f} s)")
