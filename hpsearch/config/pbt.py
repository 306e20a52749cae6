"""The `search.method: pbt` settings: population-based training instead of rounds.

```yaml
search: {method: pbt, population: 16, interval: 4}
```
`population` trials train side by side (caviar) or one after another, babysat (panda); every
`interval` epochs the worst quarter copies the best quarter's state and changes its live
hyperparameters (see `study.pbt`).
"""

from __future__ import annotations

from ..errors import UserError, check_whole
from ..nn.hyper import LIVE

METHODS = ("coarse_to_fine", "pbt")
KEYS = {"method": "coarse_to_fine", "population": 16, "interval": 4}
SIZING = ("budget", "trials", "rounds")  # a PBT search is sized by its population
EXPLORED = tuple(name for name in LIVE if name != "epochs")  # what PBT may change


def check_pbt(given: dict, out: dict, builtin: bool, params: dict, space: dict):
    """Check a PBT search's settings (`given`: the search section as written; `out`: as
    resolved) against the rest of the config; raises UserError."""
    for key, low in (("population", 2), ("interval", 1)):
        check_whole(out[key], low, f"search.{key}", f"use {low} or more, such as {KEYS[key]}")
    if out["method"] != "pbt":
        for key in ("population", "interval"):
            if key in given:
                raise UserError(
                    f"{key} applies to method pbt, and method is {out['method']}",
                    key=f"search.{key}",
                    fix="add method: pbt, or remove it",
                )
        return
    if not builtin:
        raise UserError(
            "pbt trains the built-in network: it copies a trial's state between epochs",
            key="search.method",
            fix="remove objective: / estimator:, or use method coarse_to_fine",
        )
    sized = [key for key in SIZING if given.get(key) is not None]
    if sized:
        raise UserError(
            f"a pbt search is sized by its population, not by {sized[0]}",
            key=f"search.{sized[0]}",
            fix="remove it and set population: (the number of trials)",
        )
    if out["prune"] != "none":
        raise UserError(
            "pbt replaces pruning: its worst trials copy the best ones",
            key="search.prune",
            fix="remove prune: (or set prune: none)",
        )
    if "epochs" in space:
        raise UserError(
            "pbt trains every trial for the same epochs, and epochs is searched",
            key="space.epochs",
            fix="fix epochs in params:",
        )
    if not any(name in space for name in EXPLORED):
        raise UserError(
            "pbt changes hyperparameters mid-training, and the space has none that may change",
            key="space",
            fix="search one of: " + ", ".join(EXPLORED),
        )
    if out["interval"] >= params.get("epochs", 1):
        raise UserError(
            f"interval {out['interval']} is not less than the {params.get('epochs')} epochs "
            "each trial trains, so no trial would ever copy another",
            key="search.interval",
            fix="use an interval of a few epochs, such as a tenth of the epochs",
        )
    out.update(dict.fromkeys(SIZING))  # the population is the trials, in one round


def changing(config) -> list[str]:
    """The searched hyperparameters a pbt search changes, but the learning rate, which curves.csv
    has already (as trained with): their columns there. None for other searches."""
    return [n for n in config.space if config.pbt and n in EXPLORED and n != "learning_rate"]
