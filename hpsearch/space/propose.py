"""Model-based proposals: where a Gaussian process (`gp`) fitted to the trials so far expects the
best score and the most improvement, a round's batch at a time.

The model sees each trial as a point of features: a numeric hyperparameter's unit coordinate
(log10 for `log`, log10(1 - v) for `one_minus_log`, rescaled to [0, 1]), INACTIVE where its
condition does not hold; a categorical one as one feature per value (1 / sqrt 2 for the value
it has, 0 for the others, so two values are as far apart as the ends of a numeric range).
Trials that failed or diverged score the worst score seen, so the model learns they are no good
place; trials stopped early (pruned) score what they had when stopped, at most the median of
the finished ones.

The first proposal is where the model predicts the best score (exploitation: on a smooth landscape
it is close to the optimum after a dozen trials), unless a trial already ran there (within SAME of
every range: a second run would teach nothing; it then goes where the next ones do); the next ones
maximise the log expected improvement (exploration where the model is unsure), each on the model
that believes the earlier proposals scored what it predicted there (the Kriging believer): their
uncertainty collapses, so the batch spreads out rather than piling up. Each maximum is the best of
random candidates (half within the region's boxes, or the whole space without a region; half near
the best trials), refined by smaller and smaller steps around the best of them; an integer's
candidates are whole numbers (a point between two is no trial, and may round to one already run).
Everything is drawn from one Generator seeded with (seed, round), so the batch depends only on the
trials finished before the round. A model that does not predict its own best trials (`trusted`: a
cusp, a cliff's edge) proposes half a round of 3 or more; the region's boxes, which need no
smoothness, the rest. A round of 2 (a short search's) is the model's whole even then: its second
trial already explores, and a box's sample in its place cost short searches more than it saved
(bench/refine.py at 30 trials, bench/real_models.py at 16).
"""

from __future__ import annotations

import math

import numpy as np
from threadpoolctl import threadpool_limits

from .conditions import drop_inactive, order
from .distributions import Categorical, Int

INACTIVE = 0.5  # the feature of a numeric hyperparameter whose condition does not hold
ONE_HOT = 1 / math.sqrt(2)
CANDIDATES = 256  # random candidates per proposal
NEAR_BEST = 5  # half of them around this many best trials ...
NEAR_SD = 0.05  # ... a normal this wide in unit coordinates, a categorical changed with ...
NEAR_SWAP = 0.2  # ... this probability
SAME = 0.002  # a point within this share of every range of a trial already run is that trial
STEPS = (0.05, 0.02, 0.005)  # refinement: normal steps this wide around the best candidates
STEP_TRIES = 16  # ... this many per step and starting point
STARTS = 4  # ... from this many of the best candidates
TRUST_TOP = 3  # the model is trusted with the whole share when it predicts this many best ...
TRUST_Z = 1.5  # ... within this many standard deviations; otherwise it proposes half ...
TRUST_FROM = 3  # ... of a round of at least this many (a round of 2 is the model's whole)


