"""Population-based training (Jaderberg et al. 2017), generation-synchronous.

A population of trials trains `interval` epochs at a time; every trial pauses there (its whole
state kept, `Task.until`), and when all have, the bottom quarter by the goal's metric (and any
trial that diverged or failed) copies the state of a trial of the top quarter, weights,
optimiser moments and random streams alike (exploit), then changes each live hyperparameter
of the space (those training reads every epoch) on its own scale (explore): multiplied by 0.8
or 1.2 in its sampling coordinate (the learning rate itself on a log scale, 1 - beta on a
1 - beta log scale), or, one time in four, drawn again from the space. Every decision is
drawn from the run seed, the epoch and the trial's number alone, so the population is the same
whatever the number of workers and however often the search was interrupted.

Each exploit and explore is an intervention (epoch, kind, change, values, and for an exploit
the trial copied, `source`), so a trial's schedule is its lineage (`lineage`): the trials whose
state it descends from, each over the epochs it trained, with the values it trained with.
Training that lineage as one model from its first trial's seed, with the interventions applied
at their epochs, gives the same model bit for bit (`replay`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from ..space import Categorical, sample_config, whole_space
from ..space.distributions import SCALES
from .record import Goal
from .study import Study
from .trial import Task, trial_seed

FACTORS = (0.8, 1.2)  # explore: a live hyperparameter multiplied by one of these ...
RESAMPLE = 0.25  # ... or, this often, drawn again from the space
QUANTILE = 0.25  # the bottom quarter copies the top quarter


@dataclass(frozen=True)
class Population:
    """The `search.method: pbt` settings; `epochs` and `live` come from the objective."""

    size: int = 16
    interval: int = 4
    epochs: int = 20  # how long each trial trains
    live: tuple = ()  # hyperparameters that may change between epochs
    tiebreak: str | None = None  # of trials level on the metric, the lower one ranks first

    def ends(self) -> list[int]:
        """The epochs at which generations end."""
        return list(range(self.interval, self.epochs, self.interval)) + [self.epochs]


@dataclass
class Member:
    """One trial of the population between generations."""

    trial: int
    params: dict  # the values it trains with from now on
    seed: int
    state: object = None  # the paused record it continues from (its state in `.model`)
    seconds: float = 0.0  # its own training time so far
    curve: list = field(default_factory=list)  # its own epochs, with the values in force
    interventions: list = field(default_factory=list)


def perturb(dist, value, factor: float):
    """`value` moved by `factor` in `dist`'s sampling coordinate, kept within its bounds:
    value x factor on a linear or log scale, 1 - (1 - value) x factor on one_minus_log."""
    if isinstance(dist, Categorical):
        return value
    if dist.scale == "linear":
        moved = value * factor
    else:
        forward, back = SCALES[dist.scale]
        moved = back(forward(value) + math.log10(factor))
    low, high = dist.low, dist.high
    moved = min(max(moved, low), high)
    return int(round(moved)) if isinstance(value, int) and not isinstance(value, bool) else moved


def explore(space: dict, params: dict, live: tuple, rng) -> dict:
    """New values for the live hyperparameters of `params` that the space searches."""
    out = dict(params)
    for name in sorted(space):
        if name not in live or name not in params:
            continue
        if rng.random() < RESAMPLE:
            out[name] = space[name].sample(rng)
        else:
            out[name] = perturb(space[name], params[name], FACTORS[int(rng.random() * 2)])
    return out


def start(space: dict, population: Population, seed: int) -> list[Member]:
    """The first generation: each trial sampled from the whole space, as round 1 would."""
    region = whole_space(space)
    return [
        Member(t, sample_config(space, region, seed, 1, t), trial_seed(seed, t))
        for t in range(population.size)
    ]


def generation(space, goal: Goal, population: Population, seed: int, members, results, epoch):
    """After the generation ending at `epoch`: each member takes its record's state (or a
    better member's), and returns the interventions logged (in trial order)."""
    by_trial = {m.trial: m for m in members}
    ranked = sorted(results.values(), key=partial(_rank, goal, population.tiebreak))
    alive = [r for r in ranked if r.status == "paused"]
    q = max(1, int(len(members) * QUANTILE))
    top = alive[:q]
    tops = {r.trial for r in top}
    bottom = {r.trial for r in alive[len(alive) - q :]} if len(alive) > q else set()
    bottom |= {r.trial for r in ranked if r.status != "paused"}
    logged = []
    for trial in sorted(by_trial):
        member, result = by_trial[trial], results[trial]
        if trial not in bottom or not top or trial in tops:
            member.state = result if result.status == "paused" else None
            continue
        rng = np.random.default_rng([seed, 0x9B7, epoch, trial])
        donor = top[min(int(rng.random() * len(top)), len(top) - 1)]
        source = by_trial[donor.trial]
        new = explore(space, source.params, population.live, rng)
        was = _fmt(result.value) if result.value is not None else result.status
        logged.append(
            {
                "trial": trial,
                "epoch": epoch,
                "kind": "exploit",
                "change": f"copies trial {donor.trial} ({goal.metric} "
                f"{_fmt(donor.value)}, was {was})",
                "values": dict(source.params),
                "source": donor.trial,
            }
        )
        changes = {k: v for k, v in new.items() if source.params.get(k) != v}
        words = "; ".join(f"{k} {_fmt(source.params[k])} -> {_fmt(v)}" for k, v in changes.items())
        logged.append(
            {
                "trial": trial,
                "epoch": epoch,
                "kind": "explore",
                "change": words or "no change",
                "values": changes,
            }
        )
        member.params, member.state = new, donor
    for entry in logged:
        by_trial[entry["trial"]].interventions.append(entry)
    return logged


