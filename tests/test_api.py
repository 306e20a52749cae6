"""The Python API as a notebook user meets it: a search of any function, a config from a dict, a
run opened and its best model predicting on raw inputs with the original labels."""

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import hpsearch
from hpsearch import Categorical, Config, Float, Int, load_model, open_run, run_search, search
from hpsearch.errors import UserError


def test_search_returns_a_study():
    def f(config):
        return -((math.log10(config["lr"]) + 2) ** 2) - (config["units"] - 64) ** 2 / 1e4

    study = search(
        {"lr": Float(1e-4, 1.0, "log"), "units": Int(16, 256, "log")}, f, budget=40, seed=0
    )
    assert isinstance(study, hpsearch.Study) and len(study.trials) == 40
    assert study.best_value == max(t.value for t in study.trials)
    assert study.best_trial.final_params == study.best_params and set(study.best_params) == {
        "lr",
        "units",
    }
    frame = study.trials_dataframe()
    assert list(frame.columns[:5]) == ["trial", "round", "status", "lr", "units"]
    assert frame["value"].iloc[0] == study.best_value  # best first


def test_search_minimises_a_loss_and_prunes_with_trial_report():
    def f(config, trial):
        loss = 1.0
        unlucky = 0.5 * (trial.number % 2)  # every other trial's training goes badly
        for epoch in range(1, 11):
            loss = abs(config["x"] - 0.3) + 1 / epoch + unlucky
            if trial.report(epoch, loss):
                break
        return {"loss": loss}

    study = search({"x": Float(0, 1)}, f, budget=40, metric="loss", prune="median", seed=1)
    assert study.goal.direction == "minimize" and study.best_value == min(
        t.value for t in study.trials if t.status == "ok"
    )
    assert any(t.status == "pruned" for t in study.trials)


def test_a_config_from_a_dict_runs_and_the_run_opens(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.standard_normal((300, 3)) * [1, 100, 1e4] + [0, 500, -2e4], columns=["a", "b", "c"]
    )
    frame["kind"] = np.where(frame.a > 0, "cat", np.where(frame.b > 500, "dog", "emu"))
    frame.to_csv(tmp_path / "animals.csv", index=False)
    config = Config.from_dict(
        {
            "name": "animals",
            "data": {"path": str(tmp_path / "animals.csv"), "target": "kind"},
            "params": {"layers": 1, "hidden_units": 16, "epochs": 15},
            "search": {"budget": 8, "jobs": 1},
            "space": {
                "learning_rate": {"low": 1e-3, "high": 1e-1, "scale": "log"},
                "activation": {"values": ["relu", "tanh"]},
            },
        }
    )
    outcome = run_search(config, runs_dir=tmp_path / "runs")
    run = open_run(tmp_path / "runs" / "animals")
    assert run.trials.iloc[0]["trial"] == outcome.best["trial"]  # best first
    assert set(run.curves["trial"]) == set(range(8)) and run.best["test"]["test_accuracy"] > 0.5
    model = run.load_model()
    predicted = model.predict(
        frame[["a", "b", "c"]].to_numpy()
    )  # raw inputs: it standardises them
    assert set(predicted) <= {"cat", "dog", "emu"} and list(model.classes_) == [
        "cat",
        "dog",
        "emu",
    ]
    assert np.mean(predicted == frame["kind"].to_numpy()) > 0.8
    assert (
        load_model(tmp_path / "runs" / "animals").score(frame[["a", "b", "c"]], frame["kind"])
        > 0.8
    )
    best = tmp_path / "runs" / "animals" / "best.npz"
    best.write_bytes(best.read_bytes()[:300])  # cut short: one clear error, not a traceback
    with pytest.raises(UserError, match="best.npz: cannot read best.npz .*: cut short or damaged"):
        load_model(tmp_path / "runs" / "animals")


