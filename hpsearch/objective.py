"""What a trial runs: the built-in network on the config's data, or the user's function.

`TrialSpec` is all a worker needs to know (small and picklable) besides the data, which it
receives once loaded (`run_task(spec, task, data=...)`: a shared block on this machine, a Dask
future on a cluster); `run_task` builds the objective once per process and never raises:
whatever goes wrong becomes a `failed` record.
"""

from __future__ import annotations

import importlib
import math
import sys
import time
from dataclasses import dataclass

from threadpoolctl import threadpool_limits

from .data import Dataset, load_data, load_training_data
from .data.shared import SharedData
from .errors import UserError
from .lifecycle import Lifecycle, pause_at, pruning, replaying
from .nn.blas import one_thread
from .nn.hyper import DEFAULTS
from .nn.model import Model
from .study import (
    FunctionObjective,
    Goal,
    Task,
    Trial,
    TrialResult,
    failure,
    trial_passing,
)

NAN_METRICS = {
    "train_cost": math.nan,
    "train_accuracy": math.nan,
    "dev_cost": math.nan,
    "dev_accuracy": math.nan,
}
_CACHE: dict = {}


@dataclass(frozen=True)
class TrialSpec:
    data: dict
    params: dict  # fixed hyperparameters
    goal: Goal
    seed: int  # the run's seed (the data split depends on it)
    objective: str | None = None  # package.module:function, or None for the built-in network
    base_dir: str | None = None  # the config file's folder: relative data paths, user modules
    estimator: str | None = None  # a scikit-learn estimator's class, cross-validated
    cv: int = 5
    scoring: str | None = None
    threads: int = 1  # BLAS threads of the built-in network's trials (the run's search.threads)

    @classmethod
    def of(cls, config) -> TrialSpec:
        """What a trial of `config` needs."""
        base = str(config.file.parent) if config.file else None
        return cls(
            config.data,
            config.params,
            config.goal,
            config.seed,
            config.objective,
            base,
            config.estimator,
            config.cv,
            config.scoring,
            config.search.get("threads") or 1,
        )


def import_objective(name: str, base_dir: str | None = None):
    """The user's objective function; raises UserError when it cannot be imported."""
    if base_dir and base_dir not in sys.path:
        sys.path.insert(0, base_dir)
    module_name, _, func_name = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # any import-time failure of user code is the user's to fix
        raise UserError(
            f"cannot import '{module_name}': {type(e).__name__}: {e}".splitlines()[0],
            key="objective",
            fix="check the module name and that it is importable from the config's folder",
        ) from None
    func = getattr(module, func_name, None)
    if not callable(func):
        where = getattr(module, "__file__", None) or "built into Python"
        raise UserError(
            f"'{module_name}' has no function '{func_name}' (the module imported is {where})",
            key="objective",
            fix="name a function defined in that module; a module of yours named like one "
            "Python has (types, code, test...) must be renamed",
        )
    try:
        trial_passing(func)
    except TypeError as e:
        problem, fix = str(e).split(": ", 1)
        raise UserError(f"{name}: {problem}", key="objective", fix=fix) from None
    return func


def regression_of(estimator: str | None) -> bool:
    """Whether a run's data has a numeric target: its estimator is a regressor."""
    if not estimator:
        return False
    from .estimators.named import is_regression  # noqa: PLC0415  (scikit-learn: 1.4 s)

    return is_regression(estimator)


def build_objective(spec: TrialSpec, data: Dataset | SharedData | None = None):
    """The objective `spec` describes, on `data`: a Dataset (in this process, or as Dask
    scattered it), the data the main process shares (a worker maps it), or, when None, the
    data loaded here."""
    if spec.objective:
        return FunctionObjective(
            import_objective(spec.objective, spec.base_dir), spec.goal, spec.params
        )
    if isinstance(data, SharedData):
        data = data.open()
    if spec.estimator:
        from .estimators.named import cross_validation  # noqa: PLC0415  (scikit-learn: 1.4 s)

        if data is None:
            regression = regression_of(spec.estimator)
            data = load_data(spec.data, spec.seed, base_dir=spec.base_dir, regression=regression)
        folds = cross_validation(
            spec.estimator, spec.params, data, spec.cv, spec.scoring, spec.seed
        )
        return FunctionObjective(folds, spec.goal)
    if data is None:
        data = load_training_data(spec.data, spec.seed, base_dir=spec.base_dir)
    return MLPObjective(data.for_training(), spec.params, spec.goal, spec.threads)


def run_task(spec: TrialSpec, task: Task, objective=None, data=None) -> TrialResult:
    """Run one trial in this process, with `objective`, or the one built for (spec, data) and
    kept for the next trial; never raises. The built-in network trains on `spec.threads` BLAS
    threads wherever it runs, an estimator on one thread of every pool: BLAS splits a product
    differently over another number of threads, and the table must not depend on the number
    of workers."""
    try:
        objective = objective or _cached_objective(spec, data)
    except Exception as e:  # data or import failing inside a worker fails the trial
        return failure(task, e)
    if spec.objective:
        return objective(task)
    threads, pools = (1, None) if spec.estimator else (spec.threads, "blas")
    with threadpool_limits(limits=threads, user_api=pools):
        return objective(task)


