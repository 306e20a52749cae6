"""How many workers, and how many BLAS threads each trial gets: `jobs: auto` decides.

BLAS sums a product in another order over another number of threads, so a trial's numbers
follow its thread count, never its worker count: `threads` is part of what a run computes,
recorded in its config.yaml, while `jobs` only says where trials run. `jobs: auto` (the
default) gives each core a worker with one thread, as long as the rounds have trials for
them: a small model's time goes to Python and NumPy's per-call costs, which threads do not
share, and even a GEMM-bound model (large mini-batch products) is about as fast on one core
per trial as on all cores in one product on a quiet machine, and far faster on a busy one
(bench/threads.py). Only a GEMM-bound model whose rounds have fewer trials than cores gets
the spare cores as threads. A number of jobs keeps one thread per trial.
"""

from __future__ import annotations

import os

GEMM_BOUND = 4 * 2**20  # multiply-adds of a mini-batch's largest product from which threads pay


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def workers_for(jobs: int) -> int:
    """joblib's meaning of n_jobs: -1 all cores, -2 all but one, ..."""
    return max(1, jobs if jobs > 0 else cores() + 1 + jobs)


def largest_product(hp: dict, n_features: int, rows: int) -> int:
    """Multiply-adds of the largest matrix product of one mini-batch's forward pass."""
    batch = rows if hp["batch_size"] == "full" else min(int(hp["batch_size"]), rows)
    units = int(hp["hidden_units"])
    widest = max(n_features * units, units * units if hp["layers"] > 1 else 0)
    return batch * widest


def plan(
    jobs, threads, size: int | None = None, trials: int = 1, n: int | None = None
) -> tuple[int, int, str]:
    """(workers, BLAS threads per trial, what auto chose and why, or ''). `size`: the model's
    largest_product, None for a custom objective or estimator; `trials`: the smallest round's;
    `threads`: the run's recorded value, or None to choose."""
    n = n or cores()
    if jobs != "auto":
        return workers_for(jobs), threads or 1, ""
    gemm = size is not None and size >= GEMM_BOUND
    if threads is None:
        threads = max(1, n // max(trials, 1)) if gemm else 1
    workers = max(1, n // threads)
    kind = "not the built-in network" if size is None else "a small model"
    if gemm:
        kind = f"a GEMM-bound model, rounds of {trials}"
    why = (
        f"jobs auto: {workers} worker{'s' * (workers > 1)} x {threads} BLAS "
        f"thread{'s' * (threads > 1)} per trial on {n} core{'s' * (n > 1)} ({kind})"
    )
    return workers, threads, why
