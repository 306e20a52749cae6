"""Coarse-to-fine: the region the next round samples, from the best trials so far.

Works in unit coordinates (log10 for `log`, log10(1 - v) for `one_minus_log`, the value for
`linear`, all rescaled to [0, 1]), so a region is narrow in the coordinates where the
hyperparameter matters. The caller ranks the trials (`Point`s, best first, each with a score
where larger is better) and says which were trained to the end; this module knows nothing of
metrics, goals or statuses. Two methods:

- `box`: one bounding box around the best `keep` fraction of the points, widened by a margin.
  Simple, but along a curved ridge (learning rate against 1 - beta1) the box stays nearly as
  wide as the space.
- `boxes` (default): a union of boxes, one centred on each of the best points, reaching per
  dimension NEIGHBOUR_SCALE times the distance to the farthest of its NEIGHBOURS nearest fellow
  best points. The union follows the good points along a ridge and links neighbouring ones. Better
  points are sampled more often (weight 1 / rank^2), and inside a box samples concentrate
  around its point (a normal with sigma half the box's reach, truncated to the box), much as a
  Parzen estimator does. One more box goes where a quadratic, fitted by weighted least squares
  to the finished points that share the best point's categorical values (without cross terms
  while they are too few for them), peaks (kept within half the span of the best points beyond
  it, so a poor fit cannot lead far); it takes MODEL_SHARE of the samples. When enough of the
  best points share the best one's categorical values (4 per numeric dimension, 2 dimensions or
  more), SPREAD_SHARE of the samples are drawn around the best point from a normal with their
  covariance: along a narrow curved ridge the best points line up, and these samples step along
  it where independent draws per dimension mostly fall off it. EXPLORE_SHARE of the samples go
  to the categorical values the best point lacks (the k-th 1/k as many as the first: those no
  trial had, then by their best trial's rank, so a value that came close gets more than one that
  never did): half where a quadratic fitted to the value's own trials peaks, or around its best
  trial, half around the best point with the value swapped in (over the whole numeric space when
  no trial had it), so a value that wins only once the rest is right is not lost after one
  round. After `stalled` rounds without a better point, every box reaches WIDEN times further
  per stalled round. bench/refine.py measures each choice.

Points that were stopped early (pruned) come after the finished ones in the ranking; they may
be among the best when too few finished, but never feed the quadratic, whose values must be
comparable. Hyperparameters a point does not have (its condition did not hold) are missing
coordinates: they neither pull its neighbours' boxes nor enter the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import count
from .distributions import Categorical
from .sampler import Region, whole_space

MARGIN = 0.1  # box: widen by this fraction of the box's width on each side
MIN_HALF_WIDTH = 0.005  # no interval is narrower than 2 x this, in unit coordinates
NEIGHBOURS = 4  # boxes: a box reaches toward this many of the nearest other best points
NEIGHBOUR_SCALE = 1.2  # ... and this far (1: all the way)
MIN_TOP = 2
MODEL_SHARE = 0.2  # boxes: the share of samples around the fitted quadratic's maximum
EXPLORE_SHARE = 0.3  # boxes: the share of samples for categorical values the best point lacks
WIDEN = 1.3  # boxes: how much further each box reaches per round without a better point
MODEL_REACH = 0.5  # boxes: the model's peak may lie this fraction of the best's span beyond it
SPREAD_SHARE = 0.35  # boxes: the share of samples drawn with the best points' own spread
SPREAD_SCALE = 1.5  # ... their standard deviations times this
SPREAD_REACH = 3.0  # ... truncated to this many standard deviations
SPREAD_POINTS = 4  # ... estimated from at least this many points per dimension


@dataclass(frozen=True)
class Point:
    """A trial as refinement sees it."""

    params: dict
    score: float  # larger is better
    finished: bool = True  # trained to the end (not stopped early)
    id: int = 0  # the trial number, recorded with the region


def refine(
    space: dict, points: list, *, keep: float, method: str = "boxes", stalled: int = 0
) -> Region:
    """The next round's region from `points` ranked best first (trials that diverged or failed
    left out), or the whole space (with a note saying why) when fewer than MIN_TOP points are
    among the best."""
    top = points[: math.ceil(keep * len(points))]
    if len(top) < MIN_TOP:
        return whole_space(
            space, note=f"only {count(len(points), 'trial')} to learn from: the whole space again"
        )
    numeric = [n for n in sorted(space) if not isinstance(space[n], Categorical)]
    categorical = [n for n in sorted(space) if isinstance(space[n], Categorical)]
    units = _units(space, numeric, top)
    ids = [p.id for p in top]
    if method == "box":
        lo, hi = _span(units)
        half = np.maximum((hi - lo) * (0.5 + MARGIN), MIN_HALF_WIDTH)
        seen = {
            n: tuple(v for v in space[n].values if any(p.params.get(n) == v for p in top))
            for n in categorical
        }
        box = {**_intervals(numeric, (hi + lo) / 2, half), **{n: v for n, v in seen.items() if v}}
        return Region([box], note=f"one box around the best {len(top)} trials", top=ids)
    reach = NEIGHBOUR_SCALE * WIDEN**stalled
    boxes, centres, joint = [], [], {}
    for u, p in zip(units, top):
        diff = np.abs(units - u)
        order = np.argsort(np.nansum(diff**2, axis=1))[1 : NEIGHBOURS + 1]
        far = np.nanmax(diff[order], axis=0, initial=0.0) if len(order) else np.zeros(len(numeric))
        half = np.maximum(reach * np.nan_to_num(far), MIN_HALF_WIDTH)
        boxes.append({**_intervals(numeric, u, half), **_held(p, categorical)})
        centres.append(_centre(numeric, u))
    weights = [1.0 / rank**2 for rank in range(1, len(top) + 1)]
    notes = [
        f"a box around each of the best {len(top)} trials"
        + (
            f", {WIDEN**stalled:.3g}x as wide after {count(stalled, 'round')} without better"
            if stalled
            else ""
        )
    ]
    held = _held(top[0], categorical)  # the model and the spread learn from points alike
    alike = [p for p in points if p.finished and _held(p, categorical) == held]
    peak, dims = _model_peak(space, numeric, alike, units)
    if peak is not None:
        half = np.maximum(np.abs(peak - units[0][dims]), MIN_HALF_WIDTH)
        boxes.append({**_intervals([numeric[i] for i in dims], peak, half), **held})
        centres.append({numeric[i]: float(c) for i, c in zip(dims, peak)})
        weights.append(MODEL_SHARE / (1 - MODEL_SHARE) * sum(weights))
        notes.append("one where a quadratic fitted to the trials peaks")
    spread = _spread(numeric, [_held(p, categorical) == held for p in top], units, WIDEN**stalled)
    if spread is not None:
        names, centre, covariance = spread
        sd = np.sqrt(np.diag(covariance))
        boxes.append({**boxes[0], **_intervals(names, centre, SPREAD_REACH * sd)})
        centres.append({**centres[0], **_centre(names, centre)})
        joint[len(boxes) - 1] = {"names": names, "covariance": covariance.tolist()}
        weights.append(SPREAD_SHARE / (1 - SPREAD_SHARE) * sum(weights))
        notes.append("one shaped like the spread of the best trials")
    others = _other_values(space, numeric, categorical, points, units, reach)
    share = EXPLORE_SHARE / (1 - EXPLORE_SHARE) * sum(weights)
    places = sum(1 / k for k in range(1, len(others) + 1))
    for k, value_boxes in enumerate(others, 1):
        for box, centre, weight in value_boxes:
            boxes.append(box)
            centres.append(centre)
            weights.append(share / k / places * weight)
    if others:
        notes.append("the categorical values the best trial lacks")
    note = ", and ".join([", ".join(notes[:-1]), notes[-1]]) if len(notes) > 1 else notes[0]
    spreads = [joint.get(i) for i in range(len(boxes))] if joint else None
    return Region(boxes, note=note, top=ids, weights=weights, centres=centres, spreads=spreads)


def _spread(numeric, alike, units, widen):
    """(names, centre, covariance): a normal centred on the best point, with the covariance
    of the best points that share its categorical values (`alike`, one bool per row of
    `units`; weighted 1 / rank, times
    (SPREAD_SCALE x widen)^2), over the numeric dimensions they all have; None when there are
    fewer than 2 such dimensions or fewer than SPREAD_POINTS per dimension to estimate it
    from. Along a curved ridge the best points line up, so these samples step along it where a
    box's independent draws mostly fall off it."""
    x = units[np.asarray(alike, bool)]
    dims = [i for i in range(len(numeric)) if not np.isnan(x[:, i]).any()]
    if len(dims) < 2 or len(x) < SPREAD_POINTS * len(dims):
        return None
    x = x[:, dims]
    w = 1.0 / np.arange(1, len(x) + 1)
    w /= w.sum()
    d = x - w @ x
    covariance = (d * w[:, None]).T @ d * (SPREAD_SCALE * widen) ** 2
    covariance += np.eye(len(dims)) * MIN_HALF_WIDTH**2
    return [numeric[i] for i in dims], x[0], covariance


