"""Every layer's backward against centred differences in float64 (relative difference < 1e-7)."""

import itertools

import numpy as np
import pytest

from hpsearch.nn.gradcheck import gradient_check

X = np.random.default_rng(0).standard_normal((12, 5))


@pytest.mark.parametrize("batch_norm,activation,n_classes,l2", list(itertools.product(
    [True, False], ["relu", "leaky_relu", "tanh", "sigmoid"], [2, 4], [0.0, 0.7])))
def test_whole_network_gradient(batch_norm, activation, n_classes, l2):
    y = np.arange(len(X)) % n_classes
    hp = dict(layers=2, hidden_units=6, batch_norm=batch_norm, activation=activation, l2=l2)
    result = gradient_check(hp, X, y, n_classes=n_classes)
    assert result.difference < 1e-7, result.worst
    assert result.passed and result.verdict == "correct"


@pytest.mark.parametrize("layers", [0, 1, 3])
def test_depths_including_plain_softmax_regression(layers):
    y = np.arange(len(X)) % 3
    assert gradient_check(dict(layers=layers, hidden_units=4), X, y).difference < 1e-7


def test_a_wrong_gradient_is_reported_as_a_bug_with_the_parameter_named(monkeypatch):
    from hpsearch.nn import layers

    real = layers.batchnorm_backward

    def broken(dout, cache, dgamma, dbeta):
        dz = real(dout, cache, dgamma, dbeta)
        dgamma *= 2  # a deliberate bug in dgamma only
        return dz

    monkeypatch.setattr(layers, "batchnorm_backward", broken)
    result = gradient_check(dict(layers=1, hidden_units=4), X, np.arange(12) % 3)
    assert result.verdict == "a bug"
    assert result.worst[0][0] == "gamma1"


def test_subset_of_parameters_is_checked_when_asked():
    result = gradient_check(dict(layers=1, hidden_units=8), X, np.arange(12) % 3, max_params=10)
    assert result.n_params == 10 and result.passed


def test_gradcheck_command_prints_the_verdict(cli, write):
    config = write("c.yaml", """
        data: {dataset: blobs, n_samples: 60}
        params: {layers: 1, hidden_units: 5}
    """)
    result = cli("gradcheck", config)
    assert result.exit_code == 0, result.output
    assert "correct" in result.output and "relative difference" in result.output
