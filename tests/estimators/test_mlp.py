"""The network as a scikit-learn classifier: scikit-learn's own checks, and the tools that use
estimators (clone, Pipeline, GridSearchCV, cross_val_score)."""

import inspect
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from hpsearch.estimators import MLP
from hpsearch.nn.hyper import DEFAULTS
from hpsearch.nn.model import Model


@parametrize_with_checks([MLP(epochs=5, hidden_units=16, learning_rate=0.01)])
def test_scikit_learn_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def animals():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((240, 4)) * [1, 10, 100, 1000] + 50
    y = np.where(X[:, 0] > 50, "cat", np.where(X[:, 1] > 50, "dog", "emu"))
    return X, y


def test_the_constructor_takes_every_hyperparameter_with_its_default():
    signature = inspect.signature(MLP).parameters
    assert set(signature) == {*DEFAULTS, "normalize", "dtype", "random_state"}
    assert all(signature[name].default == DEFAULTS[name] for name in DEFAULTS)


def test_fit_predict_score_with_string_labels(animals):
    X, y = animals
    model = MLP(learning_rate=0.01, epochs=30, normalize=True, random_state=1)
    assert model.fit(X, y) is model
    assert list(model.classes_) == ["cat", "dog", "emu"] and model.n_features_in_ == 4
    assert model.score(X, y) > 0.9 and model.predict_proba(X).shape == (240, 3)
    assert model.n_iter_ == 30 and len(model.loss_curve_) == 30
    assert model.loss_curve_[-1] < model.loss_curve_[0] and model.validation_scores_ is None


def test_parameters_are_stored_as_given_and_checked_in_fit(animals):
    X, y = animals
    model = MLP(learning_rate=-1, optimizer="adma")  # no error yet: scikit-learn's contract
    assert model.get_params()["learning_rate"] == -1
    with pytest.raises(ValueError, match="unknown optimizer 'adma'; did you mean 'adam'"):
        model.fit(X, y)
    with pytest.raises(ValueError, match=r"MLP.learning_rate: -1 is out of range"):
        model.set_params(optimizer="adam").fit(X, y)
    with pytest.raises(ValueError, match="random_state: 'a' is not a seed"):
        MLP(random_state="a").fit(X, y)
    with pytest.raises(ValueError, match="Invalid parameter 'learning_rat'"):
        MLP().set_params(learning_rat=0.1)


def test_clone_pipeline_grid_search_and_cross_validation(animals):
    X, y = animals
    model = MLP(epochs=8, learning_rate=0.01, random_state=2)
    twin = clone(model)
    assert twin.get_params() == model.get_params() and not hasattr(twin, "model_")
    pipeline = make_pipeline(StandardScaler(), model)
    scores = cross_val_score(pipeline, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.6
    grid = GridSearchCV(pipeline, {"mlp__hidden_units": [4, 16]}, cv=3).fit(X, y)
    assert grid.best_params_["mlp__hidden_units"] in (4, 16)
    assert grid.best_estimator_.score(X, y) == grid.score(X, y)


def test_the_same_seed_fits_the_same_model_and_survives_pickling(animals):
    X, y = animals
    a = MLP(epochs=3, keep_prob=0.8, random_state=4).fit(X, y)
    b = MLP(epochs=3, keep_prob=0.8, random_state=4).fit(X, y)
    np.testing.assert_array_equal(a.model_.net.flat, b.model_.net.flat)
    again = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(again.predict_proba(X), a.predict_proba(X))


def test_feature_names_from_a_data_frame(animals):
    X, y = animals
    frame = pd.DataFrame(X, columns=["w", "x", "y", "z"])
    model = MLP(epochs=2).fit(frame, y)
    assert list(model.feature_names_in_) == ["w", "x", "y", "z"]
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame[["z", "y", "x", "w"]])


def test_not_fitted_and_too_few_classes(animals):
    X, y = animals
    with pytest.raises(NotFittedError):
        MLP().predict(X)
    with pytest.raises(ValueError, match="at least 2 classes"):
        MLP().fit(X, np.full(len(X), "cat"))


def test_partial_fit_trains_one_epoch_per_call(animals):
    X, y = animals
    model = MLP(random_state=3)
    with pytest.raises(ValueError, match="classes must be given"):
        model.partial_fit(X, y)
    for _ in range(3):
        model.partial_fit(X, y, classes=["cat", "dog", "emu"])
    fitted = MLP(epochs=3, random_state=3).fit(X, y)
    assert model.n_iter_ == 3 and model.loss_curve_ == fitted.loss_curve_


def test_dev_data_gives_validation_scores_and_early_stopping(animals):
    X, y = animals
    model = MLP(epochs=60, patience=2, learning_rate=0.05, normalize=True)
    model.fit(X[:160], y[:160], X[160:], y[160:])
    assert len(model.validation_scores_) == model.n_iter_ < 60


def test_a_diverging_fit_warns(animals):
    X, y = animals
    with pytest.warns(ConvergenceWarning, match="diverged at epoch"):
        MLP(learning_rate=1e6, optimizer="gd", batch_norm=False, init="large").fit(X, y)


def test_from_model_wraps_a_trained_model(animals):
    X, y = animals
    model = Model(epochs=4, normalize=True, seed=7).fit(X, y)
    estimator = MLP.from_model(model)
    assert estimator.get_params()["random_state"] == 7 and estimator.n_features_in_ == 4
    np.testing.assert_array_equal(estimator.predict(X), model.predict(X))
    refitted = clone(estimator).fit(X, y)
    np.testing.assert_array_equal(refitted.model_.net.flat, model.net.flat)