def _other_values(space, numeric, categorical, points, top_units, reach) -> list:
    """For each categorical value the best point lacks (it has not won yet), its boxes (box,
    centre, share of the value's samples), in the order the values are to be weighted: first
    those no trial had, then by their best trial's rank, so a value that came close is tried
    more than one that never did. A value no trial had gets the whole numeric space; the
    others two halves. One box goes where a quadratic fitted to the value's trials peaks (when
    they are enough; kept within the span of the value's trials), or else around the best of
    them, reaching toward the best points; the other goes around the best point with the value
    swapped in, reaching as far and at least to the first box's centre, so a value that wins
    only where the others do best is tried there too."""
    best_point, ranked = points[0], []
    for name in categorical:
        for value in space[name].values:
            if best_point.params.get(name) == value:
                continue
            have = [(i, p) for i, p in enumerate(points) if p.params.get(name) == value]
            if not have:
                ranked.append((-1, [({name: (value,)}, {}, 1.0)]))
                continue
            have_units = _units(space, numeric, [p for _, p in have])
            u = have_units[0].copy()
            alike = [p for _, p in have if p.finished]
            peak, dims = _model_peak(space, numeric, alike, have_units)
            if peak is not None:
                u[dims] = peak
            order = np.argsort(np.nansum((top_units - u) ** 2, axis=1))[:NEIGHBOURS]
            far = np.nanmax(np.abs(top_units[order] - u), axis=0, initial=0.0)
            half = np.maximum(reach * np.nan_to_num(far), MIN_HALF_WIDTH)
            best = top_units[0]
            swapped = np.maximum(reach * np.nan_to_num(np.abs(u - best)), half)
            value_boxes = [
                (
                    {**_intervals(numeric, c, h), **_held(p, categorical), name: (value,)},
                    _centre(numeric, c),
                    0.5,
                )
                for p, c, h in ((have[0][1], u, half), (best_point, best, swapped))
            ]
            ranked.append((have[0][0], value_boxes))
    return [value_boxes for _, value_boxes in sorted(ranked, key=lambda r: r[0])]


