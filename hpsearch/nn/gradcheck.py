"""Gradient checking: centred differences over the packed parameter vector, in float64.

difference = ||approx - grad|| / (||approx|| + ||grad||); the course's reading of it:
below 1e-7 the backward pass is right, around 1e-5 look closer, above 1e-3 there is a bug.
approx_i = (J(theta + h e_i) - J(theta - h e_i)) / 2h, the costs computed many parameters at
once by `centred`, checked here against the network's own forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .blas import one_thread
from .centred import Pass
from .model import Model

VERDICTS = ((1e-7, "correct"), (1e-3, "look closer"), (np.inf, "a bug"))


@dataclass
class GradCheck:
    difference: float
    n_params: int
    worst: list  # (name, index in that array, analytic, numeric), worst first

    @property
    def verdict(self) -> str:
        return next(text for bound, text in VERDICTS if self.difference < bound)

    @property
    def passed(self) -> bool:
        return self.difference < VERDICTS[0][0]


def _locate(shapes, flat_index):
    offset = 0
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        if flat_index < offset + size:
            return name, np.unravel_index(flat_index - offset, shape)
        offset += size
    raise IndexError(flat_index)


def _agree(stacked: float, network: float, what: str):
    """The cost `centred` computed is the network's forward pass's, to rounding (an invariant
    of ours: a layer kind the network gained and `centred` lacks would break it)."""
    assert abs(stacked - network) <= 1e-12 * max(1.0, abs(network)), (what, stacked, network)


def gradient_check(
    hp: dict,
    X,
    y,
    *,
    n_classes: int | None = None,
    seed: int = 0,
    h: float = 1e-6,
    n_worst: int = 5,
    max_params: int | None = None,
) -> GradCheck:
    """Check the backward pass of the network `hp` describes on (X, y).

    Runs in float64 with dropout off; L2 and batch norm (training mode, batch statistics)
    are included exactly as in training. Running statistics are never touched. With
    `max_params`, a seeded random subset of that many parameters is checked (big networks).
    BLAS runs on one thread, as in trials (see `blas`)."""
    with one_thread():
        return _check(hp, X, y, n_classes, seed, h, n_worst, max_params)


def _check(hp, X, y, n_classes, seed, h, n_worst, max_params) -> GradCheck:
    model = Model(**hp, seed=seed, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.intp)
    model.build(X.shape[1], n_classes or int(y.max()) + 1)
    net, l2 = model.net, model.hp["l2"]
    net.cost_and_grads(X, y, l2, update_buffers=False)
    theta = net.flat
    checked = np.arange(theta.size)
    if max_params is not None and theta.size > max_params:
        checked = np.sort(
            np.random.default_rng(seed).choice(theta.size, max_params, replace=False)
        )
    analytic = net.grad_flat[checked].copy()

    def cost(i=None, step=0.0) -> float:  # the network's own forward pass, theta[i] moved
        saved = theta[i] if i is not None else None
        if i is not None:
            theta[i] = saved + step
        logits, _ = net.forward(X, True, update_buffers=False)
        value = net.data_loss(logits, y)[0] + net.l2_cost(l2, X.shape[0])
        if i is not None:
            theta[i] = saved
        return value

    moved = Pass(net, X, y, l2)  # J with each parameter moved, many at once (see centred)
    _agree(moved.cost, cost(), "unmoved")
    plus, minus = np.empty(checked.size), np.empty(checked.size)
    offset = 0
    for name, shape in net.shapes.items():
        size = int(np.prod(shape))
        where = np.flatnonzero((checked >= offset) & (checked < offset + size))
        if where.size:
            plus[where], minus[where] = moved.moved(name, checked[where] - offset, h)
            k = where[np.argmax(np.abs(analytic[where]))]  # the array's steepest parameter
            _agree(plus[k], cost(checked[k], h), f"{name} moved by +h")
            _agree(minus[k], cost(checked[k], -h), f"{name} moved by -h")
        offset += size
    numeric = (plus - minus) / (2 * h)
    denominator = np.linalg.norm(numeric) + np.linalg.norm(analytic)
    difference = float(np.linalg.norm(numeric - analytic) / denominator) if denominator else 0.0
    order = np.argsort(-np.abs(numeric - analytic))[:n_worst]
    worst = [
        (*_locate(net.shapes, int(checked[k])), float(analytic[k]), float(numeric[k]))
        for k in order
    ]
    return GradCheck(difference, int(checked.size), worst)
