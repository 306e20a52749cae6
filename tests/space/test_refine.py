"""Coarse-to-fine: regions shrink around the optimum and beat plain random search."""

import math

import numpy as np
import pytest

from hpsearch.space import Categorical, Float, Point, refine
from hpsearch.space.regions import (
    EXPLORE_SHARE,
    MODEL_REACH,
    SPREAD_POINTS,
    SPREAD_SHARE,
    WIDEN,
)
from hpsearch.study import Goal, search

SPACE = {"learning_rate": Float(1e-4, 1.0, "log"), "beta1": Float(0.8, 0.9999, "one_minus_log")}
OPTIMUM = {"learning_rate": 10**-2.5, "beta1": 1 - 10**-2}


def peak(c):
    """A smooth peak at learning_rate = 10^-2.5, beta1 = 1 - 10^-2, in sampling coordinates."""
    d_lr = math.log10(c["learning_rate"]) + 2.5
    d_b = math.log10(1 - c["beta1"]) + 2
    return -(d_lr**2 + d_b**2)


def distance(c):
    return math.sqrt(peak(c) * -1)


POINTS = np.random.default_rng(0).random((20_000, len(SPACE)))


def _covered_fraction(record):
    """The share of the space (in unit coordinates) inside the region's union of boxes."""
    inside = np.zeros(len(POINTS), bool)
    for box in record["unit_boxes"]:
        lo = np.array([box[n][0] for n in SPACE])
        hi = np.array([box[n][1] for n in SPACE])
        inside |= ((lo <= POINTS) & (hi >= POINTS)).all(axis=1)
    return inside.mean()


def _contains_optimum(record):
    return any(all(lo <= OPTIMUM[n] <= hi for n, (lo, hi) in b.items()) for b in record["boxes"])


@pytest.mark.parametrize("method,at_least", [("boxes", 18), ("box", 19)])
def test_regions_contain_the_optimum_and_narrow_round_after_round(method, at_least):
    contained, narrowed, middle, last = 0, 0, [], []
    for seed in range(20):
        result = _search(SPACE, peak, seed, method)
        assert [r["round"] for r in result.regions] == [1, 2, 3]
        contained += all(_contains_optimum(r) for r in result.regions)
        covered = [_covered_fraction(r) for r in result.regions]
        assert covered[0] == 1.0 and covered[1] <= 1.0
        narrowed += covered[2] < covered[1]
        middle.append(covered[1])
        last.append(covered[2])
    assert contained >= at_least
    assert narrowed >= 18  # the spread's box reaches 3 sigma: wider than the others at times
    assert (
        np.median(middle) < 0.9 and np.median(last) < 0.2
    )  # round 3: a fifth of the space or less


def _search(space, objective, seed, method="boxes"):
    from hpsearch.study import FunctionObjective, Plan, Settings, run_study

    settings = Settings(Plan.fixed(20, 3), Goal(), seed, keep=0.25, method=method)
    run = FunctionObjective(objective, settings.goal)
    return run_study(space, lambda tasks: (run(t) for t in tasks), settings)


def test_coarse_to_fine_beats_plain_random_over_20_seeds():
    c2f, rand = [], []
    for seed in range(20):
        c2f.append(distance(search(SPACE, peak, trials=20, rounds=3, seed=seed).best_params))
        rand.append(distance(search(SPACE, peak, trials=60, rounds=1, seed=seed).best_params))
    assert np.median(c2f) < np.median(rand)


def _points(objective, space, n, seed=0):
    """n random points scored by `objective`, ranked best first (what the search loop gives)."""
    rng = np.random.default_rng(seed)
    configs = [{k: d.sample(rng) for k, d in space.items()} for _ in range(n)]
    points = [Point(c, objective(c), True, i) for i, c in enumerate(configs)]
    return sorted(points, key=lambda p: -p.score)


def test_too_few_points_sample_the_whole_space_again_and_say_so():
    region = refine(SPACE, [Point({"learning_rate": 0.01, "beta1": 0.9}, 1.0)], keep=0.25)
    assert region.boxes[0]["learning_rate"] == (0.0, 1.0) and "whole space" in region.note


def test_the_best_keep_fraction_defines_the_region():
    points = _points(peak, SPACE, 20)
    region = refine(SPACE, points, keep=0.25)
    assert region.top == [p.id for p in points[:5]]


