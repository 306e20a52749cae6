"""Steering a panda run from outside: requests left in the run directory, and the log of what
was applied.

`nudge` and `rollback` (from another terminal, or the dashboard) leave requests; the running
search, or the next resume, takes them and logs each change it applies in interventions.csv:
time, trial, epoch (the change applies after this many epochs), kind (nudge or rollback), the
change in words, the new values (JSON) and the request it came from (so a request is never
applied twice, even when a kill falls between applying and deleting it).
"""

from __future__ import annotations

import json
import time

from .files import append, atomic_write, csv_line, read_json, read_table, write_json, write_table

COLUMNS = ("time", "trial", "epoch", "kind", "change", "values", "request", "source")


def log_intervention(run, entry: dict):
    if not run.interventions_csv.exists():
        atomic_write(run.interventions_csv, csv_line(COLUMNS))
    header = read_table(run.interventions_csv)[0] or list(COLUMNS)  # an older log's columns
    append(run.interventions_csv, csv_line([entry.get(c) for c in header]))


def drop_interventions_after(run, epoch: int):
    """Forget what was logged after `epoch` (a PBT search resumed from there logs it again)."""
    header, rows = read_table(run.interventions_csv)
    if header:
        at = header.index("epoch")
        write_table(run.interventions_csv, header, [r for r in rows if int(r[at]) <= epoch])


def read_interventions(run) -> list[dict]:
    """The log, each entry with `abandoned` set when a later rollback of its trial went back to
    or before its epoch (it belonged to a branch of training that was dropped)."""
    header, rows = read_table(run.interventions_csv)
    entries = [dict(zip(header, r)) for r in rows]
    for e in entries:
        e.update(
            trial=int(e["trial"]),
            epoch=int(e["epoch"]),
            values=json.loads(e["values"] or "{}"),
            source=int(e["source"]) if e.get("source") else None,
            abandoned=False,
        )
    for i, e in enumerate(entries):
        if e["kind"] == "rollback":
            for earlier in entries[:i]:
                if earlier["trial"] == e["trial"] and earlier["epoch"] >= e["epoch"]:
                    earlier["abandoned"] = True
    return entries


def write_request(run, trial: int, body: dict) -> str:
    """Leave a nudge for `trial` ({"lr_factor": f} or {"set": {name: value}}); returns its id."""
    run.requests.mkdir(exist_ok=True)
    request = f"{time.time_ns()}"
    write_json(run.requests / f"{request}.json", {"trial": trial, **body})
    return request


def pending_nudges(run) -> list[tuple[str, dict]]:
    """(request id, request) of every nudge waiting, oldest first."""
    if not run.requests.is_dir():
        return []
    paths = sorted(
        run.requests.glob("*.json"), key=lambda p: int(p.stem) if p.stem.isdigit() else 0
    )
    out = []
    for path in paths:
        try:
            out.append((path.stem, json.loads(path.read_text())))
        except (OSError, ValueError):  # being written: its turn comes at the next epoch
            continue
    return out


def done_with(run, request: str):
    (run.requests / f"{request}.json").unlink(missing_ok=True)


def set_rollback(run, request: dict):
    write_json(run.rollback_json, request)


def pending_rollback(run) -> dict | None:
    return read_json(run.rollback_json)


def clear_rollback(run):
    run.rollback_json.unlink(missing_ok=True)
