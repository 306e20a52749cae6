"""The search loop: sample a round, evaluate it, refine the region, repeat.

`run_study(space, evaluate, settings)` works with any `evaluate(tasks) -> iterable of
TrialResult` (the runners' hook: in this process, on worker processes, on a cluster), in any
order of completion: nothing it decides depends on that order. `search(space, objective)` is
the same for a plain Python function, in this process.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..space import Point, propose, refine, sample_config, whole_space
from .plan import Plan, keep_for
from .prune import Pruning
from .record import Goal
from .study import Study
from .trial import FunctionObjective, Task, trial_seed, where_raised


class SearchFailed(Exception):
    """Every trial of the first round failed: the search stops there. Its `__cause__` is the
    first trial's exception when it raised in this process; `trial` is that trial's number,
    `traceback` the text of its traceback (hpsearch's frames left out)."""

    def __init__(self, results: list):
        self.results = results
        errors = Counter(r.error for r in results)
        first = results[0] if results else None
        self.first = first.error if first else ""
        self.trial = first.trial if first else None
        self.traceback = first.traceback if first else ""
        self.count, self.total = errors[self.first], len(results)
        where = where_raised(self.traceback)
        error = self.first + (f" ({where})" if where else "")
        if self.count == self.total:
            error = f"each with {error}" if self.total > 1 else f"with {error}"
        else:
            error = f"{self.count} of them with {error}, the others with other errors"
        trials = f"all {self.total} trials" if self.total > 1 else "the only trial"
        super().__init__(f"{trials} of round 1 failed, so the search stopped; {error}")
        self.__cause__ = first.exception if first else None
        self.run = self.config_file = None  # where it ran (set by hpsearch.runs)


@dataclass(frozen=True)
class Settings:
    """How a search runs, apart from its space and objective."""

    plan: Plan
    goal: Goal = field(default_factory=Goal)
    seed: int = 0
    keep: float | None = None  # None: chosen from the number of trials (plan.keep_for)
    method: str = "boxes"
    pruning: Pruning = field(default_factory=Pruning)
    length: object = None  # trial's values -> the epochs it trains (halving's pause), or None


def region_for(space: dict, settings: Settings, previous: list, rnd: int):
    """Round 1 samples the whole space; later rounds refine around the best trials so far."""
    if rnd == 1:
        return whole_space(space)
    goal = settings.goal
    length = settings.length or (lambda params: None)
    previous = [settings.pruning.standing(r, goal, length(r.params)) for r in previous]
    ranked = [
        r
        for r in goal.best_first(previous)
        if r.status in ("ok", "pruned") and goal.score(r.value) > -math.inf
    ]
    points = [Point(r.params, goal.score(r.value), r.status == "ok", r.trial) for r in ranked]
    keep = settings.keep if settings.keep is not None else keep_for(len(points))
    region = refine(
        space, points, keep=keep, method=settings.method, stalled=stalled_rounds(previous, goal)
    )
    if settings.method != "boxes":  # the one box is the plain method, without a model
        return region
    trials = settings.plan.trials_of(rnd)
    by_number = sorted(previous, key=lambda r: r.trial)  # not the order the trials finished in
    rejected = [
        r.params
        for r in by_number
        if r.status in ("failed", "diverged")
        or (r.status == "ok" and goal.score(r.value) == -math.inf)
    ]
    proposals = propose(
        space,
        [(p.params, p.score, p.finished) for p in sorted(points, key=lambda p: p.id)],
        rejected,
        settings.plan.whole_size(rnd),
        np.random.default_rng([settings.seed, rnd, 0, 1]),
        region,
    )[: len(trials)]
    if proposals:  # the round's first trials run the model's proposals, the rest the region's
        region.proposals = {t: config for t, (config, _) in zip(trials, proposals)}
        region.note = _proposals_note(proposals, len(trials), region.note)
    return region


def _proposals_note(proposals: list, size: int, region_note: str) -> str:
    """What a round with a model's proposals samples, for the region table."""
    why = Counter(w for _, w in proposals)
    parts, model = [], "a model of the trials"
    if why["best"]:
        parts.append(f"{why['best']} where {model} expects the best score")
        model = "it"
    if why["improvement"]:
        parts.append(f"{why['improvement']} where {model} expects most improvement")
    note = f"{' and '.join(parts)} (of {size})"
    if len(proposals) < size:
        note += f"; the other {size - len(proposals)} in {region_note}"
        note += " (the model predicts its best trials poorly)"
    return note


def stalled_rounds(results: list, goal: Goal) -> int:
    """How many of the last rounds found nothing better than the rounds before them."""
    rounds = sorted({r.round for r in results})
    stalled = 0
    for rnd in reversed(rounds[1:]):
        before = goal.best([r for r in results if r.round < rnd])
        within = goal.best([r for r in results if r.round == rnd])
        if before is None or (within is not None and goal.better(within.value, before.value)):
            break
        stalled += 1
    return stalled


def waves(trials: range, rnd: int, pruning: Pruning) -> list:
    """A round's trials in the groups that run together, each with its pruning rule fixed as it
    starts. With pruning on, the first round runs in two halves: the first half has nothing to
    compare with (halving judges it at its last rung), the second is pruned against it. The
    halves go by trial number, so no decision depends on the order in which trials finish; the
    price is one more wait for the slowest trial of the first half."""
    if pruning.method == "none" or rnd > 1 or len(trials) < 2:
        return [trials]
    half = (len(trials) + 1) // 2
    return [trials[:half], trials[half:]]


class Groups:
    """Runs the groups of trials of a search, one `evaluate` call each, and keeps the trials
    paused at halving's last rung (`study.prune`): each continues in the next call, beside the
    new trials, and the last call finishes them all. A paused trial that no rule judged at its
    rung (the first group has none) is judged there by the next group of its round, whose rule
    counts it."""

    def __init__(self, study: Study, evaluate, on_result=None):
        self.study, self.evaluate, self.on_result = study, evaluate, on_result
        self.paused: dict = {}  # trial -> record at the last rung, not yet continued
        self.continuing: dict = {}  # trial -> record at the last rung, continued
        self.unjudged: set = set()

    def unfinished(self) -> list:
        """The paused trials' records, as they stood at the last rung."""
        return sorted([*self.paused.values(), *self.continuing.values()], key=lambda r: r.trial)

    def run(self, todo: list, rule):
        for r in list(self.paused.values()):
            if rule is None or r.trial not in self.unjudged:
                continue
            value = r.intermediate(rule.goal.metric)[r.epochs]
            tiebreak = rule.pruning.tiebreak
            tie = r.intermediate(tiebreak).get(r.epochs) if tiebreak else None
            if rule.check(r.epochs, value, tie) is not None:
                del self.paused[r.trial]
                self.record(dataclasses.replace(r, status="pruned", model=None))
        todo = todo + [
            Task(r.trial, r.round, r.params, r.seed, paused=r) for r in self.paused.values()
        ]
        self.continuing.update(self.paused)
        self.paused, self.unjudged = {}, set()
        rules = {t.trial: t.prune for t in todo}
        for result in self.evaluate(todo) if todo or self.continuing else ():
            if result.status == "paused":
                self.paused[result.trial] = result
                rule_then = rules.get(result.trial)
                if rule_then is None or result.epochs not in rule_then.thresholds:
                    self.unjudged.add(result.trial)
                continue
            self.continuing.pop(result.trial, None)
            self.record(result)

    def end_round(self):
        """Trials not judged within their round never are: a search extended by more rounds
        must decide as the shorter one did."""
        self.unjudged = set()

    def record(self, result):
        self.study.trials.append(result)
        if self.on_result is not None:
            self.on_result(result)


def run_study(
    space: dict,
    evaluate,
    settings: Settings,
    *,
    done=(),
    on_result=None,
    on_round=None,
    known=None,
    retry=None,
) -> Study:
    """Coarse-to-fine random search of `space` (name -> distribution).

    `done` holds records of an earlier, interrupted search: their trials do not run again.
    `retry` (trial -> record) names trials to run again with the values they had; `known`
    (round -> region record) gives the regions of rounds already complete, so they are kept
    as they were. `on_result(record)` is called as each record arrives (to append it to a
    table), `on_round(regions)` as each round starts, with the regions so far. Raises
    SearchFailed when every trial of round 1 failed."""
    study = Study(space, settings.goal, list(done))
    finished, known, retry = {r.trial for r in study.trials}, known or {}, retry or {}
    groups = Groups(study, evaluate, on_result)
    for rnd in range(1, settings.plan.rounds + 1):
        trials = settings.plan.trials_of(rnd)
        previous = [r for r in study.trials if r.round < rnd] + groups.unfinished()
        complete = all(t in finished or t in retry for t in trials)
        region = None if complete and rnd in known else region_for(space, settings, previous, rnd)
        study.regions.append(
            known[rnd] if region is None else {"round": rnd, **region.record(space)}
        )
        if on_round is not None:
            on_round(study.regions)
        for wave in waves(trials, rnd, settings.pruning):
            earlier = previous + [
                r
                for r in [*study.trials, *groups.unfinished()]
                if r.round == rnd and r.trial < wave[0]
            ]
            rule = settings.pruning.rule_for(earlier, settings.goal)
            todo = []
            for t in wave:
                if t in retry:
                    params = dict(retry[t].params)
                elif t not in finished:
                    params = sample_config(space, region, settings.seed, rnd, t)
                else:
                    continue
                todo.append(Task(t, rnd, params, trial_seed(settings.seed, t), rule))
            groups.run(todo, rule)
        groups.end_round()
        study.trials.sort(key=lambda r: r.trial)
        first = [r for r in study.trials if r.round == 1]
        stopped = not groups.unfinished() and all(r.status == "failed" for r in first)
        if rnd == 1 and first and stopped:
            raise SearchFailed(first)
    groups.run([], None)
    study.trials.sort(key=lambda r: r.trial)
    return study


def search(
    space: dict,
    objective,
    *,
    budget: int | None = None,
    trials: int | None = None,
    rounds: int | None = None,
    seed: int = 0,
    goal: str | None = None,
    metric: str = "value",
    prune="none",
    n_jobs: int | None = 1,
) -> Study:
    """Search `space` for the best `objective(config)` (or `objective(config, trial)`, which
    may call `trial.report(epoch, value)` to be pruned), in this process.

    Size the search with `budget` (total trials; hpsearch sizes the rounds) or `trials` per
    round and `rounds`. `goal` is maximize or minimize (by default, by the metric's name: costs,
    losses, errors are minimised). `prune` is none, median, halving or a mapping as in the YAML.
    `n_jobs` other than 1 runs each group of trials on that many joblib workers (-1: one per
    core); the study is the same whatever their number (each trial's seed and sampled values
    depend only on `seed` and its number), so `objective` must be picklable with cloudpickle."""
    if budget is not None:
        plan = Plan.for_budget(budget)
    else:
        plan = Plan.fixed(trials or 30, rounds or 3)
    settings = Settings(
        plan, Goal.of(metric, goal), seed, pruning=Pruning.parse(prune, key="prune")
    )
    run = FunctionObjective(objective, settings.goal)
    if n_jobs in (1, None):
        return run_study(space, lambda tasks: (run(t) for t in tasks), settings)
    from joblib import Parallel, delayed  # noqa: PLC0415  (only a parallel search needs it)

    with Parallel(n_jobs=n_jobs) as parallel:
        return run_study(space, lambda tasks: parallel(delayed(run)(t) for t in tasks), settings)