def test_categoricals_keep_the_values_seen_among_the_best_and_explore_the_others():
    space = {"x": Float(0, 1), "act": Categorical(("relu", "tanh", "sigmoid", "elu"))}
    points = [
        Point({"x": i / 10, "act": a}, v, True, i)
        for i, (a, v) in enumerate([("relu", 5), ("tanh", 4), ("sigmoid", 1), ("sigmoid", 0)])
    ]
    box = refine(space, points, keep=0.5, method="box")
    assert set(box.boxes[0]["act"]) == {"relu", "tanh"}
    boxes = refine(space, points, keep=0.5)
    # the last boxes: each value the best trial (relu's, at 0.0) lacks; first elu, never tried:
    # anywhere; then by their best trial's rank, tanh (trial 1) and sigmoid (trial 2), each
    # around its best trial and around the best trial with the value swapped in
    elu, tanh, tanh_swapped, sigmoid, swapped = boxes.boxes[-5:]
    assert elu == {"act": ("elu",)}
    assert tanh["act"] == tanh_swapped["act"] == ("tanh",)
    assert sigmoid["act"] == swapped["act"] == ("sigmoid",)
    assert sigmoid["x"][0] <= 0.2 <= sigmoid["x"][1]
    assert boxes.centres[-2]["x"] == pytest.approx(0.2)  # trial 2, sigmoid's best
    assert boxes.centres[-1]["x"] == pytest.approx(0.0) and swapped["x"][1] >= 0.2
    assert "categorical values the best trial lacks" in boxes.note
    total = sum(boxes.weights)
    assert sum(boxes.weights[-5:]) / total == pytest.approx(EXPLORE_SHARE)
    # the k-th value gets 1/k of the first's samples, split in halves between its two boxes
    shares = [boxes.weights[-5], sum(boxes.weights[-4:-2]), sum(boxes.weights[-2:])]
    assert [s / shares[0] for s in shares] == pytest.approx([1, 1 / 2, 1 / 3])
    assert boxes.weights[-4] == pytest.approx(boxes.weights[-3])
    assert all(set(b["act"]) <= {"relu", "tanh"} for b in boxes.boxes[:-5])


def test_a_value_that_came_close_is_tried_where_its_own_quadratic_peaks():
    # tanh wins only at a smaller x; its trials are all far from its peak, which lies outside
    # the span of its best two trials but within that of them all: a box goes to the peak
    space = {"x": Float(0, 1), "act": Categorical(("relu", "tanh"))}

    def f(c):
        return -((c["x"] - 0.6) ** 2) if c["act"] == "relu" else 0.01 - (c["x"] - 0.3) ** 2

    xs = [0.55, 0.6, 0.62, 0.65, 0.58] + [0.45, 0.6, 0.8, 0.9, 0.95, 0.7]
    acts = ["relu"] * 5 + ["tanh"] * 6
    configs = [{"x": x, "act": a} for x, a in zip(xs, acts)]
    points = sorted(
        (Point(c, f(c), True, i) for i, c in enumerate(configs)), key=lambda p: -p.score
    )
    assert points[0].params["act"] == "relu"
    region = refine(space, points, keep=0.25)
    assert region.centres[-2]["x"] == pytest.approx(0.3)  # tanh's quadratic peak, exactly


def test_a_stalled_search_widens_its_boxes():
    points = _points(peak, SPACE, 20)
    normal, wide = refine(SPACE, points, keep=0.25), refine(SPACE, points, keep=0.25, stalled=2)
    for a, b in zip(normal.boxes[:5], wide.boxes[:5]):
        for name in SPACE:
            assert b[name][1] - b[name][0] >= a[name][1] - a[name][0]
    assert sum(b[n][1] - b[n][0] for b in wide.boxes[:5] for n in SPACE) > WIDEN * sum(
        b[n][1] - b[n][0] for b in normal.boxes[:5] for n in SPACE
    )  # WIDEN^2 as far, less what the edges of the space clip
    assert f"{WIDEN**2:.3g}x as wide after 2 rounds without better" in wide.note


def test_pruned_points_never_feed_the_quadratic():
    points = _points(peak, SPACE, 20)
    pruned = [Point(p.params, p.score, False, p.id) for p in points]
    assert "quadratic" in refine(SPACE, points, keep=0.25).note
    assert "quadratic" not in refine(SPACE, pruned, keep=0.25).note


def test_minimize_goal_and_a_failing_objective():
    def objective(c):
        if c["learning_rate"] > 0.5:
            raise ValueError("too hot")
        return {"loss": -peak(c)}

    study = search(SPACE, objective, trials=15, rounds=2, metric="loss", seed=1)
    assert study.goal.direction == "minimize"  # a loss, by the rule
    failed = [t for t in study.trials if t.status == "failed"]
    assert failed and all(t.error == "ValueError: too hot" for t in failed)
    assert study.best_value == min(t.value for t in study.trials if t.status == "ok")


