"""Running a search into a run directory, and resuming or extending one: the Python API under
`hpsearch run`, `resume` and `validate`.

`prepare(config)` makes every check a run makes (the space, the data or the objective, the
Dask scheduler) and writes nothing; `run_search` and `resume_search` call it before touching
the run directory, append each result as it arrives, and finish with the tables sorted by
trial, each round's region, and best.json with the best trial's test metrics.
"""

from __future__ import annotations

import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import Config
from ..data import load_data, load_training_data
from ..data.shared import SharedMemory
from ..errors import CannotContinue, SearchInterrupted, UserError
from ..modes.caviar import InProcess, LokyPool
from ..modes.cluster import DaskPool, connect_dask
from ..modes.cores import largest_product, plan
from ..modes.panda import Listener, PandaRunner
from ..modes.population import PopulationRunner
from ..nn.hyper import DEFAULTS
from ..objective import TrialSpec, build_objective, import_objective, regression_of
from ..store import RunDir, source, steering
from ..store.files import read_json
from ..study import SearchFailed, Study, describe, run_study
from .best import BestKeeper
from .interrupts import Terminated, ctrl_c, holding_signals
from .pbt import kept, run_population

__all__ = [
    "Outcome",
    "SearchFailed",
    "SearchInterrupted",
    "prepare",
    "resume_search",
    "run_search",
]


@dataclass
class Outcome:
    run: RunDir
    study: Study
    best: dict | None  # what best.json holds

    def __repr__(self) -> str:
        test = ", ".join(f"{k} {v:.4g}" for k, v in ((self.best or {}).get("test") or {}).items())
        return (
            f"<Outcome {self.run.path}: {describe(self.study.trials, self.study.goal)}"
            + (f"; {test}" if test else "")
            + ">"
        )


def prepare(config: Config, connect: bool = True, alloc=np.empty, warn: bool = True):
    """Everything a run checks before writing anything; returns (data in the network's form,
    Dask client or None). The data's inputs are one block from `alloc` (see
    data.load_training_data). Raises UserError for a config that cannot run; with `warn`,
    warns of searched hyperparameters training may not read."""
    if not config.space:
        raise UserError(
            "the space is empty: there is nothing to search",
            file=config.file,
            key="space",
            fix="add hyperparameters under space:, such as "
            "learning_rate: {low: 1e-4, high: 1, scale: log}",
        )
    for text in config.unread_searched() if warn else ():
        warnings.warn(f"{config.file}: {text}" if config.file else text, stacklevel=2)
    base = str(config.file.parent) if config.file else None
    data = None
    try:
        if config.objective:
            import_objective(config.objective, base)
        elif config.estimator:  # the user's form: the estimator gets the data as read
            regression = regression_of(config.estimator)
            data = load_data(config.data, config.seed, config.file, base, regression)
        else:
            data = load_training_data(
                config.data, config.seed, file=config.file, base_dir=base, alloc=alloc
            )
    except UserError as e:
        raise e.at(file=config.file) from None
    client = None
    if connect and config.search["mode"] == "caviar" and config.search["backend"] == "dask":
        client = connect_dask(config.search["scheduler"])
    return data, client


def run_search(config: Config, *, runs_dir="runs", force: bool = False, listener=None) -> Outcome:
    """Run the search `config` describes into runs_dir/NAME (refused if it exists, unless
    `force`). `listener` hears of each trial and epoch (see modes.panda.Listener)."""
    memory = SharedMemory()
    run = client = None
    try:
        data, client = prepare(config, alloc=_alloc(config, memory))
        if config.search["threads"] is None:  # chosen now, recorded: the table follows it
            config.search["threads"] = _parallel(config, data)[1]
        run = RunDir.create(Path(runs_dir) / config.name, force=force)
        run.write_config(config)
        source.record(run, config.file)
        return _execute(config, run, [], data, client, listener or Listener(), memory)
    finally:
        if run is not None:
            run.unlock()
        if client is not None:
            client.close()
        memory.close()


def resume_search(
    path,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    budget: int | None = None,
    rounds: int | None = None,
    retry_failed: bool = False,
    listener=None,
) -> Outcome:
    """Continue the search in run directory `path`: only the trials missing from trials.csv
    run (in panda mode the unfinished one goes on from its last checkpoint), so the tables end
    as an uninterrupted run's. `budget` or `rounds` extend a finished search with more
    rounds (the table equals a search run that long from the start); `retry_failed` runs
    failed trials again with their sampled values. `jobs` and `scheduler` change where trials
    run, not what they compute."""
    run = RunDir.open(path)
    changed = run.config_changes()
    if changed:
        raise UserError(
            f"config.yaml was edited since the run started ({', '.join(changed)} changed)",
            file=run.config_yaml,
            fix="put the values back, or start a new run with `hpsearch run`",
        )
    config = _where(source.named(run, run.read_config()), jobs, scheduler)
    extension = _extension(config, budget, rounds)
    source.warn_of_edits(run)
    memory, client = SharedMemory(), None
    try:
        data, client = prepare(config, alloc=_alloc(config, memory), warn=False)
        run.lock()
        if extension:
            run.set_search(**extension)
            config = _where(source.named(run, run.read_config()), jobs, scheduler)
        rollback = steering.pending_rollback(run) if config.search["mode"] == "panda" else None
        if rollback is not None:
            run.drop_trial(int(rollback["trial"]))
        done = run.read_results(config)
        retry = {r.trial: r for r in done if r.status == "failed"} if retry_failed else {}
        for trial in retry:
            run.drop_trial(trial)
        done = [r for r in done if r.trial not in retry]
        if config.pbt and len(done) < config.plan.total:  # its last generation runs again
            done = []
        if config.search["threads"] is None:  # a run from before threads were recorded
            config.search["threads"] = 1
        if (config.search["mode"] != "panda" or not config.builtin) and not config.pbt:
            run.keep_curves_of({r.trial for r in done})
        return _execute(config, run, done, data, client, listener or Listener(), memory, retry)
    finally:
        run.unlock()
        if client is not None:
            client.close()
        memory.close()


