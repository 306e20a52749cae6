"""The Gaussian process and the proposals made with it."""

import math

import numpy as np
import pytest

from hpsearch.space import Categorical, Float, Int, check_conditions, propose
from hpsearch.space.gp import fit, log_expected_improvement, log_marginal_likelihood
from hpsearch.space.propose import features, model

SPACE = check_conditions(
    {
        "learning_rate": Float(1e-5, 1.0, "log"),
        "units": Int(8, 256, "log"),
        "optimizer": Categorical(("gd", "adam")),
        "beta1": Float(0.5, 0.999, "one_minus_log", when=(("optimizer", ("adam",)),)),
    },
    {},
)


def _score(c):
    lr = math.log10(c["learning_rate"])
    return -((lr + 2.5) ** 2) - 0.1 * (math.log2(c["units"]) - 6) ** 2 + (c["optimizer"] == "adam")


def _scored(n, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        c = {name: d.sample(rng) for name, d in SPACE.items()}
        if c["optimizer"] != "adam":
            del c["beta1"]
        out.append((c, _score(c), True))
    return out


def test_the_fit_gives_a_short_length_scale_where_the_function_varies_and_a_long_one_where_not():
    rng = np.random.default_rng(0)
    x = rng.random((40, 3))
    y = np.sin(6 * x[:, 0]) + 0.3 * x[:, 1]  # x2 does not matter
    gp = fit(x, y)
    assert gp.w[0] > 5 * gp.w[1] > 5 * gp.w[2]  # w is an inverse squared length scale
    mean, sd = gp.predict(x[:5])
    assert np.allclose(mean, y[:5], atol=0.05) and np.all(sd < 0.1)


def test_the_marginal_likelihood_gradient_matches_centred_differences():
    rng = np.random.default_rng(1)
    x = rng.random((25, 3))
    z = np.cos(4 * x[:, 0]) * x[:, 2]
    z = (z - z.mean()) / z.std()
    theta = rng.normal(size=5) * 0.7
    _, grad = log_marginal_likelihood(theta, x, z)
    h = 1e-6
    numeric = [
        (log_marginal_likelihood(theta + e, x, z)[0] - log_marginal_likelihood(theta - e, x, z)[0])
        / (2 * h)
        for e in np.eye(5) * h
    ]
    assert np.allclose(grad, numeric, rtol=1e-5, atol=1e-6)


def test_log_expected_improvement_is_the_log_of_the_closed_form_and_stays_ordered_far_below():
    mean = np.array([-2.0, -0.5, 0.0, 1.0])
    ei = np.array([math.e**v for v in log_expected_improvement(mean, np.ones(4), 0.0)])
    pdf = np.exp(-(mean**2) / 2) / math.sqrt(2 * math.pi)
    cdf = np.array([0.5 * math.erfc(-m / math.sqrt(2)) for m in mean])
    assert np.allclose(ei, mean * cdf + pdf, rtol=1e-9)
    far = log_expected_improvement(np.array([-60.0, -50.0, -40.0]), np.ones(3), 0.0)
    assert np.all(np.isfinite(far)) and far[0] < far[1] < far[2]


def test_the_batch_is_the_same_for_a_seed_and_its_first_proposals_do_not_depend_on_its_size():
    scored = _scored(15)
    four = propose(SPACE, scored, [], 4, np.random.default_rng([3, 2]))
    again = propose(SPACE, scored, [], 4, np.random.default_rng([3, 2]))
    two = propose(SPACE, scored, [], 2, np.random.default_rng([3, 2]))
    other = propose(SPACE, scored, [], 4, np.random.default_rng([4, 2]))
    assert four == again and four[:2] == two and four != other
    assert [why for _, why in four] == ["best", "improvement", "improvement", "improvement"]
    assert len({tuple(sorted(c.items())) for c, _ in four}) == 4  # the batch spreads out


def test_proposals_lie_in_bounds_respect_conditions_and_head_for_the_peak():
    configs = [c for c, _ in propose(SPACE, _scored(20), [], 6, np.random.default_rng(0))]
    assert len(configs) == 6
    for c in configs:
        assert 1e-5 <= c["learning_rate"] <= 1.0 and 8 <= c["units"] <= 256
        assert isinstance(c["units"], int) and c["optimizer"] in ("gd", "adam")
        assert ("beta1" in c) == (c["optimizer"] == "adam")
        if "beta1" in c:
            assert 0.5 <= c["beta1"] <= 0.999
    best = configs[0]  # where the model expects the best score: near the peak (-2.5, 64, adam)
    assert abs(math.log10(best["learning_rate"]) + 2.5) < 0.3 and best["optimizer"] == "adam"
    assert 32 <= best["units"] <= 128
    assert abs(math.log10(configs[1]["learning_rate"]) + 2.5) < 1.0


def test_the_model_is_asked_only_about_integers_that_can_run(monkeypatch):
    from hpsearch.space.gp import GP

    asked = []
    predict = GP.predict
    monkeypatch.setattr(
        GP, "predict", lambda gp, points: asked.append(points) or predict(gp, points)
    )
    configs = [c for c, _ in propose(SPACE, _scored(20), [], 3, np.random.default_rng(0))]
    units = features(SPACE, [{"units": u} for u in range(8, 257)])[:, -1]  # the last feature
    seen = np.concatenate([a[:, -1] for a in asked])
    nearest = np.abs(seen[:, None] - units[None, :]).min(axis=1)
    assert len(seen) > 1000 and nearest.max() < 1e-12  # never between two integers
    assert len(configs) == 3


@pytest.mark.parametrize("peak_run", [True, False])
def test_the_best_expected_score_is_not_proposed_where_a_trial_already_ran(peak_run):
    xs = [0.1, 0.3, 0.45, 0.5, 0.55, 0.7, 0.9] if peak_run else [0.1, 0.3, 0.42, 0.58, 0.7, 0.9]
    scored = [({"x": x}, -((x - 0.5) ** 2), True) for x in xs]
    batch = propose({"x": Float(0.0, 1.0)}, scored, [], 2, np.random.default_rng(0))
    first, why = batch[0]
    assert abs(first["x"] - 0.5) < 0.01  # the peak, either way
    assert why == ("improvement" if peak_run else "best")  # a second run would teach nothing


def test_a_failed_trial_lowers_the_model_where_it_failed():
    scored = _scored(15)
    bad = {"learning_rate": 10**-2.3, "units": 64, "optimizer": "adam", "beta1": 0.9}
    without, with_failure = model(SPACE, scored, []), model(SPACE, scored, [bad])
    at = features(SPACE, [bad])
    assert with_failure.predict(at)[0][0] < without.predict(at)[0][0] - 0.5
    assert with_failure.predict(at)[0][0] < np.median([s for _, s, _ in scored])


def test_no_model_from_too_few_trials_or_scores_all_alike():
    assert model(SPACE, _scored(6), []) is None  # 5 features: 7 trials at least
    alike = [(c, 1.0, True) for c, _, _ in _scored(12)]
    assert model(SPACE, alike, []) is None
    assert propose(SPACE, alike, [], 3, np.random.default_rng(0)) == []


@pytest.mark.parametrize("finished", [True, False])
def test_a_pruned_trial_counts_at_most_as_the_median(finished):
    scored = _scored(15)
    top = max(scored, key=lambda t: t[1])
    others = [t for t in scored if t is not top]
    gp = model(SPACE, [*others, (top[0], top[1], finished)], [])
    expected = top[1] if finished else np.median([s for _, s, _ in others])
    assert gp.y[-1] == pytest.approx(expected)


def test_the_model_is_trusted_on_a_smooth_peak_and_not_on_a_cusp():
    from hpsearch.space.propose import trusted

    x = np.vstack([np.linspace(0, 1, 15)[:, None], [[0.3]]])
    smooth, cusp = -((x[:, 0] - 0.3) ** 2), -np.sqrt(np.abs(x[:, 0] - 0.3))
    assert trusted(fit(x, smooth), len(x)) and not trusted(fit(x, cusp), len(x))
    space = {"x": Float(0.0, 1.0)}
    scored = [({"x": float(v)}, float(s), True) for v, s in zip(x[:, 0], cusp)]
    assert len(propose(space, scored, [], 4, np.random.default_rng(0))) == 2  # half the round
    assert len(propose(space, scored, [], 3, np.random.default_rng(0))) == 1
    assert len(propose(space, scored, [], 2, np.random.default_rng(0))) == 2  # a round of 2: all


def test_trials_stopped_early_alone_make_a_model_at_their_own_scores():
    stopped = [(c, s, False) for c, s, _ in _scored(12)]  # successive halving stops most trials
    gp = model(SPACE, stopped, [])
    assert gp is not None and list(gp.y) == [s for _, s, _ in stopped]
