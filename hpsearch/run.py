"""Running a search into a run directory, and resuming an interrupted one.

`run_search(config)` and `resume_search(path)` are the Python API under `hpsearch run` and
`hpsearch resume`. Both validate everything (data, objective, scheduler) before writing
anything, append each result to the tables as it arrives, and finish with the tables sorted by
trial, the rounds' regions, and best.json with the best trial's test metrics.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from . import __version__
from .config import Config, resolve_config
from .errors import UserError
from .objective import TrialSpec, import_objective
from .rundir import BUILTIN_METRICS, RunDir, trial_columns
from .runners import caviar_evaluate, connect_dask, local_evaluate, workers_for
from .search import SearchResult, search
from .space import Categorical, Int

META_KEYS = ("hpsearch_version", "config_dir")


@dataclass
class Outcome:
    run: RunDir
    result: SearchResult
    best: dict | None


def run_search(config: Config, *, runs_dir="runs", force: bool = False, progress=None, on_epoch=None) -> Outcome:
    """Run the search `config` describes into runs_dir/NAME (refused if it exists, unless
    `force`). `progress(result, best, done, total)` is called after each trial, and in panda
    mode `on_epoch(task, model, record)` after each epoch."""
    data = _prepare(config)
    client = _client(config)
    run = RunDir.create(Path(runs_dir) / config.name, force=force)
    try:
        base = str(config.file.parent.resolve()) if config.file else None
        run.write_config({"hpsearch_version": __version__, "config_dir": base, **_portable(config.to_dict(), base)})
        return _execute(config, run, [], data, client, progress, on_epoch)
    finally:
        run.unlock()
        if client is not None:
            client.close()


def load_run_config(run: RunDir) -> Config:
    """The resolved config a run was started with."""
    import yaml

    raw = yaml.safe_load(run.config_yaml.read_text()) or {}
    base = raw.get("config_dir")
    for key in META_KEYS:
        raw.pop(key, None)
    config = resolve_config(raw, file=run.config_yaml)
    config.file = Path(base, "config.yaml") if base else None
    return config


def resume_search(path, *, progress=None, on_epoch=None) -> Outcome:
    """Continue the search in run directory `path`: only the trials missing from trials.csv
    run (in panda mode, the unfinished one from its last checkpoint), and the finished tables
    equal those of an uninterrupted run."""
    from .panda import prepare_rollback

    run = RunDir.open(path)
    config = load_run_config(run)
    data = _prepare(config)
    client = _client(config)
    run.lock()
    try:
        panda = _is_panda(config)
        rollback = prepare_rollback(run) if panda else None
        done = [result_from_row(row, config) for row in run.read_rows()]
        if not panda:  # panda keeps the finished epochs of its unfinished trial
            run.keep_curves_of({d["trial"] for d in done})
        return _execute(config, run, done, data, client, progress, on_epoch, rollback)
    finally:
        run.unlock()
        if client is not None:
            client.close()


def _portable(resolved: dict, base: str | None) -> dict:
    """The resolved config with a relative data path made absolute, so a resume works from
    any folder."""
    data = dict(resolved["data"])
    if data.get("path") and base and not Path(data["path"]).is_absolute():
        data["path"] = str(Path(base, data["path"]))
    return {**resolved, "data": data}


def _prepare(config: Config):
    """Load the data (built-in MLP) or import the objective now, so bad input is refused
    before anything is written."""
    base = str(config.file.parent) if config.file else None
    if config.objective:
        import_objective(config.objective, base)
        return None
    from .data import load_data

    return load_data(config.data, config.seed, file=config.file, base_dir=base)


def _client(config: Config):
    if config.search["mode"] == "caviar" and config.search["backend"] == "dask":
        return connect_dask(config.search["scheduler"])
    return None


def _is_panda(config: Config) -> bool:
    """Panda babysitting needs the built-in network; a custom objective just runs in turn."""
    return config.search["mode"] == "panda" and config.objective is None


def _execute(config: Config, run: RunDir, done: list, data, client, progress, on_epoch=None,
             rollback=None) -> Outcome:
    from .panda import PandaRunner

    s = config.search
    base = str(config.file.parent) if config.file else None
    markers = run.path / ".running"  # which worker runs which trial; stale after a kill
    shutil.rmtree(markers, ignore_errors=True)
    spec = TrialSpec(data=config.data, params=config.params, seed=config.seed, metric=s["metric"],
                     objective=config.objective, base_dir=base)
    if _is_panda(config):
        evaluate = PandaRunner(config, run, data, rollback, on_epoch)
    elif s["mode"] == "panda" or (s["backend"] == "loky" and workers_for(s["jobs"]) == 1):
        evaluate = local_evaluate(spec)
    else:
        markers.mkdir()
        evaluate = caviar_evaluate(replace(spec, running_dir=str(markers)), s["jobs"], s["backend"], client)
    run.start_tables(trial_columns(list(config.space), s["metric"], config.objective is None))
    tracker = BestTracker(config, run, done)
    total = s["trials"] * s["rounds"]

    def on_result(result):
        run.append_result(_row(result, config), result.get("curve"))
        tracker.update(result)
        if progress is not None:
            progress(result, tracker.best, len(tracker.seen), total)

    try:
        result = search(config.space, trials=s["trials"], rounds=s["rounds"], keep=s["keep"], goal=s["goal"],
                        metric=s["metric"], seed=config.seed, method=s["refine"], evaluate=evaluate,
                        done=done, on_result=on_result, on_round=run.write_rounds)
    finally:
        if hasattr(evaluate, "close"):
            evaluate.close()
    run.sort_tables()
    best = tracker.finish(data)
    shutil.rmtree(markers, ignore_errors=True)
    return Outcome(run, result, best)


def _row(result: dict, config: Config) -> dict:
    row = {"trial": result["trial"], "round": result["round"], "status": result["status"],
           **result["params"], "seconds": round(result["seconds"], 3), "seed": result.get("seed"),
           "error": result["error"]}
    if config.objective is None:
        metrics = result["metrics"]
        row.update({k: metrics.get(k, math.nan) for k in BUILTIN_METRICS}, epochs=metrics.get("epochs"))
    else:
        row[config.search["metric"]] = result["value"]
        row["metrics"] = result["metrics"] or None
    return row


def result_from_row(row: dict, config: Config) -> dict:
    """A trials.csv row (strings) back into the search loop's result dict."""
    params = {name: _parse_value(dist, row[name]) for name, dist in config.space.items()}
    metric = config.search["metric"]
    if config.objective is None:
        metrics = {k: _float(row[k]) for k in BUILTIN_METRICS}
        metrics["epochs"] = int(row["epochs"]) if row.get("epochs") else 0
    else:
        metrics = json.loads(row["metrics"]) if row.get("metrics") else {}
    value = metrics.get(metric) if config.objective is None else (_float(row[metric]) if row.get(metric) else None)
    return {"trial": int(row["trial"]), "round": int(row["round"]), "status": row["status"], "params": params,
            "value": value, "metrics": metrics, "error": row.get("error", ""),
            "seconds": _float(row.get("seconds")), "seed": int(row["seed"]) if row.get("seed") else None}


