"""Panda mode: one model at a time, babysat.

Each trial trains in this process with every core given to BLAS. After every epoch its curve
row is appended to curves.csv and a checkpoint is queued (see `checkpoints`); a resumed run
continues the unfinished trial from its last complete checkpoint, bit-exactly.

People steer a running (or stopped) search from another terminal:
- `request_nudge` leaves a request in runs/NAME/nudges/; the running process applies it at the
  next epoch boundary (a stopped one, at resume) and logs it in interventions.csv;
- `request_rollback` leaves runs/NAME/rollback.json; at the next resume the trial restarts from
  that epoch's checkpoint with the new values, its later epochs kept in curves.csv, marked
  abandoned.
"""

from __future__ import annotations

import json
import math
import time
from datetime import datetime, timezone

from .checkpoints import CheckpointStore, CheckpointWriter
from .errors import UserError
from .params import PARAMS, as_number, check_value
from .rundir import RunDir, atomic_write
from .search import Task
from .trial import model_metrics, trial_seed

NUDGEABLE = tuple(name for name, p in PARAMS.items() if p.live)


# -- requests from another terminal ------------------------------------------------------------
def open_panda_run(path):
    """The run at `path` and its config, refusing runs that cannot be babysat."""
    from .run import load_run_config

    run = RunDir.open(path)
    config = load_run_config(run)
    if config.search["mode"] != "panda":
        raise UserError(f"run '{run.path}' is a {config.search['mode']} run", key="search.mode",
                        fix="nudge and rollback work on panda runs (search.mode: panda)")
    if config.objective:
        raise UserError(f"run '{run.path}' trains a custom objective", key="objective",
                        fix="nudge and rollback need the built-in network, which trains epoch by epoch")
    return run, config


def check_changes(changes: dict) -> dict:
    """Hyperparameter changes that may take effect mid-training, checked."""
    out = {}
    for key, value in changes.items():
        if key not in PARAMS:
            from .errors import unknown

            raise unknown("hyperparameter", key, NUDGEABLE, key="--set")
        if key not in NUDGEABLE:
            raise UserError(f"{key} cannot change mid-training (it shapes the network or its data flow)",
                            key="--set", fix="change one of: " + ", ".join(NUDGEABLE))
        out[key] = check_value(key, value, key=f"--set {key}")
    return out


def request_nudge(path, lr_factor=None, changes: dict | None = None) -> str:
    """Leave a nudge for the panda run at `path`; returns what will happen, in words."""
    run, _ = open_panda_run(path)
    if (lr_factor is None) == (not changes):
        raise UserError("give either --lr-factor or --set", fix="e.g. --lr-factor 0.5, or --set keep_prob=0.8")
    if lr_factor is not None:
        factor = as_number(lr_factor, "--lr-factor")
        if not (math.isfinite(factor) and factor > 0):
            raise UserError(f"--lr-factor {lr_factor} is not a positive number", key="--lr-factor",
                            fix="use a factor > 0, such as 0.5 to halve the learning rate")
        request = {"lr_factor": float(factor)}
    else:
        request = {"set": check_changes(changes)}
    run.nudges.mkdir(exist_ok=True)
    atomic_write(run.nudges / f"{time.time_ns()}.json", json.dumps(request))
    running = run.lock_file.exists()
    return ("the running search applies it at the next epoch boundary" if running
            else f"it takes effect when the search resumes: hpsearch resume {run.path}")


def request_rollback(path, trial: int, epoch: int, changes: dict | None = None) -> str:
    run, config = open_panda_run(path)
    store = CheckpointStore(run.checkpoints / f"trial-{trial}")
    epochs = store.epochs()
    if not epochs:
        trials = sorted(int(p.name.split("-")[1]) for p in run.checkpoints.glob("trial-*")) if run.checkpoints.exists() else []
        raise UserError(f"trial {trial} has no checkpoints", key="--trial",
                        fix=f"trials with checkpoints: {', '.join(map(str, trials)) or 'none yet'}")
    if epoch not in epochs:
        raise UserError(f"trial {trial} has no checkpoint of epoch {epoch}", key="--epoch",
                        fix=f"epochs kept: {', '.join(map(str, epochs))}")
    request = {"trial": trial, "epoch": epoch, "set": check_changes(changes or {})}
    atomic_write(run.rollback_json, json.dumps(request))
    return (f"trial {trial} restarts from epoch {epoch} at the next resume"
            + (" (stop the running search first, then: " if run.lock_file.exists() else " (")
            + f"hpsearch resume {run.path})")


def prepare_rollback(run: RunDir) -> dict | None:
    """At resume: reopen the rolled-back trial (its row leaves trials.csv, its later epochs are
    marked abandoned in curves.csv). The runner then restarts it from the checkpoint."""
    if not run.rollback_json.exists():
        return None
    request = json.loads(run.rollback_json.read_text())
    trial, epoch = request["trial"], request["epoch"]
    if run.trials_csv.exists():
        run.drop_trial(trial)
    run.rewrite_curves(lambda r: True, mark=lambda r: int(r[0]) == trial and int(r[1]) > epoch and r[-1] == "0")
    return request


