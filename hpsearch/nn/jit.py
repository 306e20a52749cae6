"""Fused loops compiled by Numba, for the passes NumPy would split into many.

NumPy runs an expression such as Adam's update as one pass over memory per operation (ten for
Adam); a compiled loop does it in one. `kernel` compiles a plain Python loop with Numba on its
first call (so importing hpsearch does not import Numba) and caches the machine code on disk,
so later processes load it in milliseconds instead of compiling it again.

Kernels are single-threaded and deterministic: the BLAS matrix products keep the cores, and a
kernel's result does not depend on how many threads anything has. `error_model="numpy"` lets a
division by zero give inf/NaN as NumPy does (the training loop reports a diverged run) instead
of raising, and lets LLVM vectorise the loops. Scalars passed to a kernel should have the
arrays' dtype, so float32 loops stay in float32.
"""

from __future__ import annotations

import functools


def kernel(fn):
    """`fn`, compiled by Numba (cached on disk) the first time it is called."""
    compiled = None

    @functools.wraps(fn)
    def call(*args):
        nonlocal compiled
        if compiled is None:
            import numba  # noqa: PLC0415  (0.3 s to import: only training needs it)

            compiled = numba.njit(cache=True, nogil=True, error_model="numpy")(fn)
        return compiled(*args)

    return call
