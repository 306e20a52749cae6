"""What a trial is given, and how a plain Python function becomes an objective.

An objective is anything callable as `objective(task) -> TrialResult`: it never raises (a
failure is a record with status `failed`). The built-in network is one; `FunctionObjective`
makes one of a user's function `f(config)` or `f(config, trial)` (see `trial_passing`), where
`trial.report(epoch, value)` says whether to stop (pruning) and `trial.number`, `trial.seed`
are given.
"""

from __future__ import annotations

import inspect
import math
import re
import sysconfig
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .record import HEAD_COLUMNS, TAIL_COLUMNS, Goal, TrialResult


def trial_seed(run_seed: int, trial: int) -> int:
    """The training seed of a trial: from the run seed and trial number only, so a trial's
    result does not depend on which worker ran it or when."""
    return int(np.random.SeedSequence([run_seed, trial]).generate_state(1)[0])


@dataclass(frozen=True)
class Task:
    """One trial to run: small and picklable, so it can travel to any worker."""

    trial: int
    round: int
    params: dict  # the sampled values
    seed: int
    prune: object = None  # the round's PruneRule, or None
    paused: TrialResult | None = None  # to continue this trial from (its state in `.model`)
    until: int | None = None  # pause after this epoch (PBT's generations), or train to the end

    def result(self, status: str, **fields) -> TrialResult:
        """This trial's record: its number, round, sampled values and seed, and `fields`."""
        return TrialResult(
            self.trial, self.round, status, dict(self.params), seed=self.seed, **fields
        )


class Trial:
    """The second argument of `evaluate(config, trial)`."""

    def __init__(self, task: Task):
        self.number, self.seed, self.round, self.params = (
            task.trial,
            task.seed,
            task.round,
            dict(task.params),
        )
        self._rule = task.prune
        # the metric that breaks a tie on the goal's at a halving rung, when the rule has one
        self.tiebreak = task.prune.pruning.tiebreak if task.prune is not None else None
        self.reported: list[tuple[int, float]] = []
        self.pruned_at: int | None = None
        self.reason: str | None = None

    def report(
        self, epoch: int, value: float, *, tie: float | None = None, last: bool = False
    ) -> bool:
        """Record the metric after `epoch`; True when the trial should stop here (pruned).
        `tie` (the record's `tiebreak` metric) breaks a tie with halving's threshold. The
        `last` epoch is recorded, not judged: stopping there saves nothing."""
        self.reported.append((int(epoch), float(value)))
        if self.pruned_at is None and self._rule is not None and not last:
            self.reason = self._rule.check(int(epoch), float(value), tie)
            if self.reason is not None:
                self.pruned_at = int(epoch)
        return self.pruned_at is not None

    @property
    def should_prune(self) -> bool:
        return self.pruned_at is not None


