"""Random sampling of configurations inside a region of the search space.

A region is a union of boxes in unit coordinates (see `distributions`): each box maps a
numeric hyperparameter to an interval (lo, hi) of [0, 1] and a categorical one to the tuple
of values it allows. Trial `trial` of round `rnd` draws from its own Generator seeded with
(seed, rnd, trial), so its configuration never depends on which worker runs it, in what
order, or whether the run was resumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .conditions import drop_inactive
from .distributions import Categorical


@dataclass
class Region:
    boxes: list  # of dict: name -> (lo, hi) in unit coordinates, or tuple of allowed values
    note: str = ""
    top: list = field(default_factory=list)  # the trials that defined it
    weights: list | None = None  # relative sampling probability of each box; None: equal
    centres: list | None = (
        None  # per box, the unit coordinates samples concentrate around; None: uniform
    )
    spreads: list | None = None  # per box, None or {"names", "covariance"}: a joint normal
    proposals: dict = field(default_factory=dict)  # trial -> the configuration a model proposed

    def record(self, space: dict) -> dict:
        """A JSON-able description, bounds both in values and in unit coordinates."""

        def values(box):
            out = {}
            for name, bound in box.items():
                if isinstance(space[name], Categorical):
                    out[name] = list(bound)
                else:
                    out[name] = [space[name].from_unit(bound[0]), space[name].from_unit(bound[1])]
            return out

        return {
            "note": self.note,
            "top_trials": list(self.top),
            "weights": self.weights,
            "centres": self.centres,
            "spreads": self.spreads,
            "boxes": [values(b) for b in self.boxes],
            "unit_boxes": [{k: list(v) for k, v in b.items()} for b in self.boxes],
            "proposals": [{"trial": t, "params": p} for t, p in sorted(self.proposals.items())],
        }


def whole_space(space: dict, note: str = "the whole space") -> Region:
    box = {
        name: tuple(d.values) if isinstance(d, Categorical) else (0.0, 1.0)
        for name, d in space.items()
    }
    return Region([box], note)


def sample_config(space: dict, region: Region, seed: int, rnd: int, trial: int) -> dict:
    """The configuration of trial `trial` in round `rnd`: the one a model proposed for it, if
    any; otherwise a box of the region chosen at random
    (in proportion to its weight), then each hyperparameter (in sorted order) drawn in that
    box's unit interval: uniformly, or, when the box has a centre, from a normal around it
    (sigma half the box's reach) truncated to the box; the names a box's spread covers are
    drawn together, from a normal with its covariance. Hyperparameters whose condition does
    not hold are left out."""
    if trial in region.proposals:
        return dict(region.proposals[trial])
    rng = np.random.default_rng([seed, rnd, trial])
    weights = (
        np.ones(len(region.boxes)) if region.weights is None else np.asarray(region.weights, float)
    )
    cumulative = np.cumsum(weights / weights.sum())
    index = min(int(np.searchsorted(cumulative, rng.random(), side="right")), len(weights) - 1)
    box, centre = region.boxes[index], (region.centres[index] if region.centres else None)
    spread = region.spreads[index] if region.spreads else None
    joint = {} if spread is None else _joint_normal(rng, spread, centre, box)
    config = {}
    for name in sorted(space):  # every name draws, active or not, so draws stay aligned
        dist = space[name]
        if isinstance(dist, Categorical):
            bound = box.get(name, dist.values)
            config[name] = bound[min(int(rng.random() * len(bound)), len(bound) - 1)]
            continue
        lo, hi = box.get(name, (0.0, 1.0))
        if name in joint:
            config[name] = dist.from_unit(joint[name])
        elif centre is None or centre.get(name) is None:
            config[name] = dist.from_unit(lo + rng.random() * (hi - lo))
        else:
            config[name] = dist.from_unit(_truncated_normal(rng, centre[name], lo, hi))
    return drop_inactive(space, config)


def _truncated_normal(rng, centre: float, lo: float, hi: float, tries: int = 20) -> float:
    """A draw from N(centre, (reach / 2)^2) inside [lo, hi], reach the larger distance from the
    centre to a bound; uniform in [lo, hi] if every try falls outside (a box squeezed at an
    edge)."""
    sigma = max(centre - lo, hi - centre) / 2
    for _ in range(tries):
        x = centre + sigma * rng.standard_normal()
        if lo <= x <= hi:
            return x
    return lo + rng.random() * (hi - lo)


def _joint_normal(rng, spread: dict, centre: dict, box: dict, tries: int = 20) -> dict:
    """Unit coordinates of `spread`'s names drawn together from N(centre, covariance) inside
    the box; the first draw clipped to the box if every try falls outside."""
    names = spread["names"]
    mean = np.array([centre[n] for n in names])
    lo, hi = (np.array([box[n][i] for n in names]) for i in (0, 1))
    root = np.linalg.cholesky(np.asarray(spread["covariance"], float))
    draws = mean + rng.standard_normal((tries, len(names))) @ root.T
    inside = np.all((draws >= lo) & (draws <= hi), axis=1)
    x = draws[np.argmax(inside)] if inside.any() else np.clip(draws[0], lo, hi)
    return {n: float(v) for n, v in zip(names, x)}
