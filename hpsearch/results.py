"""Reading results: a run's trials best first, counts, regions, and runs side by side.

Everything returns pandas DataFrames (for notebooks); the CLI only formats them. A "run" is a
run directory or a bare trials.csv (then the metric and goal are guessed from its columns).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import UserError, unknown
from .rundir import BUILTIN_METRICS, RunDir
from .run import load_run_config
from .space import Categorical

NON_PARAMS = {"trial", "round", "status", *BUILTIN_METRICS, "epochs", "seconds", "seed", "error", "metrics"}


@dataclass
class Run:
    name: str
    path: Path
    trials: pd.DataFrame
    params: list  # the searched hyperparameters, in table order
    metric: str
    goal: str
    space: dict = field(default_factory=dict)  # name -> distribution, when the config is known
    regions: list = field(default_factory=list)  # rounds.json
    best: dict | None = None  # best.json
    curves: pd.DataFrame | None = None

    @property
    def finished(self) -> pd.DataFrame:
        ok = self.trials[self.trials["status"] == "ok"]
        return ok[pd.to_numeric(ok[self.metric], errors="coerce").notna()]

    def ranked(self, sort: str | None = None, top: int | None = None, rnd: int | None = None) -> pd.DataFrame:
        """Trials best first: finished ones by the metric (or `sort`), then diverged, then failed."""
        column = sort or self.metric
        if column not in self.trials.columns:
            raise unknown("sort column", column, list(self.trials.columns), key="--sort")
        frame = self.trials if rnd is None else self.trials[self.trials["round"] == rnd]
        ascending = self.goal == "minimize" if column == self.metric else _ascending(column)
        order = {"ok": 0, "diverged": 1, "failed": 2}
        frame = frame.assign(_status=frame["status"].map(order).fillna(3),
                             _key=pd.to_numeric(frame[column], errors="coerce") if frame[column].dtype != object
                             else frame[column])
        frame = frame.sort_values(["_status", "_key", "trial"], ascending=[True, ascending, True],
                                  na_position="last", kind="mergesort").drop(columns=["_status", "_key"])
        return frame.head(top) if top else frame

    def counts(self) -> dict:
        return {s: int((self.trials["status"] == s).sum()) for s in ("ok", "diverged", "failed")}


def _ascending(column: str) -> bool:
    return any(column.endswith(s) for s in ("cost", "loss", "error", "seconds"))


def open_run(path) -> Run:
    """A run directory or a trials CSV file; raises UserError for anything else."""
    path = Path(path)
    if path.is_dir():
        csv_path, folder = path / "trials.csv", path
        if not csv_path.exists():
            raise UserError(f"'{path}' is not a run directory (no trials.csv)",
                            fix="give a folder written by `hpsearch run`, or a trials.csv file")
    elif path.is_file() and path.suffix == ".csv":
        csv_path, folder = path, path.parent
    else:
        raise UserError(f"'{path}' is neither a run directory nor a trials CSV file",
                        fix="give runs/NAME or a path to a trials.csv")
    try:
        trials = pd.read_csv(csv_path, keep_default_na=True)
    except Exception as e:  # pandas has many parse errors; all mean the file is not a table
        raise UserError(f"cannot read: {e}".splitlines()[0], file=csv_path, fix="give a trials.csv written by hpsearch")
    missing = [c for c in ("trial", "round", "status") if c not in trials.columns]
    if missing:
        raise UserError(f"missing column '{missing[0]}' (columns: {', '.join(trials.columns)})", file=csv_path,
                        fix="give a trials.csv written by hpsearch")
    if trials.empty:
        raise UserError("the run has no finished trial yet", file=csv_path, fix="wait for trials to finish")
    trials["error"] = trials["error"].astype(object).where(trials["error"].notna(), "") if "error" in trials else ""
    config = load_run_config(RunDir(folder)) if (folder / "config.yaml").exists() else None
    metric, goal, space = _metric_goal_space(trials, config)
    if metric not in trials.columns:
        raise UserError(f"no metric column '{metric}'", file=csv_path, fix="give a trials.csv with the metric")
    params = [c for c in trials.columns if c not in NON_PARAMS and c != metric]
    name = folder.name if path.is_dir() or path.name == "trials.csv" else path.stem
    return Run(name=name, path=path, trials=trials, params=params, metric=metric, goal=goal, space=space,
               regions=_json(folder / "rounds.json") or [], best=_json(folder / "best.json"),
               curves=pd.read_csv(folder / "curves.csv") if (folder / "curves.csv").exists() else None)


def _json(path: Path):
    return json.loads(path.read_text()) if path.exists() else None


def _metric_goal_space(trials, config):
    if config is not None:
        return config.search["metric"], config.search["goal"], config.space
    metric = "dev_accuracy" if "dev_accuracy" in trials.columns else None
    if metric is None:  # a custom objective's table: the column before "metrics"
        cols = list(trials.columns)
        metric = cols[cols.index("metrics") - 1] if "metrics" in cols else cols[-1]
    return metric, "minimize" if _ascending(metric) else "maximize", {}


def with_metric(run: Run, metric: str | None) -> Run:
    """The run judged by another metric column."""
    if metric is None or metric == run.metric:
        return run
    if metric not in run.trials.columns:
        numeric = [c for c in run.trials.columns if pd.api.types.is_numeric_dtype(run.trials[c])
                   and c not in ("trial", "round", "seed")]
        raise unknown("metric", metric, numeric, key="--metric")
    return Run(**{**run.__dict__, "metric": metric, "goal": "minimize" if _ascending(metric) else "maximize"})


def compare(runs: list[Run], metric: str | None = None, top: int = 5) -> pd.DataFrame:
    """Runs side by side: one column per run; rows for counts, the metric's best, median and
    top-k mean, the best trial's parameters, and each hyperparameter's range among the top k."""
    runs = [with_metric(r, metric) for r in runs]
    names = _unique([r.name for r in runs])
    rows: dict[str, dict] = {}
    for name, run in zip(names, runs):
        values = pd.to_numeric(run.finished[run.metric], errors="coerce")
        best = run.ranked().iloc[0] if len(run.finished) else None
        counts = run.counts()
        top_frame = run.ranked().head(top)
        top_frame = top_frame[top_frame["status"] == "ok"]
        column = {"trials": len(run.trials), **counts, "metric": run.metric,
                  "best": values.max() if run.goal == "maximize" else values.min(),
                  "median": values.median(), f"top-{top} mean": values.sort_values(
                      ascending=run.goal == "minimize").head(top).mean()}
        for p in run.params:
            column[f"best {p}"] = best[p] if best is not None else None
        for p in run.params:
            column[f"top-{top} {p}"] = _range(top_frame[p])
        for key, value in column.items():
            rows.setdefault(key, {})[name] = value
    frame = pd.DataFrame(rows).T
    return frame[names]


def better(frame: pd.DataFrame, runs: list[Run], top: int = 5) -> dict:
    """For each comparable row, the column holding the better value."""
    goal = runs[0].goal
    marks = {}
    for row in ("best", "median", f"top-{top} mean"):
        values = pd.to_numeric(frame.loc[row], errors="coerce")
        if values.notna().any():
            marks[row] = values.idxmax() if goal == "maximize" else values.idxmin()
    return marks


def _range(series: pd.Series) -> str:
    values = series.dropna()
    if values.empty:
        return ""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        lo, hi = values.min(), values.max()
        return f"{lo:.4g}" if lo == hi else f"{lo:.4g} .. {hi:.4g}"
    return ", ".join(sorted(map(str, values.unique())))


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
            if spans and p in run.space and not isinstance(run.space[p], Categorical):
                lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
                row[p] = f"{lo:.4g} .. {hi:.4g}"
            elif spans:
                row[p] = ", ".join(sorted({str(v) for s in spans for v in s}))
        rows.append(row)
    return pd.DataFrame(rows)