PACKAGE = str(Path(__file__).resolve().parents[1])  # hpsearch's own files
LIBRARIES = tuple({sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")})
FRAMES = 12  # the last frames of a traceback that a failed trial keeps


def failure(task: Task, error: BaseException | str, seconds: float = 0.0) -> TrialResult:
    """The record of a trial that raised (or whose worker died): its message on one line, and
    when it raised, the exception and the text of its traceback."""
    if not isinstance(error, BaseException):
        return task.result("failed", seconds=seconds, error=" ".join(error.split()))
    message = (
        f"{type(error).__name__}: {error}"
        if str(error)
        else "".join(traceback.format_exception_only(error)).strip()
    )
    text = user_traceback(error)
    # the result keeps the exception (SearchFailed's __cause__), not its frames' locals: a
    # search's failed trials would otherwise hold every array they had made
    traceback.clear_frames(error.__traceback__)
    return task.result(
        "failed",
        seconds=seconds,
        error=" ".join(message.split()),  # one line
        traceback=text,
        exception=error,
    )


def user_traceback(error: BaseException, last: int | None = FRAMES) -> str:
    """The traceback of `error` from where hpsearch called the user's code (hpsearch's own
    frames above it left out), its `last` frames (None: all); the whole of it when it never
    left hpsearch."""
    found = traceback.TracebackException.from_exception(error)
    frames = list(found.stack)
    outside = next((i for i, f in enumerate(frames) if not _ours(f.filename)), None)
    if outside is not None:
        frames = frames[outside:]
    found.stack = traceback.StackSummary.from_list(frames[-last:] if last else frames)
    return "".join(found.format())


def where_raised(text: str) -> str:
    """'file.py, line 12, in evaluate': the innermost frame of a traceback's text (as
    `user_traceback` writes it) in a file outside hpsearch; '' when there is none."""
    frames = re.findall(r'^  File "(.+)", line (\d+), in (.+)$', text, flags=re.M)
    theirs = [f for f in frames if not _ours(f[0]) and not f[0].startswith("<")]
    mine = [f for f in theirs if not f[0].startswith(LIBRARIES)] or theirs
    if not mine:
        return ""
    path, line, function = mine[-1]
    return f"{Path(path).name}, line {line}, in {function}"


def _ours(path: str) -> bool:
    """Whether `path` is hpsearch's own file (a sibling folder, hpsearch_plugins, is not)."""
    return Path(path).resolve().is_relative_to(PACKAGE)


def trial_passing(func) -> str | None:
    """How `func` takes the trial: "keyword" when a parameter after the config is named
    `trial`; "positional" when its second parameter is positional with no default
    (`f(config, t)`); None when it takes the config alone, so `f(config, verbose=False)` is not
    given the trial as `verbose`. Raises TypeError when `func` cannot be called so."""
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):  # no signature to read (a builtin): the config alone
        return None
    kind = inspect.Parameter
    if not parameters or parameters[0].kind in (kind.KEYWORD_ONLY, kind.VAR_KEYWORD):
        raise TypeError("it takes no config: write f(config) or f(config, trial)")
    rest = parameters[1:]
    passing, given = None, set()
    if any(p.name == "trial" and p.kind != kind.POSITIONAL_ONLY for p in rest):
        passing, given = "keyword", {"trial"}
    elif (
        rest
        and rest[0].kind in (kind.POSITIONAL_ONLY, kind.POSITIONAL_OR_KEYWORD)
        and rest[0].default is kind.empty
    ):
        passing, given = "positional", {rest[0].name}
    missing = [
        p.name
        for p in rest
        if p.name not in given
        and p.default is kind.empty
        and p.kind not in (kind.VAR_POSITIONAL, kind.VAR_KEYWORD)
    ]
    if missing:
        raise TypeError(
            f"it needs '{missing[0]}', which hpsearch does not give: write f(config) or "
            "f(config, trial)"
        )
    return passing


class FunctionObjective:
    """A user's function as an objective. It returns a number or a dict of numbers (the
    goal's metric among them); NaN or inf is `diverged`; told to stop by `trial.report`, the
    trial is `pruned` at that epoch; an exception is `failed` with its message."""

    def __init__(self, func, goal: Goal, fixed: dict | None = None):
        self.func, self.goal, self.fixed = func, goal, dict(fixed or {})
        self.passing = trial_passing(func)

    def metrics(self, task: Task, trial: Trial) -> dict:
        """The metrics the function returns for `task` (name -> float); raises what it raises,
        or ValueError when the goal's metric is not among them."""
        config = {**self.fixed, **task.params}
        if self.passing == "keyword":
            out = self.func(config, trial=trial)
        elif self.passing == "positional":
            out = self.func(config, trial)
        else:
            out = self.func(config)
        metrics = (
            {str(k): float(v) for k, v in out.items()}
            if isinstance(out, dict)
            else {self.goal.metric: float(out)}
        )
        if self.goal.metric not in metrics:
            returned = ", ".join(map(str, metrics)) or "nothing"
            raise ValueError(
                f"the objective returned no '{self.goal.metric}' (it returned {returned})"
            )
        taken = [m for m in metrics if m in (*HEAD_COLUMNS, *TAIL_COLUMNS) or m in task.params]
        if taken:  # trials.csv has a column of that name already: the metric would be lost
            raise ValueError(
                f"the objective returned a metric named '{taken[0]}', which trials.csv already "
                "has as a column (a hyperparameter or trial, round, status, epochs, seconds, "
                "seed, error): rename it"
            )
        return metrics

    def __call__(self, task: Task) -> TrialResult:
        start = time.perf_counter()
        trial = Trial(task)
        try:
            metrics = self.metrics(task, trial)
        except (Exception, SystemExit) as e:  # the trial fails (sys.exit too), never the search
            return failure(task, e, time.perf_counter() - start)
        value = metrics[self.goal.metric]
        status = "pruned" if trial.should_prune else "ok"
        if not math.isfinite(value):
            status = "diverged"
        curve = [{"epoch": e, self.goal.metric: v} for e, v in trial.reported]
        epochs = trial.pruned_at or (trial.reported[-1][0] if trial.reported else None)
        return task.result(
            status,
            value=value,
            metrics=metrics,
            epochs=epochs,
            seconds=time.perf_counter() - start,
            curve=curve,
        )
