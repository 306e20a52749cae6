"""Reading results: a run's trials best first, counts, regions, the best model, and runs side
by side.

`open_run(path)` takes a run directory or a bare trials.csv and returns a `Run` whose
`trials` (pandas, best first) show each trial's hyperparameters as it ended (after nudges and
rollbacks, listed in `interventions`). Every order here is `Goal`'s; the CLI only formats.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import BUILTIN_METRICS, Config
from .errors import UserError, unknown
from .importance import MIN_TRIALS, importance
from .nn.model import MLP
from .space import may_apply
from .store import RunDir
from .store.files import read_json, read_table
from .study import HEAD_COLUMNS, STATUSES, TAIL_COLUMNS, Goal, TrialResult

NOT_PARAMS = {*HEAD_COLUMNS, *BUILTIN_METRICS, "metrics", *TAIL_COLUMNS}


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
            row.update(
                epochs=r.epochs,
                seconds=r.seconds,
                seed=r.seed,
                error=r.error,
                interventions="; ".join(
                    f"after epoch {i['epoch']}: {i['change']}" for i in r.interventions
                ),
            )
            rows.append(row)
        columns = ["trial", "round", "status", *self.params, self.metric]
        return pd.DataFrame(rows, columns=None if rows else columns)

    def ranked(
        self,
        sort: str | None = None,
        ascending: bool | None = None,
        top: int | None = None,
        rnd: int | None = None,
    ) -> pd.DataFrame:
        """Trials best first (by the goal), or ordered by column `sort`: a metric best first
        (by the goal's rule), any other column ascending, or as `ascending` says."""
        results = self.results if rnd is None else [r for r in self.results if r.round == rnd]
        if rnd is not None and not results:
            rounds = sorted({r.round for r in self.results})
            raise UserError(
                f"the run has no round {rnd}",
                key="--round",
                fix=f"rounds: {', '.join(map(str, rounds))}",
            )
        frame = self.frame(self.goal.best_first(results))
        if sort is not None:
            if sort not in frame.columns:
                raise unknown("sort column", sort, list(frame.columns), key="--sort")
            if ascending is None and sort in (*self.params, *HEAD_COLUMNS, *TAIL_COLUMNS):
                ascending = True  # a hyperparameter, the trial number...: smallest first
            elif ascending is None:  # a metric: best first
                ascending = (
                    Goal.of(sort).direction == "minimize"
                    if sort != self.metric
                    else self.goal.sign < 0
                )
            frame = frame.sort_values(
                sort, ascending=ascending, na_position="last", kind="mergesort"
            )
        frame = frame.reset_index(drop=True)
        return frame.head(top) if top else frame

    def counts(self) -> dict:
        return {s: sum(r.status == s for r in self.results) for s in STATUSES}

    def best_result(self) -> TrialResult | None:
        return self.goal.best(self.results)

    def importance(self) -> tuple[list[dict], int | None]:
        """How much of the metric's variance each hyperparameter explains alone (see
        hpsearch.importance), and the epoch it was judged at: None for the trials' ends, or,
        when pruning left fewer than MIN_TRIALS finished, the last epoch that MIN_TRIALS or
        more trials reached, at which it compares them all. Needs the run directory, whose
        config gives the space."""
        if self.config is None:
            raise UserError(
                "importance needs the run's config",
                key="--importance",
                fix="give the run directory, not a trials.csv file",
            )
        results, epoch = self.results, None
        if len(self.goal.finished(results)) < MIN_TRIALS and self.curves is not None:
            results, epoch = self._at_last_common_epoch(results)
        return importance(self.space, results, self.goal, self.config.seed), epoch

    def _at_last_common_epoch(self, results):
        """The finished and pruned records as they stood at the last epoch MIN_TRIALS or more
        of them reached (each trial's last row for that epoch: a rollback may have trained it
        twice)."""
        ranked = {r.trial for r in results if r.status in ("ok", "pruned")}
        curves = self.curves[self.curves["trial"].isin(ranked)].dropna(subset=[self.metric])
        curves = curves.drop_duplicates(["trial", "epoch"], keep="last")
        counts = curves.groupby("epoch")["trial"].nunique()
        reached = counts[counts >= MIN_TRIALS]
        if reached.empty:
            return results, None
        epoch = int(reached.index.max())
        at = curves[curves["epoch"] == epoch].set_index("trial")[self.metric]
        standing = [
            dataclasses.replace(r, status="ok", value=float(at[r.trial]))
            for r in results
            if r.trial in at.index
        ]
        return standing, epoch

    def load_model(self):
        """The best model, predicting on raw inputs (see hpsearch.load_model)."""
        return load_model(self.path)


def load_model(run_path) -> MLP:
    """The best model of a run of the built-in network, ready to predict on raw inputs: it
    standardises them as the run's data was, and predicts the original labels."""
    run = RunDir.open(run_path)
    if not run.best_npz.exists():
        raise UserError(
            f"run '{run.path}' has no best.npz",
            fix="runs of the built-in network have one once a trial finishes",
        )
    with np.load(run.best_npz, allow_pickle=False) as f:
        return MLP().load_state_dict(dict(f))


def open_run(path) -> Run:
    """A run directory or a trials CSV file; raises UserError for anything else."""
    path = Path(path)
    if path.is_dir():
        folder, csv_path = path, path / "trials.csv"
        if not csv_path.exists():
            raise UserError(
                f"'{path}' is not a run directory (no trials.csv)",
                fix="give a folder written by `hpsearch run`, or a trials.csv file",
            )
    elif path.is_file() and path.suffix == ".csv":
        folder, csv_path = path.parent, path
    else:
        raise UserError(
            f"'{path}' is neither a run directory nor a trials CSV file",
            fix="give runs/NAME or a path to a trials.csv",
        )
    config = (
        RunDir(folder).read_config()
        if (folder / "config.yaml").exists() and csv_path.name == "trials.csv"
        else None
    )
    if config is not None:
        results, params, goal = (
            RunDir(folder).read_results(config),
            list(config.space),
            config.goal,
        )
    else:
        results, params, goal = _bare(csv_path)
    if not results:
        raise UserError(
            "the run has no finished trial yet", file=csv_path, fix="wait for trials to finish"
        )
    name = folder.name if csv_path.name == "trials.csv" else csv_path.stem
    curves = (
        pd.read_csv(folder / "curves.csv")
        if config is not None and (folder / "curves.csv").exists()
        else None
    )
    return Run(
        name,
        path,
        results,
        params,
        goal,
        config,
        read_json(folder / "rounds.json") or [],
        read_json(folder / "best.json"),
        curves,
    )


class _Value:
    """How a bare CSV's hyperparameter column is read back: a number when it is one."""

    def parse(self, text):
        try:
            number = float(text)
        except ValueError:
            return text
        return (
            int(number)
            if number.is_integer() and "." not in text and "e" not in text.lower()
            else number
        )


def _bare(csv_path: Path):
    try:
        header, rows = read_table(csv_path)
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(
            f"cannot read: {e}".splitlines()[0],
            file=csv_path,
            fix="give a trials.csv written by hpsearch",
        ) from None
    missing = [c for c in ("trial", "round", "status") if c not in header]
    if missing:
        raise UserError(
            f"missing column '{missing[0]}' (columns: {', '.join(header)})",
            file=csv_path,
            fix="give a trials.csv written by hpsearch",
        )
    metric = (
        "dev_accuracy"
        if "dev_accuracy" in header
        else (header[header.index("metrics") - 1] if "metrics" in header else header[-1])
    )
    params = [c for c in header[3:] if c not in NOT_PARAMS and c != metric]
    space = {p: _Value() for p in params}
    try:
        results = [TrialResult.from_row(dict(zip(header, r)), space, metric) for r in rows]
    except (ValueError, KeyError) as e:
        raise UserError(
            f"a row cannot be read: {e}",
            file=csv_path,
            fix="give a trials.csv written by hpsearch",
        ) from None
    return results, params, Goal.of(metric)


def region_table(run: Run) -> pd.DataFrame:
    """Each round's region per hyperparameter, in values. A numeric one: the span of the
    heaviest of its boxes that together take at least half of its samples (the span of all of
    them reaches across most of the space as soon as one box sits far from the others). A
    categorical one: every value it samples, the most sampled first."""
    rows = []
    for record in run.regions:
        row = {
            "round": record["round"],
            "boxes": len(record["boxes"]),
            "note": record.get("note", ""),
        }
        boxes = record["boxes"]
        weights = record.get("weights") or [1.0] * len(boxes)
        heaviest, taken = [], 0.0
        for i in sorted(range(len(weights)), key=lambda i: -weights[i]):
            if taken >= sum(weights) / 2:
                break
            heaviest.append(boxes[i])
            taken += weights[i]
        for p in run.params:
            values = getattr(run.space.get(p), "values", None)
            if values is not None:
                row[p] = ", ".join(str(v) for v in _by_share(p, values, boxes, weights))
                continue
            spans = [b[p] for b in heaviest if p in b and may_apply(run.space, p, b)]
            if spans:
                row[p] = f"{min(s[0] for s in spans):.4g} .. {max(s[1] for s in spans):.4g}"
        rows.append(row)
    return pd.DataFrame(rows)


def _by_share(name, values, boxes, weights) -> list:
    """The categorical values the boxes sample, the most sampled first (a box that does not
    hold the hyperparameter samples all its values alike)."""
    share = dict.fromkeys(values, 0.0)
    for box, weight in zip(boxes, weights):
        held = box.get(name, values)
        for v in held:
            if v in share:
                share[v] += weight / len(held)
    return sorted((v for v in values if share[v] > 0), key=lambda v: -share[v])
