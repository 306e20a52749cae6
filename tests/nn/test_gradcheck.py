"""Every layer's backward against centred differences in float64 (relative difference < 1e-7)."""

import itertools

import numpy as np
import pytest

from hpsearch.nn.gradcheck import gradient_check

X = np.random.default_rng(0).standard_normal((12, 5))


@pytest.mark.parametrize(
    "batch_norm,activation,n_classes,l2",
    list(
        itertools.product(
            [True, False], ["relu", "leaky_relu", "tanh", "sigmoid"], [2, 4], [0.0, 0.7]
        )
    ),
)
def test_whole_network_gradient(batch_norm, activation, n_classes, l2):
    y = np.arange(len(X)) % n_classes
    hp = {
        "layers": 2,
        "hidden_units": 6,
        "batch_norm": batch_norm,
        "activation": activation,
        "l2": l2,
    }
    result = gradient_check(hp, X, y, n_classes=n_classes)
    assert result.difference < 1e-7, result.worst
    assert result.passed and result.verdict == "correct"


@pytest.mark.parametrize("layers", [0, 1, 3])
def test_depths_including_plain_softmax_regression(layers):
    y = np.arange(len(X)) % 3
    assert gradient_check({"layers": layers, "hidden_units": 4}, X, y).difference < 1e-7


def _network(hp, n_classes, seed=3):
    from hpsearch.nn.model import Model

    model = Model(**hp, seed=seed, dtype="float64").build(X.shape[1], n_classes)
    rng = np.random.default_rng(seed)
    for p in model.params.values():  # batch norm's gamma and beta away from 1 and 0 too
        p += rng.standard_normal(p.shape) * 0.1
    return model.net, model.hp["l2"]


@pytest.mark.parametrize(
    "hp,n_classes",
    [
        ({"layers": 2, "hidden_units": 4, "activation": "relu", "l2": 0.7}, 3),
        ({"layers": 3, "hidden_units": 3, "activation": "tanh", "batch_norm": False}, 4),
        ({"layers": 1, "hidden_units": 4, "activation": "sigmoid", "l2": 0.3}, 2),
        ({"layers": 2, "hidden_units": 3, "activation": "leaky_relu", "batch_norm": False}, 2),
        ({"layers": 0, "l2": 0.5}, 3),
    ],
)
def test_every_moved_cost_is_the_network_forward_pass_cost(hp, n_classes):
    """centred.Pass computes J(theta +- h e_i) for many i at once, by its own route through
    the layers: each must be the cost the network's forward pass gives with theta[i] moved."""
    from hpsearch.nn.centred import Pass

    y = np.arange(len(X)) % n_classes
    net, l2 = _network(hp, n_classes)

    def cost():
        logits, _ = net.forward(X, True, update_buffers=False)
        return net.data_loss(logits, y)[0] + net.l2_cost(l2, len(X))

    stacked = Pass(net, X, y, l2)
    assert stacked.cost == pytest.approx(cost(), rel=1e-13)
    offset, h = 0, 1e-3  # a step large enough that a wrong route shows
    for name, shape in net.shapes.items():
        size = int(np.prod(shape))
        plus, minus = stacked.moved(name, np.arange(size), h)
        for i in range(size):
            saved = net.flat[offset + i]
            for step, expected in ((h, plus[i]), (-h, minus[i])):
                net.flat[offset + i] = saved + step
                assert expected == pytest.approx(cost(), rel=1e-12, abs=1e-14), (name, i, step)
            net.flat[offset + i] = saved
        offset += size


def test_a_forward_pass_that_centred_does_not_know_is_refused(monkeypatch):
    """Were the network's forward pass to change (a new layer kind) without centred following,
    the check would compare the backward pass with another function: it stops instead."""
    from hpsearch.nn.network import Network

    real = Network.data_loss

    def data_loss(self, logits, y):  # the cost, scaled: its gradient is now wrong too
        loss, dlogits = real(self, logits, y)
        return loss * 1.001, dlogits

    monkeypatch.setattr(Network, "data_loss", data_loss)
    with pytest.raises(AssertionError, match="unmoved"):
        gradient_check({"layers": 1, "hidden_units": 4}, X, np.arange(12) % 3)


