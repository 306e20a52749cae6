"""Conditional hyperparameters: sampled only where their condition holds; bad ones refused."""

import math

import numpy as np
import pytest

from hpsearch.errors import UserError
from hpsearch.space import (
    Categorical,
    Float,
    Point,
    active_names,
    check_conditions,
    may_apply,
    parse_distribution,
    refine,
    sample_config,
    whole_space,
)

SPACE = {
    "optimizer": Categorical(("gd", "momentum", "rmsprop", "adam")),
    "learning_rate": Float(1e-4, 1.0, "log"),
    "beta": Float(0.8, 0.99, "one_minus_log", when=(("optimizer", ("momentum", "rmsprop")),)),
    "beta1": Float(0.8, 0.999, "one_minus_log", when=(("optimizer", ("adam",)),)),
}


def test_a_conditional_hyperparameter_is_sampled_exactly_where_its_condition_holds():
    region = whole_space(SPACE)
    seen = {"gd": 0, "momentum": 0, "rmsprop": 0, "adam": 0}
    for t in range(400):
        c = sample_config(SPACE, region, 0, 1, t)
        seen[c["optimizer"]] += 1
        assert ("beta" in c) == (c["optimizer"] in ("momentum", "rmsprop"))
        assert ("beta1" in c) == (c["optimizer"] == "adam")
        assert 1e-4 <= c["learning_rate"] <= 1
    assert min(seen.values()) > 70  # each optimizer about a quarter of the time


def test_the_unconditional_draws_do_not_depend_on_the_conditions():
    plain = {
        k: Float(d.low, d.high, d.scale) if not isinstance(d, Categorical) else d
        for k, d in SPACE.items()
    }
    for t in range(50):
        a = sample_config(SPACE, whole_space(SPACE), 3, 1, t)
        b = sample_config(plain, whole_space(plain), 3, 1, t)
        assert a == {k: v for k, v in b.items() if k in a}


def test_a_chain_of_conditions():
    space = {
        "a": Categorical(("x", "y")),
        "b": Categorical(("p", "q"), when=(("a", ("x",)),)),
        "c": Float(0, 1, when=(("b", ("q",)),)),
    }
    assert active_names(space, {"a": "x", "b": "q", "c": 0.5}) == {"a", "b", "c"}
    assert active_names(space, {"a": "y", "b": "q", "c": 0.5}) == {
        "a"
    }  # b does not apply, so neither does c


def test_refinement_handles_the_gaps():
    def score(c):
        bonus = {"adam": 1.0, "momentum": 0.5}.get(c["optimizer"], 0.0)
        return bonus - (math.log10(c["learning_rate"]) + 2.5) ** 2

    rng_points = [sample_config(SPACE, whole_space(SPACE), 1, 1, t) for t in range(40)]
    points = sorted(
        (Point(c, score(c), True, i) for i, c in enumerate(rng_points)), key=lambda p: -p.score
    )
    region = refine(SPACE, points, keep=0.25)
    for box, point in zip(region.boxes[: len(region.top)], points):
        assert box["optimizer"] == (point.params["optimizer"],)
        assert ("beta1" in point.params) or box["beta1"] == (
            0.0,
            1.0,
        )  # not its hyperparameter: untouched
    for t in range(200):
        c = sample_config(SPACE, region, 1, 2, t)
        assert ("beta1" in c) == (c["optimizer"] == "adam")
    assert all(
        not np.isnan(x) for b in region.boxes for k, v in b.items() if k != "optimizer" for x in v
    )


def test_conditions_on_fixed_values_are_resolved():
    space = {"beta1": Float(0.8, 0.999, "one_minus_log", when=(("optimizer", ("adam",)),))}
    assert check_conditions(space, {"optimizer": "adam"})["beta1"].when == ()
    with pytest.raises(
        UserError, match=r"space.beta1.when.optimizer: never holds: optimizer is fixed at 'gd'"
    ):
        check_conditions(space, {"optimizer": "gd"})


@pytest.mark.parametrize(
    "when,message",
    [
        (
            {"optimiser": "adam"},
            "unknown name in condition 'optimiser'; did you mean 'optimizer'",
        ),
        ({"optimizer": "adamw"}, "unknown value of optimizer 'adamw'; did you mean 'adam'"),
        ({"optimizer": ["momentum", "nesterov"]}, "unknown value of optimizer 'nesterov'"),
        (
            {"learning_rate": 0.1},
            "a condition can only name a hyperparameter sampled from values:",
        ),
        ({"x": "a"}, "x depends on itself"),
    ],
)
def test_bad_conditions_are_refused(when, message):
    space = dict(SPACE)
    space["x"] = parse_distribution({"low": 0, "high": 1, "when": when}, "space.x")
    with pytest.raises(UserError) as e:
        check_conditions(space, {})
    assert message in e.value.message and e.value.message.startswith("space.x.when")


def test_a_circle_of_conditions_is_refused():
    space = {
        "a": Categorical(("x", "y"), when=(("b", ("p",)),)),
        "b": Categorical(("p", "q"), when=(("a", ("x",)),)),
    }
    with pytest.raises(UserError, match="the conditions of a, b depend on each other in a circle"):
        check_conditions(space, {})


@pytest.mark.parametrize(
    "when,message",
    [
        ("adam", "'adam' is not a condition"),
        ({}, "{} is not a condition"),
        ({"optimizer": []}, "space.x.when.optimizer: lists no value"),
    ],
)
def test_a_malformed_when_is_refused(when, message):
    with pytest.raises(UserError) as e:
        parse_distribution({"low": 0, "high": 1, "when": when}, "space.x")
    assert message in e.value.message


def test_a_box_shows_a_hyperparameter_only_where_its_condition_can_hold():
    assert may_apply(SPACE, "beta1", {"optimizer": ["adam", "gd"], "beta1": (0.8, 0.9)})
    assert not may_apply(SPACE, "beta1", {"optimizer": ["gd"], "beta1": (0.8, 0.999)})
    assert may_apply(SPACE, "beta", {"learning_rate": (1e-3, 1e-2)})  # any optimizer: may hold
    assert may_apply(SPACE, "learning_rate", {"optimizer": ["gd"]})  # no condition
    assert may_apply({}, "x", {"optimizer": ["gd"]})  # a bare trials.csv: no space to ask
