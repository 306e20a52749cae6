"""Reading results: a run's trials best first, counts, regions, the best model, and runs side
by side.

`open_run(path)` takes a run directory or a bare trials.csv and returns a `Run` whose
`trials` (pandas, best first) show each trial's hyperparameters as it ended (after nudges and
rollbacks, listed in `interventions`). Every order here is `Goal`'s; the CLI only formats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import BUILTIN_METRICS, Config
from .errors import UserError, unknown
from .nn.model import MLP
from .store import RunDir
from .store.files import read_json, read_table
from .study import STATUSES, Goal, TrialResult

NOT_PARAMS = {"trial", "round", "status", *BUILTIN_METRICS, "epochs", "seconds", "seed", "error", "metrics"}


@dataclass
class Run:
    name: str
    path: Path
    results: list  # TrialResult, by trial number
    params: list  # the searched hyperparameters, in table order
    goal: Goal
    config: Config | None = None  # None for a bare trials.csv
    regions: list = field(default_factory=list)  # rounds.json
    best: dict | None = None  # best.json
    curves: pd.DataFrame | None = None

    @property
    def metric(self) -> str:
        return self.goal.metric

    @property
    def space(self) -> dict:
        return self.config.space if self.config else {}

    @property
    def trials(self) -> pd.DataFrame:
        """One row per trial, best first."""
        return self.ranked()

    def frame(self, results=None) -> pd.DataFrame:
        results = self.results if results is None else results
        rows = []
        for r in results:
            row = {"trial": r.trial, "round": r.round, "status": r.status}
            row.update({p: r.final_params.get(p) for p in self.params})
            row.update({self.metric: r.value if r.status != "failed" else None})
            row.update({k: v for k, v in r.metrics.items() if k != self.metric})
            row.update(epochs=r.epochs, seconds=r.seconds, seed=r.seed, error=r.error,
                       interventions="; ".join(f"after epoch {i['epoch']}: {i['change']}" for i in r.interventions))
            rows.append(row)
        columns = ["trial", "round", "status", *self.params, self.metric]
        return pd.DataFrame(rows, columns=None if rows else columns)

    def ranked(self, sort: str | None = None, ascending: bool | None = None, top: int | None = None,
               rnd: int | None = None) -> pd.DataFrame:
        """Trials best first (by the goal), or ordered by column `sort` (ascending unless the
        goal's rule says the column is better large, or as `ascending` says)."""
        results = self.results if rnd is None else [r for r in self.results if r.round == rnd]
        if rnd is not None and not results:
            rounds = sorted({r.round for r in self.results})
            raise UserError(f"the run has no round {rnd}", key="--round", fix=f"rounds: {', '.join(map(str, rounds))}")
        frame = self.frame(self.goal.best_first(results))
        if sort is not None:
            if sort not in frame.columns:
                raise unknown("sort column", sort, list(frame.columns), key="--sort")
            if ascending is None:
                ascending = Goal.of(sort).direction == "minimize" if sort != self.metric else self.goal.sign < 0
            frame = frame.sort_values(sort, ascending=ascending, na_position="last", kind="mergesort")
        frame = frame.reset_index(drop=True)
        return frame.head(top) if top else frame

    def counts(self) -> dict:
        return {s: sum(r.status == s for r in self.results) for s in STATUSES}

    def best_result(self) -> TrialResult | None:
        return self.goal.best(self.results)

    def load_model(self):
        """The best model, predicting on raw inputs (see hpsearch.load_model)."""
        return load_model(self.path)


def load_model(run_path) -> MLP:
    """The best model of a run of the built-in network, ready to predict on raw inputs: it
    standardises them as the run's data was, and predicts the original labels."""
    run = RunDir.open(run_path)
    if not run.best_npz.exists():
        raise UserError(f"run '{run.path}' has no best.npz", fix="runs of the built-in network have one once a trial finishes")
    with np.load(run.best_npz, allow_pickle=False) as f:
        return MLP().load_state_dict(dict(f))


def open_run(path) -> Run:
    """A run directory or a trials CSV file; raises UserError for anything else."""
    path = Path(path)
    if path.is_dir():
        folder, csv_path = path, path / "trials.csv"
        if not csv_path.exists():
            raise UserError(f"'{path}' is not a run directory (no trials.csv)",
                            fix="give a folder written by `hpsearch run`, or a trials.csv file")
    elif path.is_file() and path.suffix == ".csv":
        folder, csv_path = path.parent, path
    else:
        raise UserError(f"'{path}' is neither a run directory nor a trials CSV file",
                        fix="give runs/NAME or a path to a trials.csv")
    config = RunDir(folder).read_config() if (folder / "config.yaml").exists() and csv_path.name == "trials.csv" else None
    if config is not None:
        results, params, goal = RunDir(folder).read_results(config), list(config.space), config.goal
    else:
        results, params, goal = _bare(csv_path)
    if not results:
        raise UserError("the run has no finished trial yet", file=csv_path, fix="wait for trials to finish")
    name = folder.name if csv_path.name == "trials.csv" else csv_path.stem
    curves = pd.read_csv(folder / "curves.csv") if config is not None and (folder / "curves.csv").exists() else None
    return Run(name, path, results, params, goal, config, read_json(folder / "rounds.json") or [],
               read_json(folder / "best.json"), curves)


class _Value:
    """How a bare CSV's hyperparameter column is read back: a number when it is one."""

    def parse(self, text):
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


def _bare(csv_path: Path):
    try:
        header, rows = read_table(csv_path)
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"cannot read: {e}".splitlines()[0], file=csv_path, fix="give a trials.csv written by hpsearch") from None
    missing = [c for c in ("trial", "round", "status") if c not in header]
    if missing:
        raise UserError(f"missing column '{missing[0]}' (columns: {', '.join(header)})", file=csv_path,
                        fix="give a trials.csv written by hpsearch")
    metric = "dev_accuracy" if "dev_accuracy" in header else (header[header.index("metrics") - 1] if "metrics" in header
                                                               else header[-1])
    params = [c for c in header[3:] if c not in NOT_PARAMS and c != metric]
    space = {p: _Value() for p in params}
    try:
        results = [TrialResult.from_row(dict(zip(header, r)), space, metric) for r in rows]
    except (ValueError, KeyError) as e:
        raise UserError(f"a row cannot be read: {e}", file=csv_path, fix="give a trials.csv written by hpsearch") from None
    return results, params, Goal.of(metric)


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
        ranked = run.goal.best_first([r for r in run.results if r.status == "ok" and run.goal.score(r.value) > -math.inf])
        values = pd.Series([r.value for r in ranked], dtype=float)
        best = ranked[0] if ranked else None
        column = {"trials": len(run.results), **run.counts(), "metric": run.metric,
                  "best": values.iloc[0] if len(values) else None, "median": values.median(),
                  f"top-{top} mean": values.head(top).mean()}
        column.update({f"best {p}": best.final_params.get(p) if best else None for p in _all_params(runs)})
        column.update({f"top-{top} {p}": _range([r.final_params.get(p) for r in ranked[:top]]) for p in _all_params(runs)})
        column.update({f"fixed {p}": (run.config.params.get(p) if run.config else None) for p in fixed})
        for key, value in column.items():
            rows.setdefault(key, {})[name] = value
    return pd.DataFrame(rows).T[names]