def _float(text) -> float:
    return float(text) if text not in (None, "") else math.nan


def _parse_value(dist, text: str):
    if isinstance(dist, Categorical):
        for value in dist.values:
            if str(value) == text:
                return value
        raise UserError(f"value {text!r} is not one of {list(dist.values)}", fix="the run's trials.csv was edited")
    return int(text) if isinstance(dist, Int) else float(text)


class BestTracker:
    """Keeps the best finished trial and, for the built-in network, its weights on disk."""

    def __init__(self, config: Config, run: RunDir, done: list):
        self.config, self.run = config, run
        self.sign = 1.0 if config.search["goal"] == "maximize" else -1.0
        self.best, self.seen = None, set()
        for result in done:
            self._consider(result, write=False)

    def _consider(self, result, write=True):
        self.seen.add(result["trial"])
        if result["status"] != "ok":
            return
        key = (self.sign * result["value"], -result["trial"])
        if self.best is None or key > (self.sign * self.best["value"], -self.best["trial"]):
            self.best = result
            if write:
                model = result.get("model")
                state = {**model, "trial": np.array(result["trial"])} if model else None
                self.run.write_best(self.summary(result), state)

    def update(self, result):
        self._consider(result)

    def summary(self, result, test=None) -> dict:
        return {"trial": result["trial"], "round": result["round"], "metric": self.config.search["metric"],
                "goal": self.config.search["goal"], "value": result["value"], "sampled": result["params"],
                "params": {**self.config.params, **result["params"]}, "metrics": result["metrics"],
                "seed": result.get("seed"), "test": test}

    def finish(self, data) -> dict | None:
        """best.json with the best trial's test metrics (built-in network only)."""
        if self.best is None:
            return None
        test = None
        if self.config.objective is None and data is not None and len(data.y_test):
            model = self._best_model(data)
            test_cost, test_accuracy = model.evaluate(data.X_test, data.y_test)
            test = {"test_cost": test_cost, "test_accuracy": test_accuracy}
        summary = self.summary(self.best, test)
        self.run.write_best(summary)
        return summary

    def _best_model(self, data):
        """The best trial's trained model: its saved weights, or (if they were lost with an
        interrupted run) the same training again, which gives the same weights."""
        from .nn.model import MLP
        from .trial import train_model

        hp = {**self.config.params, **self.best["params"]}
        if self.run.best_npz.exists():
            with np.load(self.run.best_npz, allow_pickle=False) as f:
                state = dict(f)
            if "trial" in state and int(state["trial"]) == self.best["trial"]:
                return MLP(hp).build(data.n_features, data.n_classes).load_state_dict(state)
        return train_model(hp, data, self.best["seed"])