def _cached_objective(spec: TrialSpec, data):
    """One objective per worker process, for the search it works for: the last one built (a
    Dask worker serving search after search keeps no earlier search's data)."""
    key = (repr(spec), repr(data) if isinstance(data, SharedData) else id(data))
    if _CACHE.get("key") != key:
        _CACHE.clear()
        _CACHE.update(key=key, objective=build_objective(spec, data))
    return _CACHE["objective"]


def forget_objective():
    """Drop this process's cached objective and the data it holds: a Dask worker, once its
    search ends, maps no block of it (the pages go when the last process unmaps them)."""
    _CACHE.clear()


def expected_cost(spec: TrialSpec, task: Task) -> float:
    """How long `task` should train, relative to others of the same search (its weights times
    its epochs); 0 for a custom objective or an estimator, whose cost nobody can tell. Runners
    start the longest trials first, so that the last trials of a round are short and no worker
    idles long at the round's end; the order changes nothing in the results."""
    if spec.objective or spec.estimator:
        return 0.0
    hp = {**DEFAULTS, **spec.params, **task.params}  # checked when the config was read
    units, layers = hp["hidden_units"], hp["layers"]
    end = min(hp["epochs"], task.until or hp["epochs"])
    epochs = end - (task.paused.epochs if task.paused is not None else 0)
    return float(epochs) * units * (units * max(layers - 1, 0) + 1)


class MLPObjective:
    """The built-in objective: trains the network on fixed data with the fixed hyperparameters
    and the sampled ones, reporting the goal's metric after every epoch (for pruning)."""

    def __init__(self, data: Dataset, fixed: dict, goal: Goal, threads: int = 1):
        self.data, self.fixed, self.goal, self.threads = data, fixed, goal, threads

    def model(self, task: Task) -> Model:
        """A fresh model for `task`: the same weights and batches whoever builds it."""
        return Model(**{**self.fixed, **task.params}, seed=task.seed).build(
            self.data.n_features, self.data.n_classes
        )

    def __call__(self, task: Task) -> TrialResult:
        """Train the trial's model (`lifecycle`). A trial promoted past halving's last rung
        pauses there, as does one told to (`task.until`: PBT's generations): record `paused`,
        its whole state in `.model`; a task made of that record continues it, bit for bit as
        if it had never stopped."""
        start = time.perf_counter()
        before = task.paused.seconds if task.paused is not None else 0.0
        try:
            life = Lifecycle(self, task)
            until = task.until
            if until is None and task.paused is None and task.prune is not None:
                until = task.prune.pruning.pause_rung(life.model.hp["epochs"])
            life.run(pruning, pause_at(until))
        except Exception as e:  # a trial's failure is recorded, never fatal to the search
            return failure(task, e, before + time.perf_counter() - start)
        return life.record()

    def train(self, model: Model, callback) -> Model:
        """Train `model` on until its epochs are done (or `callback(model, record)` says stop)."""
        return model.train(
            self.data.X_train,
            self.data.y_train,
            (self.data.X_dev, self.data.y_dev),
            callback=callback,
        )

    def replay(self, task: Task, interventions=()) -> Model:
        """The trial's whole training again as one model, its interventions (nudges, rollbacks'
        new values: those not abandoned; PBT's exploits and explores along its lineage) applied
        after the epochs they were logged at: the model it ended as, bit for bit."""
        with one_thread(self.threads):  # as the trial trained
            return Lifecycle(self, task).run(replaying(interventions)).model

    def report(self, trial: Trial, record: dict) -> bool:
        """Tell the trial the epoch's metric; True when it should stop there. Its last epoch
        is recorded, not judged: a trial that trained to its end is not pruned."""
        value = record.get(self.goal.metric)
        tie = record.get(trial.tiebreak) if trial.tiebreak else None
        last = record["epoch"] >= {**DEFAULTS, **self.fixed, **trial.params}["epochs"]
        return value is not None and trial.report(record["epoch"], value, tie=tie, last=last)

    def result(
        self,
        task: Task,
        model: Model,
        trial: Trial,
        seconds: float,
        interventions=(),
        paused=False,
    ) -> TrialResult:
        """The record of a trained (or stopped, or paused) model: metrics on train and dev at
        its end; a paused one keeps its whole state, to continue from."""
        if model.status != "ok":
            metrics, status = dict(NAN_METRICS), "diverged"
        else:
            (train_cost, train_acc), (dev_cost, dev_acc) = (
                model.evaluate(self.data.X_train, self.data.y_train),
                model.evaluate(self.data.X_dev, self.data.y_dev),
            )
            metrics = {
                "train_cost": train_cost,
                "train_accuracy": train_acc,
                "dev_cost": dev_cost,
                "dev_accuracy": dev_acc,
            }
            finite = math.isfinite(metrics[self.goal.metric])
            status = ("pruned" if trial.should_prune else "ok") if finite else "diverged"
        if paused and status == "ok":
            status = "paused"
        value = metrics[self.goal.metric] if status != "diverged" else None
        weights = inference_state(model) if status == "ok" else None
        if status == "paused":
            weights = model.state_dict()
        return task.result(
            status,
            value=value,
            metrics=metrics,
            epochs=model.epoch,
            seconds=seconds,
            interventions=list(interventions),
            curve=list(model.history),
            model=weights,
        )


def inference_state(model: Model) -> dict:
    """What predicting needs of a model's state: no optimiser moments, no early-stopping copy."""
    return {k: v for k, v in model.state_dict().items() if not k.startswith(("opt.", "best."))}
