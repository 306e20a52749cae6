"""Rounds with a model's proposals: which trials run them, what the round records."""

from hpsearch.study import FunctionObjective, Goal, Plan, Settings, run_study
from tests.space.test_gp import SPACE, _score


def test_a_round_runs_the_proposals_it_records_whatever_order_the_trials_finish_in():
    settings = Settings(Plan.for_budget(30), Goal.of("value", "maximize"), seed=4)
    run = FunctionObjective(_score, settings.goal)
    forward = run_study(SPACE, lambda tasks: [run(t) for t in tasks], settings)
    backward = run_study(SPACE, lambda tasks: [run(t) for t in reversed(tasks)], settings)
    assert [r.params for r in forward.trials] == [r.params for r in backward.trials]
    assert forward.regions == backward.regions
    second = forward.regions[1]
    assert second["note"] == (
        "1 where a model of the trials expects the best score and 1 where it expects most "
        "improvement (of 2)"
    )
    params = {r.trial: r.params for r in forward.trials}
    assert [p["trial"] for p in second["proposals"]] == [8, 9]  # the whole round
    assert all(params[p["trial"]] == p["params"] for p in second["proposals"])
