"""What a trial runs: the built-in MLP or the user's `objective: package.module:function`.

`TrialSpec` is all a worker needs (small and picklable); `run_trial(spec, task)` runs in the
worker, loads the data and the objective once per process, pins BLAS threads, and never raises.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError
from .search import Task, call_objective

_CACHE: dict = {}


@dataclass(frozen=True)
class TrialSpec:
    data: dict
    params: dict  # fixed hyperparameters
    seed: int
    metric: str
    objective: str | None = None  # package.module:function, or None for the built-in MLP
    base_dir: str | None = None  # the config file's folder: relative data paths, user modules
    blas_threads: int | None = None
    running_dir: str | None = None  # where workers mark the trial they run (crash attribution)


def import_objective(name: str, base_dir: str | None = None):
    """The user's objective function; raises UserError when it cannot be imported."""
    if base_dir and base_dir not in sys.path:
        sys.path.insert(0, base_dir)
    module_name, _, func_name = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # any import-time failure of user code is the user's to fix
        raise UserError(f"cannot import '{module_name}': {type(e).__name__}: {e}", key="objective",
                        fix="check the module name and that it is importable from the config's folder") from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise UserError(f"'{module_name}' has no function '{func_name}'", key="objective",
                        fix="name a function defined in that module")
    return func


def load_objective(spec: TrialSpec):
    """The objective for `spec`, built once per process (data loading included)."""
    key = (spec.objective, repr(spec.data), spec.seed, spec.base_dir, repr(sorted(spec.params.items())))
    if key not in _CACHE:
        if spec.objective:
            _CACHE[key] = _UserObjective(import_objective(spec.objective, spec.base_dir), spec.params)
        else:
            from .data import load_data
            from .trial import MLPObjective

            data = load_data(spec.data, spec.seed, base_dir=spec.base_dir)
            _CACHE[key] = MLPObjective(data, spec.params, spec.seed)
    return _CACHE[key]


class _UserObjective:
    def __init__(self, func, fixed):
        self.func, self.fixed = func, fixed

    def __call__(self, sampled: dict):
        return self.func({**self.fixed, **sampled})


def run_trial(spec: TrialSpec, task: Task) -> dict:
    """Run one trial in this process; the result records any failure instead of raising."""
    from threadpoolctl import threadpool_limits

    marker = Path(spec.running_dir, str(task.trial)) if spec.running_dir else None
    if marker is not None:
        try:
            marker.write_text(str(os.getpid()))
        except OSError:  # a remote worker cannot see the run directory: no attribution
            marker = None
    try:
        with threadpool_limits(spec.blas_threads):
            try:
                objective = load_objective(spec)
            except Exception as e:  # data or import failing inside a worker fails the trial
                objective = _raiser(e)
            return call_objective(objective, task, spec.metric)
    finally:
        if marker is not None:
            marker.unlink(missing_ok=True)


def _raiser(error):
    def objective(_):
        raise error

    return objective
