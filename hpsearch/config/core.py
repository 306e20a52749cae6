"""`Config`: a search's configuration, checked, with every default filled in."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from ..errors import UserError
from ..nn.hyper import DEFAULTS, readers
from ..space import Categorical
from ..study import Goal, Plan, Population, Pruning, Settings
from ..version import __version__
from .pbt import EXPLORED
from .pbt import KEYS as PBT_KEYS
from .schema import TIEBREAK, resolve


@dataclass
class Config:
    name: str
    seed: int
    data: dict
    params: dict  # fixed hyperparameters (with every default, for the built-in network)
    search: dict
    space: dict  # name -> distribution
    objective: str | None = None  # package.module:function, or None for the built-in network
    estimator: str | None = None  # a scikit-learn estimator's class, cross-validated
    cv: int = 5  # with an estimator: the number of folds
    scoring: str | None = None  # with an estimator: a scorer's name (None: its own score)
    file: Path | None = None
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, raw: dict, file=None, default_name: str | None = None) -> Config:
        """Check a raw config (as read from YAML) and fill in every default."""
        try:
            fields = resolve(raw, file, default_name)
        except UserError as e:
            raise e.at(file=file) from None
        return cls(**fields, file=Path(file) if file else None, raw=raw)

    @property
    def builtin(self) -> bool:
        """Whether trials train the built-in network (not a function, not an estimator)."""
        return self.objective is None and self.estimator is None

    @property
    def step(self) -> str:
        """What a trial reports its metric after, as messages name it (trials.csv's `epochs`
        counts them): an epoch of training, or for an estimator a fold of cross-validation."""
        return "fold" if self.estimator else "epoch"

    def to_dict(self) -> dict:
        """The resolved config, as written to a run's config.yaml (a coarse-to-fine search's
        without the keys of pbt)."""
        search = {**self.search, "prune": self.pruning.to_dict()}
        if search["method"] != "pbt":
            search = {k: v for k, v in search.items() if k not in PBT_KEYS}
        return {
            "hpsearch_version": __version__,
            "name": self.name,
            "seed": self.seed,
            "data": self.data,
            "params": self.params,
            "objective": self.objective,
            **(
                {"estimator": self.estimator, "cv": self.cv, "scoring": self.scoring}
                if self.estimator
                else {}
            ),
            "search": search,
            "space": {n: d.to_dict() for n, d in self.space.items()},
        }

    @property
    def goal(self) -> Goal:
        return Goal.of(self.search["metric"], self.search["goal"])

    @property
    def pruning(self) -> Pruning:
        return Pruning.parse(self.search["prune"])

    @property
    def pbt(self) -> bool:
        return self.search["method"] == "pbt"

    def population(self) -> Population:
        """A pbt search's settings, with the network's epochs and live hyperparameters."""
        s = self.search
        epochs = self.params.get("epochs", DEFAULTS["epochs"])
        return Population(s["population"], s["interval"], epochs, EXPLORED, TIEBREAK)

    @property
    def plan(self) -> Plan:
        s = self.search
        if self.pbt:
            return Plan.fixed(s["population"], 1)
        if s["budget"] is not None:
            return Plan.for_budget(s["budget"])
        return Plan.fixed(s["trials"], s["rounds"])

    def settings(self) -> Settings:
        """How the search runs. With the built-in network, halving knows the trials' epochs, so
        that a trial promoted past the last rung can pause there (see `study.prune`), and
        breaks ties on the metric by the dev cost."""
        s, pruning, length = self.search, self.pruning, None
        if self.builtin:
            epochs = self.params.get("epochs", DEFAULTS["epochs"])
            pruning = replace(pruning, epochs=epochs, tiebreak=TIEBREAK)
            length = partial(_epochs, epochs)
        return Settings(
            self.plan, self.goal, self.seed, s["keep"], s["refine"], pruning, length=length
        )

    def unread_searched(self) -> list[str]:
        """A warning for each searched hyperparameter that training may not read: the fixed
        optimizer (or lr_decay) never reads it (beta1 with momentum), or only some of the
        searched ones do and no `when:` says so. Its values would be searched, and reported
        by results and importance, as if they mattered."""
        if not self.builtin:
            return []
        out = []
        for name, dist in self.space.items():
            found = readers(name)
            if found is None:
                continue
            choice, values = found
            within = " or ".join(values)
            if choice in self.params and self.params[choice] not in values:
                out.append(
                    f"space.{name}: searched, but {choice} {self.params[choice]} (fixed) never "
                    f"reads it, so its values change nothing; drop it from space (it is read "
                    f"with {choice} {within})"
                )
            elif (
                isinstance(self.space.get(choice), Categorical)
                and set(self.space[choice].values) - set(values)
                and choice not in dict(dist.when)
            ):
                others = [v for v in self.space[choice].values if v not in values]
                out.append(
                    f"space.{name}: read only with {choice} {within}, but searched in "
                    f"{' and '.join(map(str, others))} trials too; add "
                    f"when: {{{choice}: [{', '.join(values)}]}}"
                )
        return out

    def centre(self) -> dict:
        """Fixed params plus each searched hyperparameter at the centre of its range (in
        sampling coordinates: the geometric mean for log) or its first value."""
        centre = {
            n: d.values[0] if isinstance(d, Categorical) else d.from_unit(0.5)
            for n, d in self.space.items()
        }
        return {**self.params, **centre}


def _epochs(fixed: int, params: dict) -> int:
    """The epochs a trial of the built-in network trains: its own, or the fixed ones."""
    return params.get("epochs", fixed)
