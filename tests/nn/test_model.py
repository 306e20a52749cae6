"""Training: reproducibility, divergence, early stopping, checkpoints, the Python API."""

import math

import numpy as np
import pytest

from hpsearch.data import load_data
from hpsearch.errors import UserError
from hpsearch.nn.model import Model


@pytest.fixture(scope="module")
def moons():
    return load_data({"dataset": "moons", "n_samples": 600}, seed=0).for_training()


def fit(data, **hp):
    model = Model(**{"epochs": 8, **hp}, seed=3)
    return model.fit(data.X_train, data.y_train, data.X_dev, data.y_dev)


def test_same_seed_gives_identical_weights_and_costs(moons):
    a, b = fit(moons, keep_prob=0.8), fit(moons, keep_prob=0.8)
    np.testing.assert_array_equal(a.net.flat, b.net.flat)
    assert a.history == b.history
    c = Model(epochs=8, keep_prob=0.8, seed=4).fit(moons.X_train, moons.y_train)
    assert not np.array_equal(a.net.flat, c.net.flat)


def test_training_lowers_the_cost_and_records_each_epoch(moons):
    model = fit(moons)
    costs = [r["batch_cost"] for r in model.history]
    assert len(model.history) == 8 and costs[-1] < costs[0] / 2
    assert set(model.history[0]) == {
        "epoch",
        "learning_rate",
        "batch_cost",
        "dev_cost",
        "dev_accuracy",
    }


def test_float32_training():
    model = Model(epochs=1).fit(np.zeros((10, 3)), np.arange(10) % 2)
    assert model.net.flat.dtype == np.float32


def test_a_diverging_run_stops_and_says_so_without_raising(moons):
    model = fit(moons, learning_rate=1e6, optimizer="gd", batch_norm=False, init="large")
    assert model.status == "diverged"
    assert model.epoch < 8 and not math.isfinite(model.history[-1]["batch_cost"])


def test_full_batch_gradient_descent_takes_one_step_per_epoch(moons):
    model = fit(moons, batch_size="full", epochs=3)
    assert int(model.opt_state["t"]) == 3


def test_mini_batches_cover_the_data_with_a_smaller_last_batch(moons):
    model = fit(moons, batch_size=100, epochs=2)
    m = len(moons.y_train)
    assert int(model.opt_state["t"]) == 2 * math.ceil(m / 100)


def test_early_stopping_restores_the_best_epoch(moons):
    model = fit(moons, epochs=200, patience=3, learning_rate=0.05)
    assert model.stopped_early and model.epoch < 200
    best = max(r["dev_accuracy"] for r in model.history)
    assert model.evaluate(moons.X_dev, moons.y_dev)[1] == pytest.approx(best)


def test_l2_shrinks_the_weights(moons):
    plain = fit(moons, batch_norm=False, learning_rate=0.01)
    decayed = fit(moons, batch_norm=False, learning_rate=0.01, l2=1.0)
    norm = lambda m: np.linalg.norm(m.net.flat[: m.net.n_weights])  # noqa: E731
    assert norm(decayed) < 0.6 * norm(plain)


def _continued(data, state, epochs):
    """A new model restored from `state`, trained on until `epochs`."""
    resumed = Model(seed=99).load_state_dict({k: np.array(v) for k, v in state.items()})
    resumed.hp["epochs"] = epochs
    return resumed.train(data.X_train, data.y_train, (data.X_dev, data.y_dev))


def test_state_dict_continues_training_bit_exactly(moons):
    full = fit(moons, keep_prob=0.9)
    half = fit(moons, keep_prob=0.9, epochs=4)
    resumed = _continued(moons, half.state_dict(), 8)
    np.testing.assert_array_equal(resumed.net.flat, full.net.flat)
    assert resumed.history == full.history


def test_state_dict_keeps_early_stopping_exact(moons):
    full = fit(moons, epochs=40, patience=4, learning_rate=0.05)
    half = fit(moons, epochs=6, patience=4, learning_rate=0.05)
    resumed = _continued(moons, half.state_dict(), 40)
    assert resumed.history == full.history and resumed.stopped_early == full.stopped_early
    np.testing.assert_array_equal(resumed.net.flat, full.net.flat)


def test_string_labels_and_input_normalisation():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4)) * [1, 10, 100, 1000] + 50
    y = np.where(X[:, 0] > 50, "cat", np.where(X[:, 1] > 50, "dog", "emu"))
    model = Model(learning_rate=0.01, epochs=30, normalize=True, seed=1)
    assert model.fit(X, y) is model
    assert list(model.classes_) == ["cat", "dog", "emu"]
    assert set(model.predict(X)) <= {"cat", "dog", "emu"} and model.score(X, y) > 0.9
    assert model.predict_proba(X).shape == (300, 3)


def test_partial_fit_is_one_epoch_of_fit():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((90, 3)), rng.choice(["a", "b", "c"], 90)
    whole = Model(epochs=3, seed=5, normalize=True).fit(X, y)
    stepwise = Model(epochs=3, seed=5, normalize=True)
    for _ in range(3):
        stepwise.partial_fit(X, y, classes=["c", "b", "a"])
    assert stepwise.epoch == 3 and stepwise.history == whole.history
    np.testing.assert_array_equal(stepwise.net.flat, whole.net.flat)


def test_a_second_fit_trains_from_scratch():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((100, 3)), rng.integers(0, 2, 100)
    model = Model(epochs=3, seed=2)
    first = model.fit(X, y).net.flat.copy()
    assert model.fit(X, y).epoch == 3  # not 6: nothing carried over
    np.testing.assert_array_equal(model.net.flat, first)
    model.fit(X[:50], np.where(y[:50] == 1, "yes", "no"))
    assert list(model.classes_) == ["no", "yes"]


def test_a_label_unseen_in_training_is_refused():
    model = Model(epochs=1).fit(np.zeros((4, 2)), ["a", "b", "a", "b"])
    with pytest.raises(ValueError, match="label 'c' is not one of the classes"):
        model.evaluate(np.zeros((1, 2)), ["c"])


def test_cost_and_grads_api_is_keyed_like_params(moons):
    model = Model(layers=2, hidden_units=5).build(2, 2)
    cost, grads = model.cost_and_grads(moons.X_train[:20], moons.y_train[:20])
    assert (
        set(grads)
        == set(model.params)
        == {"W1", "gamma1", "beta1", "W2", "gamma2", "beta2", "W3", "b3"}
    )
    assert all(grads[k].shape == model.params[k].shape for k in grads) and cost > 0


def test_bad_hyperparameters_are_user_errors():
    with pytest.raises(UserError, match="unknown activation 'relu6'.*relu"):
        Model(activation="relu6")
    with pytest.raises(
        UserError, match="unknown hyperparameter 'learning_rat'; did you mean 'learning_rate'"
    ):
        Model(learning_rat=0.1)
    with pytest.raises(UserError, match="batch_size"):
        Model(batch_size=0)
    with pytest.raises(UserError, match="unknown optimizer 'adma'; did you mean 'adam'"):
        Model(optimizer="adma")


@pytest.mark.parametrize(
    "config,floor", [("configs/digits.yaml", 0.95), ("configs/moons.yaml", 0.95)]
)
def test_train_command_reaches_the_accuracy_floor(cli, config, floor):
    result = cli("train", config)
    assert result.exit_code == 0, result.output
    dev_accuracy = float(result.output.split("dev accuracy ")[1].split(",")[0])
    assert dev_accuracy >= floor
