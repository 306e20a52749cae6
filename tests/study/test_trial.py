"""A user's function as an objective: whether it takes the trial is read from its signature."""

import pytest

from hpsearch.study import FunctionObjective, Goal, Task, trial_passing


def evaluate_verbose(config, verbose=False):
    assert verbose is False, "given the trial as verbose"
    return config["x"]


def evaluate_positional(config, t):
    t.report(1, config["x"])
    return config["x"]


def evaluate_keyword(config, *, trial, verbose=False):
    trial.report(1, config["x"])
    return config["x"]


def evaluate_named_with_default(config, trial=None):
    return config["x"] if trial is not None else -1.0


@pytest.mark.parametrize(
    "func,passing,reported",
    [
        (evaluate_verbose, None, 0),
        (evaluate_positional, "positional", 1),
        (evaluate_keyword, "keyword", 1),
        (evaluate_named_with_default, "keyword", 0),
        (lambda config, **options: config["x"], None, 0),
    ],
)
def test_the_trial_is_given_only_where_the_signature_asks_for_it(func, passing, reported):
    assert trial_passing(func) == passing
    result = FunctionObjective(func, Goal.of("value"))(Task(0, 1, {"x": 0.5}, seed=1))
    assert result.status == "ok" and result.value == 0.5, result.error
    assert len(result.curve) == reported


@pytest.mark.parametrize(
    "func", [lambda: 0, lambda a, b, c: 0, lambda *, config: 0, lambda c, *, extra: 0]
)
def test_a_function_that_cannot_take_a_config_is_refused(func):
    with pytest.raises(TypeError, match="write f\\(config\\) or f\\(config, trial\\)"):
        trial_passing(func)


def test_validate_refuses_an_objective_hpsearch_cannot_call(cli, write):
    write("three_args.py", "def evaluate(config, data, labels):\n    return 0.0\n")
    path = write("t.yaml", "objective: three_args:evaluate\nspace: {x: {low: 0, high: 1}}\n")
    result = cli("validate", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {path}: objective: three_args:evaluate: it needs 'labels', which hpsearch "
        "does not give; write f(config) or f(config, trial)"
    )


@pytest.mark.parametrize("name", ["error", "seconds", "x"])
def test_a_metric_named_like_a_column_fails_the_trial_saying_so(name):
    """A metric named like a column trials.csv already has (error, a hyperparameter) was
    silently lost: the table had no column to give it."""
    objective = FunctionObjective(lambda c: {"value": c["x"], name: 1.0}, Goal.of("value"))
    result = objective(Task(0, 1, {"x": 0.5}, 0))
    assert result.status == "failed" and f"a metric named '{name}'" in result.error


def test_a_failed_trial_keeps_its_traceback_but_not_its_frames_locals():
    """Every failed trial of a search is kept: its exception must not hold the arrays its
    frames made."""
    import gc
    import weakref

    import numpy as np

    kept = []

    def evaluate(config):
        big = np.ones(10)
        kept.append(weakref.ref(big))
        raise ValueError("no")

    result = FunctionObjective(evaluate, Goal.of("value"))(Task(0, 1, {"x": 0.5}, 0))
    gc.collect()
    assert result.exception is not None and "raise ValueError" in result.traceback
    assert kept[0]() is None


def test_a_sibling_folder_of_hpsearch_is_the_users_code():
    from hpsearch.study.trial import PACKAGE, _ours

    assert _ours(PACKAGE + "/study/loop.py") and not _ours(PACKAGE + "_plugins/objective.py")
