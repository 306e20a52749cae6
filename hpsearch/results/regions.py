"""Each round's region of the search space, in values, as `results --regions` shows it."""

from __future__ import annotations

import pandas as pd

from ..errors import near_one
from ..space import may_apply
from .run import Run


def region_table(run: Run) -> pd.DataFrame:
    """Each round's region per hyperparameter, in values. A numeric one: the span of the
    heaviest of its boxes that together take at least half of its samples (the span of all of
    them reaches across most of the space as soon as one box sits far from the others). A
    categorical one: every value it samples, the most sampled first."""
    rows = []
    for record in run.regions:
        row = {
            "round": record["round"],
            "boxes": len(record["boxes"]),
            "note": record.get("note", ""),
        }
        boxes = record["boxes"]
        weights = record.get("weights") or [1.0] * len(boxes)
        heaviest, taken = [], 0.0
        for i in sorted(range(len(weights)), key=lambda i: -weights[i]):
            if taken >= sum(weights) / 2:
                break
            heaviest.append(boxes[i])
            taken += weights[i]
        for p in run.params:
            values = getattr(run.space.get(p), "values", None)
            if values is not None:
                row[p] = ", ".join(str(v) for v in _by_share(p, values, boxes, weights))
                continue
            spans = [b[p] for b in heaviest if p in b and may_apply(run.space, p, b)]
            if not spans:  # a conditional one sampled only in lighter boxes is still sampled
                spans = [b[p] for b in boxes if p in b and may_apply(run.space, p, b)]
            if spans:
                row[p] = _span(run, p, min(s[0] for s in spans), max(s[1] for s in spans))
        rows.append(row)
    return pd.DataFrame(rows)


def _span(run: Run, name: str, lo: float, hi: float) -> str:
    """'0.0001..0.05': 3 significant digits, short enough that a table of several shows whole;
    near 1 (a beta), 3 significant digits of 1 - value: 0.99861, not 0.999."""
    if getattr(run.space.get(name), "scale", "") == "one_minus_log":
        return "..".join(near_one(v, 3, lambda v: f"{v:.3g}") for v in (lo, hi))
    return f"{lo:.3g}..{hi:.3g}"


def _by_share(name, values, boxes, weights) -> list:
    """The categorical values the boxes sample, the most sampled first (a box that does not
    hold the hyperparameter samples all its values alike)."""
    share = dict.fromkeys(values, 0.0)
    for box, weight in zip(boxes, weights):
        held = box.get(name, values)
        for v in held:
            if v in share:
                share[v] += weight / len(held)
    return sorted((v for v in values if share[v] > 0), key=lambda v: -share[v])
