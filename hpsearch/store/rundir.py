"""The run directory `runs/NAME/`: what a search writes, and how it is read back.

Nothing a user has is ever lost: rows are appended to the CSV tables and fsynced as each trial
finishes; whole files (rounds, best, config) are replaced atomically (see `files`). A lock
(`lock`) keeps two processes from writing the same run.
Every change to a table is a named operation here (`append_result`, `mark_abandoned`, ...), so
no other module knows the CSV layout.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import numpy as np

from ..config import BUILTIN_METRICS, Config, yamlio
from ..config.pbt import changing
from ..errors import UserError
from ..study import TAIL_COLUMNS, TrialResult, table_columns
from . import runconfig
from .files import (
    append,
    atomic_write,
    csv_line,
    read_json,
    read_table,
    repair_last_line,
    write_json,
    write_table,
)
from .lock import Lock
from .steering import read_interventions

BUILTIN_CURVE = ("learning_rate", "batch_cost", "dev_cost", "dev_accuracy")


def metric_columns(config: Config) -> list[str]:
    """The metric columns trials.csv starts with; a custom objective's other metrics get a
    column each as they first appear (`RunDir.append_result`)."""
    return list(BUILTIN_METRICS) if config.builtin else [config.search["metric"]]


def curve_metrics(config: Config) -> list[str]:
    """curves.csv's columns after trial and epoch (and a pbt search's values in force)."""
    return list(BUILTIN_CURVE) + changing(config) if config.builtin else [config.search["metric"]]


class RunDir:
    """One run directory. `create` makes a new one, `open` an existing one."""

    def __init__(self, path):
        self.path = Path(path)
        for name in (
            "trials.csv",
            "curves.csv",
            "rounds.json",
            "best.json",
            "best.npz",
            "best.joblib",
            "config.yaml",
            "interventions.csv",
        ):
            setattr(self, name.replace(".", "_"), self.path / name)
        self.resolved_json = self.path / ".resolved.json"  # the config as the run started
        self.checkpoints, self.requests = self.path / "checkpoints", self.path / "requests"
        self.errors = self.path / "errors"  # trial-N.txt: a failed trial's traceback
        self.rollback_json, self.lock_file = self.path / "rollback.json", self.path / ".lock"
        self.markers = self.path / ".running"  # which worker process runs which trial
        self._lock = Lock(self.lock_file, f"run '{self.path}'")

    # -- lifecycle ---------------------------------------------------------------------------
    @classmethod
    def create(cls, path, force: bool = False) -> RunDir:
        """A new, empty, locked run directory; refuses an existing one unless `force`."""
        run = cls(path)
        if run.path.exists() and (not run.path.is_dir() or any(run.path.iterdir())):
            if not force or not run.path.is_dir():
                raise UserError(
                    f"run directory '{run.path}' already exists",
                    fix=(
                        f"resume it with `hpsearch resume {run.path}`, pick another --name, "
                        "or pass --force to replace it"
                    ),
                )
            run.lock()  # never replace a directory another process is writing
            shutil.rmtree(run.path)
        run.path.mkdir(parents=True, exist_ok=True)
        run.lock()
        return run

    @classmethod
    def open(cls, path) -> RunDir:
        run = cls(path)
        if not run.config_yaml.is_file():
            raise runconfig.not_a_run(
                run.path,
                f"'{run.path}' is not a run directory (it has no config.yaml)",
                "give the folder that `hpsearch run` wrote, such as runs/NAME",
            )
        return run

    def holder(self) -> int | None:
        """The live process that holds the run, if any (see `lock`)."""
        return self._lock.holder()

    def lock(self):
        """Take the run's lock, or refuse when a live process holds it."""
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock.acquire()

    def unlock(self):
        self._lock.release()

    # -- the config --------------------------------------------------------------------------
    def write_config(self, config: Config):
        raw = runconfig.resolved(config)
        atomic_write(self.config_yaml, yamlio.dump(raw))
        write_json(self.resolved_json, runconfig.plain(raw))

    def read_config(self) -> Config:
        """The resolved config the run was started with (as config.yaml says now)."""
        return runconfig.read(self.config_yaml)

    def config_changes(self) -> list[str]:
        """The keys of config.yaml whose values differ from what the run started with."""
        before = read_json(self.resolved_json)
        if before is None:
            return []
        return runconfig.differences(before, self.read_config().to_dict())

    def set_search(self, **changes):
        """Change search settings of the run (a search extended to a larger budget)."""
        raw = yamlio.load(self.config_yaml.read_text())
        raw["search"] = {**raw["search"], **changes}
        atomic_write(self.config_yaml, yamlio.dump(raw))
        write_json(self.resolved_json, runconfig.plain(raw))

    # -- tables ------------------------------------------------------------------------------
    def start_tables(self, config: Config):
        """Create trials.csv, curves.csv with their headers unless they exist (the caller holds
        the lock)."""
        self.space_names, self.metrics = list(config.space), metric_columns(config)
        header = read_table(self.trials_csv)[0] if self.trials_csv.exists() else []
        if header:  # as the table has them (a run of hpsearch 0.2 has a `metrics` column)
            self.metrics = [c for c in header if c not in table_columns(self.space_names, [])]
        columns = table_columns(self.space_names, self.metrics)
        self.curve_columns = ["trial", "epoch", *curve_metrics(config), "abandoned"]
        for path in (self.trials_csv, self.curves_csv, self.interventions_csv):
            if path.exists():  # a kill mid-append left half a record: cut it before appending
                repair_last_line(path)
        for path, header in ((self.trials_csv, columns), (self.curves_csv, self.curve_columns)):
            if not path.exists() or path.stat().st_size == 0:
                atomic_write(path, csv_line(header))

    def append_result(self, result: TrialResult, with_curve: bool = True):
        """One finished trial: its epochs to curves.csv (unless already there), then its row
        to trials.csv, each on disk before the next, so a row never exists without its curve."""
        if with_curve and result.curve:
            self.append_curve(result.trial, result.curve)
        self.keep_traceback(result)
        self._add_metric_columns(result)
        row = result.to_row(self.space_names, self.metrics)
        append(self.trials_csv, csv_line(row.values()))

    def _add_metric_columns(self, result: TrialResult):
        """A column for each metric of `result` that trials.csv has none for yet (a custom
        objective's own metrics), before `epochs`; the rows before it have an empty cell
        there. The table is rewritten whole (atomically): rare, the first trial usually
        brings every metric."""
        if "metrics" in self.metrics:  # an older table keeps them in its JSON column
            return
        taken = set(table_columns(self.space_names, self.metrics))
        new = [m for m in result.metrics if m not in taken]
        if not new:
            return
        header, rows = read_table(self.trials_csv)
        at = header.index(TAIL_COLUMNS[0])
        write_table(
            self.trials_csv,
            header[:at] + new + header[at:],
            [r[:at] + [""] * len(new) + r[at:] for r in rows],
        )
        self.metrics += new

    def keep_traceback(self, result: TrialResult):
        """A failed trial's traceback to errors/trial-N.txt (one that ran again and did not
        fail has none left there)."""
        path = self.traceback_file(result.trial)
        if result.status == "failed" and result.traceback:
            self.errors.mkdir(exist_ok=True)
            atomic_write(path, result.traceback)
        else:
            path.unlink(missing_ok=True)

    def traceback_file(self, trial: int) -> Path:
        return self.errors / f"trial-{trial}.txt"

    def append_curve(self, trial: int, records: list[dict], sync: bool = True):
        """Epochs of a trial to curves.csv. Panda writes each as it ends, unsynced: epochs past
        the last checkpoint are trained again at resume anyway, and give the same rows."""
        names = self.curve_columns[2:-1]
        lines = "".join(
            csv_line([trial, r["epoch"], *(r.get(c) for c in names), 0]) for r in records
        )
        append(self.curves_csv, lines, sync)

    def read_rows(self) -> list[dict]:
        """trials.csv as dicts of strings (a half-written last line cut off first)."""
        header, rows = read_table(self.trials_csv)
        return [dict(zip(header, r)) for r in rows]

    def read_curves(self) -> list[dict]:
        header, rows = read_table(self.curves_csv)
        return [dict(zip(header, r)) for r in rows]

    def read_results(self, config: Config) -> list[TrialResult]:
        """Every finished trial's record, with its curve (abandoned epochs left out) and its
        interventions."""
        curves, interventions = {}, {}
        for row in self.read_curves():
            if row.get("abandoned") != "1":
                record = {
                    k: float(v) if v else None
                    for k, v in row.items()
                    if k not in ("trial", "abandoned")
                }
                curves.setdefault(int(row["trial"]), []).append(
                    {**record, "epoch": int(row["epoch"])}
                )
        for entry in read_interventions(self):
            interventions.setdefault(entry["trial"], []).append(entry)
        results = []
        for number, row in enumerate(self.read_rows(), start=2):
            try:
                result = TrialResult.from_row(row, config.space, config.search["metric"])
            except (ValueError, KeyError) as e:
                raise UserError(
                    f"line {number}: {e}",
                    file=self.trials_csv,
                    fix="restore the rows hpsearch wrote (or drop the line to run it again)",
                ) from None
            result.curve = curves.get(result.trial, [])
            if result.status == "failed":  # where it raised, as the search said it
                with contextlib.suppress(OSError, UnicodeDecodeError):
                    result.traceback = self.traceback_file(result.trial).read_text()
            result.interventions = [
                i for i in interventions.get(result.trial, []) if not i["abandoned"]
            ]
            results.append(result)
        return results

    def drop_trial(self, trial: int):
        """Take a trial's row out of trials.csv (a rollback reopens the trial)."""
        header, rows = read_table(self.trials_csv)
        write_table(self.trials_csv, header, [r for r in rows if int(r[0]) != trial])

    def _rewrite_curves(self, change):
        header, rows = read_table(self.curves_csv)
        new = [r for r in (change(r) for r in rows) if r is not None]
        if new != rows:
            write_table(self.curves_csv, header, new)

    def mark_abandoned(self, trial: int, after_epoch: int):
        """A rollback to `after_epoch` abandons the trial's later epochs: they stay, marked."""
        mark = lambda r: r[:-1] + ["1"] if int(r[0]) == trial and int(r[1]) > after_epoch else r  # noqa: E731
        self._rewrite_curves(mark)

    def drop_epochs_after(self, trial: int, epoch: int):
        """Forget the trial's live epochs after `epoch`: they will run again, identically."""
        self._rewrite_curves(
            lambda r: None if int(r[0]) == trial and int(r[1]) > epoch and r[-1] == "0" else r
        )

    def keep_curves_of(self, trials: set):
        """Drop curve rows of trials that have no row in trials.csv (they will run again)."""
        self._rewrite_curves(lambda r: r if int(r[0]) in trials else None)

    def sort_tables(self):
        """Both tables ordered by trial (then epoch), once a search is complete, so the same
        config gives the same files whatever the order trials finished in."""
        for path, key in (
            (self.trials_csv, lambda r: int(r[0])),
            (self.curves_csv, lambda r: (int(r[0]), int(r[1]))),
        ):
            header, rows = read_table(path)
            if header:
                write_table(path, header, sorted(rows, key=key))

    def write_rounds(self, regions: list[dict]):
        write_json(self.rounds_json, regions)

    def write_best(self, summary: dict, weights: dict | None = None):
        if weights is not None:
            atomic_write(self.best_npz, lambda f: np.savez(f, **weights))
        write_json(self.best_json, summary)

    def write_estimator(self, estimator):
        """best.joblib: the best estimator of a run that cross-validates one, refitted."""
        import joblib  # noqa: PLC0415  (only such runs need it)

        atomic_write(self.best_joblib, lambda f: joblib.dump(estimator, f))