def test_a_search_and_the_tables_start_without_the_libraries_they_do_not_need():
    """The command line and every worker process of a search start without pandas (0.4 s to
    import), Matplotlib, scikit-learn or SciPy (0.5 s; the model of round 2 on needs it), and
    train without scipy.linalg (0.3 s: Numba imports it to load the kernels, unless kept out);
    results and compare start without Matplotlib."""
    heavy = "{'pandas', 'matplotlib', 'sklearn', 'scipy', 'scipy.linalg'}"
    code = (
        "import sys, hpsearch.cli.group, hpsearch.objective, hpsearch.runs, hpsearch.cli.search; "
        f"print(sorted({heavy} & set(sys.modules))); "
        "from hpsearch.study import Goal, Task; "
        "spec = hpsearch.objective.TrialSpec({'dataset': 'moons', 'n_samples': 100}, "
        "{'epochs': 1, 'batch_norm': True}, Goal.of('dev_accuracy'), 0); "
        "hpsearch.objective.run_task(spec, Task(0, 1, {'learning_rate': 0.1}, 0)); "
        f"print(sorted({heavy} & set(sys.modules))); "
        "import hpsearch.cli.inspect; "
        f"print(sorted({heavy} & set(sys.modules)))"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    # Numba imports the top of SciPy (a version check, in milliseconds)
    assert shown.stdout.split("\n")[:3] == ["[]", "['scipy']", "['pandas', 'scipy']"], shown.stderr


def test_the_api_exports_what_the_readme_shows():
    for name in (
        "MLP",
        "HPSearchCV",
        "Config",
        "Float",
        "Int",
        "Categorical",
        "load_data",
        "load_model",
        "open_run",
        "run_search",
        "resume_search",
        "search",
        "Study",
        "TrialResult",
        "gradient_check",
    ):
        assert hasattr(hpsearch, name), name
    assert isinstance(Categorical(("a", "b")).values, tuple)


def test_gradcheck_refuses_a_custom_objective_and_train_names_one_it_cannot_import(cli, write):
    path = write("o.yaml", "objective: mine:evaluate\nspace: {x: {low: 0, high: 1}}\n")
    result = cli("gradcheck", path)
    assert result.exit_code == 2
    assert "gradcheck trains the built-in network, not objective: mine:evaluate" in result.stderr
    result = cli("train", path, "--pdb")  # bad input: one line, no debugger
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: objective: cannot import 'mine'")


def test_a_custom_objective_without_curves_is_not_said_to_have_any(cli, write, tmp_path):
    write("plain.py", "def evaluate(config):\n    return config['x']\n")
    path = write(
        "p.yaml",
        "objective: plain:evaluate\nsearch: {budget: 4, jobs: 1}\nspace: {x: {low: 0, high: 1}}\n",
    )
    result = cli("run", path, "--runs-dir", tmp_path / "runs")
    assert (
        result.exit_code == 0 and "curves" not in result.stdout and "trials.csv" in result.stdout
    )
    assert "best: trial" in result.stdout and "value " in result.stdout


@pytest.mark.parametrize("name", ["MLP", "search"])
def test_every_public_object_has_a_docstring(name):
    assert getattr(hpsearch, name).__doc__


@pytest.mark.parametrize("data", [{"dataset": "moons"}, {"path": "animals.csv", "target": "kind"}])
def test_load_data_and_load_model_together_give_the_runs_test_accuracy(tmp_path, data):
    """The README's two lines: the data as load_data gives it (raw inputs, original labels) is
    what the best model predicts on; standardised inputs gave 0.86 on moons instead of 0.97."""
    from hpsearch import load_data

    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.standard_normal((300, 2)) * [1, 100] + [0, 500], columns=["a", "b"])
    frame["kind"] = np.where(frame.a + (frame.b - 500) / 100 > 0, "cat", "dog")
    frame.to_csv(tmp_path / "animals.csv", index=False)
    config = Config.from_dict(
        {
            "data": data,
            "params": {"layers": 1, "hidden_units": 16, "epochs": 10},
            "search": {"budget": 3, "jobs": 1},
            "space": {"learning_rate": {"low": 1e-2, "high": 1e-1, "scale": "log"}},
        },
        file=tmp_path / "search.yaml",
    )
    run_search(config, runs_dir=tmp_path / "runs")
    d = load_data(data, base_dir=tmp_path)
    model = load_model(tmp_path / "runs" / "search")
    test = open_run(tmp_path / "runs" / "search").best["test"]
    assert model.score(d.X_test, d.y_test) == pytest.approx(test["test_accuracy"], abs=1e-12)
    assert set(d.y_test) <= set(model.classes_)
    assert test["test_accuracy"] > 0.9
