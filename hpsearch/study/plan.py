"""How many trials each round of a search gets.

`Plan.fixed(trials, rounds)` is rounds of equal size. `Plan.for_budget(budget)` sizes the
rounds from the total number of trials: a first round of random trials that sees the whole
space, then rounds decided by a model of every trial before it, each adding about an eighth of
the trials so far (2 until 24 trials, then 3, then 4): a search of 20-40 expensive trials
learns from its trials often, and a long one runs 4 trials at a time.
A budget plan is the prefix, `budget` trials long, of one endless sequence of rounds, so a
search extended to a larger budget runs exactly the trials a search with that budget from the
start would (`bench/refine.py` measures the choice). Round sizes never depend on the number of
workers: the same config gives the same table on any machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FIRST = 8  # the first round: random trials that see the whole space before a model can be fitted
SHARE = 8  # each later round adds about 1/SHARE of the trials before it ...
LATER = (2, 4)  # ... but at least 2 and at most 4 (bench/refine.py)


@dataclass(frozen=True)
class Plan:
    sizes: tuple  # trials in each round
    cut: int = 0  # the last round's size in the sequence, where the budget cut it short

    @classmethod
    def fixed(cls, trials: int, rounds: int) -> Plan:
        return cls((trials,) * rounds)

    @classmethod
    def for_budget(cls, budget: int) -> Plan:
        sizes, left = [], budget
        while left > 0:
            done = budget - left
            size = FIRST if not sizes else min(max(done // SHARE, LATER[0]), LATER[1])
            sizes.append(min(size, left))
            left -= size
        return cls(tuple(sizes), cut=size if size > sizes[-1] else 0)

    @property
    def total(self) -> int:
        return sum(self.sizes)

    @property
    def rounds(self) -> int:
        return len(self.sizes)

    @property
    def narrowest(self) -> int:
        """The fewest trials a round runs side by side (a last round the budget cut short
        counted whole: it is one round of many)."""
        return min(self.whole_size(r) for r in range(1, self.rounds + 1))

    def whole_size(self, rnd: int) -> int:
        """Round `rnd`'s size in the sequence the plan is a prefix of: what the round's model
        proposes for, so that a last round the budget cut short runs the first trials of the
        whole one, and a search extended to a larger budget continues it."""
        return self.cut if rnd == self.rounds and self.cut else self.sizes[rnd - 1]

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
