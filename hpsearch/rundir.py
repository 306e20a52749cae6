"""The run directory `runs/NAME/`: what a search writes, and how it is read back.

Nothing a user has is ever lost: rows are appended to the CSV tables and flushed (and fsynced)
as each trial finishes; whole files (rounds, best, config) are written to a temporary file,
fsynced and renamed, so a reader never sees half a file. A lock file keeps two processes from
writing the same run; the lock of a process that died is taken over.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import socket
import tempfile
from pathlib import Path

import numpy as np

from .errors import UserError

BUILTIN_METRICS = ("train_cost", "train_accuracy", "dev_cost", "dev_accuracy")
CURVE_COLUMNS = ("trial", "epoch", "learning_rate", "train_cost", "dev_cost", "dev_accuracy", "abandoned")
INTERVENTION_COLUMNS = ("time", "trial", "epoch", "change")


def atomic_write(path: Path, data):
    """Write `data` (bytes, str, or a function that writes to a binary file) to `path` so that
    readers see the old file or the new one, never a mix."""
    path = Path(path)
    mode = "w" if isinstance(data, str) else "wb"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as f:
            data(f) if callable(data) else f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def trial_columns(space_names, metric: str, builtin: bool) -> list[str]:
    """trials.csv columns, in the contract's order."""
    metrics = list(BUILTIN_METRICS) + ["epochs"] if builtin else [metric, "metrics"]
    return ["trial", "round", "status", *space_names, *metrics, "seconds", "seed", "error"]


