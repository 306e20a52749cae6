"""Opening a run: a run directory (with its config, curves, regions and best.json) or a bare
trials.csv, whose columns say which are hyperparameters and which the metric."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import UserError
from ..store import RunDir
from ..store.files import read_json, read_table
from ..store.runconfig import not_a_run
from ..study import Goal, TrialResult
from .run import NOT_PARAMS, Run


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
        raise not_a_run(
            path,
            f"'{path}' is neither a run directory nor a trials CSV file",
            "give runs/NAME or a path to a trials.csv",
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
    """How a bare CSV's hyperparameter column is read back: a number when hpsearch would have
    written that number so (an int as str, a float as repr); otherwise the text it is, so a
    categorical "007" or "1e-3" stays a string."""

    def parse(self, text):
        for kind, show in ((int, str), (float, repr)):
            try:
                number = kind(text)
            except ValueError:
                continue
            if show(number) == text:
                return number
        return text


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