def _where(config: Config, jobs, scheduler) -> Config:
    """The config with where its trials run changed (not written to the run: not part of it)."""
    if jobs is not None:
        config.search["jobs"] = jobs
    if scheduler is not None:
        config.search.update(backend="dask", scheduler=scheduler)
    return config


def _extension(config: Config, budget, rounds) -> dict:
    """The search settings that extend the run, checked."""
    if budget is None and rounds is None:
        return {}
    if config.pbt:
        raise UserError(
            "a pbt run trains its population to the end: there is nothing to extend",
            key="--budget" if budget is not None else "--rounds",
            fix="start a new run with a larger population or more epochs",
        )
    if budget is not None and rounds is not None:
        raise UserError("--budget and --rounds are both given", fix="extend by one of them")
    sized_by = "budget" if config.search["budget"] is not None else "rounds"
    given = "budget" if budget is not None else "rounds"
    if given != sized_by:
        raise UserError(
            f"this run is sized by {'budget' if sized_by == 'budget' else 'trials x rounds'}",
            key=f"--{given}",
            fix=f"extend it with --{sized_by}",
        )
    now = config.search[sized_by]
    new = budget if budget is not None else rounds
    if new < now:
        raise UserError(
            f"--{given} {new} is less than the run's {now}",
            key=f"--{given}",
            fix=f"give more than {now} (finished trials are never taken back)",
        )
    return {sized_by: new}


def _alloc(config: Config, memory: SharedMemory):
    """Where the data's block goes: memory the workers of a caviar search share (whatever
    their number: one worker maps it as it would its own; a Dask worker on this machine too),
    else this process's memory."""
    return memory.alloc if config.search["mode"] == "caviar" else np.empty


def _parallel(config: Config, data) -> tuple[int, int, str]:
    """(workers, BLAS threads per trial, what jobs: auto chose) for this run on this machine:
    the run's recorded threads, or when none yet, the choice of modes.cores.plan."""
    s = config.search
    jobs = s["jobs"] if s["mode"] == "caviar" and s["backend"] == "loky" else 1
    size = None
    if config.builtin and data is not None:
        size = largest_product({**DEFAULTS, **config.centre()}, data.n_features, len(data.y_train))
    return plan(jobs, s["threads"], size, config.plan.narrowest)


def _runner(config: Config, run: RunDir, data, client, listener, memory):
    s = config.search
    workers, _, why = _parallel(config, data)
    spec = TrialSpec.of(config)
    if s["mode"] == "caviar" and s["backend"] == "dask":
        return DaskPool(spec, client, data, memory.handle(data))
    objective = build_objective(spec, data)
    if s["mode"] == "panda" and config.builtin:
        return (PopulationRunner if config.pbt else PandaRunner)(objective, run, config, listener)
    if why:
        listener.note(why)
    if s["mode"] == "panda" or workers == 1:
        return InProcess(spec, objective)
    # (an estimator's data, in the user's form, is not in the block: each worker loads it)
    return LokyPool(spec, workers, run.markers, memory.handle(data))


def _execute(
    config: Config, run: RunDir, done: list, data, client, listener, memory, retry=None
) -> Outcome:
    shutil.rmtree(run.markers, ignore_errors=True)
    runner = _runner(config, run, data, client, listener, memory)
    run.start_tables(config)
    keeper = BestKeeper(config, run, done, data)
    total, recorded = config.plan.total, len(done)
    panda = isinstance(runner, PandaRunner) or config.pbt  # they write curves as they train

    def on_result(result):
        nonlocal recorded
        run.append_result(result, with_curve=not panda)
        keeper.consider(result)
        recorded += 1
        listener.trial_done(result, keeper.best, recorded, total)

    known = {r["round"]: r for r in read_json(run.rounds_json) or []}
    try:
        with ctrl_c(runner, listener):
            if config.pbt:
                study = run_population(config, run, runner, done, on_result, listener.note)
            else:
                study = run_study(
                    config.space,
                    runner,
                    config.settings(),
                    done=done,
                    on_result=on_result,
                    on_round=run.write_rounds,
                    known=known,
                    retry=retry or {},
                )
            runner.close()
        run.sort_tables()
        best = keeper.finish()
    except BaseException as e:
        with holding_signals() as late:  # the stop is bounded (see LokyPool.close)
            runner.close(kill=True)
        if isinstance(e, SearchFailed):
            known = config.file is not None and config.file.is_file()
            e.run, e.config_file = run.path, config.file if known else None
        interrupt = e if isinstance(e, KeyboardInterrupt) else late.interrupt
        if interrupt is not None:
            code = 143 if isinstance(interrupt, Terminated) else 130
            words = kept(run, config) if config.pbt else ""
            raise SearchInterrupted(run.path, recorded, total, code, words) from None
        if isinstance(e, CannotContinue):
            raise e.of(run.path) from None
        raise
    shutil.rmtree(run.markers, ignore_errors=True)
    return Outcome(run, study, best)
