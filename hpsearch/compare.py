"""Runs side by side: `compare(runs)` is a table with one column per run (counts, the metric's
best, median and top-k mean, the best trial's values, each hyperparameter's range among the
best, and the fixed hyperparameters that differ), and `better` marks the strictly best."""

from __future__ import annotations

import math

import pandas as pd

from .errors import unknown
from .nn.hyper import unread
from .results import Run
from .study import Goal, TrialResult


def with_metric(run: Run, metric: str | None) -> Run:
    """The run judged by another metric (one it measured)."""
    if metric is None or metric == run.metric:
        return run
    measured = sorted({k for r in run.results for k in r.metrics})
    if metric not in measured:
        raise unknown("metric", metric, measured, key="--metric")
    results = [TrialResult(**{**r.__dict__, "value": r.metrics.get(metric)}) for r in run.results]
    return Run(**{**run.__dict__, "results": results, "goal": Goal.of(metric)})


def compare(runs: list, metric: str | None = None, top: int = 5) -> pd.DataFrame:
    """Runs side by side: one column per run; rows for counts, the metric's best, median and
    top-k mean, the best trial's values, each hyperparameter's range among the top k, and
    the fixed hyperparameters that differ between the runs."""
    runs = [with_metric(r, metric) for r in runs]
    names = _unique([r.name for r in runs])
    fixed = _differing_fixed(runs)
    rows: dict[str, dict] = {}
    for name, run in zip(names, runs):
        ranked = run.goal.best_first(run.goal.finished(run.results))
        values = pd.Series([r.value for r in ranked], dtype=float)
        best = ranked[0] if ranked else None
        column = {
            "trials": len(run.results),
            **run.counts(),
            "metric": run.metric,
            "goal": run.goal.direction,
            "best": values.iloc[0] if len(values) else None,
            "median": values.median(),
            f"top-{top} mean": values.head(top).mean(),
        }
        held = run.config.params if run.config else {}  # a fixed value is the best's too
        top_values = [_read(r, held) for r in ranked[:top]]
        column.update(
            {f"best {p}": top_values[0].get(p) if best else None for p in _all_params(runs)}
        )
        column.update(
            {f"top-{top} {p}": _range([v.get(p) for v in top_values]) for p in _all_params(runs)}
        )
        column.update(
            {f"fixed {p}": (run.config.params.get(p) if run.config else None) for p in fixed}
        )
        for key, value in column.items():
            rows.setdefault(key, {})[name] = value
    return pd.DataFrame(rows).T[names]


def better(frame: pd.DataFrame, top: int = 5) -> dict:
    """For each comparable row of a `compare` frame, the column holding the strictly best
    value (none on a tie), judged by the goal the frame's columns share: none when the runs
    differ in metric or direction, whose bests are not comparable. Medians are compared only
    between runs that pruned nothing: a pruning run's trials trained to the end are its best
    ones, so their median is not its trials' median."""
    goal, pruned = _judged(frame)
    if goal is None:
        return {}
    marks = {}
    for row in ("best", *(() if pruned else ("median",)), f"top-{top} mean"):
        scores = {
            c: goal.score(v) for c, v in pd.to_numeric(frame.loc[row], errors="coerce").items()
        }
        ordered = sorted(scores.values(), reverse=True)
        if ordered and ordered[0] > -math.inf and (len(ordered) == 1 or ordered[0] > ordered[1]):
            marks[row] = max(scores, key=scores.get)
    return marks


def footnote(frame: pd.DataFrame) -> str:
    """What the stars of `better` mean, and why a row has none where that is not plain."""
    text = "* marks the strictly better value"
    goal, pruned = _judged(frame)
    if goal is None:
        return f"{text}; none here: the runs are judged on different metrics or directions"
    if pruned:
        text += (
            "; the median row has none: a run that pruned trained only its best trials to the "
            "end, so its median is not its trials' median"
        )
    return text


def _judged(frame: pd.DataFrame) -> tuple[Goal | None, bool]:
    """The goal every run of a `compare` frame is judged by (None when they differ in metric
    or direction), and whether any run pruned: what `better` and its footnote go by."""
    goals = {(m, d) for m, d in zip(frame.loc["metric"], frame.loc["goal"])}
    pruned = bool((pd.to_numeric(frame.loc["pruned"], errors="coerce").fillna(0) > 0).any())
    return (Goal(*goals.pop()) if len(goals) == 1 else None), pruned


def _read(result: TrialResult, held: dict) -> dict:
    """The values a trial trained with, its run's fixed ones included, less those its
    training never reads (a fixed beta in an adam trial, decay_rate with lr_decay none)."""
    values = {**held, **result.final_params}
    return {n: v for n, v in values.items() if n not in unread(values)}


def _all_params(runs) -> list:
    out = []
    for run in runs:
        out += [p for p in run.params if p not in out]
    return out


def _differing_fixed(runs) -> list:
    configs = [r.config for r in runs if r.config is not None]
    if len(configs) < 2:
        return []
    names = sorted({p for c in configs for p in c.params})
    searched = set(_all_params(runs))
    return [
        p for p in names if p not in searched and len({repr(c.params.get(p)) for c in configs}) > 1
    ]


def _range(values) -> str:
    values = [v for v in values if v is not None and v == v]  # v != v: NaN
    if not values:
        return ""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        lo, hi = min(values), max(values)
        if lo == hi:
            return f"{lo:.4g}"
        # 4 significant digits, or enough to show hi - lo with 2 (betas near 1: 0.99983 ..)
        size = math.floor(math.log10(max(abs(lo), abs(hi))))
        digits = min(max(4, size - math.floor(math.log10(hi - lo)) + 2), 10)
        return f"{lo:.{digits}g} .. {hi:.{digits}g}"
    return ", ".join(sorted({str(v) for v in values}))


def _unique(names):
    seen, out = {}, []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out
