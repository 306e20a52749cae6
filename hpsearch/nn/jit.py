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

import contextlib
import functools
import sys
import threading


def kernel(fn):
    """`fn`, compiled by Numba (cached on disk) the first time it is called."""
    compiled = None

    @functools.wraps(fn)
    def call(*args):
        nonlocal compiled
        if compiled is None:
            import numba  # noqa: PLC0415  (0.3 s to import: only training needs it)

            compiled = numba.njit(cache=True, nogil=True, error_model="numpy")(fn)
            with without_linalg():
                return compiled(*args)
        return compiled(*args)

    return call


class _NoLinalg:
    """A finder that refuses scipy.linalg to the thread that put it in sys.meta_path (another
    thread's imports go on as ever)."""

    def __init__(self):
        self.thread = threading.get_ident()

    def find_spec(self, name, path=None, target=None):
        if threading.get_ident() != self.thread:
            return None
        if name == "scipy.linalg" or name.startswith("scipy.linalg."):
            raise ModuleNotFoundError(f"not while loading a kernel: {name}", name=name)
        return None


@contextlib.contextmanager
def without_linalg():
    """scipy.linalg kept out while Numba loads its NumPy support, on a process's first kernel:
    Numba imports it then (0.3 s, a third of a worker's start) only to know whether np.dot can
    call BLAS from compiled code, which no kernel here does. Once scipy.linalg is imported (the
    model of round 2 on), nothing is refused."""
    if "scipy.linalg" in sys.modules:
        yield
        return
    finder = _NoLinalg()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