def better(frame: pd.DataFrame, runs: list, top: int = 5) -> dict:
    """For each comparable row, the column holding the strictly best value (none on a tie)."""
    goal = runs[0].goal
    marks = {}
    for row in ("best", "median", f"top-{top} mean"):
        scores = {c: goal.score(v) for c, v in pd.to_numeric(frame.loc[row], errors="coerce").items()}
        ordered = sorted(scores.values(), reverse=True)
        if ordered and ordered[0] > -math.inf and (len(ordered) == 1 or ordered[0] > ordered[1]):
            marks[row] = max(scores, key=scores.get)
    return marks


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
    return [p for p in names if p not in searched and len({repr(c.params.get(p)) for c in configs}) > 1]


def _range(values) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return ""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        lo, hi = min(values), max(values)
        return f"{lo:.4g}" if lo == hi else f"{lo:.4g} .. {hi:.4g}"
    return ", ".join(sorted({str(v) for v in values}))


def _unique(names):
    seen, out = {}, []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def region_table(run: Run) -> pd.DataFrame:
    """Each round's region per hyperparameter: the span of its boxes, in values."""
    rows = []
    for record in run.regions:
        row = {"round": record["round"], "boxes": len(record["boxes"]), "note": record.get("note", "")}
        for p in run.params:
            spans = [b[p] for b in record["boxes"] if p in b]
            if spans and p in run.space and not hasattr(run.space[p], "values"):
                row[p] = f"{min(s[0] for s in spans):.4g} .. {max(s[1] for s in spans):.4g}"
            elif spans:
                row[p] = ", ".join(sorted({str(v) for s in spans for v in s}))
        rows.append(row)
    return pd.DataFrame(rows)
