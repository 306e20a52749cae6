"""Distributions: one contract test for all, and the statistics of each scale."""

import numpy as np
import pytest

from hpsearch.errors import UserError
from hpsearch.space import (
    Categorical,
    Float,
    Int,
    Region,
    parse_distribution,
    sample_config,
    whole_space,
)

EVERY = [
    Float(-3.0, 5.0),
    Float(1e-4, 1.0, "log"),
    Float(0.9, 0.999, "one_minus_log"),
    Int(2, 4),
    Int(16, 1024, "log"),
    Int(-5, 5),
    Categorical((64, 128, 256)),
    Categorical(("relu", "tanh")),
    Categorical((True, False)),
]


@pytest.mark.parametrize("dist", EVERY, ids=repr)
def test_distribution_contract(dist):
    draws = [dist.sample(np.random.default_rng(7)) for _ in range(3)]
    assert draws[0] == draws[1] == draws[2]  # the same seed gives the same draw
    rng = np.random.default_rng(0)
    xs = [dist.sample(rng) for _ in range(2000)]
    if isinstance(dist, Categorical):
        assert set(xs) == set(dist.values)
    else:
        assert min(xs) >= dist.low and max(xs) <= dist.high
    for x in xs[:200]:
        back = dist.from_unit(dist.to_unit(x))
        if isinstance(x, float):
            assert back == pytest.approx(x, rel=1e-9, abs=1e-12)
        else:
            assert back == x
        assert type(back) is type(x)
        assert 0.0 <= dist.to_unit(x) <= 1.0


@pytest.mark.parametrize("dist", EVERY, ids=repr)
def test_another_seed_gives_other_draws(dist):
    rng_a, rng_b = np.random.default_rng(0), np.random.default_rng(1)
    a = [dist.sample(rng_a) for _ in range(20)]
    b = [dist.sample(rng_b) for _ in range(20)]
    assert a != b


def _draws(dist, n=100_000):
    return np.array([dist.from_unit(u) for u in np.random.default_rng(42).random(n)])


def test_log_uniform_puts_a_quarter_in_each_decade():
    x = _draws(Float(1e-4, 1.0, "log"))
    shares = np.histogram(x, bins=[1e-4, 1e-3, 1e-2, 1e-1, 1.0])[0] / len(x)
    np.testing.assert_allclose(shares, 0.25, atol=0.01)


def test_one_minus_log_splits_half_below_and_half_above_0_99():
    x = _draws(Float(0.9, 0.999, "one_minus_log"))
    assert abs(np.mean(x < 0.99) - 0.5) < 0.01
    assert abs(np.mean(x >= 0.99) - 0.5) < 0.01


def test_linear_is_uniform():
    x = _draws(Float(-2.0, 8.0))
    np.testing.assert_allclose(np.histogram(x, bins=10, range=(-2, 8))[0] / len(x), 0.1, atol=0.01)


def test_int_reaches_both_bounds_and_every_integer_about_equally():
    x = _draws(Int(2, 6))
    counts = np.bincount(x.astype(int))[2:] / len(x)
    assert len(counts) == 5
    np.testing.assert_allclose(counts, 0.2, atol=0.01)


@pytest.mark.parametrize("dist", [Int(1, 6), Int(-3, 40), Int(16, 1024, "log"), Int(1, 2, "log")])
def test_whole_units_are_the_units_of_the_integers_the_points_round_to(dist):
    u = np.concatenate([np.random.default_rng(0).random(2000), [0.0, 1.0]])
    one_by_one = [dist.to_unit(dist.from_unit(v)) for v in u]
    assert np.allclose(dist.whole_units(u), one_by_one, rtol=0, atol=1e-12)


def test_sampler_depends_only_on_seed_round_and_trial():
    space = {"lr": Float(1e-4, 1, "log"), "units": Int(1, 9), "act": Categorical(("a", "b"))}
    region = whole_space(space)
    a = sample_config(space, region, 3, 2, 17)
    assert a == sample_config(space, region, 3, 2, 17)
    assert a != sample_config(space, region, 3, 2, 18) != sample_config(space, region, 4, 2, 17)
    # Order of keys in the space does not matter: names are sorted before sampling.
    reordered = dict(reversed(list(space.items())))
    assert sample_config(reordered, whole_space(reordered), 3, 2, 17) == a


