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
            "boxes": [values(b) for b in self.boxes],
            "unit_boxes": [{k: list(v) for k, v in b.items()} for b in self.boxes],
        }


def whole_space(space: dict, note: str = "the whole space") -> Region:
    box = {
        name: tuple(d.values) if isinstance(d, Categorical) else (0.0, 1.0)
        for name, d in space.items()
    }
    return Region([box], note)


def sample_config(space: dict, region: Region, seed: int, rnd: int, trial: int) -> dict:
    """The configuration of trial `trial` in round `rnd`: a box of the region chosen at random
    (in proportion to its weight), then each hyperparameter (in sorted order) drawn in that
    box's unit interval: uniformly, or, when the box has a centre, from a normal around it
    (sigma half the box's reach) truncated to the box. Hyperparameters whose condition does
    not hold are left out."""
    rng = np.random.default_rng([seed, rnd, trial])
    weights = (
        np.ones(len(region.boxes)) if region.weights is None else np.asarray(region.weights, float)
    )
    cumulative = np.cumsum(weights / weights.sum())
    index = min(int(np.searchsorted(cumulative, rng.random(), side="right")), len(weights) - 1)
    box, centre = region.boxes[index], (region.centres[index] if region.centres else None)
    config = {}
    for name in sorted(space):  # every name draws, active or not, so draws stay aligned
        dist = space[name]
        if isinstance(dist, Categorical):
            bound = box.get(name, dist.values)
            config[name] = bound[min(int(rng.random() * len(bound)), len(bound) - 1)]
            continue
        lo, hi = box.get(name, (0.0, 1.0))
        if centre is None or centre.get(name) is None:
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
