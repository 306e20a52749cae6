"""A PBT search (`search.method: pbt`) in a run directory, saved generation by generation.

At the end of each generation, in this order: the generation's epochs to curves.csv (each with
the values in force), its exploits and explores to interventions.csv, each trial's state to
continue from (its own, or the one it copied) to `checkpoints/trial-T/epoch-E.npz`, and last
`pbt.json` (the generation's epoch and each trial's values, seed and seconds), replaced
atomically: a search killed at any moment resumes from the generation `pbt.json` names, its
later curve rows and interventions dropped, and trains the rest exactly as it would have.
Trials get their rows in trials.csv at the end, all together. In panda mode the trials train
one at a time (`modes.population`), checkpointed within the generation too.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from functools import partial

from ..modes.panda import check_changes
from ..modes.population import STATE, training
from ..space import whole_space
from ..store import CheckpointStore, RunDir, steering
from ..store.files import read_json, write_json
from ..study import Member, Study, TrialResult, lineage, run_pbt

KEEP = 2  # checkpoints per trial: the generation saved, and the one being saved


def run_population(config, run: RunDir, evaluate, done: list, on_result, note=None) -> Study:
    """Run (or resume) the PBT search `config` describes; `done` are trials.csv's records;
    `note(text)` hears of each nudge applied (someone is waiting for it)."""
    population, goal = config.population(), config.goal
    run.write_rounds([{"round": 1, **whole_space(config.space).record(config.space)}])
    if len(done) == population.size:  # finished
        return Study(config.space, goal, sorted(done, key=lambda r: r.trial))
    resumed = _resumed(config, run)
    saved = {"epoch": resumed[0] if resumed else 0}

    def write_curves(members):  # on disk before pbt.json says their generation is saved
        for m in members:
            run.append_curve(m.trial, [row for row in m.curve if row["epoch"] > saved["epoch"]])

    def on_generation(epoch, members, logged):
        write_curves(members)
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for entry in logged:
            steering.log_intervention(run, {"time": stamp, "request": "", **entry})
        for m in members:
            if m.state is not None:
                state = {**m.state.model, "trial.seconds": m.state.seconds}
                _store(run, m.trial).save(state, epoch)
        write_json(run.path / STATE, {"epoch": epoch, "members": [_entry(m) for m in members]})
        saved["epoch"] = epoch
        shutil.rmtree(training(run), ignore_errors=True)  # panda's, of the generation saved
        for entry in logged:  # applied and saved: a kill before this applies it again
            if entry.get("request"):
                steering.done_with(run, entry["request"])
                if note is not None:
                    note(f"trial {entry['trial']}, after epoch {epoch}: {entry['change']}")

    def finished(record):
        write_curves([record])
        on_result(record)

    study = run_pbt(
        config.space,
        evaluate,
        goal,
        population,
        config.seed,
        resumed=resumed,
        on_generation=on_generation,
        on_result=finished,
        steer=partial(_nudges, run, config),
    )
    shutil.rmtree(training(run), ignore_errors=True)
    for request, body in steering.pending_nudges(run):  # sent as the last generation began
        steering.done_with(run, request)
        if note is not None:
            note(f"a nudge for trial {body.get('trial')} came too late: no generation was left")
    return study


def _nudges(run: RunDir, config, epoch: int, members) -> list[dict]:
    """The nudges waiting (`hpsearch nudge --trial T`), applied to their trials' values from
    this generation's end on; those for a trial no longer training are dropped."""
    by_trial = {m.trial: m for m in members if m.state is not None}
    logged = []
    for request, body in steering.pending_nudges(run):
        member = by_trial.get(body.get("trial"))
        if member is None:
            steering.done_with(run, request)
            continue
        if "lr_factor" in body:
            rate = member.params.get("learning_rate", config.params.get("learning_rate"))
            changes = {"learning_rate": rate * body["lr_factor"]}
        else:
            changes = check_changes(body.get("set", {}))
        was = {**config.params, **member.params}
        words = "; ".join(f"{k} {_fmt(was.get(k))} -> {_fmt(v)}" for k, v in changes.items())
        member.params = {**member.params, **changes}
        logged.append(
            {
                "trial": member.trial,
                "epoch": epoch,
                "kind": "nudge",
                "change": words,
                "values": changes,
                "request": request,
            }
        )
    return logged


def _fmt(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _store(run: RunDir, trial: int) -> CheckpointStore:
    return CheckpointStore(run.checkpoints / f"trial-{trial}", KEEP)


def _entry(m: Member) -> dict:
    alive = m.state is not None
    return {
        "trial": m.trial,
        "params": m.params,
        "seed": m.seed,
        "seconds": m.seconds,
        "state_seconds": m.state.seconds if alive else None,
        "alive": alive,
    }


def _resumed(config, run: RunDir):
    """(epoch, members) as the last saved generation left them, the run's later rows dropped;
    None when no generation was saved."""
    saved = read_json(run.path / STATE)
    epoch = saved["epoch"] if saved else 0
    for row in run.read_rows():  # rows of a last generation cut short: it runs again
        run.drop_trial(int(row["trial"]))
    if saved:
        _drop_after(run, epoch)
    else:
        run.keep_curves_of(set())
    steering.drop_interventions_after(run, epoch)
    if not saved:
        return None
    log = steering.read_interventions(run)
    curves = {}
    for row in run.read_curves():
        curves.setdefault(int(row["trial"]), []).append(_numbers(row))
    members = []
    for entry in saved["members"]:
        trial = entry["trial"]
        state = None
        if entry["alive"]:
            model = _store(run, trial).load(epoch)
            state = TrialResult(
                trial,
                1,
                "paused",
                entry["params"],
                epochs=epoch,
                model=model,
                seconds=entry["state_seconds"],
            )
        members.append(
            Member(
                trial,
                entry["params"],
                entry["seed"],
                state,
                entry["seconds"],
                curves.get(trial, []),
                [e for e in log if e["trial"] == trial],
            )
        )
    return epoch, members


def _drop_after(run: RunDir, epoch: int):
    for trial in {int(r["trial"]) for r in run.read_curves()}:
        run.drop_epochs_after(trial, epoch)


def _numbers(row: dict) -> dict:
    out = {}
    for key, text in row.items():
        if key in ("trial", "abandoned"):
            continue
        try:
            out[key] = int(text) if key == "epoch" else float(text)
        except ValueError:
            out[key] = text
    return out


def kept(run: RunDir, config) -> str:
    """What an interrupted pbt search keeps, in words: its trials get their rows at its end."""
    saved = read_json(run.path / STATE)
    checkpoints = any(training(run).glob("trial-*/epoch-*.npz"))  # panda's, mid-generation
    if saved is None:
        return "checkpoints of the first generation saved" if checkpoints else "nothing saved yet"
    words = f"generations to epoch {saved['epoch']} of {config.population().epochs} saved"
    return words + (", and checkpoints of the next" if checkpoints else "")


def schedule(run: RunDir, config, trial: int, epochs: int) -> list[dict]:
    """The lineage of `trial` (see study.pbt.lineage), each part with the values it trained
    with from its first epoch: [{trial, first, last, values}]."""
    log = [e for e in steering.read_interventions(run) if not e["abandoned"]]
    rows = {int(r["trial"]): r for r in run.read_rows()}
    out = []
    for owner, first, last in lineage(trial, log, epochs):
        values = {n: config.space[n].parse(rows[owner][n]) for n in config.space if rows[owner][n]}
        for e in log:
            if e["trial"] == owner and e["epoch"] < first:
                values.update(e["values"])
        out.append({"trial": owner, "first": first, "last": last, "values": values})
    return out
