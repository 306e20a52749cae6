"""Seeded synthetic 2-D data sets for small, fast experiments: (X (n, d), y (n,) ints).

`flower` is the course's planar data set; `spirals` is CS231n's; the others follow the
scikit-learn generators of the same names.
"""

from __future__ import annotations

import numpy as np


def moons(n, noise, rng, **_):
    n_out = n // 2
    t_out, t_in = rng.uniform(0, np.pi, n_out), rng.uniform(0, np.pi, n - n_out)
    outer = np.c_[np.cos(t_out), np.sin(t_out)]
    inner = np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]
    X = np.r_[outer, inner] + rng.normal(0, noise, (n, 2))
    return X, np.r_[np.zeros(n_out, int), np.ones(n - n_out, int)]


def circles(n, noise, rng, factor=0.5, **_):
    n_out = n // 2
    t = rng.uniform(0, 2 * np.pi, n)
    radius = np.r_[np.ones(n_out), np.full(n - n_out, factor)]
    X = np.c_[np.cos(t), np.sin(t)] * radius[:, None] + rng.normal(0, noise, (n, 2))
    return X, np.r_[np.zeros(n_out, int), np.ones(n - n_out, int)]


def spirals(n, noise, rng, classes=3, **_):
    y = np.arange(n) % classes
    r = rng.uniform(0, 1, n)
    theta = y * 2 * np.pi / classes + r * 4 + rng.normal(0, noise, n)
    return np.c_[r * np.sin(theta), r * np.cos(theta)], y


def flower(n, noise, rng, **_):
    # Two classes of petals: r = 4 sin(4 t), each class on half of the angles.
    y = np.arange(n) % 2
    t = np.where(y == 0, 0, np.pi) + rng.uniform(0, np.pi, n) + rng.normal(0, noise, n)
    r = 4 * np.sin(4 * t) + rng.normal(0, noise, n)
    return np.c_[r * np.sin(t), r * np.cos(t)], y


def blobs(n, noise, rng, classes=3, features=2, **_):
    centers = rng.uniform(-10, 10, (classes, features))
    y = np.arange(n) % classes
    return centers[y] + rng.normal(0, noise, (n, features)), y


GENERATORS = {
    "moons": moons,
    "circles": circles,
    "spirals": spirals,
    "flower": flower,
    "blobs": blobs,
}
NOISE = {"moons": 0.2, "circles": 0.1, "spirals": 0.2, "flower": 0.2, "blobs": 1.0}
