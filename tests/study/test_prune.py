"""Pruning decisions on hand-made curves: exact survivors, for the median rule and halving."""

import pytest

from hpsearch.errors import UserError
from hpsearch.space import Float
from hpsearch.study import Goal, Pruning, Task, Trial, TrialResult, search
from hpsearch.study.loop import waves

ACC = Goal.of("dev_accuracy")  # maximised
COST = Goal.of("dev_cost")  # minimised


def earlier(curves, metric="dev_accuracy"):
    """Records of earlier trials with the given curves (lists of values from epoch 1)."""
    return [
        TrialResult(
            i,
            1,
            "ok",
            {},
            value=c[-1],
            curve=[{"epoch": e + 1, metric: v} for e, v in enumerate(c)],
        )
        for i, c in enumerate(curves)
    ]


def stops(rule, curve):
    """The epoch at which a trial with this curve is stopped, or None."""
    trial = Trial(Task(99, 2, {}, 0, rule))
    for epoch, value in enumerate(curve, start=1):
        if trial.report(epoch, value):
            return epoch
    return None


def test_median_stops_a_trial_below_the_median_of_earlier_trials_at_the_same_epoch():
    past = earlier([[0.1, 0.2, 0.3, 0.4], [0.2, 0.3, 0.4, 0.5], [0.3, 0.4, 0.5, 0.6]])
    rule = Pruning("median", warmup=1, min_trials=3).rule_for(past, ACC)
    assert rule.thresholds == {
        2: (0.3, 3, None),
        3: (0.4, 3, None),
        4: (0.5, 3, None),
    }  # epoch 1: inside the warmup
    assert stops(rule, [0.0, 0.3, 0.4, 0.5]) is None  # equal to the median: goes on
    assert stops(rule, [0.9, 0.29, 0.9, 0.9]) == 2
    assert stops(rule, [0.0, 0.9, 0.9, 0.49]) == 4
    assert stops(rule, [0.0, 0.9, 0.9, 0.9, 0.0, 0.0]) is None  # no earlier trial reached epoch 5


def test_median_minimises_costs_and_waits_for_enough_trials():
    past = earlier([[3.0, 2.0], [2.0, 1.0], [1.0, 0.5], [5.0]], metric="dev_cost")
    rule = Pruning("median", warmup=0, min_trials=3).rule_for(past, COST)
    assert rule.thresholds == {1: (2.5, 4, None), 2: (1.0, 3, None)}
    assert (
        stops(rule, [2.6, 0.1]) == 1
        and stops(rule, [2.5, 1.0]) is None
        and stops(rule, [1.0, 1.1]) == 2
    )
    assert Pruning("median", warmup=0, min_trials=5).rule_for(past, COST) is None


def test_halving_keeps_the_best_third_at_each_rung():
    # rungs at 1, 3, 9 epochs; 8 earlier trials reached epoch 1, 4 reached epoch 3
    curves = [[v / 10] for v in range(1, 5)] + [[v / 10, 0, v / 10] for v in range(5, 9)]
    rule = Pruning("halving", min_epochs=1, reduction=3, min_trials=2).rule_for(
        earlier(curves), ACC
    )
    # epoch 1: with itself, 9 trials; the best 3 go on: it needs the 3rd best earlier (0.6)
    # epoch 3: 5 trials; 5 // 3 = 1 goes on: it must beat them all (0.8)
    assert rule.thresholds == {1: (0.6, 8, None), 3: (0.8, 4, None)}
    assert sorted(rule.thresholds) == [1, 3]  # epoch 2 is no rung
    assert stops(rule, [0.59]) == 1
    assert stops(rule, [0.6, 0.0, 0.79]) == 3
    assert stops(rule, [0.6, 0.0, 0.8, 0.1, 0.1]) is None  # promoted at both rungs; nothing beyond


def test_halving_breaks_a_tie_on_the_metric_by_the_lower_dev_cost():
    # accuracy moves in steps: 4 of 6 earlier trials tie at 0.9 after epoch 1
    accuracy, cost = [0.9, 0.9, 0.9, 0.9, 0.8, 0.95], [0.30, 0.20, 0.25, 0.40, 0.1, 0.5]
    past = [
        TrialResult(
            i, 1, "ok", {}, value=a, curve=[{"epoch": 1, "dev_accuracy": a, "dev_cost": c}]
        )
        for i, (a, c) in enumerate(zip(accuracy, cost))
    ]
    rule = Pruning("halving", min_trials=2, tiebreak="dev_cost").rule_for(past, ACC)
    # with itself, 7 trials; the best 2 go on: 0.95, then the 0.9 with the lowest cost (0.20)
    assert rule.thresholds == {1: (0.9, 6, 0.20)}
    trial = Trial(Task(9, 2, {}, 0, rule))
    assert trial.report(1, 0.9, tie=0.21) and trial.pruned_at == 1
    assert trial.reason == (
        "dev_accuracy 0.9 at epoch 1 ties the last of the best 1/3 of 6 earlier trials, "
        "whose dev_cost 0.2 is lower than 0.21"
    )
    assert not Trial(Task(9, 2, {}, 0, rule)).report(1, 0.9, tie=0.20)  # level on both: goes on
    assert Trial(Task(9, 2, {}, 0, rule)).report(1, 0.9)  # no cost beside recorded ones: last
    no_costs = Pruning("halving", min_trials=2).rule_for(earlier([[a] for a in accuracy]), ACC)
    assert no_costs.thresholds == {1: (0.9, 6, None)}
    assert not Trial(Task(9, 2, {}, 0, no_costs)).report(1, 0.9)  # none recorded: ties go on
    assert not Trial(Task(9, 2, {}, 0, no_costs)).report(1, 0.9, tie=5.0)
    assert Trial(Task(9, 2, {}, 0, no_costs)).report(1, 0.89)
    assert not Trial(Task(9, 2, {}, 0, rule)).report(1, 0.91, tie=9.0)  # better: the cost is moot
    # a metric that is itself the cost has no tie-break; the median never needs one
    assert (
        Pruning("halving", min_trials=2, tiebreak="dev_cost").rule_for(past, COST).thresholds[1][2]
        is None
    )
    assert Pruning("median", warmup=0, min_trials=2).rule_for(past, ACC).thresholds[1][2] is None


