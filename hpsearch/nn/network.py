"""The multilayer perceptron's architecture, parameters, forward and backward passes.

All learned parameters live in one packed vector (`flat`); `params` maps the course's names
(W1, b1, gamma1, beta1, ..., WL, bL) to reshaped views of it, and `grads` does the same for the
packed gradient vector. Weights come first, so L2 touches one slice, an optimiser step is one
pass over one vector, and gradient checking perturbs the packed vector directly. Batch-norm
running statistics are buffers, not parameters: `buffers["running{l}"]`, shape (2, M), rows
mean and variance.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import layers
from .activations import ACTIVATIONS
from .init import init_weights

BATCH = 8192  # rows per forward pass at inference


class LayerCache(NamedTuple):
    """What a hidden layer's forward pass keeps for its backward pass."""

    affine: tuple
    batchnorm: tuple | None
    activation: np.ndarray
    dropout: np.ndarray | None


def layer_sizes(n_features: int, n_classes: int, hp: dict) -> list[int]:
    """Units per layer from input to output; 2 classes need a single sigmoid unit."""
    output = 1 if n_classes == 2 else n_classes
    return [n_features] + [hp["hidden_units"]] * hp["layers"] + [output]


def param_shapes(sizes: list[int], batch_norm: bool) -> dict[str, tuple]:
    """Parameter names and shapes in packed order: every W first, then biases and BN params."""
    n = len(sizes) - 1
    shapes = {f"W{i}": (sizes[i - 1], sizes[i]) for i in range(1, n + 1)}
    for i in range(1, n + 1):
        if batch_norm and i < n:
            shapes[f"gamma{i}"] = (sizes[i],)
            shapes[f"beta{i}"] = (sizes[i],)
        else:
            shapes[f"b{i}"] = (sizes[i],)
    return shapes


def unpack(flat: np.ndarray, shapes: dict[str, tuple]) -> dict[str, np.ndarray]:
    """Views of `flat` shaped and named as `shapes` says."""
    views, offset = {}, 0
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        views[name] = flat[offset : offset + size].reshape(shape)
        offset += size
    return views


