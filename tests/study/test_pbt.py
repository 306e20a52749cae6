"""PBT's generation step on hand-made records: who copies whom, and what explore changes."""

from hpsearch.space import Float
from hpsearch.study import Goal, Member, Population, TrialResult, lineage
from hpsearch.study.pbt import generation

SPACE = {"lr": Float(1e-4, 1.0, "log"), "width": Float(1.0, 9.0)}
ACC = Goal("acc", "maximize")


def _records(values, costs, status="paused"):
    return {
        t: TrialResult(t, 1, status, {}, value=v, metrics={"acc": v, "cost": c}, epochs=2)
        for t, (v, c) in enumerate(zip(values, costs))
    }


def test_the_bottom_quarter_copies_the_top_and_ties_go_to_the_lower_tiebreak():
    members = [Member(t, {"lr": 0.01, "width": 3.0}, t) for t in range(8)]
    results = _records([0.9] * 8, [0.1, 0.5, 0.2, 0.6, 0.3, 0.7, 0.4, 0.8])
    population = Population(8, 2, 10, live=("lr",), tiebreak="cost")
    logged = generation(SPACE, ACC, population, 0, members, results, 2)
    copies = {e["trial"]: e["source"] for e in logged if e["kind"] == "exploit"}
    assert set(copies) == {5, 7} and set(copies.values()) <= {0, 2}  # the costliest copy
    for e in (e for e in logged if e["kind"] == "explore"):
        assert set(e["values"]) <= {"lr"}  # only live hyperparameters move
    assert members[7].state is results[copies[7]] and members[0].state is results[0]
    assert members[7].params["width"] == 3.0


def test_a_diverged_trial_copies_a_better_one_whatever_its_rank():
    members = [Member(t, {"lr": 0.01}, t) for t in range(8)]
    results = _records([0.5, 0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2], [0.0] * 8)
    results[0].status, results[0].value = "diverged", None
    logged = generation(SPACE, ACC, Population(8, 2, 10, ("lr",)), 0, members, results, 2)
    assert {e["trial"] for e in logged if e["kind"] == "exploit"} == {0, 6, 7}


def test_a_lineage_follows_copies_back_to_the_first_trial():
    log = [
        {"trial": 2, "epoch": 4, "kind": "exploit", "source": 0},
        {"trial": 0, "epoch": 2, "kind": "exploit", "source": 1},
        {"trial": 2, "epoch": 8, "kind": "explore"},
    ]
    assert lineage(2, log, 10) == [(1, 1, 2), (0, 3, 4), (2, 5, 10)]
    assert lineage(1, log, 10) == [(1, 1, 10)]
