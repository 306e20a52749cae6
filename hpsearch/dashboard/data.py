"""A run directory as JSON-able views, read live from its files (nothing is copied or cached):
what the run is (`meta`), its trials and curves appended since a cursor (`trials`, `curves`),
and how it stands (`summary`: status, counts, the best trial and its interventions, each round's
region, the steering log and the requests waiting).

Trial rows go out as lists in the order of `columns`; numbers that are not finite go out as
null (JSON has no NaN). A row that cannot be read is left out with a warning, so a view shows
what can be read. Each trial row carries its `rank`, the key of `Goal.rank_key`, so the page
orders "best first" by the one rule without restating it. Curve rows, tens of thousands of
numbers, go out as the file's own lines (the page splits them).
"""

from __future__ import annotations

import hashlib
import json
import math

from ..config.pbt import EXPLORED
from ..errors import UserError
from ..modes import steer
from ..nn.hyper import LIVE
from ..results import Run
from ..store import RunDir, steering
from ..store.files import jsonable, read_json
from ..study import TrialResult, counts
from .tables import read_since

RECORD = ("trial", "round", "status", "epochs", "seconds", "seed", "error")
HUGE = 1e300  # stands for an infinite rank component, which JSON cannot hold


def finite(value):
    """`value` as JSON can hold it: non-finite floats become None, NumPy numbers Python ones."""
    value = jsonable(value) if hasattr(value, "dtype") else value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value) -> str:
    return json.dumps(value, default=jsonable, allow_nan=False, separators=(",", ":"))


class RunView:
    """One run directory, opened fresh for each request (config.yaml read, nothing else)."""

    def __init__(self, path):
        self.run = RunDir.open(path)
        self.name = self.run.path.name
        self.config = self.run.read_config()
        self.goal = self.config.goal
        # a panda pbt run is steered as a pbt run (nudge a trial), not as a panda one
        self.panda = self.config.search["mode"] == "panda" and not self.config.pbt
        self.cut_short = []  # tables whose last read ended inside a record (see tables.Chunk)

    def meta(self) -> dict:
        c = self.config
        return {
            "name": self.name,
            "path": str(self.run.path),
            "mode": c.search["mode"],
            "builtin": c.builtin,
            "step": c.step,  # what curves.csv's epoch and trials.csv's epochs count
            "metric": self.goal.metric,
            "direction": self.goal.direction,
            "space": [_axis(name, dist) for name, dist in c.space.items()],
            "fixed": {k: finite(v) for k, v in c.params.items() if k not in c.space},
            "total": c.plan.total,
            "live": list(LIVE) if self.panda and c.builtin else [],
            "pbt": (
                {
                    "changed": [n for n in c.space if n in EXPLORED],
                    "interval": c.search["interval"],
                }
                if c.pbt
                else None
            ),
        }

    # -- rows since a cursor -----------------------------------------------------------------
    def trials(self, cursor: str | None = None) -> dict:
        chunk = self._read(self.run.trials_csv, cursor)
        columns = [c for c in chunk.header if c != "metrics"]
        results, warnings = self._parse(chunk.header, chunk.rows)
        rows = [[self._cell(r, c) for c in columns] + [self._rank(r)] for r in results]
        return {
            "columns": [*columns, "rank"] if chunk.reset else None,  # once, with every row
            "rows": rows,
            "cursor": chunk.cursor,
            "reset": chunk.reset,
            "warnings": warnings,
        }

    def curves(self, cursor: str | None = None) -> dict:
        """curves.csv since `cursor`, as its text (numbers only: the page splits the lines)."""
        chunk = self._read(self.run.curves_csv, cursor, parse=False)
        return {
            "columns": chunk.header if chunk.reset else None,
            "csv": chunk.text,
            "cursor": chunk.cursor,
            "reset": chunk.reset,
            "warnings": [],
        }

    # -- how the run stands ------------------------------------------------------------------
    def results(self) -> tuple[list, list]:
        """Every trial row that can be read, as records with their interventions."""
        chunk = read_since(self.run.trials_csv)
        return self._parse(chunk.header, chunk.rows)

    def summary(self) -> dict:
        results, warnings = self.results()
        state, live = self._state(warnings)
        best = self.goal.best(results)
        log = self._interventions(warnings)
        try:
            regions = [
                {k: r[k] for k in ("round", "note", "boxes") if k in r}
                for r in read_json(self.run.rounds_json) or []
            ]
        except (ValueError, KeyError, TypeError):
            regions, warnings = [], [*warnings, "rounds.json cannot be read"]
        return {
            "status": state,
            "counts": counts(results),
            "done": len(results),
            "total": self.config.plan.total,
            "best": _best(best),
            "regions": regions,
            "interventions": [{k: v for k, v in e.items() if k != "values"} for e in log],
            "pending": [body for _, body in steering.pending_nudges(self.run)],
            "rollback": steering.pending_rollback(self.run),
            "live_trial": live,
            "warnings": warnings,
        }

    def as_run(self) -> Run:
        """The run as `results` and `compare` know it (without curves)."""
        results, _ = self.results()
        if not results:
            raise UserError(
                "the run has no finished trial yet",
                file=self.run.trials_csv,
                fix="wait for trials to finish",
            )
        regions = read_json(self.run.rounds_json) or []
        return Run(self.name, self.run.path, results, list(self.config.space), self.goal,
                   self.config, regions, read_json(self.run.best_json))  # fmt: skip

    # -- helpers -----------------------------------------------------------------------------
    def _read(self, table, cursor, parse=True):
        chunk = read_since(table, cursor, parse)
        if chunk.cut and table not in self.cut_short:
            self.cut_short.append(table)
        return chunk

    def _parse(self, header, rows) -> tuple[list, list]:
        results, warnings = [], []
        space, metric = self.config.space, self.config.search["metric"]
        for cells in rows:
            try:
                if len(cells) != len(header):
                    raise ValueError(f"{len(cells)} cells for {len(header)} columns")
                results.append(TrialResult.from_row(dict(zip(header, cells)), space, metric))
            except (ValueError, KeyError) as e:
                warnings.append(f"trials.csv: a row starting {cells[:1]} cannot be read: {e}")
        if results and self.panda:
            by_trial = {}
            for entry in self._interventions(warnings):
                if not entry["abandoned"]:
                    by_trial.setdefault(entry["trial"], []).append(entry)
            for r in results:
                r.interventions = by_trial.get(r.trial, [])
        return results, warnings

    def _interventions(self, warnings) -> list:
        try:
            return steering.read_interventions(self.run)
        except (ValueError, KeyError) as e:
            warnings.append(f"interventions.csv cannot be read: {e}")
            return []

    def _state(self, warnings) -> tuple[str, int | None]:
        """status (running, interrupted, finished) and, for panda, the trial training now."""
        run = ReadOnly(self.run)
        try:
            state = steer.status(run, self.config)
            live = (
                steer.next_trial(run, self.config) if self.panda and state != "finished" else None
            )
        except (ValueError, KeyError) as e:
            warnings.append(f"trials.csv cannot be read: {e}")
            return "unknown", None
        return state, live

    def _cell(self, result: TrialResult, column: str):
        if column in RECORD:
            return finite(getattr(result, column))
        if column in self.config.space:
            return finite(result.final_params.get(column))
        return finite(result.metrics.get(column))

    def _rank(self, result: TrialResult) -> list:
        return [min(max(float(k), -HUGE), HUGE) for k in self.goal.rank_key(result)]


