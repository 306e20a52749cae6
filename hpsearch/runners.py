"""Runners schedule trials; they never decide anything about the search.

`local_evaluate` runs trials one after another in this process (panda mode, or --jobs 1), which
gives every core to BLAS. `caviar_evaluate` runs them in parallel worker processes with joblib
(loky on this machine, or a Dask cluster), yields each result as soon as it exists, pins BLAS so
that workers x BLAS threads never exceed the cores, and survives a worker that dies: the trial
it was running is recorded `failed` and the others run again.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from .errors import UserError
from .objective import TrialSpec, run_trial
from .rundir import pid_alive

MAX_CRASHES_WITHOUT_CULPRIT = 3


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def workers_for(jobs: int) -> int:
    """joblib's meaning of n_jobs: -1 all cores, -2 all but one, ..."""
    return max(1, jobs if jobs > 0 else cores() + 1 + jobs)


def local_evaluate(spec: TrialSpec):
    spec = replace(spec, blas_threads=None, running_dir=None)  # in process: every core to BLAS

    def evaluate(tasks):
        for task in tasks:
            yield run_trial(spec, task)

    return evaluate


def connect_dask(address: str, timeout: float = 5.0):
    """A Dask client for `address`, or a UserError within `timeout` seconds."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise UserError("backend dask needs dask.distributed", key="search.backend",
                        fix="pip install 'hpsearch[dask]'") from None
    try:
        return Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as e:
        raise UserError(f"no Dask scheduler answers at {address} ({type(e).__name__})", key="search.scheduler",
                        fix="start one with `dask scheduler` and `dask worker ADDRESS`, or check the address") from None


def caviar_evaluate(spec: TrialSpec, jobs: int, backend: str = "loky", client=None):
    """An `evaluate(tasks)` for the search loop that runs trials in parallel."""
    from joblib import Parallel, delayed, parallel_config

    n_workers = workers_for(jobs)
    if backend == "dask":
        n_workers = max(1, sum(client.nthreads().values())) if client is not None else n_workers
    else:
        spec = replace(spec, blas_threads=max(1, cores() // n_workers))
    running = Path(spec.running_dir) if spec.running_dir else None

    def evaluate(tasks):
        pending = {t.trial: t for t in tasks}
        crashes = 0
        while pending:
            if running is not None:
                for stale in running.glob("*"):
                    stale.unlink(missing_ok=True)
            try:
                config = dict(backend=backend, n_jobs=n_workers if backend != "dask" else -1)
                if backend != "dask":
                    config["inner_max_num_threads"] = spec.blas_threads
                with parallel_config(**config):
                    results = Parallel(return_as="generator_unordered", batch_size=1, pre_dispatch="all")(
                        delayed(run_trial)(spec, t) for t in list(pending.values()))
                    for result in results:
                        pending.pop(result["trial"], None)
                        yield result
            except KeyboardInterrupt:
                raise
            except Exception as e:  # noqa: BLE001  a worker died; find whose trial it was
                if not _is_worker_death(e):
                    raise
                dead = _culprits(running, pending)
                crashes = 0 if dead else crashes + 1
                if not dead and crashes >= MAX_CRASHES_WITHOUT_CULPRIT:
                    dead = list(pending)
                for trial in dead:
                    task = pending.pop(trial)
                    yield _died(task, e)

    return evaluate


def _is_worker_death(e: Exception) -> bool:
    names = {type(e).__name__, *(type(c).__name__ for c in (e.__cause__, e.__context__) if c)}
    return bool(names & {"TerminatedWorkerError", "BrokenProcessPool", "KilledWorker", "CommClosedError"})


def _culprits(running: Path | None, pending: dict) -> list[int]:
    """Trials whose marker names a process that no longer exists."""
    if running is None:
        return []
    time.sleep(0.1)  # let the markers of trials still finishing disappear
    dead = []
    for marker in running.glob("*"):
        try:
            trial, pid = int(marker.name), int(marker.read_text() or 0)
        except (ValueError, OSError):
            continue
        if trial in pending and pid and not pid_alive(pid):
            dead.append(trial)
            marker.unlink(missing_ok=True)
    return sorted(dead)


def _died(task, error) -> dict:
    return {"trial": task.trial, "round": task.round, "status": "failed", "params": dict(task.params),
            "value": None, "metrics": {}, "curve": None, "model": None, "seed": None, "seconds": 0.0,
            "error": f"the worker process died while running this trial (killed, or out of memory): "
                     f"{type(error).__name__}"}