def _held(point, categorical) -> dict:
    """The point's values of the categorical hyperparameters, each as a box's one value."""
    return {n: (point.params[n],) for n in categorical if n in point.params}


def _centre(names, units) -> dict:
    """Unit coordinates by name; None where missing."""
    return {n: (None if math.isnan(c) else float(c)) for n, c in zip(names, units)}


def _units(space, names, points) -> np.ndarray:
    """(len(points), len(names)) unit coordinates; NaN where a point lacks the hyperparameter."""
    rows = [
        [space[n].to_unit(p.params[n]) if n in p.params else math.nan for n in names]
        for p in points
    ]
    return np.array(rows, dtype=float).reshape(len(points), len(names))


def _span(units):
    """Per dimension, the least and greatest coordinate of the points that have it; 0 and 1
    where none has."""
    columns = [c[~np.isnan(c)] for c in units.T]
    lo = np.array([c.min() if len(c) else 0.0 for c in columns])
    hi = np.array([c.max() if len(c) else 1.0 for c in columns])
    return lo, hi


def _model_peak(space, numeric, alike, within):
    """Where a quadratic fitted to the `alike` points peaks, over the numeric dimensions they
    all have (`dims`, indices into `numeric`), clipped to MODEL_REACH of their span beyond the
    span of the points `within` (unit coordinates: the best points, or a categorical value's
    own); (None, None) when there is no such peak."""
    if not numeric or not alike:
        return None, None
    units = _units(space, numeric, alike)
    dims = [i for i in range(len(numeric)) if not np.isnan(units[:, i]).any()]
    if not dims:
        return None, None
    peak = _quadratic_peak(units[:, dims], [p.score for p in alike])
    if peak is None:
        return None, None
    lo, hi = _span(within[:, dims])
    margin = MODEL_REACH * (hi - lo)
    return np.clip(peak, np.maximum(lo - margin, 0.0), np.minimum(hi + margin, 1.0)), dims


def _quadratic_peak(units: np.ndarray, scores: list):
    """Where the quadratic fitted to (units, scores) peaks; None when there are not more
    points than even a quadratic without cross terms has coefficients (1 + 2d), or it has no
    peak. With fewer points than the full quadratic needs (1 + d + d(d + 1) / 2: 22 in 5
    dimensions), it is fitted without cross terms, so that a model guides the search from
    about a dozen points on rather than only late. The fit weights the point of rank r (0 for
    the best) by 1 / (1 + 4 r / n)."""
    n, d = units.shape
    upper = np.triu_indices(d)
    if n <= 1 + d + d * (d + 1) // 2:  # too few for the cross terms
        upper = (np.arange(d), np.arange(d))
    squares = (units[:, :, None] * units[:, None, :])[:, upper[0], upper[1]]
    features = np.hstack([np.ones((n, 1)), units, squares])
    if n <= features.shape[1]:
        return None
    y = np.asarray(scores, float)
    rank = np.argsort(np.argsort(-y))
    root = np.sqrt(1.0 / (1.0 + 4.0 * rank / n))  # least squares on rows scaled by sqrt(weight)
    coef = np.linalg.lstsq(features * root[:, None], y * root, rcond=None)[0]
    hessian = np.zeros((d, d))
    hessian[upper] = coef[d + 1 :]
    hessian = hessian + hessian.T  # a coefficient c of x_i^2 is half of d2/dx_i^2
    if not np.all(np.isfinite(hessian)) or np.linalg.eigvalsh(hessian).max() >= 0:
        return None
    return np.linalg.solve(hessian, -coef[1 : d + 1])


def _intervals(names, centre, half) -> dict:
    """Intervals centre +- half within [0, 1]; the whole interval where the centre is missing."""
    out = {}
    for name, c, h in zip(names, centre, half):
        out[name] = (
            (0.0, 1.0) if math.isnan(c) else (float(max(c - h, 0.0)), float(min(c + h, 1.0)))
        )
    return out
