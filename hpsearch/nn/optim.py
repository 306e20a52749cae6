"""Optimisers acting in place on the packed parameter vector.

Every optimiser has the same contract: `state = init(w)` makes its state (arrays shaped like `w`
plus the step count `t`), and `step(w, dw, state, lr, hp, scratch)` updates `w` and `state` in
place, using `scratch` (an array like `w`) to avoid allocating on the hot path. Because all
parameters (weights, biases, gamma, beta) live in one vector, one call updates the whole network.

Moving averages are stored unnormalised: the course's m = beta m + (1 - beta) dw is kept as
M = m / (1 - beta), updated as M = beta M + dw, and the factor (1 - beta) is folded into the
step size. That is the same update with one pass fewer over the vector per average (two for
Adam), which matters: the optimiser is the largest cost after the matrix products. If a beta
is changed mid-training, the stored average is rescaled once so m itself is continuous.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Optimizer:
    slots: dict  # state array name -> the hyperparameter that is its averaging beta
    step: Callable

    def init(self, w: np.ndarray) -> dict:
        state = {slot: np.zeros_like(w) for slot in self.slots}
        state.update({f"{slot}_weight": np.zeros((), np.float64) for slot in self.slots})
        state["t"] = np.zeros((), dtype=np.int64)
        return state


def _average(state, slot, x, beta, squared=False, scratch=None):
    """M <- beta M + x (or x^2), with M = m / (1 - beta). Returns 1 - beta, the factor that
    turns M back into the course's average m."""
    avg, weight = state[slot], 1.0 - beta
    old = float(state[f"{slot}_weight"])
    if old and old != weight:  # beta was changed mid-training: keep m = weight * M continuous
        avg *= old / weight
    state[f"{slot}_weight"][...] = weight
    avg *= beta
    if squared:
        np.multiply(x, x, out=scratch)
        x = scratch
    avg += x
    return weight


def _gd(w, dw, state, lr, hp, scratch):
    state["t"] += 1
    np.multiply(dw, lr, out=scratch)
    w -= scratch


def _momentum(w, dw, state, lr, hp, scratch):
    # v = beta v + (1 - beta) dw ; w -= lr v
    state["t"] += 1
    a = _average(state, "v", dw, hp["beta"])
    np.multiply(state["v"], lr * a, out=scratch)
    w -= scratch


def _rmsprop(w, dw, state, lr, hp, scratch):
    # s = beta s + (1 - beta) dw^2 ; w -= lr dw / (sqrt(s) + eps)
    #   = lr / sqrt(a) * dw / (sqrt(S) + eps / sqrt(a)) with s = a S
    state["t"] += 1
    root = math.sqrt(_average(state, "s", dw, hp["beta"], squared=True, scratch=scratch))
    np.sqrt(state["s"], out=scratch)
    scratch += hp["epsilon"] / root
    np.divide(dw, scratch, out=scratch)
    scratch *= lr / root
    w -= scratch


def _adam(w, dw, state, lr, hp, scratch):
    # m = b1 m + (1 - b1) dw ; v = b2 v + (1 - b2) dw^2 ; w -= lr m_hat / (sqrt(v_hat) + eps)
    # with m_hat = m / c1, v_hat = v / c2, c1 = 1 - b1^t, c2 = 1 - b2^t. With m = a1 M and
    # v = a2 V, this is w -= k M / (sqrt(V) + eps / r) with r = sqrt(a2 / c2), k = lr a1 / (c1 r).
    state["t"] += 1
    t = int(state["t"])
    b1, b2 = hp["beta1"], hp["beta2"]
    a1 = _average(state, "m", dw, b1)
    a2 = _average(state, "v", dw, b2, squared=True, scratch=scratch)
    r = math.sqrt(a2 / (1.0 - b2**t))
    np.sqrt(state["v"], out=scratch)
    scratch += hp["epsilon"] / r
    np.divide(state["m"], scratch, out=scratch)
    scratch *= lr * a1 / ((1.0 - b1**t) * r)
    w -= scratch


OPTIMIZERS: dict[str, Optimizer] = {
    "gd": Optimizer({}, _gd),
    "momentum": Optimizer({"v": "beta"}, _momentum),
    "rmsprop": Optimizer({"s": "beta"}, _rmsprop),
    "adam": Optimizer({"m": "beta1", "v": "beta2"}, _adam),
}
