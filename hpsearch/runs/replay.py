"""`hpsearch replay`: a trial's whole schedule trained again as one model, from scratch.

The schedule is the trial's lineage (a PBT trial: the trials whose state it copied, each over
its epochs, with every exploit and explore; any trial: its nudges and rollbacks), trained as
one model from the first trial's seed with the interventions applied at their epochs
(`MLPObjective.replay`). Training is deterministic, so the model ends with the metrics the
trial recorded, bit for bit; `replay` says whether it did.
"""

from __future__ import annotations

from ..errors import UserError
from ..nn.blas import one_thread
from ..objective import MLPObjective
from ..store import RunDir, source, steering
from ..study import Task
from .pbt import schedule

METRICS = ("train_cost", "train_accuracy", "dev_cost", "dev_accuracy")


def replay(path, trial: int, prepare) -> dict:
    """{"trial", "lineage": schedule parts, "metrics": name -> (recorded, replayed)} for
    trial `trial` of the run at `path`; `prepare(config)` loads the run's data."""
    run = RunDir.open(path)
    config = source.named(run, run.read_config())  # errors name the file it came from
    if not config.builtin:
        raise UserError(
            f"run '{run.path}' trains {config.objective or config.estimator}",
            key="objective" if config.objective else "estimator",
            fix="replay trains the built-in network's trials",
        )
    rows = {int(r["trial"]): r for r in run.read_rows()}
    if trial not in rows:
        raise UserError(
            f"run '{run.path}' has no trial {trial} in trials.csv",
            key="--trial",
            fix=f"give one of its trials: 0 to {max(rows)}" if rows else "let the run finish",
        )
    row = rows[trial]
    if row["status"] != "ok":
        raise UserError(
            f"trial {trial} ended {row['status']}: only a trial trained to its end has metrics "
            "to reproduce",
            key="--trial",
            fix="give a trial whose status is ok (hpsearch results shows them)",
        )
    log = [e for e in steering.read_interventions(run) if not e["abandoned"]]
    epochs = int(row["epochs"])
    if config.pbt:
        parts = schedule(run, config, trial, epochs)
        applied = [
            e
            for p in parts
            for e in log
            if e["trial"] == p["trial"] and p["first"] - 1 <= e["epoch"] < p["last"]
        ]
    else:
        parts = [{"trial": trial, "first": 1, "last": epochs, "values": {}}]
        applied = [e for e in log if e["trial"] == trial]
    first = rows[parts[0]["trial"]]
    params = {n: config.space[n].parse(first[n]) for n in config.space if first[n]}
    data, _ = prepare(config, connect=False, warn=False)
    threads = config.search.get("threads") or 1
    objective = MLPObjective(data, config.params, config.goal, threads)
    task = Task(parts[0]["trial"], int(first["round"]), params, int(first["seed"]))
    model = objective.replay(task, applied)
    with one_thread(threads):  # as the trial was evaluated
        (train_cost, train_acc) = model.evaluate(data.X_train, data.y_train)
        (dev_cost, dev_acc) = model.evaluate(data.X_dev, data.y_dev)
    replayed = dict(zip(METRICS, (train_cost, train_acc, dev_cost, dev_acc)))
    metrics = {m: (float(row[m]), float(replayed[m])) for m in METRICS}
    return {"trial": trial, "epochs": model.epoch, "lineage": parts, "metrics": metrics}
