"""Layer behaviour that gradient checking cannot see: inference modes, dropout, losses."""

import numpy as np
import pytest

from hpsearch.nn import layers
from hpsearch.nn.activations import ACTIVATIONS
from hpsearch.nn.model import Model


def test_activation_values():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    expected = {
        "relu": np.maximum(z, 0),
        "leaky_relu": np.where(z > 0, z, 0.01 * z),
        "tanh": np.tanh(z),
        "sigmoid": 1 / (1 + np.exp(-z)),
    }
    for name, act in ACTIVATIONS.items():
        a, cache = act.forward(z.copy())
        np.testing.assert_allclose(a, expected[name], rtol=1e-12, atol=1e-15)
        assert cache is a


def test_sigmoid_does_not_overflow_in_float32():
    with np.errstate(all="raise"):
        a, _ = ACTIVATIONS["sigmoid"].forward(np.array([-1000, 0, 1000], dtype=np.float32))
    np.testing.assert_array_equal(a, [0, 0.5, 1])


def test_batchnorm_training_normalises_each_unit():
    z = np.random.default_rng(0).normal(3, 5, (200, 4))
    out, (z_c, stats) = layers.batchnorm_forward(z.copy(), np.ones(4) * 2, np.ones(4) * -1)
    np.testing.assert_allclose(out.mean(axis=0), -1, atol=1e-10)
    np.testing.assert_allclose(out.std(axis=0), 2, rtol=1e-4)
    np.testing.assert_allclose(stats[0], z.mean(axis=0))
    np.testing.assert_allclose(stats[1], z.var(axis=0))
    np.testing.assert_allclose(z_c, z - z.mean(axis=0))


def test_batchnorm_training_updates_the_running_statistics_by_the_formula():
    z = np.random.default_rng(1).normal(3, 5, (64, 4)).astype(np.float32)
    running = np.array([np.full(4, 0.5), np.full(4, 2.0)], np.float32)
    gamma, beta = np.ones(4, np.float32), np.zeros(4, np.float32)
    layers.batchnorm_forward(z.copy(), gamma, beta, running)
    m = layers.BN_MOMENTUM
    np.testing.assert_allclose(running[0], m * 0.5 + (1 - m) * z.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(running[1], m * 2.0 + (1 - m) * z.var(axis=0), rtol=1e-5)
    assert running.dtype == np.float32
    before = running.copy()
    layers.batchnorm_forward(z.copy(), gamma, beta)  # no running statistics: nothing updated
    np.testing.assert_array_equal(running, before)


def _trained(**hp):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 6))
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int) + (X[:, 2] > 0)
    return Model(epochs=5, batch_size=32, seed=1, **hp).fit(X, y), X


def test_batchnorm_inference_uses_running_statistics():
    model, X = _trained(batch_norm=True)
    whole = model.predict_proba(X[:50])
    one_at_a_time = np.concatenate([model.predict_proba(X[i : i + 1]) for i in range(50)])
    np.testing.assert_allclose(one_at_a_time, whole, rtol=1e-5, atol=1e-6)
    assert not np.allclose(model.net.buffers["running1"][0], 0)  # they were learned


def test_inverted_dropout_keeps_the_expected_activation():
    rng = np.random.default_rng(0)
    a = np.full((2000, 500), 3.0, dtype=np.float32)
    out, mask = layers.dropout_forward(a, 0.7, rng)
    assert abs(out.mean() - 3.0) < 0.01
    assert abs((mask == 0).mean() - 0.3) < 0.005
    assert set(np.unique(out)) == {0.0, np.float32(3.0 / 0.7)}


def test_dropout_is_off_at_predict():
    model, X = _trained(keep_prob=0.5, batch_norm=False)
    proba = model.predict_proba(X)
    # What inference must compute: every unit kept, no rescaling (inverted dropout scaled
    # at training).
    a = X.astype(np.float32)
    p = model.params
    for i in (1, 2):
        a = np.maximum(a @ p[f"W{i}"] + p[f"b{i}"], 0)
    logits = a @ p["W3"] + p["b3"]
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(
        proba, expected / expected.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-6
    )
    # while a training-mode pass with the same weights does drop units
    dropped, _ = model.net.forward(X.astype(np.float32), True, np.random.default_rng(0), 0.5)
    assert not np.allclose(dropped, logits, rtol=1e-3)


def test_softmax_loss_value_and_gradient():
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    y = np.array([2, 0])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss, d = layers.softmax_loss(logits.copy(), y)
    assert loss == pytest.approx(-np.mean(np.log(p[[0, 1], y])))
    np.testing.assert_allclose(d, (p - np.eye(3)[y]) / 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_loss_matches_the_textbook_formula_on_large_logits(dtype):
    rng = np.random.default_rng(2)
    logits, y = (rng.standard_normal((257, 10)) * 30).astype(dtype), rng.integers(0, 10, 257)
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    expected = np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(257), y])
    loss, d = layers.softmax_loss(logits.copy(), y)
    assert d.dtype == dtype and loss == pytest.approx(
        expected, rel=1e-6 if dtype == np.float32 else 1e-12
    )
    np.testing.assert_allclose(
        d, (p - np.eye(10)[y]) / 257, atol=1e-8 if dtype == np.float32 else 1e-15
    )


def test_softmax_loss_of_non_finite_logits_is_not_finite():
    for bad in (np.nan, np.inf):
        logits = np.zeros((3, 4), np.float32)
        logits[1, 2] = bad
        loss, _ = layers.softmax_loss(logits, np.array([0, 1, 2]))
        assert not np.isfinite(loss)


def test_sigmoid_loss_is_finite_for_huge_logits():
    loss, d = layers.sigmoid_loss(
        np.array([[500.0], [-500.0]], dtype=np.float32), np.array([0, 1])
    )
    assert loss == pytest.approx(500.0) and np.isfinite(d).all()


def test_binary_problems_use_one_sigmoid_unit_and_predict_two_columns():
    model, X = _trained(layers=1, hidden_units=4)
    rng = np.random.default_rng(3)
    Xb, yb = rng.standard_normal((100, 3)), rng.integers(0, 2, 100)
    binary = Model(epochs=2).fit(Xb, yb)
    assert binary.net.params["W3"].shape[1] == 1
    proba = binary.predict_proba(Xb)
    assert proba.shape == (100, 2) and np.allclose(proba.sum(axis=1), 1)
