"""Steering a panda run from another terminal (or the dashboard): `nudge` and `rollback`.

Both check everything first and write nothing when refused: the run must be a panda run of the
built-in network; a nudge goes to the trial that is training (or, when the search is stopped,
the one that will train first at resume) and is refused for a finished run; a rollback takes any
epoch the trial reached, 0 included. A pbt run's trials (either mode) take nudges at the end of
the generation running, a panda one's the trial training now by default; a rollback is refused
there: trials that copied the trial since would have trained on a state that no longer is.
"""

from __future__ import annotations

import math
import time

from ..errors import UserError, as_number
from ..store import RunDir, steering
from .panda import check_changes
from .population import member_training, nudge_epoch


def open_panda_run(path, pbt: bool = False):
    """The run at `path` and its config, refusing runs that cannot be babysat (`pbt`: a pbt
    run's trials may be nudged too)."""
    run = RunDir.open(path)
    config = run.read_config()
    if config.search["mode"] != "panda" and not (pbt and config.pbt):
        raise UserError(
            f"run '{run.path}' is a {config.search['mode']} run",
            key="search.mode",
            fix="nudge and rollback work on panda runs (search.mode: panda)",
        )
    if not config.builtin:
        raise UserError(
            f"run '{run.path}' trains a custom objective",
            key="objective",
            fix="nudge and rollback need the built-in network, which trains epoch by epoch",
        )
    return run, config


def status(run: RunDir, config) -> str:
    """running (a live process holds the run), finished, or interrupted."""
    if run.holder() is not None:
        return "running"
    done = {int(r["trial"]) for r in run.read_rows()}
    if len(done) >= config.plan.total and steering.pending_rollback(run) is None:
        return "finished"
    return "interrupted"


def next_trial(run: RunDir, config) -> int | None:
    """The trial training now, or first at resume: a pending rollback's, else the lowest
    trial without a row (panda runs them in order); None when every trial is done."""
    rollback = steering.pending_rollback(run)
    if rollback is not None:
        return int(rollback["trial"])
    done = {int(r["trial"]) for r in run.read_rows()}
    return next((t for t in range(config.plan.total) if t not in done), None)


def request_nudge(path, lr_factor=None, changes: dict | None = None, trial=None) -> str:
    """Leave a nudge for the panda run at `path` (or trial `trial` of a pbt run); returns
    what will happen, in words."""
    run, config = open_panda_run(path, pbt=True)
    if config.pbt or trial is not None:
        return _pbt_nudge(run, config, lr_factor, changes, trial)
    body = _body(lr_factor, changes)
    state = status(run, config)
    trial = next_trial(run, config)
    if state == "finished" or trial is None:
        raise UserError(
            f"run '{run.path}' is finished: no trial is left to nudge",
            fix=(
                f"train a trial on with new values: hpsearch rollback {run.path} "
                "--trial T --epoch E --set KEY=VALUE"
            ),
        )
    steering.write_request(run, trial, body)
    if state == "running":
        pid = run.holder()
        return (
            f"trial {trial} applies it after its current epoch (the search runs as process {pid})"
        )
    resume = f"hpsearch resume {run.path}"
    return f"the search is stopped; trial {trial} applies it when it resumes: {resume}"


def _pbt_nudge(run, config, lr_factor, changes, trial) -> str:
    """A nudge for trial `trial` of a pbt run (in panda mode, by default the trial training
    now): applied at the end of the generation running, where PBT changes trials' values."""
    if not config.pbt:
        raise UserError(
            f"run '{run.path}' trains one trial at a time: --trial applies to pbt runs",
            key="--trial",
            fix="leave --trial out: the nudge goes to the trial being trained",
        )
    chosen = trial is None and config.search["mode"] == "panda"
    if chosen:  # the trial training now, as a panda nudge without --trial
        trial, which = member_training(run, config) or (None, "")
    if trial is None or not 0 <= trial < config.search["population"]:
        raise UserError(
            f"a pbt run has trials 0 to {config.search['population'] - 1}"
            + (f", not {trial}" if trial is not None else ", and the nudge names none"),
            key="--trial",
            fix="name the trial to nudge: --trial T",
        )
    body = _body(lr_factor, changes)
    state = status(run, config)
    if state == "finished":
        raise UserError(
            f"run '{run.path}' is finished: no trial is left to nudge",
            fix="start a new run, or replay a trial's schedule: hpsearch replay",
        )
    end = nudge_epoch(run, config)
    if end is None:
        raise UserError(
            f"run '{run.path}' trains its last generation, to epoch "
            f"{config.population().epochs}: a nudge applies at a generation's end, and none is "
            "left",
            fix="replay a trial's schedule (hpsearch replay), or start a new run",
        )
    steering.write_request(run, trial, body)
    said = f"trial {trial}"
    if chosen:
        said += {
            "now": " (training now)" if state == "running" else " (training when it stopped)",
            "next": " (the next to train)",
            "last": " (the last to train in this generation)",
        }[which]
    return f"{said} takes it at the end of the generation running, after epoch {end}"