def run_pbt(
    space: dict,
    evaluate,
    goal: Goal,
    population: Population,
    seed: int,
    *,
    resumed=None,
    on_generation=None,
    on_result=None,
    steer=None,
) -> Study:
    """Train a population on `evaluate(tasks)` (any runner) generation by generation.
    `resumed` is (epoch, members) as `on_generation(epoch, members, logged)` was last given
    them (to save them); `on_result(record)` hears each trial's final record; `steer(epoch,
    members)` may change members' values between generations (a person's nudges), returning
    the interventions it made."""
    sampled = {m.trial: m.params for m in start(space, population, seed)}
    epoch, members = resumed if resumed is not None else (0, start(space, population, seed))
    study = Study(space, goal)
    for end in [e for e in population.ends() if e > epoch]:
        last = end == population.epochs
        running = [m for m in members if m.state is not None or epoch == 0]
        tasks = [
            Task(m.trial, 1, m.params, m.seed, paused=m.state, until=None if last else end)
            for m in running
        ]
        results = {r.trial: r for r in evaluate(tasks)}
        for m in running:
            r = results[m.trial]
            m.seconds += r.seconds - (m.state.seconds if m.state is not None else 0.0)
            m.curve += [{**m.params, **row} for row in r.curve if row["epoch"] > epoch]
        if last or not any(r.status == "paused" for r in results.values()):
            for m in running:
                record = dataclasses.replace(
                    results[m.trial],
                    params=sampled[m.trial],
                    seconds=m.seconds,
                    curve=m.curve,
                    interventions=m.interventions,
                )
                study.trials.append(record)
                if on_result is not None:
                    on_result(record)
            break
        logged = generation(space, goal, population, seed, members, results, end)
        for entry in steer(end, members) if steer is not None else []:
            next(m for m in members if m.trial == entry["trial"]).interventions.append(entry)
            logged.append(entry)
        epoch = end
        if on_generation is not None:
            on_generation(epoch, members, logged)
    study.trials.sort(key=lambda r: r.trial)
    return study


def lineage(trial: int, interventions: list, end: int) -> list[tuple[int, int, int]]:
    """(trial, first epoch, last epoch) of each trial whose state `trial` descends from, first
    to last: who trained its model over which epochs, copies (exploits) followed back."""
    exploits = {}
    for entry in interventions:
        if entry["kind"] == "exploit" and not entry.get("abandoned"):
            exploits.setdefault(int(entry["trial"]), []).append(entry)
    chain, current = [], trial
    while True:
        before = [e for e in exploits.get(current, []) if int(e["epoch"]) < end]
        if not before:
            chain.append((current, 1, end))
            break
        copy = max(before, key=lambda e: int(e["epoch"]))
        chain.append((current, int(copy["epoch"]) + 1, end))
        current, end = int(copy["source"]), int(copy["epoch"])
    return chain[::-1]


def _rank(goal: Goal, tiebreak: str | None, result) -> tuple:
    """Best first (`Goal.rank_key`), a tie on the metric broken by the lower `tiebreak`: on a
    small dev set many trials tie on accuracy, and the dev cost tells them apart."""
    order, reach, score, trial = goal.rank_key(result)
    tie = result.metrics.get(tiebreak) if tiebreak else None
    tie = tie if tie is not None and math.isfinite(tie) else math.inf
    return (order, reach, score, tie, trial)


def _fmt(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)