# -- the runner ------------------------------------------------------------------------------
class PandaRunner:
    """An `evaluate(tasks)` for the search loop that babysits one trial at a time."""

    def __init__(self, config, run: RunDir, data, rollback: dict | None = None, on_epoch=None):
        self.config, self.run, self.data = config, run, data
        self.rollback, self.on_epoch = rollback, on_epoch
        self.writer = None  # started with the first trial, shared by all
        metric = config.search["metric"]
        self.epoch_metric = metric if metric in ("dev_accuracy", "dev_cost", "train_cost") else "dev_accuracy"
        self.maximize = self.epoch_metric == "dev_accuracy"

    def __call__(self, tasks):
        for task in tasks:
            yield self.run_task(task)

    def run_task(self, task: Task) -> dict:
        from .nn.model import MLP, state_from_parts

        start = time.perf_counter()
        seed = trial_seed(self.config.seed, task.trial)
        self.writer = self.writer or CheckpointWriter()
        store = CheckpointStore(self.run.checkpoints / f"trial-{task.trial}", self.config.search["keep_checkpoints"],
                                self.writer)
        try:
            model = MLP({**self.config.params, **task.params}, seed=seed)
            model.build(self.data.n_features, self.data.n_classes)
            self._restore(model, store, task.trial)
            self._apply_nudges(model, task.trial)

            def after_epoch(m, record):
                self.run.append_curve(task.trial, [record])
                block, recipe = m.checkpoint_parts(trial=task.trial)
                store.save_parts(block, state_from_parts, recipe, m.epoch, self._best_epoch(m))
                if self.on_epoch is not None:
                    self.on_epoch(task, m, record)
                self._apply_nudges(m, task.trial)
                return False

            model.fit(self.data.X_train, self.data.y_train, self.data.X_dev, self.data.y_dev, callback=after_epoch)
            store.flush()
            metrics = model_metrics(model, self.data)
            value = metrics.get(self.config.search["metric"])
            status = "ok" if model.status == "ok" and value is not None and math.isfinite(value) else "diverged"
            error, state = "", (model.state_dict() if status == "ok" else None)
        except Exception as e:  # a trial's failure is recorded, never fatal to the search
            metrics, value, status, error, state = {}, None, "failed", f"{type(e).__name__}: {e}", None
        return {"trial": task.trial, "round": task.round, "status": status, "params": dict(task.params),
                "value": value if status == "ok" else None, "metrics": metrics, "error": error, "curve": None,
                "model": state, "seed": seed, "seconds": time.perf_counter() - start}

    def close(self):
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def _restore(self, model, store: CheckpointStore, trial: int):
        """Continue from a rollback's checkpoint, or from the newest one after an interruption;
        curve rows of epochs that will run again are dropped (they come back identical)."""
        rollback = self.rollback if self.rollback and self.rollback["trial"] == trial else None
        state = store.load(rollback["epoch"]) if rollback else store.latest()
        if state is not None:
            model.load_state_dict(state)
        done = model.epoch
        self.run.rewrite_curves(lambda r: not (int(r[0]) == trial and int(r[1]) > done and r[-1] == "0"))
        if rollback:
            store.delete_after(done)
            changes = check_changes(rollback["set"])
            self._log(trial, done, f"rollback to epoch {done}" + "".join(
                f"; {k} {model.hp[k]} -> {v}" for k, v in changes.items()))
            model.hp.update(changes)
            model.stopped_early, model.status = False, "ok"
            self.run.rollback_json.unlink(missing_ok=True)
            self.rollback = None

    def _apply_nudges(self, model, trial: int):
        if not self.run.nudges.is_dir():
            return
        for path in sorted(self.run.nudges.glob("*.json"), key=lambda p: int(p.stem)):
            request = json.loads(path.read_text())
            if "lr_factor" in request:
                changes = {"learning_rate": model.hp["learning_rate"] * request["lr_factor"]}
            else:
                changes = check_changes(request["set"])
            self._log(trial, model.epoch, "; ".join(f"{k} {model.hp[k]} -> {v}" for k, v in changes.items()))
            model.hp.update(changes)
            path.unlink()

    def _log(self, trial: int, epoch: int, change: str):
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.run.log_intervention(stamp, trial, epoch, change)

    def _best_epoch(self, model) -> int | None:
        values = [(r[self.epoch_metric], r["epoch"]) for r in model.history if math.isfinite(r[self.epoch_metric])]
        if not values:
            return None
        return (max if self.maximize else min)(values, key=lambda v: (v[0], -v[1]) if self.maximize else (v[0], v[1]))[1]
