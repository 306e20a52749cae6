"""The multilayer perceptron's architecture, parameters, forward and backward passes.

All learned parameters live in one packed vector (`flat`); `params` maps the course's names
(W1, b1, gamma1, beta1, ..., WL, bL) to reshaped views of it, and `grads` does the same for the
packed gradient vector. Weights come first, so L2 touches one slice, an optimiser step is one
pass over one vector, and gradient checking perturbs the packed vector directly. Batch-norm
running statistics are buffers, not parameters: they are kept in their own dict.
"""

from __future__ import annotations

import numpy as np

from . import layers
from .activations import ACTIVATIONS
from .init import init_weights


def layer_sizes(n_features: int, n_classes: int, hp: dict) -> list[int]:
    """Units per layer from input to output; 2 classes need a single sigmoid unit."""
    return [n_features] + [hp["hidden_units"]] * hp["layers"] + [1 if n_classes == 2 else n_classes]


def param_shapes(sizes: list[int], batch_norm: bool) -> dict[str, tuple]:
    """Parameter names and shapes in packed order: every W first, then biases and BN params."""
    n = len(sizes) - 1
    shapes = {f"W{l}": (sizes[l - 1], sizes[l]) for l in range(1, n + 1)}
    for l in range(1, n + 1):
        if batch_norm and l < n:
            shapes[f"gamma{l}"] = (sizes[l],)
            shapes[f"beta{l}"] = (sizes[l],)
        else:
            shapes[f"b{l}"] = (sizes[l],)
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
    life); keep_prob and l2 are read at every call, so they may change between epochs.
    """

    def __init__(self, n_features: int, n_classes: int, hp: dict, rng, dtype=np.float32):
        self.hp, self.dtype, self.n_classes = hp, np.dtype(dtype), n_classes
        self.sizes = layer_sizes(n_features, n_classes, hp)
        self.n_layers = len(self.sizes) - 1
        self.bn = bool(hp["batch_norm"])
        self.act = ACTIVATIONS[hp["activation"]]
        self.shapes = param_shapes(self.sizes, self.bn)
        total = sum(int(np.prod(s)) for s in self.shapes.values())
        self.n_weights = sum(a * b for a, b in self.sizes_pairs())
        self.flat = np.zeros(total, dtype=self.dtype)
        self.grad_flat = np.zeros(total, dtype=self.dtype)
        self.params = unpack(self.flat, self.shapes)
        self.grads = unpack(self.grad_flat, self.shapes)
        for l in range(1, self.n_layers + 1):
            self.params[f"W{l}"][...] = init_weights(hp["init"], rng, *self.shapes[f"W{l}"], self.dtype)
            if f"gamma{l}" in self.params:
                self.params[f"gamma{l}"][...] = 1
        self.buffers = {}
        if self.bn:
            for l in range(1, self.n_layers):
                self.buffers[f"mean{l}"] = np.zeros(self.sizes[l], dtype=self.dtype)
                self.buffers[f"var{l}"] = np.ones(self.sizes[l], dtype=self.dtype)

    def adopt(self, flat: np.ndarray, buffers: dict):
        """Keep the parameters in `flat` and the buffers in `buffers` from now on (the model
        gathers its state in one array; the values must already be there)."""
        self.flat, self.buffers = flat, buffers
        self.params = unpack(flat, self.shapes)

    def sizes_pairs(self):
        return zip(self.sizes[:-1], self.sizes[1:])

    def forward(self, x, train: bool, rng=None, keep_prob: float = 1.0, update_buffers: bool = True):
        """x: (N, D) -> logits (N, C or 1) and the caches backward needs.

        In training, batch norm uses the batch's statistics (and updates the running ones
        unless `update_buffers` is false) and dropout is applied when keep_prob < 1; at
        inference, batch norm uses the running statistics and there is no dropout."""
        p, caches, a = self.params, [], x
        for l in range(1, self.n_layers):
            a_prev = a
            z = layers.affine_forward(a_prev, p[f"W{l}"], None if self.bn else p[f"b{l}"])
            bn_cache = None
            if self.bn and train:
                running = (self.buffers[f"mean{l}"], self.buffers[f"var{l}"]) if update_buffers else None
                z, _, _, bn_cache = layers.batchnorm_forward(z, p[f"gamma{l}"], p[f"beta{l}"], running)
            elif self.bn:
                z = layers.batchnorm_infer(z, p[f"gamma{l}"], p[f"beta{l}"],
                                           self.buffers[f"mean{l}"], self.buffers[f"var{l}"])
            a = self.act.forward(z)
            act_out, mask = a, None
            if train and keep_prob < 1.0:
                a, mask = layers.dropout_forward(a, keep_prob, rng)
            caches.append((a_prev, bn_cache, act_out, mask))
        L = self.n_layers
        logits = layers.affine_forward(a, p[f"W{L}"], p[f"b{L}"])
        caches.append((a, None, None, None))
        return logits, caches

    def backward(self, dlogits, caches):
        """Fills self.grads (without L2) from dlogits = dcost/dlogits and the forward caches."""
        p, g, L = self.params, self.grads, self.n_layers
        a_prev = caches[-1][0]
        da = layers.affine_backward(dlogits, a_prev, p[f"W{L}"], g[f"W{L}"], g[f"b{L}"], need_dx=L > 1)
        for l in range(L - 1, 0, -1):
            a_prev, bn_cache, act_out, mask = caches[l - 1]
            if mask is not None:
                da = layers.dropout_backward(da, mask)
            dz = self.act.backward(da, act_out)
            if self.bn:
                dz = layers.batchnorm_backward(dz, bn_cache, g[f"gamma{l}"], g[f"beta{l}"])
                da = layers.affine_backward(dz, a_prev, p[f"W{l}"], g[f"W{l}"], need_dx=l > 1)
            else:
                da = layers.affine_backward(dz, a_prev, p[f"W{l}"], g[f"W{l}"], g[f"b{l}"], need_dx=l > 1)

    def data_loss(self, logits, y):
        """Mean cross-entropy of logits against integer labels y, and its gradient."""
        loss_fn = layers.sigmoid_loss if self.n_classes == 2 else layers.softmax_loss
        return loss_fn(logits, y)

    def l2_cost(self, l2: float, m: int) -> float:
        """lambda / (2 m) * sum of ||W||_F^2 over every layer."""
        w = self.flat[: self.n_weights]
        return float(l2 / (2 * m) * np.dot(w, w)) if l2 else 0.0

    def cost_and_grads(self, x, y, l2: float = 0.0, keep_prob: float = 1.0, rng=None,
                       update_buffers: bool = True):
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

    def predict_proba(self, x, batch: int = 8192):
        """Class probabilities (N, C) at inference (running BN statistics, no dropout)."""
        out = []
        for start in range(0, x.shape[0], batch):
            logits, _ = self.forward(x[start : start + batch], train=False)
            if self.n_classes == 2:
                p1 = 0.5 * (1 + np.tanh(0.5 * logits[:, 0]))
                out.append(np.stack([1 - p1, p1], axis=1))
            else:
                out.append(layers.softmax(logits))
        return np.concatenate(out) if out else np.zeros((0, self.n_classes), self.dtype)

    def evaluate(self, x, y, l2: float = 0.0) -> tuple[float, float]:
        """(cost, accuracy) at inference on (x, y); the cost includes the L2 term."""
        proba = self.predict_proba(x)
        eps = np.finfo(proba.dtype).tiny
        cost = float(-np.mean(np.log(np.maximum(proba[np.arange(len(y)), y], eps))))
        if l2:
            cost += self.l2_cost(l2, len(y))
        return cost, float(np.mean(proba.argmax(axis=1) == y))