class Network:
    """Parameters, buffers and the pure forward/backward computation of one MLP.

    hp keys used: layers, hidden_units, activation, init, batch_norm (fixed for the network's
    life); keep_prob and l2 are passed at every call, so they may change between epochs.
    """

    def __init__(self, n_features: int, n_classes: int, hp: dict, rng, dtype=np.float32):
        self.dtype, self.n_classes = np.dtype(dtype), n_classes
        self.sizes = layer_sizes(n_features, n_classes, hp)
        self.n_layers = len(self.sizes) - 1
        self.bn = bool(hp["batch_norm"])
        self.act = ACTIVATIONS[hp["activation"]]
        self.shapes = param_shapes(self.sizes, self.bn)
        total = sum(int(np.prod(s)) for s in self.shapes.values())
        self.n_weights = sum(a * b for a, b in zip(self.sizes[:-1], self.sizes[1:]))
        self.flat = np.zeros(total, dtype=self.dtype)
        self.grad_flat = np.zeros(total, dtype=self.dtype)
        self.params = unpack(self.flat, self.shapes)
        self.grads = unpack(self.grad_flat, self.shapes)
        for i in range(1, self.n_layers + 1):
            w = init_weights(hp["init"], rng, *self.shapes[f"W{i}"], self.dtype)
            self.params[f"W{i}"][...] = w
            if f"gamma{i}" in self.params:
                self.params[f"gamma{i}"][...] = 1
        self.buffers = {}
        if self.bn:
            for i in range(1, self.n_layers):
                running = np.zeros((2, self.sizes[i]), dtype=self.dtype)
                running[1] = 1  # the variance starts at 1
                self.buffers[f"running{i}"] = running

    def forward(self, x, train: bool, rng=None, keep_prob: float = 1.0, update_buffers=True):
        """x: (N, D) -> logits (N, C or 1) and the caches backward needs.

        In training, batch norm uses the batch's statistics (and updates the running ones
        unless `update_buffers` is false) and dropout is applied when keep_prob < 1; at
        inference, batch norm uses the running statistics and there is no dropout."""
        p, caches, a = self.params, [], x
        for i in range(1, self.n_layers):
            z, affine = layers.affine_forward(a, p[f"W{i}"], None if self.bn else p[f"b{i}"])
            bn = None
            if self.bn and train:
                running = self.buffers[f"running{i}"] if update_buffers else None
                z, bn = layers.batchnorm_forward(z, p[f"gamma{i}"], p[f"beta{i}"], running)
            elif self.bn:
                z = layers.batchnorm_infer(
                    z, p[f"gamma{i}"], p[f"beta{i}"], self.buffers[f"running{i}"]
                )
            a, act = self.act.forward(z)
            mask = None
            if train and keep_prob < 1.0:
                a, mask = layers.dropout_forward(a.copy(), keep_prob, rng)
            caches.append(LayerCache(affine, bn, act, mask))
        last = self.n_layers
        logits, affine = layers.affine_forward(a, p[f"W{last}"], p[f"b{last}"])
        caches.append(LayerCache(affine, None, None, None))
        return logits, caches

    def backward(self, dlogits, caches):
        """Fills self.grads (without L2) from dlogits = dcost/dlogits and the forward caches."""
        g, last = self.grads, self.n_layers
        da, _, _ = layers.affine_backward(
            dlogits, caches[-1].affine, g[f"W{last}"], g[f"b{last}"], need_dx=last > 1
        )
        for i in range(last - 1, 0, -1):
            cache = caches[i - 1]
            if cache.dropout is not None:
                da = layers.dropout_backward(da, cache.dropout)
            dz = self.act.backward(da, cache.activation)
            if self.bn:
                dz, _, _ = layers.batchnorm_backward(
                    dz, cache.batchnorm, g[f"gamma{i}"], g[f"beta{i}"]
                )
            da, _, _ = layers.affine_backward(dz, cache.affine, g[f"W{i}"], g.get(f"b{i}"), i > 1)

    def data_loss(self, logits, y):
        """Mean cross-entropy of logits against integer labels y, and its gradient."""
        loss_fn = layers.sigmoid_loss if self.n_classes == 2 else layers.softmax_loss
        return loss_fn(logits, y)

    def l2_cost(self, l2: float, m: int) -> float:
        """lambda / (2 m) * sum of ||W||_F^2 over every layer."""
        w = self.flat[: self.n_weights]
        return float(l2 / (2 * m) * np.dot(w, w)) if l2 else 0.0

    def cost_and_grads(self, x, y, l2=0.0, keep_prob=1.0, rng=None, update_buffers=True):
        """Training-mode cost J = cross-entropy + L2 on (x, y), and the gradients of J.

        Returns (cost, grads), grads keyed like params (views of the packed gradient vector,
        overwritten by the next call: copy them to keep them)."""
        logits, caches = self.forward(x, True, rng, keep_prob, update_buffers)
        m = x.shape[0]
        cost, dlogits = self.data_loss(logits, y)
        self.backward(dlogits, caches)
        if l2:
            cost += self.l2_cost(l2, m)
            self.grad_flat[: self.n_weights] += (l2 / m) * self.flat[: self.n_weights]
        return cost, self.grads

    def predict_proba(self, x, batch: int = BATCH):
        """Class probabilities (N, C) at inference (running BN statistics, no dropout)."""
        out = [proba for _, proba in self._proba(x, batch)]
        return np.concatenate(out) if out else np.zeros((0, self.n_classes), self.dtype)

    def _proba(self, x, batch: int = BATCH):
        """(start, probabilities of rows start... of x), batch by batch."""
        for start in range(0, x.shape[0], batch):
            logits, _ = self.forward(x[start : start + batch], train=False)
            if self.n_classes == 2:
                p1 = 0.5 * (1 + np.tanh(0.5 * logits[:, 0]))
                yield start, np.stack([1 - p1, p1], axis=1)
            else:
                yield start, layers.softmax(logits)

    def evaluate(self, x, y, l2: float = 0.0) -> tuple[float, float]:
        """(cost, accuracy) at inference on (x, y); the cost includes the L2 term. Batch by
        batch, it keeps each row's probability of its class, not of every class (N x C)."""
        true, right = [np.zeros(0, self.dtype)], [np.zeros(0, bool)]
        for start, proba in self._proba(x):
            labels = y[start : start + len(proba)]
            true.append(proba[np.arange(len(proba)), labels])
            right.append(proba.argmax(axis=1) == labels)
        true = np.concatenate(true)
        eps = np.finfo(true.dtype).tiny
        cost = float(-np.mean(np.log(np.maximum(true, eps))))
        if l2:
            cost += self.l2_cost(l2, len(y))
        return cost, float(np.mean(np.concatenate(right)))
