"""Panda: one model at a time, babysat.

Each trial trains in this process with every core given to BLAS. After every epoch its curve
row goes to curves.csv, the pruning rule has its say, and requests from another terminal
(`nudge`) are applied and logged. A checkpoint is written when `checkpoint_every` seconds have
passed since the last one, at the end of the trial, on Ctrl-C, before a nudge applies and at a
rollback's target epoch. Training is deterministic, so a checkpoint every epoch is not needed
for exactness: resuming (or rolling back to any epoch E) loads the newest checkpoint at or
before the epoch wanted and trains forward from it, re-applying the logged interventions at
their epochs, which reproduces the lost epochs bit for bit.

Order at each epoch boundary b (after epoch b): curve row, pruning, Ctrl-C, the time policy's
checkpoint, then the interventions of b. A checkpoint of epoch b therefore never includes the
interventions logged at b, and replaying from it applies them.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone

import numpy as np

from ..errors import CannotContinue, UserError, unknown
from ..lifecycle import STOP, Lifecycle
from ..nn.blas import one_thread
from ..nn.hyper import LIVE, PARAMS, check_value
from ..store import CheckpointStore, RunDir, steering
from ..study import failure


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, taken at an epoch boundary after a checkpoint was written."""


def check_changes(changes: dict) -> dict:
    """Hyperparameter changes that may take effect mid-training, checked."""
    out = {}
    for key, value in changes.items():
        if key not in PARAMS:
            raise unknown("hyperparameter", key, LIVE, key="--set")
        if key not in LIVE:
            raise UserError(
                f"{key} cannot change mid-training (it shapes the network or its data flow)",
                key="--set",
                fix="change one of: " + ", ".join(LIVE),
            )
        out[key] = check_value(key, value, key=f"--set {key}")
    return out


class Listener:
    """What a view of a running search hears (these do nothing; views override them)."""

    def trial_done(self, result, best, recorded: int, total: int):
        """A trial ended; `best` is the best record so far; `recorded` of `total` are done."""

    def epoch_done(self, task, model, record: dict):
        """Panda: the trial of `task` finished an epoch; `record` is its curve row."""

    def note(self, text: str):
        """Something a person watching should know (a pruning, a nudge applied)."""


