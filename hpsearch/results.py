"""Reading results: a run's trials best first, counts, regions, the best model, and runs side
by side.

`open_run(path)` takes a run directory or a bare trials.csv and returns a `Run` whose
`trials` (pandas, best first) show each trial's hyperparameters as it ended (after nudges and
rollbacks, listed in `interventions`). Every order here is `Goal`'s; the CLI only formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import BUILTIN_METRICS, Config
from .errors import UserError, unknown
from .importance import importance
from .nn.model import MLP
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
        """Trials best first (by the goal), or ordered by column `sort` (ascending unless the
        goal's rule says the column is better large, or as `ascending` says)."""
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
            if ascending is None:
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

    def importance(self) -> list[dict]:
        """How much of the metric's variance each hyperparameter explains alone (see
        hpsearch.importance); needs the run directory, whose config gives the space."""
        if self.config is None:
            raise UserError(
                "importance needs the run's config",
                key="--importance",
                fix="give the run directory, not a trials.csv file",
            )
        return importance(self.space, self.results, self.goal, self.config.seed)

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
    """Each round's region per hyperparameter, in values: the span of the heaviest of its
    boxes that together take at least half of its samples (the span of all of them reaches
    across most of the space as soon as one box sits far from the others)."""
    rows = []
    for record in run.regions:
        row = {
            "round": record["round"],
            "boxes": len(record["boxes"]),
            "note": record.get("note", ""),
        }
        weights = record.get("weights") or [1.0] * len(record["boxes"])
        heaviest, taken = [], 0.0
        for i in sorted(range(len(weights)), key=lambda i: -weights[i]):
            if taken >= sum(weights) / 2:
                break
            heaviest.append(record["boxes"][i])
            taken += weights[i]
        for p in run.params:
            spans = [b[p] for b in heaviest if p in b]
            if spans and p in run.space and not hasattr(run.space[p], "values"):
                row[p] = f"{min(s[0] for s in spans):.4g} .. {max(s[1] for s in spans):.4g}"
            elif spans:
                row[p] = ", ".join(sorted({str(v) for s in spans for v in s}))
        rows.append(row)
    return pd.DataFrame(rows)
