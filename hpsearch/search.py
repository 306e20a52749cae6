"""The search loop: sample a round, evaluate it, refine the region, repeat.

`search(space, objective)` works with any objective (a function of a configuration dict
returning a metric or a dict of metrics), so sampling and refinement can be used and tested on
cheap functions. Runners plug in through `evaluate`, which maps a list of `Task`s to results in
any order; the loop itself never depends on that order.
"""

from __future__ import annotations

import math
import time
import traceback
from dataclasses import dataclass, field

from .space import refine, sample_config, whole_space


@dataclass(frozen=True)
class Task:
    trial: int  # global trial number, from 0
    round: int  # from 1
    params: dict  # the sampled hyperparameters


@dataclass
class SearchResult:
    trials: list = field(default_factory=list)  # dicts: trial, round, status, params, value, metrics, error
    regions: list = field(default_factory=list)  # one record per round
    goal: str = "maximize"

    @property
    def best(self) -> dict | None:
        ok = [t for t in self.trials if t["status"] == "ok"]
        if not ok:
            return None
        sign = 1.0 if self.goal == "maximize" else -1.0
        return max(ok, key=lambda t: (sign * t["value"], -t["trial"]))

    def table(self):
        """The trials as a pandas DataFrame, one column per hyperparameter and metric."""
        import pandas as pd

        rows = [{"trial": t["trial"], "round": t["round"], "status": t["status"], **t["params"],
                 **t["metrics"], "error": t["error"]} for t in self.trials]
        return pd.DataFrame(rows)


def call_objective(objective, task: Task, metric: str | None) -> dict:
    """Run one trial of a plain objective, never raising: status ok, diverged (non-finite
    metric) or failed (the objective raised; its message goes in `error`)."""
    start = time.perf_counter()
    key = metric or "value"
    try:
        # The built-in objective seeds its training from the trial number: it takes the task.
        out = objective.run_task(task) if hasattr(objective, "run_task") else objective(dict(task.params))
        metrics = dict(out) if isinstance(out, dict) else {key: out}
        if key not in metrics:
            raise KeyError(f"the objective returned no '{key}' (it returned {', '.join(map(str, metrics))})")
        value = float(metrics[key])
        status, error = ("ok" if math.isfinite(value) else "diverged"), ""
    except Exception as e:  # a trial's failure is recorded, never fatal to the search
        metrics, value, status = {}, None, "failed"
        error = f"{type(e).__name__}: {e}" if str(e) else "".join(traceback.format_exception_only(e)).strip()
    extras = {key: metrics.pop(key, None) for key in ("curve", "model", "seed")}
    return {"trial": task.trial, "round": task.round, "status": status, "params": dict(task.params),
            "value": value, "metrics": metrics, "error": error, **extras,
            "seconds": time.perf_counter() - start}


def round_tasks(space, region, seed, rnd, trials_per_round) -> list[Task]:
    first = (rnd - 1) * trials_per_round
    return [Task(t, rnd, sample_config(space, region, seed, rnd, t))
            for t in range(first, first + trials_per_round)]


def next_region(space, done: list[dict], rnd: int, *, keep, goal, method):
    """Round 1 samples the whole space; later rounds refine around the best finished trials."""
    if rnd == 1:
        return whole_space(space)
    return refine(space, done, keep=keep, goal=goal, method=method)


def search(space: dict, objective=None, *, trials: int = 30, rounds: int = 3, keep: float = 0.25,
           goal: str = "maximize", metric: str | None = None, seed: int = 0, method: str = "boxes",
           evaluate=None, done: list | None = None, on_result=None, on_round=None) -> SearchResult:
    """Coarse-to-fine random search of `space` (name -> distribution).

    `objective(config) -> metric or dict of metrics` is called once per trial unless
    `evaluate(tasks) -> iterable of results` is given (the runners' hook). `done` holds results
    of an earlier, interrupted search: their trials are not run again. `on_result(result)` is
    called as each result arrives (to append it to a table); `on_round(regions)` as each round
    starts, with the regions so far."""
    if evaluate is None:
        evaluate = lambda tasks: (call_objective(objective, t, metric) for t in tasks)
    result = SearchResult(trials=list(done or []), goal=goal)
    finished = {t["trial"] for t in result.trials}
    for rnd in range(1, rounds + 1):
        previous = [t for t in result.trials if t["round"] < rnd]
        region = next_region(space, previous, rnd, keep=keep, goal=goal, method=method)
        result.regions.append({"round": rnd, **region.record(space)})
        if on_round is not None:
            on_round(result.regions)
        todo = [t for t in round_tasks(space, region, seed, rnd, trials) if t.trial not in finished]
        for res in evaluate(todo):
            result.trials.append(res)
            if on_result is not None:
                on_result(res)
        result.trials.sort(key=lambda t: t["trial"])
    return result
