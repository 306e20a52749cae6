"""Cheap landscapes shaped like real hyperparameter searches, for bench/refine.py.

Each is a function of a configuration (maximised; NaN where training would diverge) over its
own space, written in sampling coordinates (log10 learning rate, log10(1 - beta)). Some flatter
the method (smooth bowls), some attack it: a narrow curved ridge, a divergence cliff next to
the best trials, a categorical value that wins only where the learning rate is right, a rugged
surface, irrelevant dimensions, one dimension alone. Three are smooth and low-dimensional, where
a Gaussian process does best (hartmann3, branin, valley).
"""

from __future__ import annotations

import math

from hpsearch.space import Categorical, Float, Int

LR = Float(1e-5, 1.0, "log")
B1 = Float(0.5, 0.9999, "one_minus_log")


def lr(c):
    return math.log10(c["learning_rate"])


def b1(c):
    return math.log10(1 - c["beta1"])


def ridge(c):
    """A curved ridge: the best learning rate moves with 1 - beta1, narrow across the ridge,
    wide along it."""
    along = b1(c) + 1.5
    across = lr(c) - (-2.2 + 0.8 * along - 0.4 * along**2)
    return -(across**2 / 0.05 + along**2 / 2.0)


def banana(c):
    """A thinner, more curved ridge (a banana) whose best point is far from the middle."""
    along = b1(c) + 2.8
    across = lr(c) - (-3.0 + 1.2 * along - 0.6 * along**2)
    return -(across**2 / 0.01 + (along - 0.3) ** 2 / 4.0)


def bowl(c):
    """Four hyperparameters of unequal importance: the learning rate matters most."""
    units = (math.log2(c["hidden_units"]) - 7) ** 2 / 4
    return -(
        (lr(c) + 2.7) ** 2
        + 0.3 * (b1(c) + 1.3) ** 2
        + 0.5 * units
        + 2 * (c["keep_prob"] - 0.85) ** 2
    )


def cliff(c):
    """Accuracy-like: rises with the learning rate up to a cliff where training diverges."""
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
    """Not quadratic near its best: a sharp peak in the learning rate, steeper on the high side,
    and a plateau in 1 - beta1."""
    x, b = lr(c) + 2.3, b1(c) + 1.7
    return -(abs(x) ** 0.7 * (2.0 if x > 0 else 1.0) + 0.3 * max(abs(b) - 0.5, 0.0) ** 1.5)


def mlp6(c):
    """Six hyperparameters like an MLP's, with a divergence cliff and a categorical: the best
    learning rate falls with the width and depends on the activation; sigmoid diverges late
    but learns slowly; dropout helps wide networks; L2 matters a little."""
    act = c["activation"]
    width = math.log2(c["hidden_units"]) - 7
    best_lr = -2.6 - 0.3 * width + {"relu": 0.0, "tanh": -0.4, "sigmoid": 0.5}[act]
    x = lr(c)
    if x > best_lr + 1.0 + 0.3 * (b1(c) + 1.5):
        return math.nan
    acc = 0.98 - 0.08 * (x - best_lr) ** 2 - 0.01 * (b1(c) + 1.3) ** 2
    acc -= 0.02 * (c["keep_prob"] - (1.0 - 0.1 * max(width, 0))) ** 2 * 10
    acc -= 0.01 * (math.log10(c["l2"]) + 3.5) ** 2 / 4
    acc -= {"relu": 0.0, "tanh": 0.004, "sigmoid": 0.03}[act] + 0.003 * width**2
    return acc


def rugged4(c):
    """A rugged log landscape in four dimensions: a global bowl with ripples (local optima)
    about a tenth as deep as the bowl across the space."""
    xs = [lr(c) + 2.5, math.log10(c["l2"]) + 3.0, b1(c) + 2.0, math.log10(c["epsilon"]) + 6.0]
    weights = [1.0, 0.3, 0.5, 0.1]
    bowl_part = sum(w * x**2 for w, x in zip(weights, xs))
    ripples = sum(0.25 * w * (1 - math.cos(3 * math.pi * x)) for w, x in zip(weights, xs))
    return -(bowl_part + ripples)


def sparse10(c):
    """Ten hyperparameters, three of which matter (the learning rate, beta1, a categorical)."""
    bonus = {"a": 0.0, "b": -0.2, "c": 0.1, "d": -0.5}[c["kind"]]
    return bonus - (lr(c) + 3.0) ** 2 - 0.3 * (b1(c) + 1.0) ** 2


