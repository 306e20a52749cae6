"""Hyperparameter importance: how much of the metric's variance each hyperparameter explains
on its own, on its sampling scale.

A functional ANOVA (Hutter, Hoos and Leyton-Brown, 2014, as Optuna's fANOVA evaluator does it):
a random forest is fitted to the finished trials in unit coordinates (log10 for `log`,
log10(1 - v) for `one_minus_log`, categories in equal parts of [0, 1]), and for each tree the
variance of the prediction's marginal along one hyperparameter (averaged over all the others,
uniformly) is divided by the prediction's total variance. A tree is a set of boxes with a value
each, so the marginal is a step function: exact, no sampling. The shares are averaged over the
trees; what they leave out is interactions (and noise). A conditional hyperparameter is judged
among the trials where it applies.
"""

from __future__ import annotations

import numpy as np

from .errors import UserError, count

TREES = 64
MIN_TRIALS = 8


def importance(space: dict, results: list, goal, seed: int = 0) -> list[dict]:
    """[{hyperparameter, share, trials}] best first: the share of the metric's variance each
    explains alone, over the finished trials (`trials` of them) where it applies."""
    done = goal.finished(results)
    if len(done) < MIN_TRIALS:
        raise UserError(
            f"only {count(len(done), 'finished trial')}",
            key="--importance",
            fix=f"importance needs {MIN_TRIALS} or more finished trials",
        )
    plain = [n for n in space if not space[n].when]
    rows = {}
    if plain:
        rows.update(_shares(space, plain, done, plain, seed))
    for name in (n for n in space if space[n].when):
        have = [r for r in done if name in r.params]
        if len(have) >= MIN_TRIALS:
            names = plain + [
                n for n in space if space[n].when and all(n in r.params for r in have)
            ]
            rows[name] = _shares(space, names, have, [name], seed)[name]
    return sorted(rows.values(), key=lambda row: -row["share"])


def _shares(space, names, results, wanted, seed) -> dict:
    from sklearn.ensemble import RandomForestRegressor  # noqa: PLC0415  (2 s to import: only this needs it)

    X = np.array([[space[n].to_unit(r.params[n]) for n in names] for r in results])
    y = np.array([r.value for r in results], dtype=float)
    forest = RandomForestRegressor(n_estimators=TREES, max_depth=64, random_state=seed).fit(X, y)
    totals = dict.fromkeys(wanted, 0.0)
    for estimator in forest.estimators_:
        lows, highs, values = _leaves(estimator.tree_, len(names))
        volume = np.prod(highs - lows, axis=1)
        mean = np.dot(volume, values)
        variance = np.dot(volume, (values - mean) ** 2)
        if variance <= 0:
            continue
        for n in wanted:
            i = names.index(n)
            totals[n] += _marginal_variance(lows, highs, values, volume, i, mean) / variance
    return {
        n: {"hyperparameter": n, "share": totals[n] / TREES, "trials": len(results)}
        for n in wanted
    }


def _leaves(tree, d: int):
    """The tree's leaves as boxes of [0, 1]^d: (lows (L, d), highs (L, d), values (L,))."""
    lows, highs, values = [], [], []
    stack = [(0, np.zeros(d), np.ones(d))]
    while stack:
        node, lo, hi = stack.pop()
        feature = tree.feature[node]
        if feature < 0:
            lows.append(lo)
            highs.append(hi)
            values.append(float(tree.value[node].ravel()[0]))
            continue
        cut = min(max(tree.threshold[node], lo[feature]), hi[feature])
        left_hi, right_lo = hi.copy(), lo.copy()
        left_hi[feature], right_lo[feature] = cut, cut
        stack += [
            (tree.children_left[node], lo, left_hi),
            (tree.children_right[node], right_lo, hi),
        ]
    return np.array(lows), np.array(highs), np.array(values)


def _marginal_variance(lows, highs, values, volume, i, mean) -> float:
    """The variance over x_i in [0, 1] of the prediction averaged over the other dimensions: a
    step function, constant between the leaves' edges along dimension i."""
    edges = np.unique(np.concatenate([lows[:, i], highs[:, i], [0.0, 1.0]]))
    mids, lengths = (edges[1:] + edges[:-1]) / 2, np.diff(edges)
    inside = (lows[:, i, None] <= mids) & (mids < highs[:, i, None])  # (leaves, segments)
    width = np.maximum(highs[:, i] - lows[:, i], 1e-300)
    marginal = ((values * volume / width)[:, None] * inside).sum(axis=0)
    return float(np.dot(lengths, (marginal - mean) ** 2))