def test_non_finite_metric_is_diverged():
    from hpsearch.study import SearchFailed

    study = search(SPACE, lambda c: math.nan, trials=3, rounds=2)
    assert {t.status for t in study.trials} == {"diverged"}
    assert "whole space" in study.regions[1]["note"]
    with pytest.raises(
        SearchFailed, match="all 3 trials of round 1 failed, so the search stopped; each with Zero"
    ):
        search(SPACE, lambda c: 1 / 0, trials=3, rounds=2)


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_a_box_goes_where_the_fitted_quadratic_peaks(goal):
    points = _points(peak, SPACE, 20)  # scores: larger is better, whatever the goal was
    region = refine(SPACE, points, keep=0.25)
    assert "quadratic" in region.note
    model = region.centres[-1]  # the model's box comes last
    for name, d in SPACE.items():
        best = [d.to_unit(p.params[name]) for p in points if p.id in region.top]
        assert min(best) <= model[name] <= max(best)  # never outside the span of the best trials
        optimum = min(max(d.to_unit(OPTIMUM[name]), min(best)), max(best))
        assert model[name] == pytest.approx(optimum, abs=1e-9)  # an exact quadratic: found exactly


def test_no_quadratic_box_from_a_saddle_or_from_too_few_trials():
    def saddle(c):
        return (math.log10(c["learning_rate"]) + 2.5) ** 2 - (math.log10(1 - c["beta1"]) + 2) ** 2

    region = refine(SPACE, _points(saddle, SPACE, 20), keep=0.25)
    assert "quadratic" not in region.note and len(region.boxes) == len(region.top)
    few = refine(SPACE, _points(peak, SPACE, 5), keep=0.5)  # 5 coefficients without cross terms
    assert "quadratic" not in few.note


def test_too_few_points_for_cross_terms_fit_a_quadratic_without_them():
    points = _points(peak, SPACE, 6)  # too few for 6 coefficients, enough for 5: no cross term
    region = refine(SPACE, points, keep=1.0)
    assert "quadratic" in region.note
    model = region.centres[len(region.top)]  # right after the best trials' boxes
    for name, d in SPACE.items():
        best = [d.to_unit(p.params[name]) for p in points]
        reach = MODEL_REACH * (max(best) - min(best))  # how far beyond them a model may lead
        lo, hi = max(min(best) - reach, 0.0), min(max(best) + reach, 1.0)
        optimum = min(max(d.to_unit(OPTIMUM[name]), lo), hi)
        assert model[name] == pytest.approx(optimum, abs=1e-9)  # peak is separable: exact


def test_the_quadratic_is_fitted_to_trials_sharing_the_best_trials_categorical_values():
    space = {**SPACE, "act": Categorical(("relu", "tanh"))}

    def shifted(c):  # tanh's peak is elsewhere, and lower
        return peak(c) - (
            0 if c["act"] == "relu" else 0.5 + 3 * math.log10(c["learning_rate"]) ** 2
        )

    region = refine(space, _points(shifted, space, 60, seed=1), keep=0.25)
    assert "quadratic" in region.note
    model_box = region.boxes[len(region.top)]  # right after the best trials' boxes
    assert model_box["act"] == ("relu",)


def ridge(c):
    """A straight narrow ridge: the best learning rate rises with 1 - beta1."""
    along = math.log10(1 - c["beta1"]) + 2
    return -((math.log10(c["learning_rate"]) + 2.5 - along) ** 2 / 0.01 + along**2)


def test_a_normal_shaped_like_the_best_trials_steps_along_a_ridge():
    points = _points(ridge, SPACE, 200)
    region = refine(SPACE, points, keep=0.06)  # the best 12
    assert "spread of the best trials" in region.note
    (index,) = [i for i, s in enumerate(region.spreads) if s is not None]
    spread = region.spreads[index]
    assert spread["names"] == ["beta1", "learning_rate"]
    (sb, c), (_, sl) = spread["covariance"]
    assert abs(c) / math.sqrt(sb * sl) > 0.9  # the ridge runs diagonally in unit coordinates
    assert region.weights[index] / sum(region.weights) == pytest.approx(SPREAD_SHARE)
    best = points[0].params
    assert region.centres[index] == {n: pytest.approx(SPACE[n].to_unit(best[n])) for n in SPACE}


def test_no_spread_from_too_few_alike_trials_or_in_one_dimension():
    points = _points(ridge, SPACE, 200)
    few = refine(SPACE, points, keep=(2 * SPREAD_POINTS - 2) / 200)  # 6 for 2 dimensions
    assert few.spreads is None and "spread" not in few.note
    line = {"learning_rate": SPACE["learning_rate"]}
    one = refine(
        line, _points(lambda c: -abs(math.log10(c["learning_rate"]) + 2), line, 200), keep=0.06
    )
    assert one.spreads is None
    space = {**SPACE, "act": Categorical(("relu", "tanh"))}
    mixed = [  # the best 12 alternate between values: 6 of each, fewer than 4 per dimension
        Point({**p.params, "act": ("relu", "tanh")[i % 2]}, p.score, True, p.id)
        for i, p in enumerate(points)
    ]
    assert refine(space, mixed, keep=0.06).spreads is None
    same = [Point({**p.params, "act": "relu"}, p.score, True, p.id) for p in points]
    assert refine(space, same, keep=0.06).spreads is not None
