"""How many trials each round of a search gets.

`Plan.fixed(trials, rounds)` is rounds of equal size. `Plan.for_budget(budget)` sizes the
rounds from the total number of trials: a first round of random trials that sees the whole
space, then rounds of 4, each decided by a model of every trial before it: a search of 20-40
expensive trials learns from its trials often, and a round still runs 4 trials in parallel.
A budget plan is the prefix, `budget` trials long, of one endless sequence of rounds, so a
search extended to a larger budget runs exactly the trials a search with that budget from the
start would (`bench/refine.py` measures the choice). Round sizes never depend on the number of
workers: the same config gives the same table on any machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FIRST = 8  # the first round: random trials that see the whole space before a model can be fitted
LATER = (
    4  # each later round: few trials, so the model learns from each round often (bench/refine.py)
)


@dataclass(frozen=True)
class Plan:
    sizes: tuple  # trials in each round

    @classmethod
    def fixed(cls, trials: int, rounds: int) -> Plan:
        return cls((trials,) * rounds)

    @classmethod
    def for_budget(cls, budget: int) -> Plan:
        sizes, left = [], budget
        while left > 0:
            size = min(FIRST if not sizes else LATER, left)
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