class RunDir:
    """One run directory. Use `create` for a new run, `open` for an existing one."""

    def __init__(self, path):
        self.path = Path(path)
        self.trials_csv = self.path / "trials.csv"
        self.curves_csv = self.path / "curves.csv"
        self.rounds_json = self.path / "rounds.json"
        self.best_json = self.path / "best.json"
        self.best_npz = self.path / "best.npz"
        self.config_yaml = self.path / "config.yaml"
        self.interventions_csv = self.path / "interventions.csv"
        self.checkpoints = self.path / "checkpoints"
        self.nudges = self.path / "nudges"
        self.rollback_json = self.path / "rollback.json"
        self.lock_file = self.path / ".lock"
        self._locked = False

    # -- lifecycle ---------------------------------------------------------------------------
    @classmethod
    def create(cls, path, force: bool = False) -> "RunDir":
        """A new, empty, locked run directory; refuses an existing one unless `force`."""
        run = cls(path)
        if run.path.exists() and any(run.path.iterdir()):
            if not force:
                raise UserError(f"run directory '{run.path}' already exists", fix=(
                    f"resume it with `hpsearch resume {run.path}`, pick another --name, or pass --force to replace it"))
            run.lock()  # never replace a directory another process is writing
            shutil.rmtree(run.path)
        run.path.mkdir(parents=True, exist_ok=True)
        run.lock()
        return run

    @classmethod
    def open(cls, path) -> "RunDir":
        run = cls(path)
        if not run.config_yaml.is_file():
            raise UserError(f"'{run.path}' is not a run directory (it has no config.yaml)",
                            fix="give the folder that `hpsearch run` wrote, such as runs/NAME")
        return run

    def lock(self):
        """Take the run's lock, or refuse when a live process holds it."""
        self.path.mkdir(parents=True, exist_ok=True)
        me = {"pid": os.getpid(), "host": socket.gethostname()}
        for _ in range(2):
            try:
                fd = os.open(self.lock_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                try:
                    holder = json.loads(self.lock_file.read_text() or "{}")
                except (OSError, ValueError):
                    holder = {}
                pid = holder.get("pid")
                if pid and pid != os.getpid() and holder.get("host") == me["host"] and pid_alive(int(pid)):
                    raise UserError(f"run '{self.path}' is in use by process {pid}", fix=(
                        "wait for it to finish, or stop it (Ctrl-C) before starting another")) from None
                self.lock_file.unlink(missing_ok=True)  # the holder died: take the lock over
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(me, f)
            self._locked = True
            return
        raise UserError(f"could not lock '{self.path}'", fix="try again")

    def unlock(self):
        if self._locked:
            self.lock_file.unlink(missing_ok=True)
            self._locked = False

    # -- writing -----------------------------------------------------------------------------
    def write_config(self, config_dict: dict):
        import yaml

        atomic_write(self.config_yaml, yaml.safe_dump(config_dict, sort_keys=False))

    def start_tables(self, columns: list[str]):
        """Create trials.csv and curves.csv with their headers unless they exist."""
        self.columns = list(columns)
        for path, header in ((self.trials_csv, self.columns), (self.curves_csv, CURVE_COLUMNS)):
            if not path.exists():
                atomic_write(path, _csv_line(header))

    def append_result(self, row: dict, curve: list[dict] | None):
        """Append one finished trial: its epochs to curves.csv, then its row to trials.csv,
        each flushed and fsynced before the next, so a row never exists without its curve."""
        if curve:
            self.append_curve(row["trial"], curve)
        _append(self.trials_csv, _csv_line([row.get(c) for c in self.columns]))

    def append_curve(self, trial: int, records: list[dict]):
        """Append epochs of a trial to curves.csv (panda mode writes each as it ends)."""
        _append(self.curves_csv, "".join(
            _csv_line([trial, *(r.get(c) for c in CURVE_COLUMNS[1:-1]), 0]) for r in records))

    def log_intervention(self, time: str, trial: int, epoch: int, change: str):
        if not self.interventions_csv.exists():
            atomic_write(self.interventions_csv, _csv_line(INTERVENTION_COLUMNS))
        _append(self.interventions_csv, _csv_line([time, trial, epoch, change]))

    def write_rounds(self, regions: list[dict]):
        atomic_write(self.rounds_json, json.dumps(regions, indent=2, default=_jsonable))

    def write_best(self, best: dict, state: dict | None = None):
        if state is not None:
            buffer = io.BytesIO()
            np.savez(buffer, **state)
            atomic_write(self.best_npz, buffer.getvalue())
        atomic_write(self.best_json, json.dumps(best, indent=2, default=_jsonable))

    # -- reading -----------------------------------------------------------------------------
    def read_rows(self) -> list[dict]:
        """trials.csv as dicts of strings. A half-written last line (the process was killed
        while appending) is cut off the file first, so it is never read nor duplicated."""
        if not self.trials_csv.exists():
            return []
        repair_last_line(self.trials_csv)
        with open(self.trials_csv, newline="") as f:
            return list(csv.DictReader(f))

    def keep_curves_of(self, trials: set):
        """Drop curve rows of trials that have no row in trials.csv (they will run again)."""
        self.rewrite_curves(lambda r: int(r[0]) in trials)

    def rewrite_curves(self, keep, mark=None):
        """Rewrite curves.csv (atomically) keeping rows where keep(row) and, where mark(row),
        setting the row's `abandoned` mark."""
        if not self.curves_csv.exists():
            return
        repair_last_line(self.curves_csv)
        with open(self.curves_csv, newline="") as f:
            rows = list(csv.reader(f))
        body = [r for r in rows[1:] if r and keep(r)]
        if mark is not None:
            body = [r[:-1] + ["1"] if mark(r) else r for r in body]
        if body != rows[1:]:
            atomic_write(self.curves_csv, "".join(_csv_line(r) for r in [rows[0], *body]))

    def drop_trial(self, trial: int):
        """Take a trial's row out of trials.csv (a rollback reopens the trial)."""
        self.read_rows()  # repairs a half-written last line first
        with open(self.trials_csv, newline="") as f:
            rows = list(csv.reader(f))
        kept = [rows[0]] + [r for r in rows[1:] if r and int(r[0]) != trial]
        atomic_write(self.trials_csv, "".join(_csv_line(r) for r in kept))

    def sort_tables(self):
        """Rewrite both tables ordered by trial (then epoch), once a search is complete, so the
        same config gives the same files whatever the order trials finished in."""
        for path, key in ((self.trials_csv, lambda r: int(r[0])), (self.curves_csv, lambda r: (int(r[0]), int(r[1])))):
            if path.exists():
                with open(path, newline="") as f:
                    rows = list(csv.reader(f))
                body = sorted((r for r in rows[1:] if r), key=key)
                atomic_write(path, "".join(_csv_line(r) for r in [rows[0], *body]))


def _jsonable(x):
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    return str(x)


def _format(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=_jsonable)
    return str(value)


def _csv_line(values) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([_format(v) for v in values])
    return out.getvalue()


def _append(path: Path, text: str):
    with open(path, "a") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def repair_last_line(path: Path):
    """Cut a last line that has no newline: the remains of a write that was interrupted."""
    with open(path, "rb+") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size == 0:
            return
        f.seek(max(0, size - 65536))
        tail = f.read()
        if tail.endswith(b"\n"):
            return
        cut = tail.rfind(b"\n")
        f.truncate(size - len(tail) + cut + 1 if cut >= 0 else 0)