def _body(lr_factor, changes) -> dict:
    """A nudge's request: {"lr_factor": f} or {"set": {name: value}}, checked."""
    if (lr_factor is None) == (not changes):
        raise UserError(
            "give either --lr-factor or --set", fix="e.g. --lr-factor 0.5, or --set keep_prob=0.8"
        )
    if lr_factor is not None:
        factor = as_number(lr_factor, "--lr-factor")
        if not (math.isfinite(factor) and factor > 0):
            raise UserError(
                f"--lr-factor {lr_factor} is not a positive number",
                key="--lr-factor",
                fix="use a factor > 0, such as 0.5 to halve the learning rate",
            )
        return {"lr_factor": float(factor)}
    return {"set": check_changes(changes)}


def reached(run: RunDir, trial: int) -> int | None:
    """The last epoch trial `trial` trained (live epochs of curves.csv), None if it never ran."""
    epochs = [
        int(r["epoch"])
        for r in run.read_curves()
        if int(r["trial"]) == trial and r["abandoned"] == "0"
    ]
    return max(epochs) if epochs else None


def request_rollback(path, trial: int, epoch: int, changes: dict | None = None) -> str:
    """Ask for trial `trial` to go back to the end of epoch `epoch` (0: its start) and train on
    from there with `changes`, at the next resume."""
    run, config = open_panda_run(path)
    if config.pbt:
        raise UserError(
            f"run '{run.path}' is a pbt run: its trials copy each other's state, so rolling "
            "one back would undo what others copied from it",
            key="search.method",
            fix=f"nudge a trial from the next generation on (hpsearch nudge {run.path} --trial "
            f"{trial} --set KEY=VALUE), or replay its schedule (hpsearch replay {run.path} "
            f"--trial {trial})",
        )
    last = reached(run, trial)
    if last is None:
        trials = sorted({int(r["trial"]) for r in run.read_curves()})
        raise UserError(
            f"trial {trial} has not trained yet",
            key="--trial",
            fix=f"trials that have: {', '.join(map(str, trials)) or 'none yet'}",
        )
    if not 0 <= epoch <= last:
        raise UserError(
            f"trial {trial} trained epochs 1 to {last}, not {epoch}",
            key="--epoch",
            fix=f"give an epoch from 0 (its start) to {last}",
        )
    pending = steering.pending_rollback(run)
    if pending is not None and pending["trial"] != trial:
        raise UserError(
            f"a rollback of trial {pending['trial']} is waiting for the next resume",
            key="--trial",
            fix=f"resume first (hpsearch resume {run.path}), then roll back trial {trial}",
        )
    changes = check_changes(changes or {})
    rows = {int(r["trial"]): r for r in run.read_rows()}
    seconds = float(rows[trial]["seconds"] or 0) if trial in rows else None
    steering.set_rollback(
        run,
        {
            "trial": trial,
            "epoch": epoch,
            "set": changes,
            "id": f"rollback-{time.time_ns()}",
            "seconds": seconds,
        },
    )
    when = "stop the running search first (Ctrl-C), then: " if run.holder() is not None else ""
    resume = f"hpsearch resume {run.path}"
    return f"trial {trial} goes back to epoch {epoch} at the next resume ({when}{resume})"
