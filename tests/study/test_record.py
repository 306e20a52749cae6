"""The trial record and the goal: one rule for a metric's direction, one order of trials."""

import math

import pytest

from hpsearch.space import Categorical, Float, Int
from hpsearch.study import Goal, TrialResult


@pytest.mark.parametrize(
    "metric,direction",
    [
        ("dev_accuracy", "maximize"),
        ("dev_cost", "minimize"),
        ("train_cost", "minimize"),
        ("val_loss", "minimize"),
        ("error", "minimize"),
        ("regret", "minimize"),
        ("seconds", "minimize"),
        ("value", "maximize"),
        ("f1", "maximize"),
        ("logloss", "minimize"),
        ("error_rate", "minimize"),  # these three were maximised
        ("val_loss_mean", "minimize"),
        ("rmse", "minimize"),
        ("neg_log_loss", "maximize"),  # scikit-learn's negated scores
        ("cost_reduction", "maximize"),
        ("Dev-Loss", "minimize"),
    ],
)
def test_one_rule_for_a_metrics_direction(metric, direction):
    assert Goal.of(metric).direction == direction
    assert Goal.of(metric, "maximize").direction == "maximize"  # given, it wins


def test_a_goal_is_maximize_or_minimize_never_silently_minimize():
    from hpsearch import search
    from hpsearch.errors import UserError

    with pytest.raises(UserError, match="unknown goal 'max'; valid: maximize, minimize"):
        search({"x": Float(0, 1)}, lambda c: c["x"], budget=4, goal="max")


def test_best_first_ranks_finished_then_pruned_then_diverged_then_failed():
    goal = Goal.of("dev_cost")
    results = [
        TrialResult(0, 1, "failed", {}),
        TrialResult(1, 1, "ok", {}, value=0.5),
        TrialResult(2, 1, "pruned", {}, value=0.1, epochs=3),
        TrialResult(3, 1, "diverged", {}),
        TrialResult(4, 1, "ok", {}, value=0.2),
        TrialResult(5, 1, "pruned", {}, value=0.9, epochs=9),
        TrialResult(6, 1, "ok", {}, value=0.2),
    ]
    assert [r.trial for r in goal.best_first(results)] == [4, 6, 1, 5, 2, 3, 0]
    assert goal.best(results).trial == 4
    assert [r.trial for r in goal.finished(results)] == [1, 4, 6]  # ok, with a finite value
    assert goal.better(0.1, 0.2) and not goal.better(0.2, 0.2) and goal.better(0.1, None)


def test_a_row_goes_to_the_table_and_back():
    space = {
        "lr": Float(1e-4, 1, "log"),
        "units": Int(1, 64),
        "act": Categorical(("relu", "tanh", True)),
        "beta": Float(0.8, 0.99, when=(("act", ("relu",)),)),
    }
    result = TrialResult(
        7,
        2,
        "ok",
        {"lr": 0.001234, "units": 17, "act": "tanh"},
        value=0.9,
        metrics={"value": 0.9, "extra": 1.5e-12},
        epochs=12,
        seconds=1.23456,
        seed=99,
    )
    row = result.to_row(list(space), ["value", "metrics"])
    assert (
        row["beta"] is None and row["metrics"] == '{"extra": 1.5e-12}' and row["seconds"] == 1.235
    )
    text = {k: "" if v is None else str(v) for k, v in row.items()}
    back = TrialResult.from_row(text, space, "value")
    assert (back.trial, back.round, back.status, back.params) == (7, 2, "ok", result.params)
    assert (
        back.value == 0.9
        and back.metrics == {"value": 0.9, "extra": 1.5e-12}
        and back.epochs == 12
    )
    failed = TrialResult.from_row(
        {**text, "status": "failed", "value": "", "error": "boom"}, space, "value"
    )
    assert failed.value is None and failed.error == "boom"
    with pytest.raises(
        ValueError, match="status 'done' is not one of ok, pruned, diverged, failed"
    ):
        TrialResult.from_row({**text, "status": "done"}, space, "value")


def test_final_params_apply_the_interventions_in_order():
    result = TrialResult(
        0,
        1,
        "ok",
        {"learning_rate": 0.1, "keep_prob": 0.9},
        interventions=[
            {"epoch": 3, "values": {"learning_rate": 0.05}},
            {"epoch": 5, "values": {"learning_rate": 0.01, "l2": 0.1}},
        ],
    )
    assert result.final_params == {"learning_rate": 0.01, "keep_prob": 0.9, "l2": 0.1}
    assert result.params["learning_rate"] == 0.1  # the sampled value stays


def test_intermediate_values_skip_missing_and_non_finite_epochs():
    result = TrialResult(
        0, 1, "ok", {}, curve=[{"epoch": 1, "m": 0.5}, {"epoch": 2, "m": math.nan}, {"epoch": 3}]
    )
    assert result.intermediate("m") == {1: 0.5}


def test_every_status_is_ranked_and_a_table_holds_all_but_paused():
    """`paused` (a trial waiting at a rung) is a status like the others: ranked after the
    pruned ones (further first), never read from a table."""
    from hpsearch.study import RECORDED, STATUSES, counts

    goal = Goal.of("dev_accuracy")
    make = lambda trial, status, value=None, epochs=None: TrialResult(  # noqa: E731
        trial, 1, status, {}, value, epochs=epochs
    )
    results = [
        make(0, "failed"),
        make(1, "paused", 0.7, 4),
        make(2, "diverged"),
        make(3, "pruned", 0.6, 2),
        make(4, "ok", 0.5, 8),
        make(5, "paused", 0.9, 2),
    ]
    assert [r.trial for r in goal.best_first(results)] == [4, 3, 1, 5, 2, 0]
    assert set(STATUSES) == {"ok", "pruned", "paused", "diverged", "failed"}
    assert "paused" not in RECORDED and set(RECORDED) < set(STATUSES)
    assert counts(results) == {"ok": 1, "pruned": 1, "diverged": 1, "failed": 1}
    row = {"trial": "1", "round": "1", "status": "paused", "dev_accuracy": "0.7"}
    with pytest.raises(ValueError, match="not one of ok, pruned, diverged, failed"):
        TrialResult.from_row(row, {}, "dev_accuracy")