def test_a_non_finite_value_is_not_a_pruning_decision():
    rule = Pruning("median", warmup=0, min_trials=1).rule_for(earlier([[0.5, 0.5]]), ACC)
    assert stops(rule, [float("nan"), 0.6]) is None


def test_the_reason_says_why():
    rule = Pruning("median", warmup=0, min_trials=2).rule_for(earlier([[0.5], [0.7]]), ACC)
    trial = Trial(Task(5, 2, {}, 0, rule))
    assert trial.report(1, 0.55) and trial.pruned_at == 1
    assert (
        trial.reason
        == "dev_accuracy 0.55 at epoch 1 is worse than 0.6, the median of 2 earlier trials"
    )
    assert trial.report(2, 0.99)  # once told to stop, always told to stop


@pytest.mark.parametrize(
    "value,message",
    [
        ("mean", "unknown pruning method 'mean'; did you mean 'median'"),
        (
            {"method": "halving", "reductoin": 3},
            "prune.reductoin: unknown halving setting 'reductoin'; did you mean 'reduction'",
        ),
        (
            {"method": "median", "reduction": 3},
            "search.prune.reduction: reduction does not apply to median",
        ),
        (
            {"method": "halving", "reduction": 1},
            "search.prune.reduction: 1 is not a whole number >= 2",
        ),
        ({"method": "halving", "min_epochs": 0}, "min_epochs: 0 is not a whole number >= 1"),
        ({"method": "median", "warmup": 2.5}, "warmup: 2.5 is not a whole number >= 0"),
        ({"method": "median", "min_trials": True}, "min_trials: True is not a whole number >= 1"),
        (3, "search.prune: 3 is not a pruning method"),
    ],
)
def test_bad_prune_settings(value, message):
    with pytest.raises(UserError) as e:
        Pruning.parse(value)
    assert message in e.value.message


def test_settings_round_trip():
    p = Pruning.parse({"method": "halving", "min_epochs": 2, "reduction": 4})
    assert Pruning.parse(p.to_dict()) == p and Pruning.parse("none").to_dict() == "none"
    assert Pruning.parse("median") == Pruning("median")


def test_the_first_round_runs_in_halves_and_its_second_half_is_pruned_against_the_first():
    assert waves(range(10), 1, Pruning("median")) == [range(5), range(5, 10)]
    assert waves(range(10, 18), 2, Pruning("median")) == [range(10, 18)]
    assert waves(range(10), 1, Pruning()) == [range(10)]

    def learns_if_even(config, trial):
        for epoch in range(1, 9):
            value = epoch / 10 if trial.number % 2 == 0 else 0.0
            if trial.report(epoch, value):
                break
        return value

    prune = {"method": "median", "warmup": 1, "min_trials": 5}
    study = search({"x": Float(0, 1)}, learns_if_even, trials=10, rounds=1, prune=prune)
    # at epoch 2 the first half (0-4) measured 0.2, 0, 0.2, 0, 0.2: the median is 0.2
    assert {t.trial: t.epochs for t in study.trials if t.status == "pruned"} == {5: 2, 7: 2, 9: 2}


def test_halving_pauses_trials_at_its_last_rung_before_their_end():
    halving = Pruning("halving")  # rungs at 1, 3, 9, 27, ... epochs
    assert [halving.pause_rung(e) for e in (1, 2, 27, 28, 50)] == [None, 1, 9, 27, 27]
    assert Pruning("median").pause_rung(50) is None and Pruning().pause_rung(50) is None
    assert Pruning("halving", min_epochs=2, reduction=4).pause_rung(40) == 32


def test_later_rounds_rank_trials_past_the_last_rung_as_they_stood_there():
    halving = Pruning("halving", epochs=4)  # pauses at 3
    curve = [0.5, 0.6, 0.7, 0.9]
    ok, pruned, diverged_later = earlier([curve, curve[:3], curve])
    pruned.status, diverged_later.status, diverged_later.value = "pruned", "diverged", None
    assert halving.standing(ok, ACC).value == 0.7  # not 0.9
    assert halving.standing(pruned, ACC) is pruned  # stopped at the rung: as it is
    stood = halving.standing(diverged_later, ACC)  # it diverged after the rung
    assert (stood.status, stood.value) == ("ok", 0.7)
    assert Pruning("halving").standing(ok, ACC) is ok  # a custom objective never pauses
