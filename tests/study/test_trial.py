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
