"""`estimator:` in a config: a scikit-learn estimator tuned from the command line, its run read
by every command, its best estimator saved, interrupted and resumed, and its mistakes."""

import json
import signal

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

from hpsearch import Config, load_data, load_model, run_search
from hpsearch.config import load_config
from hpsearch.dashboard.data import RunView
from hpsearch.runs import resume_search
from tests.conftest import kill_group, rows, start, wait_until

TREE = """\
name: tree
data: {dataset: moons, n_samples: 400}
estimator: sklearn.tree.DecisionTreeClassifier
cv: 3
scoring: accuracy
params: {random_state: 0}
search: {budget: 14, prune: median, jobs: 1}
space:
  max_depth: {low: 1, high: 12, type: int}
  min_samples_leaf: {low: 1, high: 50, type: int, scale: log}
  criterion: [gini, entropy]
"""


def test_a_run_of_an_estimator_through_the_command_line(cli, write, tmp_path):
    path, runs = write("tree.yaml", TREE), tmp_path / "runs"
    result = cli("run", path, "--runs-dir", runs)
    assert result.exit_code == 0, result.output
    assert "best: trial" in result.stdout and "accuracy" in result.stdout
    assert "test accuracy" in result.stdout
    run = runs / "tree"
    best = json.loads((run / "best.json").read_text())
    trials = pd.read_csv(run / "trials.csv")
    assert len(trials) == 14 and best["value"] == trials["accuracy"][trials.status == "ok"].max()
    assert (trials.status == "pruned").any()  # median, across folds
    model = load_model(run)
    assert isinstance(model, DecisionTreeClassifier)
    assert model.get_params()["max_depth"] == best["params"]["max_depth"]
    data = load_data({"dataset": "moons", "n_samples": 400})
    assert model.score(data.X_test, data.y_test) == best["test"]["test_accuracy"]
    for args in (
        ["results", run],
        ["results", run, "--importance"],
        ["compare", run, run],
        ["plot", run],
    ):
        shown = cli(*args)
        assert shown.exit_code == 0, (args, shown.output)
    assert list((run / "plots").glob("*.png"))
    once = cli("train", path)  # one trial in the foreground, fold by fold
    assert once.exit_code == 0 and "DecisionTreeClassifier, once" in once.output
    assert "is what the search compares" in once.output
    # trials.csv's epochs count folds here: the command line and the dashboard say folds
    assert "\nfold 1: " in once.output and "epoch" not in once.output
    table = cli("results", run, "--format", "table", env={"COLUMNS": "300"}).output
    header = table.split("trials, best first\n")[1].split()
    assert "folds" in header and "epochs" not in header
    pruned = int(trials.trial[trials.status == "pruned"].iloc[0])
    shown = cli("results", run, "--trial", pruned).output
    assert "pruned at fold " in shown and "  folds " in shown and "epoch" not in shown
    assert RunView(run).meta()["step"] == "fold"


