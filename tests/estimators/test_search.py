"""HPSearchCV: scikit-learn's checks, its results in scikit-learn's layout, pruning across
folds, and the same search whatever the number of workers."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, make_regression
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from hpsearch import MLP, Categorical, Float, HPSearchCV, Int


@parametrize_with_checks(
    [HPSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": Int(1, 8)}, budget=2, cv=2)]
)
def test_scikit_learn_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X[::2], y[::2]  # 285 samples: enough to tell trials apart, fast to fit


SPACE = {
    "max_depth": Int(1, 10),
    "min_samples_leaf": {"low": 1, "high": 40, "type": "int", "scale": "log"},
    "criterion": Categorical(("gini", "entropy")),
    "ccp_alpha": {"low": 1e-4, "high": 0.1, "scale": "log", "when": {"criterion": "gini"}},
}


def tree_search(budget=20, **settings):
    return HPSearchCV(
        DecisionTreeClassifier(random_state=0), SPACE, budget=budget, cv=4, **settings
    )


def test_the_results_read_as_scikit_learns(cancer):
    X, y = cancer
    search = tree_search(prune="none").fit(X, y)
    frame = pd.DataFrame(search.cv_results_)
    assert len(frame) == 20 and (frame["status"] == "ok").all() and (frame["n_folds"] == 4).all()
    for column in (
        "params",
        "param_max_depth",
        "param_ccp_alpha",
        "split3_test_score",
        "mean_test_score",
        "std_test_score",
        "rank_test_score",
        "mean_fit_time",
        "std_score_time",
        "round",
    ):
        assert column in frame, column
    splits = frame[[f"split{k}_test_score" for k in range(4)]].to_numpy()
    np.testing.assert_allclose(frame["mean_test_score"], splits.mean(axis=1))
    np.testing.assert_allclose(frame["std_test_score"], splits.std(axis=1))
    best = frame.loc[search.best_index_]
    assert best["rank_test_score"] == 1 and best["mean_test_score"] == search.best_score_
    assert search.best_score_ == frame["mean_test_score"].max()
    assert best["params"] == search.best_params_
    gini = frame["param_criterion"] == "gini"
    ccp_alpha = search.cv_results_["param_ccp_alpha"]
    assert (ccp_alpha.mask == ~gini.to_numpy()).all()  # conditional: masked where it is off
    assert frame["round"].max() > 1  # coarse-to-fine rounds
    refitted = clone(search.estimator).set_params(**search.best_params_).fit(X, y)
    np.testing.assert_array_equal(search.predict(X), refitted.predict(X))
    assert search.score(X, y) == refitted.score(X, y)
    assert list(search.classes_) == [0, 1] and search.predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize(
    "prune",
    # a mapping as in the YAML judges from the first fold too (its warm-up of 5 epochs, as many
    # as the folds, left median never judging)
    ["median", "halving", {"method": "median", "min_trials": 3}],
)
def test_pruning_stops_trials_between_folds(cancer, prune):
    X, y = cancer
    search = tree_search(prune=prune).fit(X, y)
    results = search.cv_results_
    pruned = results["status"] == "pruned"
    assert pruned.any() and (results["n_folds"][pruned] < 4).all()
    for i in np.flatnonzero(pruned):
        done = [results[f"split{k}_test_score"][i] for k in range(results["n_folds"][i])]
        assert results["mean_test_score"][i] == pytest.approx(np.mean(done))
        assert np.isnan(results["split3_test_score"][i])
    ranks = results["rank_test_score"]
    assert ranks[pruned].min() > ranks[~pruned].max()  # finished trials rank first
    assert search.best_index_ in np.flatnonzero(~pruned)


def test_the_same_search_whatever_the_number_of_workers(cancer):
    X, y = cancer
    one, two = (tree_search(budget=12, n_jobs=n).fit(X, y) for n in (1, 2))
    for key, values in one.cv_results_.items():
        if "time" not in key:
            np.testing.assert_array_equal(np.asarray(values), np.asarray(two.cv_results_[key]))
    assert one.best_params_ == two.best_params_
    other = tree_search(budget=12, random_state=1).fit(X, y)
    assert other.cv_results_["params"] != one.cv_results_["params"]


def test_regression_a_pipeline_and_nested_cross_validation():
    X, y = make_regression(120, 5, noise=10, random_state=0)
    pipeline = make_pipeline(StandardScaler(), Ridge())
    search = HPSearchCV(
        pipeline,
        {"ridge__alpha": Float(1e-3, 1e3, "log")},
        budget=10,
        cv=3,
        scoring="neg_mean_squared_error",
    )
    scores = cross_val_score(search, X, y, cv=2)
    assert scores.shape == (2,) and np.all(scores < 0)  # its score is the search's scoring
    search.fit(X, y)
    assert search.best_score_ < 0 and search.best_params_["ridge__alpha"] < 10  # low noise


def test_it_tunes_the_mlp(cancer):
    X, y = cancer
    mlp = make_pipeline(StandardScaler(), MLP(epochs=5, hidden_units=16))
    space = {
        "mlp__learning_rate": Float(1e-4, 1.0, "log"),
        "mlp__beta1": {"low": 0.8, "high": 0.999, "scale": "one_minus_log"},
    }
    search = HPSearchCV(mlp, space, budget=10, cv=3).fit(X, y)
    assert 0.8 <= search.best_params_["mlp__beta1"] <= 0.999 and search.best_score_ > 0.9


def test_bad_arguments_are_value_errors(cancer):
    X, y = cancer
    tree = DecisionTreeClassifier()
    with pytest.raises(ValueError, match="unknown parameter of DecisionTreeClassifier 'max_dept'"):
        HPSearchCV(tree, {"max_dept": Int(1, 5)}).fit(X, y)
    with pytest.raises(ValueError, match="did you mean 'max_depth'"):
        HPSearchCV(tree, {"max_dept": Int(1, 5)}).fit(X, y)
    with pytest.raises(ValueError, match=r"space.max_depth.*`low < high` must hold"):
        HPSearchCV(tree, {"max_depth": {"low": 5, "high": 1, "type": "int"}}).fit(X, y)
    with pytest.raises(ValueError, match="unknown pruning method 'medain'"):
        HPSearchCV(tree, {"max_depth": Int(1, 5)}, prune="medain").fit(X, y)
    with pytest.raises(ValueError, match="budget: 0 is not a number of trials"):
        HPSearchCV(tree, {"max_depth": Int(1, 5)}, budget=0).fit(X, y)


def test_when_every_trial_fails_the_first_error_is_raised(cancer):
    X, y = cancer
    search = HPSearchCV(
        DecisionTreeClassifier(), {"criterion": Categorical(("gin", "entropi"))}, budget=2, cv=2
    )
    with pytest.raises(ValueError, match="criterion"):
        search.fit(X, y)


def test_a_failed_trial_ran_no_folds(cancer):
    """A failed trial's n_folds is 0, beside its NaN scores (it was the smallest int64)."""
    X, y = cancer
    criterion = {"criterion": Categorical(("gini", "entropi"))}
    search = HPSearchCV(DecisionTreeClassifier(), criterion, budget=4, cv=2, random_state=0)
    with pytest.warns(FitFailedWarning):
        results = search.fit(X, y).cv_results_
    failed = results["status"] == "failed"
    assert failed.any() and (~failed).any()
    assert list(results["n_folds"][failed]) == [0] * failed.sum()
    assert (results["n_folds"][~failed] == 2).all()


