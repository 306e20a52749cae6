"""Layer forward/backward pairs. Samples are rows: x has shape (N, D).

Each backward sits right after its forward. Functions document which arrays they overwrite:
the network hands them fresh temporaries, so working in place saves an allocation and a pass
over memory on every mini-batch. Gradient outputs may be given as `out` buffers (views into the
packed gradient vector) so nothing has to be copied afterwards.
"""

from __future__ import annotations

import numpy as np

from .jit import kernel

BN_EPS = 1e-5  # added to the batch variance before the square root
BN_MOMENTUM = 0.9  # running statistic <- 0.9 * running + 0.1 * batch statistic


def affine_forward(x, w, b=None):
    """x: (N, D), w: (D, M), b: (M,) or None -> out: (N, M) = x @ w + b."""
    out = x @ w
    if b is not None:
        out += b
    return out


def affine_backward(dout, x, w, dw, db=None, need_dx=True):
    """dout: (N, M). Writes dw = x.T @ dout into `dw` (D, M), db = sum(dout) into `db` (M,);
    returns dx = dout @ w.T (N, D), or None when `need_dx` is false (the input layer)."""
    np.matmul(x.T, dout, out=dw)
    if db is not None:
        np.sum(dout, axis=0, out=db)
    return dout @ w.T if need_dx else None


def batchnorm_forward(z, gamma, beta, running=None):
    """Training mode. z: (N, M), overwritten with the centred z_c = z - mu.
    Returns out = gamma * z_c / sqrt(var + eps) + beta, mu (M,), var (M,) and the cache
    (z_c, inv_std, scale) with scale = gamma * inv_std, so the normalised z_hat = z_c * inv_std
    never needs a pass of its own. `running`, the (mean, var) inference uses, is updated in
    place: running <- BN_MOMENTUM * running + (1 - BN_MOMENTUM) * the batch's. Three passes
    over z, in one compiled loop."""
    out = np.empty_like(z)
    mu, var, inv_std, scale = (np.empty(z.shape[1], z.dtype) for _ in range(4))
    update = running is not None
    mean_run, var_run = running if update else (mu, var)  # the latter left alone
    cast = z.dtype.type
    _batchnorm_forward(z, gamma, beta, cast(BN_EPS), out, mu, var, inv_std, scale,
                       update, mean_run, var_run, cast(BN_MOMENTUM), cast(1 - BN_MOMENTUM))
    return out, mu, var, (z, inv_std, scale)


@kernel
def _batchnorm_forward(z, gamma, beta, eps, out, mu, var, inv_std, scale, update, mean_run, var_run, keep, rest):
    n, m = z.shape
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
        for j in range(m):
            mean_run[j] = keep * mean_run[j] + rest * mu[j]
            var_run[j] = keep * var_run[j] + rest * var[j]
    for i in range(n):
        for j in range(m):
            out[i, j] = z[i, j] * scale[j] + beta[j]


def batchnorm_infer(z, gamma, beta, mean, var):
    """Inference mode with running statistics: gamma (z - mean) / sqrt(var + eps) + beta,
    folded into one scale and one shift. z: (N, M) is overwritten and returned."""
    scale = gamma / np.sqrt(var + BN_EPS)
    z *= scale
    z += beta - mean * scale
    return z


def batchnorm_backward(dout, cache, dgamma, dbeta):
    """dout: (N, M), overwritten with and returned as dz. Writes dgamma, dbeta (M,).

    With g = dz_hat = gamma * dout, the course's formula
    dz = inv_std / N * (N g - sum(g) - z_hat sum(g z_hat))
    becomes, since sum(g) = gamma dbeta and sum(g z_hat) = gamma dgamma,
    dz = scale * dout - z_c * (scale inv_std dgamma / N) - scale dbeta / N.
    Two passes over dout, in one compiled loop."""
    z_c, inv_std, scale = cache
    _batchnorm_backward(dout, z_c, inv_std, scale, dgamma, dbeta)
    return dout


@kernel
def _batchnorm_backward(dout, z_c, inv_std, scale, dgamma, dbeta):
    n, m = dout.shape
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
    Returns (a * mask, mask) with mask in {0, 1 / keep_prob}."""
    mask = rng.random(a.shape, dtype=a.dtype) < keep_prob
    mask = mask.astype(a.dtype) / a.dtype.type(keep_prob)
    return a * mask, mask


def dropout_backward(dout, mask):
    """dout is overwritten with and returned as dout * mask."""
    dout *= mask
    return dout


def softmax_loss(logits, y):
    """logits: (N, C), overwritten; y: (N,) ints in [0, C).
    Returns the mean cross-entropy and dlogits = (softmax - onehot) / N, in one compiled pass
    per row (NumPy needs eight over the whole array)."""
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
    """Two classes. logits: (N, 1); y: (N,) in {0, 1}. Returns the mean logistic loss
    (computed as max(z, 0) - z y + log(1 + e^-|z|), which never overflows) and
    dlogits = (sigmoid(z) - y) / N, shape (N, 1)."""
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
