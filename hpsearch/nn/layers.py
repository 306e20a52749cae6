"""Layer forward/backward pairs, CS231n-shaped. Samples are rows: x has shape (N, D).

Every pair follows one convention: `out, cache = f_forward(...)` and
`dx, dparams... = f_backward(dout, cache)`; losses return `(loss, dlogits)`.

May overwrite: a function here may overwrite the arrays it is handed as the input (`z`, `a`)
or upstream gradient (`dout`), and a backward writes parameter gradients into the `dw`, `db`,
`dgamma`, `dbeta` buffers when given (views into the network's packed gradient vector) and
returns those same arrays. The network only hands over temporaries it no longer needs, so this
saves an allocation and a pass over memory on every mini-batch.
"""

from __future__ import annotations

import numpy as np

from .jit import kernel

BN_EPS = 1e-5  # added to the batch variance before the square root
BN_MOMENTUM = 0.9  # running statistic <- 0.9 * running + 0.1 * batch statistic


def affine_forward(x, w, b=None):
    """x: (N, D), w: (D, M), b: (M,) or None (no bias) -> out = x @ w + b: (N, M), cache."""
    out = x @ w
    if b is not None:
        out += b
    return out, (x, w, b is not None)


def affine_backward(dout, cache, dw=None, db=None, need_dx=True):
    """dout: (N, M) -> dx: (N, D), dw: (D, M), db: (M,). dx is None when not `need_dx` (the
    input layer needs none: it saves a matrix product), db is None for a layer without bias."""
    x, w, has_bias = cache
    dw = np.matmul(x.T, dout, out=dw)
    db = np.sum(dout, axis=0, out=db) if has_bias else None
    dx = dout @ w.T if need_dx else None
    return dx, dw, db


def batchnorm_forward(z, gamma, beta, running=None, momentum=BN_MOMENTUM):
    """Training mode. z: (N, M) (overwritten with the centred z - mu), gamma, beta: (M,).
    out = gamma * (z - mu) / sqrt(var + eps) + beta, with the batch's mean mu and variance var.
    `running`: the (2, M) buffer of running mean and variance that inference uses, updated in
    place as running <- momentum * running + (1 - momentum) * (mu, var); None leaves it be.
    Returns out and the cache (z_c, stats), stats: (4, M) rows mu, var, inv_std, gamma * inv_std.
    Three passes over z, in one compiled loop."""
    out = np.empty_like(z)
    stats = np.empty((4, z.shape[1]), z.dtype)
    settings = np.array([BN_EPS, momentum, running is not None], z.dtype)
    _batchnorm_forward(z, gamma, beta, out, stats, stats if running is None else running, settings)
    return out, (z, stats)


@kernel
def _batchnorm_forward(z, gamma, beta, out, stats, running, settings):
    n, m = z.shape
    mu, var, inv_std, scale = stats[0], stats[1], stats[2], stats[3]
    eps, momentum, update = settings[0], settings[1], settings[2] != 0
    mu[:] = 0
    var[:] = 0
    for i in range(n):
        for j in range(m):
            mu[j] += z[i, j]
    for j in range(m):
        mu[j] /= n
    for i in range(n):
        for j in range(m):
            c = z[i, j] - mu[j]
            z[i, j] = c
            var[j] += c * c
    for j in range(m):
        var[j] /= n
        inv_std[j] = 1 / np.sqrt(var[j] + eps)
        scale[j] = gamma[j] * inv_std[j]
        if update:
            running[0, j] = momentum * running[0, j] + (1 - momentum) * mu[j]
            running[1, j] = momentum * running[1, j] + (1 - momentum) * var[j]
    for i in range(n):
        for j in range(m):
            out[i, j] = z[i, j] * scale[j] + beta[j]


def batchnorm_infer(z, gamma, beta, running):
    """Inference mode: gamma (z - mean) / sqrt(var + eps) + beta with the running (2, M)
    statistics, folded into one scale and one shift. z: (N, M) is overwritten and returned."""
    scale = gamma / np.sqrt(running[1] + BN_EPS)
    z *= scale
    z += beta - running[0] * scale
    return z


