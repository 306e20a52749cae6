"""Optimisers acting in place on the packed parameter vector.

Every optimiser has the same contract: `state = init(w)` makes its state (arrays shaped like `w`
plus the step count `t`), and `step(w, dw, state, lr, hp)` updates `w` and `state` in place.
Because all parameters (weights, biases, gamma, beta) live in one vector, one call updates the
whole network, and each update is one compiled loop over that vector: one pass over memory
where NumPy would make one per operation (ten for Adam). The state holds the course's moving
averages as they are, so a beta changed mid-training simply applies from the next step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .jit import kernel


@dataclass(frozen=True)
class Optimizer:
    slots: tuple  # names of the state arrays shaped like w
    step: Callable
    uses: tuple = ()  # the hyperparameters it reads besides the learning rate

    def init(self, w: np.ndarray) -> dict:
        state = {slot: np.zeros_like(w) for slot in self.slots}
        state["t"] = np.zeros((), dtype=np.int64)
        return state


@kernel
def _gd_kernel(w, dw, lr):
    for i in range(w.shape[0]):
        w[i] -= lr * dw[i]


@kernel
def _momentum_kernel(w, dw, v, coef):
    beta, rest, lr = coef[0], coef[1], coef[2]
    for i in range(w.shape[0]):
        vi = beta * v[i] + rest * dw[i]
        v[i] = vi
        w[i] -= lr * vi


@kernel
def _rmsprop_kernel(w, dw, s, coef):
    beta, rest, lr, eps = coef[0], coef[1], coef[2], coef[3]
    for i in range(w.shape[0]):
        g = dw[i]
        si = beta * s[i] + rest * g * g
        s[i] = si
        w[i] -= lr * g / (math.sqrt(si) + eps)


@kernel
def _adam_kernel(w, dw, m, v, coef):
    beta1, rest1, beta2, rest2, step, eps = coef[0], coef[1], coef[2], coef[3], coef[4], coef[5]
    for i in range(w.shape[0]):
        g = dw[i]
        mi = beta1 * m[i] + rest1 * g
        vi = beta2 * v[i] + rest2 * g * g
        m[i] = mi
        v[i] = vi
        w[i] -= step * mi / (math.sqrt(vi) + eps)


# Each kernel's scalars travel as one small array in the parameters' dtype (rest = 1 - beta,
# computed here in float64), so float32 loops stay in float32.
def _gd(w, dw, state, lr, hp):
    # w -= lr dw
    state["t"] += 1
    _gd_kernel(w, dw, w.dtype.type(lr))


def _momentum(w, dw, state, lr, hp):
    # v = beta v + (1 - beta) dw ; w -= lr v
    state["t"] += 1
    _momentum_kernel(w, dw, state["v"], np.array([hp["beta"], 1 - hp["beta"], lr], w.dtype))


def _rmsprop(w, dw, state, lr, hp):
    # s = beta s + (1 - beta) dw^2 ; w -= lr dw / (sqrt(s) + eps)
    state["t"] += 1
    coef = np.array([hp["beta"], 1 - hp["beta"], lr, hp["epsilon"]], w.dtype)
    _rmsprop_kernel(w, dw, state["s"], coef)


def _adam(w, dw, state, lr, hp):
    # m = b1 m + (1 - b1) dw ; v = b2 v + (1 - b2) dw^2 ; w -= lr m_hat / (sqrt(v_hat) + eps)
    # with m_hat = m / c1, v_hat = v / c2, c1 = 1 - b1^t, c2 = 1 - b2^t; the bias corrections
    # are folded into two scalars: w -= (lr sqrt(c2) / c1) m / (sqrt(v) + eps sqrt(c2)).
    state["t"] += 1
    t, b1, b2 = int(state["t"]), hp["beta1"], hp["beta2"]
    root_c2 = math.sqrt(1.0 - b2**t)
    step, eps = lr * root_c2 / (1.0 - b1**t), hp["epsilon"] * root_c2
    _adam_kernel(
        w, dw, state["m"], state["v"], np.array([b1, 1 - b1, b2, 1 - b2, step, eps], w.dtype)
    )


OPTIMIZERS: dict[str, Optimizer] = {
    "gd": Optimizer((), _gd),
    "momentum": Optimizer(("v",), _momentum, ("beta",)),
    "rmsprop": Optimizer(("s",), _rmsprop, ("beta", "epsilon")),
    "adam": Optimizer(("m", "v"), _adam, ("beta1", "beta2", "epsilon")),
}