class PandaRunner:
    """An `evaluate(tasks)` for the search loop that babysits one trial at a time."""

    def __init__(self, objective, run: RunDir, config, events=None):
        self.objective, self.run, self.config = objective, run, config
        self.events = events or Listener()
        self.every = config.search["checkpoint_every"]
        self.keep = config.search["keep_checkpoints"]
        self.stop_requested = False  # set by the first Ctrl-C: stop at the next epoch boundary

    def __call__(self, tasks):
        for task in tasks:
            with one_thread(self.config.search["threads"] or 1):  # as caviar's (nn.blas)
                result = self.run_task(task)
            yield result

    def close(self, kill: bool = False):
        pass

    def run_task(self, task):
        """Train `task` from where `_restore` puts it, with `_hooks`, checkpointed at its end;
        its record (`_record`), or a failure's."""
        self._begin(task)
        start = time.perf_counter()
        try:
            self.life = life = Lifecycle(self.objective, task)
            self.trial = life.trial
            life.before = self._restore(life.model, task)
            self.saved_at, self.last_save = life.model.epoch, time.monotonic()
            life.run(*self._hooks(task))
            if self.saved_at != life.model.epoch:
                self._at_end(life.model)
        except (Interrupted, CannotContinue):  # a full disk is not the trial's failure
            raise
        except Exception as e:  # noqa: BLE001  a trial's failure is recorded, never fatal
            return failure(task, e, time.perf_counter() - start)
        return self._record(life, task)

    def _begin(self, task):
        """The trial's checkpoints, the interventions logged, a rollback waiting for it."""
        self.store = CheckpointStore(self.run.checkpoints / f"trial-{task.trial}", self.keep)
        self.log = steering.read_interventions(self.run)
        self.applied = {e["request"] for e in self.log if e["request"]}
        rollback = steering.pending_rollback(self.run)
        self.rollback = rollback if rollback and rollback["trial"] == task.trial else None
        if self.rollback and self.rollback.get("id") in self.applied:  # applied before a kill
            steering.clear_rollback(self.run)
            self.rollback = None

    def _hooks(self, task) -> tuple:
        return (self._hook,)

    def _at_end(self, model):
        """The trial ended (or paused) after its last checkpoint: one more."""
        self._save(model)

    def _record(self, life, task):
        live = [
            e
            for e in steering.read_interventions(self.run)
            if e["trial"] == task.trial and not e["abandoned"]
        ]
        return life.record(live)

    def _hook(self, life, record) -> str | None:
        """The trial's lifecycle hook: before the first epoch, a trial resumed after it was
        pruned stays so; after each, `_after_epoch`."""
        if record is None:
            if self.trial.should_prune:
                return STOP
            self._boundary(life.model, life.task)
            return None
        return STOP if self._after_epoch(life.model, life.task, record) else None

    # -- where a trial starts ----------------------------------------------------------------
    def _restore(self, model, task) -> float:
        """Load the newest checkpoint at or before where the trial is to continue; returns the
        training seconds the trial had already had."""
        target = self.rollback["epoch"] if self.rollback else None
        found = self.store.latest(at_most=target, check=type(model)().load_state_dict)
        seconds = 0.0
        if found is not None:
            model.load_state_dict(found[1])
            seconds = float(found[1].get("trial.seconds", 0.0))
        self.quiet_until = target or 0  # the epochs a rollback replays are not judged again
        if self.rollback:
            self.run.mark_abandoned(task.trial, target)
            self.store.delete_after(target)
            if (
                self.rollback.get("seconds") is not None
            ):  # the time the trial had when it was finished
                seconds = float(self.rollback["seconds"])
        else:  # a trial resumed after it was pruned is still pruned
            for record in model.history:
                if self.objective.report(self.trial, record):
                    break
        self.run.drop_epochs_after(task.trial, model.epoch)  # they run again, identically
        self.replay = [
            e
            for e in self.log
            if e["trial"] == task.trial
            and not e["abandoned"]
            and e["epoch"] >= model.epoch
            and (target is None or e["epoch"] < target)
        ]
        return seconds

    # -- every epoch -------------------------------------------------------------------------
    def _after_epoch(self, model, task, record) -> bool:
        self.run.append_curve(task.trial, [record], sync=False)
        self.events.epoch_done(task, model, record)
        if record["epoch"] > self.quiet_until and self.objective.report(self.trial, record):
            self.events.note(
                f"trial {task.trial} pruned after epoch {record['epoch']}: {self.trial.reason}"
            )
            return True
        self._checkpoint(model)
        self._boundary(model, task)
        return False

    def _checkpoint(self, model):
        """After an epoch: Ctrl-C stops here, after a checkpoint; else the time policy's."""
        if self.stop_requested:
            self._save(model)
            raise Interrupted
        if self.every == 0 or time.monotonic() - self.last_save >= self.every:
            self._save(model)

    def _boundary(self, model, task):
        """Apply what belongs at this epoch: logged interventions being replayed, a rollback
        reaching its target, nudges waiting for this trial."""
        epoch = model.epoch
        while self.replay and self.replay[0]["epoch"] == epoch:
            model.hp.update(self.replay.pop(0)["values"])
        if self.rollback and self.rollback["epoch"] == epoch:
            if self.saved_at != epoch:
                self._save(model)
            changes = check_changes(self.rollback.get("set", {}))
            self._apply(
                model,
                task,
                "rollback",
                changes,
                self.rollback.get("id", ""),
                f"rollback to epoch {epoch}",
            )
            model.status, model.stopped_early = "ok", False
            steering.clear_rollback(self.run)
            self.rollback = None
        for request, body in steering.pending_nudges(self.run):
            target = body.get("trial")
            if request in self.applied or not isinstance(target, int) or target < task.trial:
                if request not in self.applied:
                    self.events.note(
                        f"a nudge for trial {target} came after it ended: not applied"
                    )
                steering.done_with(self.run, request)
                continue
            if target != task.trial:
                continue  # for a later trial: it waits
            if "lr_factor" in body:
                changes = {"learning_rate": model.hp["learning_rate"] * body["lr_factor"]}
            else:
                changes = check_changes(body.get("set", {}))
            if self.saved_at != epoch:
                self._save(model)
            self._apply(model, task, "nudge", changes, request)
            steering.done_with(self.run, request)

    def _apply(self, model, task, kind, changes, request, prefix=""):
        words = "; ".join(f"{k} {_fmt(model.hp[k])} -> {_fmt(v)}" for k, v in changes.items())
        change = "; ".join(part for part in (prefix, words) if part)
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        steering.log_intervention(
            self.run,
            {
                "time": stamp,
                "trial": task.trial,
                "epoch": model.epoch,
                "kind": kind,
                "change": change,
                "values": changes,
                "request": request,
            },
        )
        self.applied.add(request)
        model.hp.update(changes)
        self.events.note(f"trial {task.trial}, after epoch {model.epoch}: {change}")

    def _seconds(self) -> float:
        return self.life.seconds

    def _state(self, model) -> dict:
        """What a checkpoint holds: the model's state and the trial's training seconds."""
        state = model.state_dict()
        state["trial.seconds"] = np.array(self._seconds())
        return state

    def _save(self, model):
        self.store.save(self._state(model), model.epoch)
        self.saved_at, self.last_save = model.epoch, time.monotonic()


def _fmt(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) and math.isfinite(value) else str(value)