def test_a_wrong_gradient_is_reported_as_a_bug_with_the_parameter_named(monkeypatch):
    from hpsearch.nn import layers

    real = layers.batchnorm_backward

    def broken(dout, cache, dgamma=None, dbeta=None):
        dz, dgamma, dbeta = real(dout, cache, dgamma, dbeta)
        dgamma *= 2  # a deliberate bug in dgamma only
        return dz, dgamma, dbeta

    monkeypatch.setattr(layers, "batchnorm_backward", broken)
    result = gradient_check({"layers": 1, "hidden_units": 4}, X, np.arange(12) % 3)
    assert result.verdict == "a bug"
    assert result.worst[0][0] == "gamma1"


def test_subset_of_parameters_is_checked_when_asked():
    result = gradient_check({"layers": 1, "hidden_units": 8}, X, np.arange(12) % 3, max_params=10)
    assert result.n_params == 10 and result.passed


def test_gradcheck_command_prints_the_verdict(cli, write):
    config = write(
        "c.yaml",
        """
        data: {dataset: blobs, n_samples: 60}
        params: {layers: 1, hidden_units: 5}
    """,
    )
    result = cli("gradcheck", config)
    assert result.exit_code == 0, result.output
    assert "correct" in result.output and "relative difference" in result.output


def _reference_grads(params, X, y, l2, eps=1e-5):
    """An independent, plainly written backward pass (CS231n style, float64): affine ->
    batch norm -> ReLU for each hidden layer, affine -> softmax cross-entropy, + L2."""
    n_hidden = sum(k.startswith("gamma") for k in params)
    a, caches = X, []
    for i in range(1, n_hidden + 1):
        z = a @ params[f"W{i}"]
        mu, var = z.mean(axis=0), z.var(axis=0)
        z_hat = (z - mu) / np.sqrt(var + eps)
        out = params[f"gamma{i}"] * z_hat + params[f"beta{i}"]
        caches.append((a, z_hat, var, out))
        a = np.maximum(out, 0)
    last = n_hidden + 1
    scores = a @ params[f"W{last}"] + params[f"b{last}"]
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    m = len(y)
    weights = [params[f"W{i}"] for i in range(1, last + 1)]
    cost = -np.log(p[np.arange(m), y]).mean() + l2 / (2 * m) * sum((w**2).sum() for w in weights)
    dscores = p.copy()
    dscores[np.arange(m), y] -= 1
    dscores /= m
    grads = {
        f"W{last}": a.T @ dscores + l2 / m * params[f"W{last}"],
        f"b{last}": dscores.sum(axis=0),
    }
    da = dscores @ params[f"W{last}"].T
    for i in range(n_hidden, 0, -1):
        a_prev, z_hat, var, out = caches[i - 1]
        dout = da * (out > 0)
        grads[f"beta{i}"] = dout.sum(axis=0)
        grads[f"gamma{i}"] = (dout * z_hat).sum(axis=0)
        dz_hat = dout * params[f"gamma{i}"]
        dz = (m * dz_hat - dz_hat.sum(axis=0) - z_hat * (dz_hat * z_hat).sum(axis=0)) / (
            m * np.sqrt(var + eps)
        )
        grads[f"W{i}"] = a_prev.T @ dz + l2 / m * params[f"W{i}"]
        da = dz @ params[f"W{i}"].T
    return cost, grads


def test_gradients_match_an_independent_reference_implementation():
    from hpsearch.nn.model import Model

    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((40, 7)), rng.integers(0, 4, 40)
    model = Model(layers=3, hidden_units=9, l2=0.3, dtype="float64", seed=2).build(7, 4)
    for p in model.params.values():  # move batch norm's parameters away from 1 and 0
        p += rng.standard_normal(p.shape) * 0.1
    cost, grads = model.cost_and_grads(X, y)
    ref_cost, ref_grads = _reference_grads(
        {k: v.copy() for k, v in model.params.items()}, X, y, 0.3
    )
    assert cost == pytest.approx(ref_cost, rel=1e-12)
    assert set(grads) == set(ref_grads)
    for name, g in grads.items():
        np.testing.assert_allclose(g, ref_grads[name], rtol=1e-9, atol=1e-12, err_msg=name)
