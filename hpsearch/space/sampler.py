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

from .distributions import Categorical


@dataclass
class Region:
    boxes: list  # of dict: name -> (lo, hi) in unit coordinates, or tuple of allowed values
    note: str = ""
    top: list = field(default_factory=list)  # the trials that defined it
    weights: list | None = None  # relative sampling probability of each box; None: equal

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

        return {"note": self.note, "top_trials": list(self.top), "weights": self.weights,
                "boxes": [values(b) for b in self.boxes],
                "unit_boxes": [{k: list(v) for k, v in b.items()} for b in self.boxes]}

    @classmethod
    def from_record(cls, record: dict) -> "Region":
        boxes = [{k: tuple(v) for k, v in b.items()} for b in record["unit_boxes"]]
        return cls(boxes, record.get("note", ""), list(record.get("top_trials", [])), record.get("weights"))


def whole_space(space: dict, note: str = "the whole space") -> Region:
    box = {name: tuple(d.values) if isinstance(d, Categorical) else (0.0, 1.0) for name, d in space.items()}
    return Region([box], note)


def sample_config(space: dict, region: Region, seed: int, rnd: int, trial: int) -> dict:
    """The configuration of trial `trial` in round `rnd`: a box of the region chosen at random
    (in proportion to its weight), then each hyperparameter (in sorted order) uniform in that
    box's unit interval."""
    rng = np.random.default_rng([seed, rnd, trial])
    weights = np.ones(len(region.boxes)) if region.weights is None else np.asarray(region.weights, float)
    box = region.boxes[int(np.searchsorted(np.cumsum(weights / weights.sum()), rng.random(), side="right").clip(max=len(weights) - 1))]
    config = {}
    for name in sorted(space):
        bound, u = box[name], rng.random()
        if isinstance(space[name], Categorical):
            config[name] = bound[min(int(u * len(bound)), len(bound) - 1)]
        else:
            config[name] = space[name].from_unit(bound[0] + u * (bound[1] - bound[0]))
    return config
