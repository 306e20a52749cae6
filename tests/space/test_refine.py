"""Coarse-to-fine: regions shrink around the optimum and beat plain random search."""

import math

import numpy as np
import pytest

from hpsearch.search import search
from hpsearch.space import Categorical, Float, refine

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
        inside |= ((POINTS >= lo) & (POINTS <= hi)).all(axis=1)
    return inside.mean()


def _contains_optimum(record):
    return any(all(lo <= OPTIMUM[n] <= hi for n, (lo, hi) in b.items()) for b in record["boxes"])


@pytest.mark.parametrize("method,at_least", [("boxes", 18), ("box", 19)])
def test_regions_contain_the_optimum_and_narrow_round_after_round(method, at_least):
    contained, last = 0, []
    for seed in range(20):
        result = search(SPACE, peak, trials=20, rounds=3, seed=seed, method=method)
        assert [r["round"] for r in result.regions] == [1, 2, 3]
        contained += all(_contains_optimum(r) for r in result.regions)
        covered = [_covered_fraction(r) for r in result.regions]
        assert covered[0] == 1.0 and covered[1] < 1.0 and covered[2] < covered[1]
        last.append(covered[2])
    assert contained >= at_least
    assert np.median(last) < 0.2  # round 3 samples a fifth of the space or less


def test_coarse_to_fine_beats_plain_random_over_20_seeds():
    c2f, rand = [], []
    for seed in range(20):
        c2f.append(distance(search(SPACE, peak, trials=20, rounds=3, seed=seed).best["params"]))
        rand.append(distance(search(SPACE, peak, trials=60, rounds=1, seed=seed).best["params"]))
    assert np.median(c2f) < np.median(rand)


def test_failed_and_diverged_trials_never_define_a_region():
    trials = [{"trial": i, "params": {"learning_rate": 10 ** (-4 + i * 0.4), "beta1": 0.9}, "status": s,
               "value": v} for i, (s, v) in enumerate([("failed", None), ("diverged", math.nan)] * 2 +
                                                       [("ok", 1.0), ("ok", 2.0), ("ok", 0.5), ("ok", 3.0)])]
    region = refine(SPACE, trials, keep=0.5, goal="maximize")
    assert sorted(region.top) == [5, 7]


def test_too_few_finished_trials_sample_the_whole_space_again_and_say_so():
    trials = [{"trial": 0, "params": {"learning_rate": 0.01, "beta1": 0.9}, "status": "ok", "value": 1.0},
              {"trial": 1, "params": {}, "status": "failed", "value": None}]
    region = refine(SPACE, trials, keep=0.25, goal="maximize")
    assert region.boxes[0]["learning_rate"] == (0.0, 1.0) and "whole space" in region.note


def test_categoricals_keep_the_values_seen_among_the_best():
    space = {"x": Float(0, 1), "act": Categorical(("relu", "tanh", "sigmoid"))}
    trials = [{"trial": i, "params": {"x": i / 10, "act": a}, "status": "ok", "value": v}
              for i, (a, v) in enumerate([("relu", 5), ("tanh", 4), ("sigmoid", 0), ("sigmoid", 1)])]
    for method in ("box", "boxes"):
        region = refine(space, trials, keep=0.5, goal="maximize", method=method)
        allowed = set().union(*(set(b["act"]) for b in region.boxes))
        assert allowed == {"relu", "tanh"}


def test_minimize_goal_and_a_failing_objective():
    def objective(c):
        if c["learning_rate"] > 0.5:
            raise ValueError("too hot")
        return {"loss": -peak(c)}

    result = search(SPACE, objective, trials=15, rounds=2, goal="minimize", metric="loss", seed=1)
    failed = [t for t in result.trials if t["status"] == "failed"]
    assert failed and all("ValueError: too hot" == t["error"] for t in failed)
    assert result.best["value"] == min(t["value"] for t in result.trials if t["status"] == "ok")


def test_non_finite_metric_is_diverged():
    result = search(SPACE, lambda c: math.nan, trials=3, rounds=2)
    assert {t["status"] for t in result.trials} == {"diverged"}
    assert "whole space" in result.regions[1]["note"]


def test_resuming_skips_done_trials_and_gives_the_same_result():
    full = search(SPACE, peak, trials=10, rounds=3, seed=5)
    calls = []
    resumed = search(SPACE, lambda c: calls.append(c) or peak(c), trials=10, rounds=3, seed=5,
                     done=full.trials[:13])
    assert len(calls) == 17
    assert [t["params"] for t in resumed.trials] == [t["params"] for t in full.trials]


def _trials_of(objective, space, n, seed=0):
    rng = np.random.default_rng(seed)
    configs = [{k: d.sample(rng) for k, d in space.items()} for _ in range(n)]
    return [{"trial": i, "status": "ok", "params": c, "value": objective(c)} for i, c in enumerate(configs)]


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_a_box_goes_where_the_fitted_quadratic_peaks(goal):
    sign = 1 if goal == "maximize" else -1
    trials = _trials_of(lambda c: sign * peak(c), SPACE, 20)
    region = refine(SPACE, trials, keep=0.25, goal=goal)
    assert "quadratic" in region.note
    model = region.centres[-1]  # the model's box comes last
    for name, d in SPACE.items():
        best = [d.to_unit(t["params"][name]) for t in trials if t["trial"] in region.top]
        assert min(best) <= model[name] <= max(best)  # never outside the span of the best trials
        optimum = min(max(d.to_unit(OPTIMUM[name]), min(best)), max(best))
        assert model[name] == pytest.approx(optimum, abs=1e-9)  # an exact quadratic: found exactly


def test_no_quadratic_box_from_a_saddle_or_from_too_few_trials():
    def saddle(c):
        return (math.log10(c["learning_rate"]) + 2.5) ** 2 - (math.log10(1 - c["beta1"]) + 2) ** 2

    region = refine(SPACE, _trials_of(saddle, SPACE, 20), keep=0.25, goal="maximize")
    assert "quadratic" not in region.note and len(region.boxes) == len(region.top)
    few = refine(SPACE, _trials_of(peak, SPACE, 6), keep=0.5, goal="maximize")  # 6 coefficients: not enough
    assert "quadratic" not in few.note


def test_the_quadratic_is_fitted_to_trials_sharing_the_best_trials_categorical_values():
    space = {**SPACE, "act": Categorical(("relu", "tanh"))}

    def shifted(c):  # tanh's peak is elsewhere, and lower
        return peak(c) - (0 if c["act"] == "relu" else 0.5 + 3 * math.log10(c["learning_rate"]) ** 2)

    trials = _trials_of(shifted, space, 60, seed=1)
    region = refine(space, trials, keep=0.25, goal="maximize")
    assert "quadratic" in region.note and region.boxes[-1]["act"] == ("relu",)
