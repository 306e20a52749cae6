"""Hidden-layer activations, as a registry of forward/backward pairs in the layers' convention:
`a, cache = act.forward(z)` and `dz = act.backward(da, cache)`.

Every derivative here is written in terms of the activation's *output* `a`, so the forward pass
may overwrite its input `z` and the cache is `a` itself; the backward pass may overwrite `da`:
relu' = [a > 0], leaky_relu' = 1 or SLOPE, tanh' = 1 - a^2, sigmoid' = a (1 - a).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .jit import kernel

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """`value(z) -> a` (may overwrite z) and `derivative(da, a) -> dz` (may overwrite da)."""

    value: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def forward(self, z):
        a = self.value(z)
        return a, a

    def backward(self, da, cache):
        return self.derivative(da, cache)


def _relu(z):
    _relu_kernel(z)
    return z


def _relu_back(da, a):
    _relu_back_kernel(da, a)
    return da


def _leaky(z):
    _leaky_kernel(z, z.dtype.type(LEAKY_SLOPE))
    return z


def _leaky_back(da, a):
    _leaky_back_kernel(da, a, da.dtype.type(LEAKY_SLOPE))
    return da


# relu and leaky_relu are one compiled pass each (NumPy needs two: the mask, then the product);
# NaN stays NaN, so a diverging run is still seen. tanh and sigmoid use NumPy's vectorised tanh.
# The arrays are flattened inside the kernel: Numba refuses to reshape one that is not
# contiguous, where a reshape outside would quietly work on a copy.
@kernel
def _relu_kernel(z):
    z = z.reshape(-1)
    for i in range(z.shape[0]):
        if z[i] < 0:
            z[i] = 0


@kernel
def _relu_back_kernel(da, a):
    da, a = da.reshape(-1), a.reshape(-1)
    for i in range(da.shape[0]):
        if not a[i] > 0:
            da[i] = 0


@kernel
def _leaky_kernel(z, slope):
    z = z.reshape(-1)
    for i in range(z.shape[0]):
        if z[i] < 0:
            z[i] *= slope


@kernel
def _leaky_back_kernel(da, a, slope):
    da, a = da.reshape(-1), a.reshape(-1)
    for i in range(da.shape[0]):
        if not a[i] > 0:
            da[i] *= slope


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