def test_a_regressor_maximises_its_negated_error(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((150, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["price"] = X @ [2.0, -1.0, 0.5] + 0.1 * rng.standard_normal(150)
    frame.to_csv(tmp_path / "houses.csv", index=False)
    config = Config.from_dict(
        {
            "name": "ridge",
            "data": {"path": str(tmp_path / "houses.csv"), "target": "price"},
            "estimator": "sklearn.linear_model.Ridge",
            "scoring": "neg_mean_squared_error",
            "search": {"budget": 10, "jobs": 1},
            "space": {"alpha": {"low": 1e-3, "high": 1e3, "scale": "log"}},
        }
    )
    assert config.goal.direction == "maximize" and config.goal.metric == "neg_mean_squared_error"
    outcome = run_search(config, runs_dir=tmp_path / "runs")
    values = [r.value for r in outcome.study.trials]
    assert outcome.best["value"] == max(values) < 0
    assert outcome.best["params"]["alpha"] < 10  # little noise: little shrinkage
    assert load_model(tmp_path / "runs" / "ridge").predict(X[:2]).shape == (2,)


@pytest.mark.parametrize(
    "change,message",
    [
        (
            ("max_depth:", "max_dept:"),
            "space.max_dept: unknown parameter of DecisionTreeClassifier 'max_dept'; "
            "did you mean 'max_depth'?",
        ),
        (
            ("random_state: 0", "random_stat: 0"),
            "params.random_stat: unknown parameter of DecisionTreeClassifier 'random_stat'; "
            "did you mean 'random_state'?",
        ),
        (
            ("scoring: accuracy", "scoring: acuracy"),
            "scoring: unknown scoring 'acuracy'; did you mean 'accuracy'?",
        ),
        (("cv: 3", "cv: 1"), "cv: 1 is not a number of folds >= 2; use cv: 5"),
        (  # a value scikit-learn's own checks refuse: every trial would fail on it
            ("random_state: 0", "random_state: 0, splitter: bestt"),
            "params.splitter: The 'splitter' parameter of DecisionTreeClassifier must be",
        ),
        (("[gini, entropy]", "[gini, ginny]"), "space.criterion: The 'criterion' parameter"),
        (("low: 1, high: 12", "low: 0, high: 12"), "space.max_depth: The 'max_depth'"),
        (
            ("DecisionTreeClassifier", "DecisionTreeClasifier"),
            "estimator: unknown class in sklearn.tree 'DecisionTreeClasifier'; "
            "did you mean 'DecisionTreeClassifier'?",
        ),
        (("estimator: sklearn.tree.", "estimator: sklearn.nope."), "cannot import 'sklearn.nope'"),
        (
            ("scoring: accuracy", "scoring: accuracy\nobjective: mine:evaluate"),
            "estimator: objective and estimator are both given",
        ),
    ],
)
def test_a_bad_name_is_one_line_and_exit_2_with_nothing_written(
    cli, write, tmp_path, change, message
):
    path = write("bad.yaml", TREE.replace(*change))
    for command in ("validate", "run"):
        result = cli(command, path, *(["--runs-dir", tmp_path / "runs"] * (command == "run")))
        assert result.exit_code == 2 and result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0] and "bad.yaml" in lines[0], lines
    assert not (tmp_path / "runs").exists()


SLOW = """\
name: slow
data: {dataset: moons, n_samples: 300}
estimator: hpsearch.MLP
cv: 3
params: {epochs: 20, hidden_units: 8}
search: {budget: 10, prune: median, jobs: 1}
space:
  learning_rate: {low: 1.0e-4, high: 1.0, scale: log}
  beta1: {low: 0.8, high: 0.999, scale: one_minus_log}
"""


def test_ctrl_c_then_resume_gives_the_uninterrupted_table(tmp_path):
    (tmp_path / "slow.yaml").write_text(SLOW)
    reference = run_search(load_config(tmp_path / "slow.yaml"), runs_dir=tmp_path / "reference")
    proc = start(["run", "slow.yaml"], tmp_path)
    run = tmp_path / "runs" / "slow"
    wait_until(lambda: len(rows(run / "trials.csv")) >= 3, proc, timeout=120)
    kill_group(proc, signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert len(rows(run / "trials.csv")) < 10, "the run finished before it was interrupted"
    assert "continue with: hpsearch resume runs/slow" in (tmp_path / "err.log").read_text()
    resume_search(run, jobs=1)
    times = ("mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time")
    timeless = ("seconds", "metrics", *times)  # the columns that measure time
    assert rows(run / "trials.csv", timeless) == rows(reference.run.trials_csv, timeless)
    assert rows(run / "curves.csv") == rows(reference.run.path / "curves.csv")
    assert isinstance(load_model(run), type(load_model(reference.run.path)))


def test_an_estimator_left_to_chance_gives_the_same_table_twice(cli, write, tmp_path):
    """A forest whose random_state the config leaves out is seeded by the run's seed: the same
    config and seed give the same table (two runs of a forest differed), and the saved best
    estimator is seeded the same way."""
    text = TREE.replace(
        "sklearn.tree.DecisionTreeClassifier", "sklearn.ensemble.RandomForestClassifier"
    )
    text = text.replace("params: {random_state: 0}", "params: {n_estimators: 5}")
    text = text.replace("criterion: [gini, entropy]", "max_features: {low: 0.2, high: 1.0}")
    path, runs = write("forest.yaml", text), tmp_path / "runs"
    for name in ("one", "two"):
        result = cli("run", path, "--runs-dir", runs, "--name", name)
        assert result.exit_code == 0, result.output
    drop = ("seconds", "mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time")
    assert rows(runs / "one" / "trials.csv", drop) == rows(runs / "two" / "trials.csv", drop)
    assert load_model(runs / "one").random_state == 0  # the run's seed
