"""Weight initialisation schemes: W = randn(n_in, n_out) * scale(n_in).

`he` (sqrt(2 / n_in)) suits ReLU, `xavier` (sqrt(1 / n_in)) suits tanh; `zeros` and `large`
(randn * 10) are kept to show what goes wrong: symmetric units, and saturated or exploding ones.
"""

from __future__ import annotations

import math

INITS = {
    "he": lambda n_in: math.sqrt(2.0 / n_in),
    "xavier": lambda n_in: math.sqrt(1.0 / n_in),
    "zeros": lambda n_in: 0.0,
    "large": lambda n_in: 10.0,
}


def init_weights(name: str, rng, n_in: int, n_out: int, dtype):
    """A (n_in, n_out) weight matrix drawn with scheme `name` from the Generator `rng`."""
    w = rng.standard_normal((n_in, n_out))
    w *= INITS[name](n_in)
    return w.astype(dtype, copy=False)