def propose(space: dict, scored: list, failed: list, count: int, rng, region=None) -> list:
    """Up to `count` (configuration, why) pairs from the model of `scored` and `failed` (see
    `model`), configurations as dicts with inactive hyperparameters left out ([] when there is
    no model). The first is where the model expects the best score (why "best") unless a trial
    already ran there, the others where it expects most improvement (why "improvement"), each on
    the model that believes the ones before it. A model that does not predict its own best
    trials (`trusted`) proposes half of a `count` of TRUST_FROM or more; the caller samples the
    rest in the region."""
    with threadpool_limits(1, user_api="blas"):  # a small model: threads only contend
        gp = model(space, scored, failed) if count > 0 else None
        if gp is None:
            return []
        names = sorted(space)
        ranked = sorted(scored, key=lambda t: -t[1])[:NEAR_BEST]
        top = _grid(space, names, [p for p, _, _ in ranked])
        n = count if count < TRUST_FROM or trusted(gp, len(scored)) else max(1, count // 2)
        out = []
        for k in range(n):
            why = "best" if k == 0 and n > 1 else "improvement"
            row = _best_candidate(space, names, gp, top, rng, region, why)
            if why == "best" and _already_run(gp, _features(space, names, row[None, :])[0]):
                why = "improvement"  # running it again would teach nothing
                row = _best_candidate(space, names, gp, top, rng, region, why)
            out.append((_config(space, names, row), why))
            grid = _grid(space, names, [out[-1][0]])  # an integer as it will run
            gp = gp.believe(_features(space, names, grid)[0])
    return out


def _already_run(gp, point) -> bool:
    """Whether `point` (features) is, within SAME on every feature, a trial the model has."""
    return bool(np.any(np.all(np.abs(gp.x - point) < SAME, axis=1)))


def trusted(gp, n: int) -> bool:
    """Whether the model predicts its own best trials (the first `n` of its trials are the
    scored ones): left out in turn, none of the TRUST_TOP best may score more than TRUST_Z of
    its predicted standard deviations above its predicted mean. A peak sharper than the model
    can draw (a cusp, a cliff's edge) fails this; there the region's boxes do better."""
    mean, sd = gp.leave_one_out()
    y = gp.y[:n]
    top = np.argsort(-y, kind="stable")[:TRUST_TOP]
    return bool(np.all((y[top] - mean[top]) / sd[top] <= TRUST_Z))


def model(space: dict, scored: list, failed: list):
    """The Gaussian process fitted to `scored`: (params, score, finished) with a larger score
    better, and `failed`: params of trials that failed or diverged; None when there are fewer
    scored trials than features plus two, or they all score alike. A trial stopped early
    (pruned) counts as what it had when stopped, at most the median of the finished ones (with
    successive halving most trials are stopped: they are most of what the model learns from)."""
    from .gp import fit  # noqa: PLC0415  (SciPy takes 0.5 s to import: round 1 needs no model)

    scores = [s for _, s, _ in scored]
    if len(scores) < 2 + _width(space) or np.ptp(scores) == 0:
        return None
    finished = [s for _, s, done in scored if done]
    ceiling = float(np.median(finished)) if finished else math.inf
    params = [p for p, _, _ in scored] + list(failed)
    y = [s if done else min(s, ceiling) for _, s, done in scored] + [min(scores)] * len(failed)
    return fit(features(space, params), np.array(y, float))


def features(space: dict, configs: list) -> np.ndarray:
    """The model's features of configurations (one row each)."""
    names = sorted(space)
    return _features(space, names, _grid(space, names, configs))


def _best_candidate(space, names, gp, top, rng, region, why) -> np.ndarray:
    """The grid row (unit coordinates, categorical value indices) of the candidate with the
    largest predicted score (`why` "best") or log expected improvement ("improvement") on `gp`:
    the best of random candidates (half within the region's boxes, or the whole space without
    a region; half near the best trials), refined by smaller and smaller steps around the best
    of them."""
    from .gp import log_expected_improvement  # noqa: PLC0415  (SciPy, as in `model`)

    if why == "best":
        value = lambda grid: gp.predict(_features(space, names, grid))[0]  # noqa: E731
    else:
        incumbent = float(gp.y.max())
        value = lambda grid: log_expected_improvement(  # noqa: E731
            *gp.predict(_features(space, names, grid)), incumbent
        )
    half = CANDIDATES // 2
    if region is None:
        wide = _uniform(space, names, half, rng)
    else:
        wide = _in_region(space, names, region, half, rng)
    pool = _runnable(space, names, np.vstack([wide, _near(space, names, top, half, rng, NEAR_SD)]))
    score = value(pool)
    for step in STEPS:
        starts = pool[np.argsort(-score)[:STARTS]]
        near = _near(space, names, starts, STARTS * STEP_TRIES, rng, step, swap=0.0)
        near = _runnable(space, names, near)
        pool = np.vstack([starts, near])
        score = np.concatenate([np.sort(score)[::-1][:STARTS], value(near)])
    return pool[int(np.argmax(score))]


def _runnable(space, names, grid) -> np.ndarray:
    """`grid` with each integer's coordinate moved to that of the integer it rounds to (in
    place): the model is asked about the trial that will run, not about a point between two
    integers that may round to one already tried."""
    for j, n in enumerate(names):
        d = space[n]
        if isinstance(d, Int):
            grid[:, j] = d.whole_units(grid[:, j])
    return grid


def _uniform(space, names, m, rng) -> np.ndarray:
    """m grid rows drawn uniformly: a unit coordinate per numeric name, a value index per
    categorical one."""
    grid = rng.random((m, len(names)))
    for j, n in enumerate(names):
        if isinstance(space[n], Categorical):
            grid[:, j] = np.floor(grid[:, j] * len(space[n].values))
    return grid


def _in_region(space, names, region, m, rng) -> np.ndarray:
    """m grid rows drawn from the region's boxes (each chosen in proportion to its weight),
    uniformly within each box."""
    weights = np.ones(len(region.boxes)) if region.weights is None else region.weights
    weights = np.asarray(weights, float)
    which = rng.choice(len(region.boxes), size=m, p=weights / weights.sum())
    grid = rng.random((m, len(names)))
    for j, n in enumerate(names):
        d = space[n]
        if isinstance(d, Categorical):
            for b in np.unique(which):
                rows = which == b
                allowed = [d.values.index(v) for v in region.boxes[b].get(n, d.values)]
                pick = np.minimum((grid[rows, j] * len(allowed)).astype(int), len(allowed) - 1)
                grid[rows, j] = np.asarray(allowed)[pick]
        else:
            lo, hi = np.array([box.get(n, (0.0, 1.0)) for box in region.boxes]).T
            grid[:, j] = lo[which] + grid[:, j] * (hi - lo)[which]
    return grid


def _near(space, names, starts, m, rng, sd, swap=NEAR_SWAP) -> np.ndarray:
    """m grid rows around `starts` (in turn): numeric coordinates moved by a normal of width
    `sd` (reflected into [0, 1]), categorical values swapped for a random one with probability
    `swap`."""
    grid = starts[np.arange(m) % len(starts)].copy()
    step = rng.standard_normal((m, len(names))) * sd
    other = _uniform(space, names, m, rng)
    change = rng.random((m, len(names))) < swap
    for j, n in enumerate(names):
        if isinstance(space[n], Categorical):
            grid[:, j] = np.where(change[:, j], other[:, j], grid[:, j])
        else:
            moved = np.abs(grid[:, j] + step[:, j])
            grid[:, j] = np.where(moved > 1, 2 - moved, moved).clip(0, 1)
    return grid


def _grid(space, names, configs) -> np.ndarray:
    """Configurations as grid rows; a hyperparameter a config lacks gets 0 (it is inactive,
    so its coordinate is never read)."""
    rows = []
    for c in configs:
        row = []
        for n in names:
            d = space[n]
            if n not in c:
                row.append(0.0)
            elif isinstance(d, Categorical):
                row.append(float(d.values.index(c[n])))
            else:
                row.append(d.to_unit(c[n]))
        rows.append(row)
    return np.array(rows, float).reshape(len(configs), len(names))


def _width(space) -> int:
    return sum(len(d.values) if isinstance(d, Categorical) else 1 for d in space.values())


def _features(space, names, grid) -> np.ndarray:
    """The model's features of grid rows: inactive numeric ones at INACTIVE, categorical ones
    one-hot (all 0 when inactive)."""
    col = {n: j for j, n in enumerate(names)}
    active = {}
    for n in order(space):
        mask = np.ones(len(grid), bool)
        for parent, values in space[n].when:
            allowed = [space[parent].values.index(v) for v in values]
            mask &= active[parent] & np.isin(grid[:, col[parent]], allowed)
        active[n] = mask
    out = []
    for n in names:
        d, x, on = space[n], grid[:, col[n]], active[n]
        if isinstance(d, Categorical):
            hot = x[:, None] == np.arange(len(d.values))[None, :]
            out.append(np.where(on[:, None] & hot, ONE_HOT, 0.0))
        else:
            out.append(np.where(on, np.clip(x, 0.0, 1.0), INACTIVE)[:, None])
    return np.hstack(out)


def _config(space, names, row) -> dict:
    config = {}
    for n, x in zip(names, row):
        d = space[n]
        config[n] = d.values[int(x)] if isinstance(d, Categorical) else d.from_unit(float(x))
    return drop_inactive(space, config)
