"""Coarse-to-fine against plain random search and Optuna's TPE, at equal budgets.

Each objective is cheap and shaped like a real landscape, written in sampling coordinates
(log10 learning rate, log10(1 - beta)). Reports the median regret (best possible minus best
found) over many seeds for each method.

    pip install optuna
    python bench/refine.py [--seeds 20] [--trials 20] [--rounds 3] [--objectives ridge,...,digits-mlp]
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


def kink(c):
    """Not quadratic anywhere near its best: a sharp peak (|x|^0.7) in the learning rate,
    steeper on the high side where training starts to fail, and a plateau in 1 - beta1 that
    only slopes away far out. A model that assumes a smooth bowl gets its peak wrong."""
    x, b = lr(c) + 2.3, b1(c) + 1.7
    return -(abs(x) ** 0.7 * (2.0 if x > 0 else 1.0) + 0.3 * max(abs(b) - 0.5, 0.0) ** 1.5)


_DIGITS = []


def digits_mlp(c):
    """A real one: minus the dev cost of the MLP trained on the shipped digits (2 x hidden units,
    batch norm, Adam, 8 epochs of batch 64, the model's seed fixed so a configuration always
    scores the same); NaN when training diverges. Its optimum is not known: regret is taken
    from the best any method found."""
    from hpsearch.data import load_data
    from hpsearch.trial import model_metrics, train_model

    if not _DIGITS:
        _DIGITS.append(load_data({"dataset": "digits"}, seed=0))
    hp = dict(c, layers=2, optimizer="adam", batch_size=64, epochs=8)
    with np.errstate(all="ignore"):
        return -model_metrics(train_model(hp, _DIGITS[0], seed=0), _DIGITS[0])["dev_cost"]


LR = Float(1e-5, 1.0, "log")
B1 = Float(0.5, 0.9999, "one_minus_log")
OBJECTIVES = {
    "ridge": (ridge, {"learning_rate": LR, "beta1": B1}, 0.0),
    "bowl": (bowl, {"learning_rate": LR, "beta1": B1, "hidden_units": Int(16, 1024, "log"),
                    "keep_prob": Float(0.5, 1.0)}, 0.0),
    "cliff": (cliff, {"learning_rate": LR, "beta1": B1}, None),
    "kink": (kink, {"learning_rate": LR, "beta1": B1}, 0.0),
    "mixed": (mixed, {"learning_rate": LR, "activation": Categorical(("relu", "tanh", "sigmoid")),
                      "layers": Int(1, 6)}, 0.05),
}


REAL = {"digits-mlp": (digits_mlp, {"learning_rate": LR, "beta1": B1, "hidden_units": Int(16, 256, "log"),
                                    "keep_prob": Float(0.5, 1.0)}, "best found")}


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
    ap.add_argument("--objectives", default=",".join(OBJECTIVES),
                    help=f"comma-separated, from {', '.join([*OBJECTIVES, *REAL])} (the last trains MLPs: minutes)")
    args = ap.parse_args()
    budget = args.trials * args.rounds
    methods = args.methods.split(",") + ([] if args.no_tpe else ["tpe"])
    print(f"median regret over {args.seeds} seeds at {budget} trials ({args.rounds} rounds of {args.trials})")
    print(f"{'objective':<10}" + "".join(f"{m:>12}" for m in methods))
    for name in args.objectives.split(","):
        objective, space, optimum = {**OBJECTIVES, **REAL}[name]
        found = {m: [] for m in methods}
        for m in methods:
            for seed in range(args.seeds):
                if m == "tpe":
                    found[m].append(run_tpe(objective, space, seed, budget))
                elif m == "random":
                    found[m].append(run_hpsearch(objective, space, seed, budget, 1, "boxes"))
                else:
                    found[m].append(run_hpsearch(objective, space, seed, args.trials, args.rounds, m))
        if optimum == "best found":
            optimum = max(max(v) for v in found.values())
        elif optimum is None:
            optimum = best_value(objective, space)
        medians = [float(np.median([max(optimum - v, 0.0) for v in found[m]])) for m in methods]
        print(f"{name:<10}" + "".join(f"{v:>12.4f}" for v in medians))


if __name__ == "__main__":
    t0 = time.time()
    main()
    print(f"({time.time() - t0:.0f} s)")
