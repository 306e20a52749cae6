"""The cost J(theta + h e_i) and J(theta - h e_i) for many parameters i at once: the two sides
of gradient checking's centred differences, in float64.

J is the network's training-mode cost on the check's examples: cross-entropy plus L2, batch
norm on the batch's statistics, no dropout. A loop over the parameters runs the whole forward
pass twice per parameter; for the digits network that is 30,000 passes of 16 examples, whose
time goes to the calls, not the arithmetic. Moving one parameter of layer l changes one column
of that layer's output (one unit) and nothing before it, so every moved copy of the network
shares the pass up to layer l: it is computed once (`Pass`), the moved unit's column is
computed for every copy at once, and the copies go through the rest of the network as one
stack, `(copies, N, units)`, each of its matrix products one product.

This restates the forward pass on stacks (the activations are the network's own functions).
That it computes the network's cost is checked by `gradcheck` every time (the unmoved cost,
and one parameter of each array moved either way, against the network's own forward pass),
and by the tests for every parameter of every layer kind.
"""

from __future__ import annotations

import numpy as np

from .layers import BN_EPS

STACK = 1 << 18  # values in one stack of copies: 2 MB in float64, which stays in cache


class Pass:
    """The network's forward pass on (X, y), every layer's arrays kept, and J of copies of it
    with one parameter moved. Layers count from 1; layer L (`net.n_layers`) gives the logits.
    Per layer l: `inputs[l]` (N, D) its input, `pre[l]` its affine output (N, M) (with bias,
    before batch norm; the logits for L), `normed[l]` batch norm's z_hat, `post[l]` what the
    activation takes, `out[l]` the activation's output."""

    def __init__(self, net, X, y, l2: float):
        self.net, self.y, self.m = net, np.asarray(y, np.intp), X.shape[0]
        self.l2_scale = l2 / (2 * self.m)
        w = net.flat[: net.n_weights]
        self.weights = float(np.dot(w, w))  # sum of every ||W||_F^2
        L, p = net.n_layers, net.params
        self.inputs, self.pre, self.normed, self.post, self.out = ({} for _ in range(5))
        a = X
        for layer in range(1, L + 1):
            self.inputs[layer] = a
            self.pre[layer] = z = _affine(a[None], p[f"W{layer}"], p.get(f"b{layer}"))[0]
            if layer == L:
                break
            if net.bn:
                self.normed[layer] = _batchnorm(z[None].copy(), 1.0, 0.0)[0]
                z = p[f"gamma{layer}"] * self.normed[layer] + p[f"beta{layer}"]
            self.post[layer] = z
            self.out[layer] = a = net.act.value(z.copy())
        self.cost = float(self.costs(self.pre[L][None])[0])

    def moved(self, name: str, index: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray]:
        """J with parameter `name`[index] moved by +h, and by -h, for each flat `index` into
        that array (`index`: ints, (K,)) -> two (K,) arrays."""
        kind = name.rstrip("0123456789")
        layer = int(name[len(kind) :])
        shape = self.net.shapes[name]
        rows, columns = np.unravel_index(index, shape) if len(shape) == 2 else (None, index)
        sides = []
        for step in (h, -h):
            costs = np.empty(index.size)
            per_stack = max(1, STACK // (self.m * max(self.net.sizes[1:])))
            for start in range(0, index.size, per_stack):
                part = slice(start, start + per_stack)
                r = None if rows is None else rows[part]
                costs[part] = self._moved(kind, layer, r, columns[part], step)
            if kind == "W":  # L2 of the moved weights: (w + step)^2 in place of w^2
                w = self.net.params[name].ravel()[index]
                costs += self.l2_scale * (2 * step * w + step * step)
            sides.append(costs)
        return sides[0], sides[1]

    def _moved(self, kind, layer, rows, columns, step):
        """J of copies with parameter kind+layer moved by `step`, at (rows, columns) for a
        weight and at `columns` for a vector (each of shape (K,))."""
        net, p, L = self.net, self.net.params, self.net.n_layers
        if kind == "W":  # z[:, c] gains step * input[:, r]
            column = self.pre[layer][:, columns].T + step * self.inputs[layer][:, rows].T
        elif kind == "b":
            column = self.pre[layer][:, columns].T + step
        elif kind == "gamma":  # gamma z_hat + beta: the unit's z_hat times step
            column = self.post[layer][:, columns].T + step * self.normed[layer][:, columns].T
        else:
            column = self.post[layer][:, columns].T + step
        if layer == L:  # an output unit: the logits with that column moved
            logits = np.repeat(self.pre[L][None], columns.size, axis=0)
            logits[np.arange(columns.size), :, columns] = column
            return self.costs(logits)
        if kind in ("W", "b") and net.bn:  # the unit's batch norm, over the N examples
            gamma, beta = p[f"gamma{layer}"][columns], p[f"beta{layer}"][columns]
            column = _batchnorm(column[:, :, None], gamma[:, None, None], beta[:, None, None])
            column = column[:, :, 0]
        change = net.act.value(np.ascontiguousarray(column)) - self.out[layer][:, columns].T
        # the next layer's affine output: the unit's change times its row of weights (in
        # place: NumPy broadcasts into a new array several times slower)
        z = np.multiply(change[:, :, None], p[f"W{layer + 1}"][columns][:, None, :])
        z += self.pre[layer + 1]
        return self._onward(layer + 1, z)

    def _onward(self, layer, z):
        """J of copies whose layer `layer` has affine output z: (K, N, M) (the logits at L)."""
        net, p = self.net, self.net.params
        for now in range(layer, net.n_layers):
            if net.bn:
                z = _batchnorm(z, p[f"gamma{now}"], p[f"beta{now}"])
            z = _affine(net.act.value(z), p[f"W{now + 1}"], p.get(f"b{now + 1}"))
        return self.costs(z)

    def costs(self, logits):
        """J of each copy from its logits (K, N, C): the mean cross-entropy (softmax, or a
        sigmoid for one output unit) plus the L2 of the unmoved weights -> (K,)."""
        if logits.shape[-1] == 1:
            z, y = logits[..., 0], self.y.astype(logits.dtype)
            loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        else:
            top = logits.max(axis=-1, keepdims=True)
            norm = np.log(np.exp(logits - top).sum(axis=-1))
            picked = np.take_along_axis(logits - top, self.y[None, :, None], axis=-1)[..., 0]
            loss = norm - picked
        return loss.mean(axis=-1) + self.l2_scale * self.weights


def _affine(a, w, b=None):
    """a: (K, N, D) @ w: (D, M) (+ b) -> (K, N, M), as one matrix product."""
    k, n, d = a.shape
    z = np.ascontiguousarray(a).reshape(k * n, d) @ w
    if b is not None:
        z += b
    return z.reshape(k, n, w.shape[1])


def _batchnorm(z, gamma, beta):
    """Batch norm in training mode, each copy on its own: z (K, N, M) (overwritten) ->
    gamma (z - mean) / sqrt(var + eps) + beta over the N examples; gamma and beta broadcast
    against (K, 1, M). In place: NumPy broadcasts into a new array several times slower."""
    z -= z.mean(axis=1, keepdims=True)
    variance = np.einsum("knm,knm->km", z, z)[:, None, :] / z.shape[1]
    z *= gamma / np.sqrt(variance + BN_EPS)
    z += beta
    return z
