"""Hidden-layer activations, as a registry of forward/backward pairs.

Every derivative here is written in terms of the activation's *output* `a`, so the forward pass
can overwrite its input and the backward pass needs nothing else from the cache:
relu' = [a > 0], leaky_relu' = 1 or SLOPE, tanh' = 1 - a^2, sigmoid' = a (1 - a).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """forward(z) -> a, may overwrite z; backward(da, a) -> dz, may overwrite da."""

    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]


def _relu(z):
    # Multiplying by the mask is faster than np.maximum (which also checks for NaN).
    return np.multiply(z, z > 0, out=z)


def _relu_back(da, a):
    da *= a > 0
    return da


def _leaky(z):
    # For a slope below 1, max(z, slope * z) is z where z > 0 and slope * z elsewhere.
    return np.maximum(z, LEAKY_SLOPE * z, out=z)


def _leaky_back(da, a):
    da *= np.where(a > 0, 1.0, LEAKY_SLOPE).astype(da.dtype, copy=False)
    return da


def _tanh(z):
    return np.tanh(z, out=z)


def _tanh_back(da, a):
    da *= 1 - a * a
    return da


def _sigmoid(z):
    # 0.5 (1 + tanh(z / 2)) equals 1 / (1 + e^-z) and never overflows.
    z *= 0.5
    np.tanh(z, out=z)
    z += 1
    z *= 0.5
    return z


def _sigmoid_back(da, a):
    da *= a * (1 - a)
    return da


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(_relu, _relu_back),
    "leaky_relu": Activation(_leaky, _leaky_back),
    "tanh": Activation(_tanh, _tanh_back),
    "sigmoid": Activation(_sigmoid, _sigmoid_back),
}
