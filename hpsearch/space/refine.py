"""Coarse-to-fine: the region the next round samples, from the best trials so far.

Works in unit coordinates (log10 for `log`, log10(1 - v) for `one_minus_log`, the value for
`linear`, all rescaled to [0, 1]), so a region is narrow in the coordinates where the
hyperparameter matters. Two methods:

- `box`: one bounding box around the best `keep` fraction of finished trials, widened by a
  margin. Simple, but along a curved ridge (learning rate against 1 - beta1) the box stays
  nearly as wide as the space.
- `boxes` (default): a union of boxes, one centred on each of the best trials, reaching per
  dimension 0.8 of the way to the farthest of its 4 nearest fellow best trials. The union
  follows the good trials along a ridge and links neighbouring ones (the optimum often lies
  between them). Better trials are sampled more often (weight 1 / rank^2), and inside a box
  samples concentrate around its trial (a normal with sigma half the box's reach, truncated
  to the box), much as a Parzen estimator does. One more box goes where a model of the
  landscape puts the best: a quadratic fitted by weighted least squares to the finished trials
  that share the best trial's categorical values (the better a trial, the more its weight).
  When that quadratic has a maximum, the box is centred on it (kept inside the span of the
  best trials, so a poor fit cannot lead far), reaching as far as the best trial, and takes
  MODEL_SHARE of the samples. Near its optimum a learning curve's final metric is close to
  quadratic in log learning rate and log(1 - beta), and this is what a round of parallel
  trials can learn that single good points do not. Where the landscape is not quadratic (a
  sharp peak), the other boxes still carry the search.
  bench/refine.py measures it against the single box, plain random search and TPE; each
  choice here is the best it measured.

Categorical hyperparameters keep the values seen among the best trials. Diverged and failed
trials, and those without a finite metric, never define a region.
"""

from __future__ import annotations

import math

import numpy as np

from .distributions import Categorical
from .sampler import Region, whole_space

MARGIN = 0.1  # box: widen by this fraction of the box's width on each side
MIN_HALF_WIDTH = 0.02  # no interval is narrower than 2 x this, in unit coordinates
NEIGHBOURS = 4  # boxes: a box reaches toward this many of the nearest other best trials
NEIGHBOUR_SCALE = 0.8  # ... this fraction of the way
MIN_TOP = 2
MODEL_SHARE = 0.35  # boxes: the share of a round's samples around the fitted quadratic's maximum


def finished_trials(trials: list[dict]) -> list[dict]:
    """Trials that finished with a finite metric; each trial has params, value, status."""
    return [t for t in trials if t["status"] == "ok" and t["value"] is not None and math.isfinite(t["value"])]


def best_trials(trials: list[dict], keep: float, goal: str) -> list[dict]:
    """The best ceil(keep * n) of the finished trials, best first."""
    ok = finished_trials(trials)
    sign = -1.0 if goal == "maximize" else 1.0
    ok.sort(key=lambda t: (sign * t["value"], t["trial"]))
    return ok[: math.ceil(keep * len(ok))]


def refine(space: dict, trials: list[dict], *, keep: float, goal: str, method: str = "boxes") -> Region:
    """The next round's region, or the whole space (with a note saying why) when fewer than
    MIN_TOP trials are among the best."""
    top = best_trials(trials, keep, goal)
    if len(top) < MIN_TOP:
        n_ok = sum(t["status"] == "ok" for t in trials)
        return whole_space(space, note=f"only {n_ok} finished trial(s) to learn from: the whole space again")
    numeric = [n for n in sorted(space) if not isinstance(space[n], Categorical)]
    to_units = lambda ts: np.array([[space[n].to_unit(t["params"][n]) for n in numeric] for t in ts]).reshape(len(ts), -1)
    units = to_units(top)
    cats = {n: tuple(v for v in space[n].values if any(t["params"][n] == v for t in top))
            for n in space if isinstance(space[n], Categorical)}
    ids = [t["trial"] for t in top]
    if method == "box":
        half = np.maximum((units.max(axis=0) - units.min(axis=0)) * (0.5 + MARGIN), MIN_HALF_WIDTH)
        centre = (units.max(axis=0) + units.min(axis=0)) / 2
        box = {**_intervals(numeric, centre, half), **cats}
        return Region([box], note=f"one box around the best {len(top)} trials", top=ids)
    boxes = []
    for u, t in zip(units, top):
        nearest = np.argsort(((units - u) ** 2).sum(axis=1))[1 : NEIGHBOURS + 1]
        half = np.maximum(NEIGHBOUR_SCALE * np.abs(units[nearest] - u).max(axis=0, initial=0.0), MIN_HALF_WIDTH)
        boxes.append({**_intervals(numeric, u, half), **{n: (t["params"][n],) for n in cats}})
    weights = [1.0 / rank**2 for rank in range(1, len(top) + 1)]
    centres = [{n: float(c) for n, c in zip(numeric, u)} for u in units]
    note = f"a box around each of the best {len(top)} trials"
    best_values = {n: top[0]["params"][n] for n in cats}
    alike = [t for t in finished_trials(trials) if all(t["params"][n] == v for n, v in best_values.items())]
    peak = _quadratic_peak(to_units(alike), [t["value"] for t in alike], goal, units) if numeric else None
    if peak is not None:
        half = np.maximum(np.abs(peak - units[0]), MIN_HALF_WIDTH)
        boxes.append({**_intervals(numeric, peak, half), **{n: (v,) for n, v in best_values.items()}})
        weights.append(MODEL_SHARE / (1 - MODEL_SHARE) * sum(weights))
        centres.append({n: float(c) for n, c in zip(numeric, peak)})
        note += ", and one where a quadratic fitted to the trials peaks"
    return Region(boxes, note=note, top=ids, weights=weights, centres=centres)


def _quadratic_peak(units: np.ndarray, values: list, goal: str, best_units: np.ndarray):
    """Where the quadratic fitted to (units, values) peaks (its minimum when minimising),
    clipped to the span of `best_units`; None when there are not more trials than the
    quadratic has coefficients, or it has no peak. The fit weights the trial of rank r (0 for
    the best) by 1 / (1 + 4 r / n)."""
    n, d = units.shape
    upper = np.triu_indices(d)
    features = np.hstack([np.ones((n, 1)), units, (units[:, :, None] * units[:, None, :])[:, upper[0], upper[1]]])
    if n <= features.shape[1]:
        return None
    y = np.asarray(values, float) * (1.0 if goal == "maximize" else -1.0)
    rank = np.argsort(np.argsort(-y))
    root = np.sqrt(1.0 / (1.0 + 4.0 * rank / n))  # least squares on rows scaled by sqrt(weight)
    coef = np.linalg.lstsq(features * root[:, None], y * root, rcond=None)[0]
    hessian = np.zeros((d, d))
    hessian[upper] = coef[d + 1 :]
    hessian = hessian + hessian.T  # a coefficient c of x_i^2 is half of d2/dx_i^2
    if not np.all(np.isfinite(hessian)) or np.linalg.eigvalsh(hessian).max() >= 0:
        return None
    peak = np.linalg.solve(hessian, -coef[1 : d + 1])
    return np.clip(peak, best_units.min(axis=0), best_units.max(axis=0))


def _intervals(names, centre, half) -> dict:
    lo, hi = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    return {n: (float(a), float(b)) for n, a, b in zip(names, lo, hi)}
