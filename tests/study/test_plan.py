"""Round sizes: from a budget, a prefix of one sequence of rounds."""

import pytest

from hpsearch.study import Plan
from hpsearch.study.plan import keep_for


@pytest.mark.parametrize("budget", [1, 20, 37, 60, 120, 500])
def test_a_budget_plan_spends_the_budget_exactly(budget):
    plan = Plan.for_budget(budget)
    assert plan.total == budget and all(s > 0 for s in plan.sizes)
    assert [t for r in range(1, plan.rounds + 1) for t in plan.trials_of(r)] == list(range(budget))


def test_a_larger_budget_extends_a_smaller_ones_plan():
    small, large = Plan.for_budget(62), Plan.for_budget(120)
    assert large.sizes[: small.rounds - 1] == small.sizes[:-1]
    last = small.rounds
    assert large.trials_of(last)[: small.sizes[-1]] == small.trials_of(last)  # it continues
    assert small.whole_size(last) == large.sizes[last - 1] > small.sizes[-1]  # proposed whole
    assert [large.whole_size(r) for r in range(1, last)] == list(large.sizes[: last - 1])
    assert small.sizes[-1] == 1 and small.narrowest == 2  # what jobs: auto fills the cores with


def test_the_first_round_sees_the_whole_space_and_later_rounds_refine_often():
    assert Plan.for_budget(60).sizes == (8,) + (2,) * 8 + (3,) * 3 + (4,) * 6 + (3,)
    assert Plan.for_budget(30).sizes == (8,) + (2,) * 8 + (3, 3)
    assert Plan.for_budget(500).sizes[-10:-1] == (4,) * 9  # never wider than 4
    assert Plan.for_budget(5).sizes == (5,)
    assert Plan.fixed(20, 3).sizes == (20, 20, 20)
    assert Plan.fixed(20, 3).describe() == "3 rounds of 20"


def test_keep_chooses_between_3_and_12_trials():
    assert keep_for(8) * 8 == 3 and keep_for(40) * 40 == 10 and round(keep_for(200) * 200) == 12