def test_refit_false_keeps_no_estimator(cancer):
    X, y = cancer
    search = HPSearchCV(
        DecisionTreeClassifier(), {"max_depth": Int(1, 5)}, budget=4, cv=2, refit=False
    ).fit(X, y)
    assert search.best_params_ and not hasattr(search, "best_estimator_")


def test_an_estimator_left_to_chance_is_seeded_by_the_search(cancer):
    """A random_state left at None gets the search's seed: the same results whatever n_jobs
    (a forest's scores differed between 1 and 2 workers), and the refitted best is the model
    its trial scored; a random_state the user gave is kept."""
    from sklearn.ensemble import RandomForestClassifier

    X, y = cancer
    forest = RandomForestClassifier(n_estimators=5)
    space = {"max_depth": Int(1, 8)}
    one, two = (
        HPSearchCV(forest, space, budget=6, cv=3, n_jobs=n, random_state=3).fit(X, y)
        for n in (1, 2)
    )
    np.testing.assert_array_equal(
        one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"]
    )
    assert one.best_estimator_.random_state == 3 and forest.random_state is None
    given = HPSearchCV(
        RandomForestClassifier(n_estimators=5, random_state=7), space, budget=2, cv=3
    )
    assert given.fit(X, y).best_estimator_.random_state == 7