def test_samples_stay_inside_a_narrow_region():
    space = {"lr": Float(1e-4, 1, "log"), "act": Categorical(("a", "b", "c"))}
    region = Region([{"lr": (0.25, 0.5), "act": ("b",)}])
    for t in range(200):
        c = sample_config(space, region, 0, 2, t)
        assert 1e-3 <= c["lr"] <= 1e-2 + 1e-12 and c["act"] == "b"


def test_a_box_with_a_centre_concentrates_its_samples_there():
    space = {"lr": Float(1e-4, 1, "log"), "b": Float(0.0, 1.0)}
    region = Region([{"lr": (0.2, 0.6), "b": (0.0, 0.3)}], centres=[{"lr": 0.4, "b": 0.05}])
    units = np.array(
        [
            [space["lr"].to_unit(c["lr"]), c["b"]]
            for c in (sample_config(space, region, 0, 2, t) for t in range(4000))
        ]
    )
    assert units[:, 0].min() >= 0.2 - 1e-9 and units[:, 0].max() <= 0.6 + 1e-9
    assert units[:, 1].min() >= 0.0 and units[:, 1].max() <= 0.3
    assert (
        abs(np.median(units[:, 0]) - 0.4) < 0.01 and np.mean(np.abs(units[:, 0] - 0.4) < 0.1) > 0.6
    )
    # N(0.05, 0.125) truncated to [0, 0.3] puts 49% below 0.1; a uniform draw would put 33%
    assert abs(np.mean(units[:, 1] < 0.1) - 0.491) < 0.025


def test_a_box_with_a_spread_draws_its_names_together_from_that_normal():
    space = {"lr": Float(1e-4, 1, "log"), "b": Float(0.0, 1.0), "act": Categorical(("x", "y"))}
    covariance = [[0.01, 0.008], [0.008, 0.01]]  # sd 0.1, correlation 0.8
    box = {"lr": (0.2, 0.8), "b": (0.2, 0.8), "act": ("y",)}
    region = Region(
        [box],
        centres=[{"lr": 0.5, "b": 0.5}],
        spreads=[{"names": ["b", "lr"], "covariance": covariance}],
    )
    configs = [sample_config(space, region, 0, 2, t) for t in range(4000)]
    units = np.array([[c["b"], space["lr"].to_unit(c["lr"])] for c in configs])
    assert {c["act"] for c in configs} == {"y"}
    assert units.min() >= 0.2 - 1e-9 and units.max() <= 0.8 + 1e-9  # 3 sigma: rarely cut
    assert np.allclose(units.mean(axis=0), 0.5, atol=0.01)  # standard error 0.0016
    assert np.allclose(np.cov(units.T), covariance, atol=0.001)  # standard error about 0.0002


@pytest.mark.parametrize(
    "entry,message",
    [
        ({"low": 1, "high": 1}, "`low < high` must hold, got low=1, high=1"),
        ({"low": 0, "high": 1, "scale": "log"}, "`low > 0` must hold for scale log, got low=0"),
        ({"low": 0.9, "high": 1.0, "scale": "one_minus_log"}, "`0 < low < high < 1` must hold"),
        ({"low": 1.5, "high": 4, "type": "int"}, "bounds of type int must be integers"),
        (
            {"low": 0.1, "high": 0.9, "type": "int", "scale": "one_minus_log"},
            "bounds of type int must be integers",
        ),
        ({"low": 1, "high": 4, "scale": "lgo"}, "unknown scale 'lgo'; did you mean 'log'"),
        ({"low": 1, "high": 4, "type": "integer"}, "unknown type 'integer'"),
        ({"values": []}, "`values` is empty"),
        ({"values": [1, 1]}, "`values` has duplicates"),
        ({"values": [1, "1"]}, "`values` has 1 and '1', which a table writes alike (1)"),
        ({"values": ["True", True]}, "`values` has 'True' and True, which a table writes alike"),
        ({"low": "ten", "high": 4}, "expected a number, got 'ten'"),
        ({"low": 1}, "missing `high`"),
        ({"values": [1], "low": 0}, "`values` cannot go with low"),
        ({"lo": 1, "high": 2}, "unknown space key 'lo'; did you mean 'low'"),
        (0.5, "0.5 is not a distribution"),
    ],
)
def test_invalid_distributions_state_the_broken_invariant(entry, message):
    with pytest.raises(UserError) as e:
        parse_distribution(entry, "space.x")
    assert message in e.value.message and e.value.message.startswith("space.x")