def batchnorm_backward(dout, cache, dgamma=None, dbeta=None):
    """dout: (N, M) (overwritten) -> dz: (N, M), dgamma, dbeta: (M,).

    With g = dz_hat = gamma * dout, the course's formula
    dz = inv_std / N * (N g - sum(g) - z_hat sum(g z_hat))
    becomes, since sum(g) = gamma dbeta and sum(g z_hat) = gamma dgamma,
    dz = scale * dout - z_c * (scale inv_std dgamma / N) - scale dbeta / N.
    Two passes over dout, in one compiled loop."""
    z_c, stats = cache
    m = dout.shape[1]
    dgamma = np.empty(m, dout.dtype) if dgamma is None else dgamma
    dbeta = np.empty(m, dout.dtype) if dbeta is None else dbeta
    _batchnorm_backward(dout, z_c, stats, dgamma, dbeta)
    return dout, dgamma, dbeta


@kernel
def _batchnorm_backward(dout, z_c, stats, dgamma, dbeta):
    n, m = dout.shape
    inv_std, scale = stats[2], stats[3]
    dbeta[:] = 0
    dgamma[:] = 0
    for i in range(n):
        for j in range(m):
            dbeta[j] += dout[i, j]
            dgamma[j] += dout[i, j] * z_c[i, j]
    along = np.empty_like(inv_std)  # the factors of z_c and of 1 in dz
    shift = np.empty_like(inv_std)
    for j in range(m):
        dgamma[j] *= inv_std[j]
        along[j] = scale[j] * inv_std[j] * dgamma[j] / n
        shift[j] = scale[j] * dbeta[j] / n
    for i in range(n):
        for j in range(m):
            dout[i, j] = scale[j] * dout[i, j] - z_c[i, j] * along[j] - shift[j]


def dropout_forward(a, keep_prob, rng):
    """Inverted dropout: keep each unit with probability keep_prob and scale kept ones by
    1 / keep_prob, so the expected activation is unchanged and predict needs no rescaling.
    a: (N, M) (overwritten) -> out = a * mask, cache mask with values in {0, 1 / keep_prob}."""
    mask = rng.random(a.shape, dtype=a.dtype) < keep_prob
    mask = mask.astype(a.dtype) / a.dtype.type(keep_prob)
    a *= mask
    return a, mask


def dropout_backward(dout, mask):
    """dout: (N, M) (overwritten) -> dx = dout * mask."""
    dout *= mask
    return dout


def softmax_loss(logits, y):
    """logits: (N, C) (overwritten), y: (N,) ints in [0, C) -> the mean cross-entropy and
    dlogits = (softmax - onehot) / N, in one compiled pass per row (NumPy needs eight over the
    whole array)."""
    loss = _softmax_loss(logits, np.asarray(y, np.intp), logits.dtype.type(1 / logits.shape[0]))
    return float(loss), logits


@kernel
def _softmax_loss(logits, y, inv_n):
    n, c = logits.shape
    total = 0.0  # float64, whatever the logits' dtype
    for i in range(n):
        top = logits[i, 0]
        for j in range(1, c):
            top = max(top, logits[i, j])
        picked = logits[i, y[i]] - top
        norm = logits[i, 0] * 0  # zero in the logits' dtype
        for j in range(c):
            e = np.exp(logits[i, j] - top)
            logits[i, j] = e
            norm += e
        total += np.log(norm) - picked
        factor = inv_n / norm
        for j in range(c):
            logits[i, j] *= factor
        logits[i, y[i]] -= inv_n
    return total / n


def sigmoid_loss(logits, y):
    """Two classes. logits: (N, 1), y: (N,) in {0, 1} -> the mean logistic loss (computed as
    max(z, 0) - z y + log(1 + e^-|z|), which never overflows) and dlogits = (sigmoid(z) - y) / N,
    shape (N, 1)."""
    z = logits[:, 0]
    yf = y.astype(logits.dtype)
    loss = float(np.mean(np.maximum(z, 0) - z * yf + np.log1p(np.exp(-np.abs(z)))))
    dz = (0.5 * (1 + np.tanh(0.5 * z)) - yf) / z.shape[0]
    return loss, dz[:, None]


def softmax(logits):
    """Row-wise softmax of (N, C) logits, overwriting them."""
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    return logits
