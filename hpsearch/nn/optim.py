"""Optimisers acting in place on the packed parameter vector.

Every optimiser has the same contract: `state = init(w)` makes its state (arrays shaped like `w`
plus the step count `t`), and `step(w, dw, state, lr, hp, scratch)` updates `w` and `state` in
place, using `scratch` (an array like `w`) to avoid allocating on the hot path. Because all
parameters (weights, biases, gamma, beta) live in one vector, one call updates the whole network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Optimizer:
    slots: tuple  # names of the state arrays shaped like w
    step: Callable

    def init(self, w: np.ndarray) -> dict:
        state = {slot: np.zeros_like(w) for slot in self.slots}
        state["t"] = np.zeros((), dtype=np.int64)
        return state


def _ewa(avg, x, beta, scratch):
    """avg <- beta * avg + (1 - beta) * x, in place."""
    np.subtract(x, avg, out=scratch)
    scratch *= 1.0 - beta
    avg += scratch


def _gd(w, dw, state, lr, hp, scratch):
    state["t"] += 1
    np.multiply(dw, lr, out=scratch)
    w -= scratch


def _momentum(w, dw, state, lr, hp, scratch):
    # v = beta v + (1 - beta) dw ; w -= lr v
    state["t"] += 1
    v = state["v"]
    _ewa(v, dw, hp["beta"], scratch)
    np.multiply(v, lr, out=scratch)
    w -= scratch


def _rmsprop(w, dw, state, lr, hp, scratch):
    # s = beta s + (1 - beta) dw^2 ; w -= lr dw / (sqrt(s) + eps)
    state["t"] += 1
    s = state["s"]
    np.multiply(dw, dw, out=scratch)
    s *= hp["beta"]
    scratch *= 1.0 - hp["beta"]
    s += scratch
    np.sqrt(s, out=scratch)
    scratch += hp["epsilon"]
    np.divide(dw, scratch, out=scratch)
    scratch *= lr
    w -= scratch


def _adam(w, dw, state, lr, hp, scratch):
    # m = b1 m + (1 - b1) dw ; v = b2 v + (1 - b2) dw^2 ; w -= lr m_hat / (sqrt(v_hat) + eps)
    # with m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t). Folding both corrections into the
    # step size and epsilon gives the same update with two fewer passes over the vector:
    # lr m_hat / (sqrt(v_hat) + eps) = lr sqrt(c2) / c1 * m / (sqrt(v) + eps sqrt(c2)).
    state["t"] += 1
    t = int(state["t"])
    b1, b2 = hp["beta1"], hp["beta2"]
    m, v = state["m"], state["v"]
    _ewa(m, dw, b1, scratch)
    np.multiply(dw, dw, out=scratch)
    v *= b2
    scratch *= 1.0 - b2
    v += scratch
    c1, c2 = 1.0 - b1**t, math.sqrt(1.0 - b2**t)
    np.sqrt(v, out=scratch)
    scratch += hp["epsilon"] * c2
    np.divide(m, scratch, out=scratch)
    scratch *= lr * c2 / c1
    w -= scratch


OPTIMIZERS: dict[str, Optimizer] = {
    "gd": Optimizer((), _gd),
    "momentum": Optimizer(("v",), _momentum),
    "rmsprop": Optimizer(("s",), _rmsprop),
    "adam": Optimizer(("m", "v"), _adam),
}
