"""Each optimiser's step against its formula, recomputed here independently in float64."""

import math

import numpy as np
import pytest

from hpsearch.nn.optim import OPTIMIZERS
from hpsearch.nn.schedules import SCHEDULES, learning_rate

HP = {"beta": 0.8, "beta1": 0.9, "beta2": 0.99, "epsilon": 1e-8}


def run(name, w0, grads, lr, hps=None):
    w = w0.copy()
    state = OPTIMIZERS[name].init(w)
    for i, g in enumerate(grads):
        OPTIMIZERS[name].step(w, g, state, lr, hps[i] if hps else HP)
    return w, state


def reference(name, w, grads, lr, hps=None):
    """The course's update rules, written plainly; hps[i] are the hyperparameters of step i."""
    v = np.zeros_like(w)
    s = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        hp = hps[t - 1] if hps else HP
        if name == "gd":
            w = w - lr * g
        elif name == "momentum":
            v = hp["beta"] * v + (1 - hp["beta"]) * g
            w = w - lr * v
        elif name == "rmsprop":
            s = hp["beta"] * s + (1 - hp["beta"]) * g**2
            w = w - lr * g / (np.sqrt(s) + hp["epsilon"])
        elif name == "adam":
            v = hp["beta1"] * v + (1 - hp["beta1"]) * g
            s = hp["beta2"] * s + (1 - hp["beta2"]) * g**2
            v_hat, s_hat = v / (1 - hp["beta1"] ** t), s / (1 - hp["beta2"] ** t)
            w = w - lr * v_hat / (np.sqrt(s_hat) + hp["epsilon"])
    return w


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_steps_match_the_formula(name):
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal(50)
    grads = [rng.standard_normal(50) * 10.0 ** rng.uniform(-3, 1) for _ in range(7)]
    w, state = run(name, w0, grads, lr=0.05)
    np.testing.assert_allclose(w, reference(name, w0, grads, 0.05), rtol=1e-12, atol=1e-14)
    assert int(state["t"]) == 7


@pytest.mark.parametrize(
    "name,key", [("momentum", "beta"), ("rmsprop", "beta"), ("adam", "beta1"), ("adam", "beta2")]
)
def test_a_beta_changed_mid_training_continues_the_course_average(name, key):
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal(20)
    grads = [rng.standard_normal(20) for _ in range(6)]
    hps = [HP] * 3 + [dict(HP, **{key: 0.5})] * 3
    w, _ = run(name, w0, grads, 0.05, hps)
    np.testing.assert_allclose(w, reference(name, w0, grads, 0.05, hps), rtol=1e-12)


def test_adam_first_step_moves_each_weight_by_about_lr_against_the_gradient_sign():
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal(1000).astype(np.float32)
    # magnitudes from 1e-3 to 1e2, all far above epsilon = 1e-8
    g = (rng.choice([-1, 1], 1000) * 10.0 ** rng.uniform(-3, 2, 1000)).astype(np.float32)
    w, _ = run("adam", w0, [g], lr=0.01)
    np.testing.assert_allclose(w - w0, -0.01 * np.sign(g), rtol=1e-3)


def test_float32_parameters_stay_float32():
    w, state = run("adam", np.ones(4, np.float32), [np.ones(4, np.float32)], lr=0.1)
    assert w.dtype == np.float32 and state["m"].dtype == np.float32


@pytest.mark.parametrize(
    "decay,expected",
    [
        ("none", [0.1, 0.1, 0.1, 0.1]),
        ("inverse_time", [0.1, 0.1 / 1.5, 0.1 / 2.0, 0.1 / 2.5]),
        ("exponential", [0.1, 0.05, 0.025, 0.0125]),
        ("sqrt", [0.1, 0.1 / math.sqrt(2), 0.1 / math.sqrt(3), 0.05]),
        ("step", [0.1, 0.1, 0.05, 0.05]),
    ],
)
def test_learning_rate_schedules(decay, expected):
    rate = {"inverse_time": 0.5, "exponential": 0.5, "step": 2}.get(decay, 1.0)
    hp = {"learning_rate": 0.1, "lr_decay": decay, "decay_rate": rate}
    assert [learning_rate(hp, e) for e in range(4)] == pytest.approx(expected, rel=1e-12)
    assert set(SCHEDULES) == {"none", "inverse_time", "exponential", "sqrt", "step"}
