"""How many trials each round of a search gets.

`Plan.fixed(trials, rounds)` is rounds of equal size. `Plan.for_budget(budget, space)` sizes the
rounds from the total number of trials and the space: a first round large enough to see the
whole space, then small rounds, so that the region is refined often (few large rounds refine
too rarely; tiny rounds refine on too little). A budget plan is the prefix, `budget` trials
long, of one endless sequence of rounds that depends only on the space, so a search extended
to a larger budget runs exactly the trials a search with that budget from the start would
(`bench/refine.py` measures the choice). Round sizes never depend on the number of workers:
the same config gives the same table on any machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FIRST_PER_DIMENSION = 5  # the first round: this many trials per hyperparameter ...
FIRST_MIN, FIRST_MAX = 8, 12  # ... within these bounds
LATER = 8  # each later round (larger rounds refine too rarely within 30-60 trials)


@dataclass(frozen=True)
class Plan:
    sizes: tuple  # trials in each round

    @classmethod
    def fixed(cls, trials: int, rounds: int) -> Plan:
        return cls((trials,) * rounds)

    @classmethod
    def for_budget(cls, budget: int, space: dict) -> Plan:
        d = max(1, len(space))
        first = min(max(FIRST_PER_DIMENSION * d, FIRST_MIN), FIRST_MAX)
        sizes, left = [], budget
        while left > 0:
            size = min(first if not sizes else LATER, left)
            sizes.append(size)
            left -= size
        return cls(tuple(sizes))

    @property
    def total(self) -> int:
        return sum(self.sizes)

    @property
    def rounds(self) -> int:
        return len(self.sizes)

    def trials_of(self, rnd: int) -> range:
        """The trial numbers of round `rnd` (from 1)."""
        first = sum(self.sizes[: rnd - 1])
        return range(first, first + self.sizes[rnd - 1])

    def describe(self) -> str:
        if len(set(self.sizes)) == 1:
            return f"{self.rounds} round{'s' if self.rounds > 1 else ''} of {self.sizes[0]}"
        return f"{self.rounds} rounds: " + " + ".join(map(str, self.sizes))


def keep_for(n_points: int) -> float:
    """The share of the trials so far whose region the next round samples, when the config
    does not set `keep`: a quarter, but never fewer than 3 nor more than 12 trials."""
    if n_points == 0:
        return 0.25
    return min(max(math.ceil(0.25 * n_points), 3), 12) / n_points