def late_cat(c):
    """A categorical value that wins only in a narrow band of learning rates far from where
    the others do best: random search rarely sees it win."""
    x = lr(c)
    if c["optimizer"] == "e":
        return 0.3 - 30 * (x + 4.0) ** 2
    shift = {"a": 0.0, "b": 0.2, "c": -0.3, "d": 0.5}[c["optimizer"]]
    return -0.5 * (x + 2.0 - shift) ** 2


def one_d(c):
    """One dimension: a narrow asymmetric peak in the learning rate."""
    x = lr(c) + 3.3
    return -(abs(x) ** 0.5) * (3.0 if x > 0 else 1.0)


HARTMANN_A = ((3.0, 10.0, 30.0), (0.1, 10.0, 35.0), (3.0, 10.0, 30.0), (0.1, 10.0, 35.0))
HARTMANN_P = (
    (0.3689, 0.1170, 0.2673),
    (0.4699, 0.4387, 0.7470),
    (0.1091, 0.8732, 0.5547),
    (0.0381, 0.5743, 0.8828),
)


def hartmann3(c):
    """Smooth, three dimensions, four bumps of unequal height (the Hartmann function, a classic
    of Bayesian optimisation) over the unit coordinates of the learning rate, keep_prob and L2."""
    u = ((lr(c) + 5) / 5, (c["keep_prob"] - 0.5) / 0.5, (math.log10(c["l2"]) + 6) / 6)
    total = 0.0
    for alpha, a, p in zip((1.0, 1.2, 3.0, 3.2), HARTMANN_A, HARTMANN_P):
        total += alpha * math.exp(-sum(ai * (ui - pi) ** 2 for ai, ui, pi in zip(a, u, p)))
    return total


def branin(c):
    """Smooth, two dimensions, three equal peaks (minus the Branin function) over the log10
    learning rate and log10 L2."""
    x1, x2 = (lr(c) + 5) * 3 - 5, (math.log10(c["l2"]) + 6) * 2.5
    b, cc, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return -((x2 - b * x1**2 + cc * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10)


def valley(c):
    """Smooth and accuracy-like: a narrow tilted valley in log10 learning rate x log10(1 -
    beta1), where the rate that works shrinks as the momentum grows."""
    x, b = lr(c) + 2.5, b1(c) + 1.5
    along, across = (x - b) / math.sqrt(2), (x + b) / math.sqrt(2)
    return 0.95 * math.exp(-(along**2) / 2.0 - across**2 / 0.02)


NOISE_DIMS = {f"x{i}": Float(0.0, 1.0) for i in range(7)}
ACTS = Categorical(("relu", "tanh", "sigmoid"))
LANDSCAPES = {  # name: (function, space, optimum or None when it is found by a scan)
    "ridge": (ridge, {"learning_rate": LR, "beta1": B1}, 0.0),
    "banana": (banana, {"learning_rate": LR, "beta1": B1}, 0.0),
    "bowl": (
        bowl,
        {
            "learning_rate": LR,
            "beta1": B1,
            "hidden_units": Int(16, 1024, "log"),
            "keep_prob": Float(0.5, 1.0),
        },
        0.0,
    ),
    "cliff": (cliff, {"learning_rate": LR, "beta1": B1}, None),
    "kink": (kink, {"learning_rate": LR, "beta1": B1}, 0.0),
    "mixed": (mixed, {"learning_rate": LR, "activation": ACTS, "layers": Int(1, 6)}, 0.05),
    "mlp6": (
        mlp6,
        {
            "learning_rate": LR,
            "beta1": B1,
            "hidden_units": Int(16, 1024, "log"),
            "keep_prob": Float(0.5, 1.0),
            "l2": Float(1e-6, 1.0, "log"),
            "activation": ACTS,
        },
        None,
    ),
    "rugged4": (
        rugged4,
        {
            "learning_rate": LR,
            "l2": Float(1e-6, 1.0, "log"),
            "beta1": B1,
            "epsilon": Float(1e-10, 1e-2, "log"),
        },
        0.0,
    ),
    "sparse10": (
        sparse10,
        {"learning_rate": LR, "beta1": B1, "kind": Categorical(tuple("abcd")), **NOISE_DIMS},
        0.1,
    ),
    "late_cat": (late_cat, {"learning_rate": LR, "optimizer": Categorical(tuple("abcde"))}, 0.3),
    "one_d": (one_d, {"learning_rate": LR}, 0.0),
    "hartmann3": (
        hartmann3,
        {"learning_rate": LR, "keep_prob": Float(0.5, 1.0), "l2": Float(1e-6, 1.0, "log")},
        3.86278,
    ),
    "branin": (branin, {"learning_rate": LR, "l2": Float(1e-6, 1.0, "log")}, -0.397887),
    "valley": (valley, {"learning_rate": LR, "beta1": B1}, 0.95),
}
