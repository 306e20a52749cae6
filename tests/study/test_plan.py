"""Round sizes: from a budget, a prefix of one sequence that depends only on the space."""

import pytest

from hpsearch.space import Categorical, Float
from hpsearch.study import Plan
from hpsearch.study.plan import keep_for


def space(d):
    return {f"x{i}": Float(0, 1) for i in range(d - 1)} | {"c": Categorical(("a", "b"))}


@pytest.mark.parametrize("d", [1, 3, 6, 10])
@pytest.mark.parametrize("budget", [1, 20, 37, 60, 120, 500])
def test_a_budget_plan_spends_the_budget_exactly(budget, d):
    plan = Plan.for_budget(budget, space(d))
    assert plan.total == budget and all(s > 0 for s in plan.sizes)
    assert [t for r in range(1, plan.rounds + 1) for t in plan.trials_of(r)] == list(range(budget))


@pytest.mark.parametrize("d", [1, 4, 10])
def test_a_larger_budget_extends_a_smaller_ones_plan(d):
    small, large = Plan.for_budget(60, space(d)), Plan.for_budget(120, space(d))
    assert large.sizes[: small.rounds - 1] == small.sizes[:-1]
    last = small.rounds
    assert large.trials_of(last)[: small.sizes[-1]] == small.trials_of(
        last
    )  # the last round continues


def test_the_first_round_sees_the_whole_space_and_later_rounds_refine_often():
    assert Plan.for_budget(60, space(3)).sizes == (12, 8, 8, 8, 8, 8, 8)
    assert Plan.for_budget(30, space(1)).sizes == (8, 8, 8, 6)  # 1-d: 8 random trials see it
    assert Plan.for_budget(30, space(10)).sizes == (12, 8, 8, 2)
    assert (
        Plan.fixed(20, 3).sizes == (20, 20, 20)
        and Plan.fixed(20, 3).describe() == "3 rounds of 20"
    )


def test_keep_chooses_between_3_and_12_trials():
    assert keep_for(8) * 8 == 3 and keep_for(40) * 40 == 10 and round(keep_for(200) * 200) == 12