class ReadOnly:
    """A run directory as `steer.status` and `steer.next_trial` read it, with trials.csv read
    as the dashboard reads it: RunDir's own reading first cuts a half-written last line off
    the file, which a viewer must never do (its writer may be finishing that line)."""

    def __init__(self, run: RunDir):
        self._run = run

    def __getattr__(self, name):
        return getattr(self._run, name)

    def read_rows(self) -> list[dict]:
        chunk = read_since(self._run.trials_csv)
        return [dict(zip(chunk.header, row)) for row in chunk.rows]


def digest(value) -> str:
    return hashlib.sha1(dumps(value).encode()).hexdigest()[:16]


def poll(view: RunView, trials=None, curves=None, summary=None) -> dict:
    """What a page needs since its last poll: rows after its cursors, and the summary when it
    differs from the one it has (by digest)."""
    now = view.summary()
    key = digest(now)
    return {
        "trials": view.trials(trials),
        "curves": view.curves(curves),
        "summary": None if key == summary else now,
        "digest": key,
    }


def _axis(name, dist) -> dict:
    description = dist.to_dict()
    description.setdefault("scale", "categorical" if "values" in description else "linear")
    return {"name": name, **{k: v for k, v in description.items() if k != "when"}}


def _best(best: TrialResult | None) -> dict | None:
    if best is None:
        return None
    return {
        "trial": best.trial,
        "round": best.round,
        "value": finite(best.value),
        "params": {k: finite(v) for k, v in best.final_params.items()},
        "interventions": [
            {k: e[k] for k in ("epoch", "kind", "change")} for e in best.interventions
        ],
    }
