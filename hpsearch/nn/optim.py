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
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .jit import kernel


@dataclass(frozen=True)
class Optimizer:
    slots: tuple  # names of the state arrays shaped like w
    step: Callable

    def init(self, w: np.ndarray) -> dict:
        state = {slot: np.zeros_like(w) for slot in self.slots}
        state["t"] = np.zeros((), dtype=np.int64)
        return state


@kernel
def _gd_kernel(w, dw, lr):
    for i in range(w.shape[0]):
        w[i] -= lr * dw[i]


@kernel
def _momentum_kernel(w, dw, v, beta, rest, lr):
    for i in range(w.shape[0]):
        vi = beta * v[i] + rest * dw[i]
        v[i] = vi
        w[i] -= lr * vi


@kernel
def _rmsprop_kernel(w, dw, s, beta, rest, lr, eps):
    for i in range(w.shape[0]):
        g = dw[i]
        si = beta * s[i] + rest * g * g
        s[i] = si
        w[i] -= lr * g / (math.sqrt(si) + eps)


@kernel
def _adam_kernel(w, dw, m, v, beta1, rest1, beta2, rest2, step, eps):
    # rest = 1 - beta, given in the arrays' dtype (a literal 1 would turn float32 into float64)
    for i in range(w.shape[0]):
        g = dw[i]
        mi = beta1 * m[i] + rest1 * g
        vi = beta2 * v[i] + rest2 * g * g
        m[i] = mi
        v[i] = vi
        w[i] -= step * mi / (math.sqrt(vi) + eps)


def _gd(w, dw, state, lr, hp):
    # w -= lr dw
    state["t"] += 1
    _gd_kernel(w, dw, w.dtype.type(lr))


def _momentum(w, dw, state, lr, hp):
    # v = beta v + (1 - beta) dw ; w -= lr v
    state["t"] += 1
    cast = w.dtype.type
    _momentum_kernel(w, dw, state["v"], cast(hp["beta"]), cast(1 - hp["beta"]), cast(lr))


def _rmsprop(w, dw, state, lr, hp):
    # s = beta s + (1 - beta) dw^2 ; w -= lr dw / (sqrt(s) + eps)
    state["t"] += 1
    cast = w.dtype.type
    _rmsprop_kernel(w, dw, state["s"], cast(hp["beta"]), cast(1 - hp["beta"]), cast(lr),
                    cast(hp["epsilon"]))


def _adam(w, dw, state, lr, hp):
    # m = b1 m + (1 - b1) dw ; v = b2 v + (1 - b2) dw^2 ; w -= lr m_hat / (sqrt(v_hat) + eps)
    # with m_hat = m / c1, v_hat = v / c2, c1 = 1 - b1^t, c2 = 1 - b2^t; the bias corrections
    # are folded into two scalars: w -= (lr sqrt(c2) / c1) m / (sqrt(v) + eps sqrt(c2)).
    state["t"] += 1
    t, cast = int(state["t"]), w.dtype.type
    b1, b2 = hp["beta1"], hp["beta2"]
    root_c2 = math.sqrt(1.0 - b2**t)
    _adam_kernel(w, dw, state["m"], state["v"], cast(b1), cast(1 - b1), cast(b2), cast(1 - b2),
                 cast(lr * root_c2 / (1.0 - b1**t)), cast(hp["epsilon"] * root_c2))


OPTIMIZERS: dict[str, Optimizer] = {
    "gd": Optimizer((), _gd),
    "momentum": Optimizer(("v",), _momentum),
    "rmsprop": Optimizer(("s",), _rmsprop),
    "adam": Optimizer(("m", "v"), _adam),
}
