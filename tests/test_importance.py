"""Hyperparameter importance: the hyperparameter that matters is ranked first, on its sampling
scale; conditional ones are judged where they apply."""

import json
import math
import shutil

import pandas as pd
import pytest

from hpsearch.errors import UserError
from hpsearch.importance import importance
from hpsearch.space import Categorical, Float, Int, sample_config, whole_space
from hpsearch.study import Goal, TrialResult

SPACE = {
    "learning_rate": Float(1e-5, 1.0, "log"),
    "beta1": Float(0.5, 0.999, "one_minus_log"),
    "units": Int(16, 256, "log"),
    "act": Categorical(("relu", "tanh")),
}


def results(f, space=SPACE, n=200):
    region = whole_space(space)
    configs = [sample_config(space, region, 0, 1, t) for t in range(n)]
    return [TrialResult(t, 1, "ok", c, value=f(c)) for t, c in enumerate(configs)]


def test_the_learning_rate_explains_most_on_its_log_scale():
    f = lambda c: -((math.log10(c["learning_rate"]) + 2.5) ** 2) + 0.05 * (c["act"] == "relu")
    rows = importance(SPACE, results(f), Goal.of("value"))
    assert [r["hyperparameter"] for r in rows][0] == "learning_rate"
    shares = {r["hyperparameter"]: r["share"] for r in rows}
    assert shares["learning_rate"] > 0.8 and shares["beta1"] < 0.05 and shares["units"] < 0.05
    assert sum(shares.values()) <= 1.05 and all(r["trials"] == 200 for r in rows)


def test_a_one_minus_log_beta_is_judged_in_1_minus_beta():
    f = lambda c: -abs(math.log10(1 - c["beta1"]) + 2)  # what matters is 1 - beta, on a log scale
    shares = {
        r["hyperparameter"]: r["share"] for r in importance(SPACE, results(f), Goal.of("value"))
    }
    assert shares["beta1"] > 0.8


def test_a_conditional_hyperparameter_is_judged_where_it_applies():
    space = {
        "optimizer": Categorical(("adam", "gd")),
        "learning_rate": Float(1e-4, 1, "log"),
        "beta1": Float(0.8, 0.999, "one_minus_log", when=(("optimizer", ("adam",)),)),
    }
    f = lambda c: -abs(math.log10(1 - c["beta1"]) + 2) if "beta1" in c else -3.0
    rows = {r["hyperparameter"]: r for r in importance(space, results(f, space), Goal.of("value"))}
    assert rows["beta1"]["share"] > 0.8 and 60 < rows["beta1"]["trials"] < 140
    assert rows["optimizer"]["trials"] == 200


def test_too_few_trials_is_a_clear_error():
    with pytest.raises(UserError, match="only 5 finished trial"):
        importance(SPACE, results(lambda c: 1.0, n=5), Goal.of("value"))


def test_the_results_command_prints_the_ranking(cli, write, tmp_path):
    path = write(
        "i.yaml",
        """
        data: {dataset: moons, n_samples: 200}
        params: {layers: 1, hidden_units: 8, epochs: 2}
        search: {budget: 12, jobs: 1}
        space:
          learning_rate: {low: 1e-4, high: 1, scale: log}
          keep_prob: {low: 0.5, high: 1}
    """,
    )
    assert cli("run", path, "--runs-dir", tmp_path / "runs").exit_code == 0
    shown = cli("results", tmp_path / "runs" / "i", "--importance")
    assert shown.exit_code == 0 and "fANOVA" in shown.output and "learning_rate" in shown.output
    as_json = json.loads(
        cli("results", tmp_path / "runs" / "i", "--importance", "--format", "json").output
    )
    assert {r["hyperparameter"] for r in as_json} == {"learning_rate", "keep_prob"}
    shutil.copy(tmp_path / "runs" / "i" / "trials.csv", tmp_path / "alone.csv")
    bare = cli("results", tmp_path / "alone.csv", "--importance")
    assert bare.exit_code == 2 and "give the run directory" in bare.stderr


def test_a_pruned_run_is_judged_at_the_last_epoch_enough_trials_reached(cli, write, tmp_path):
    path = write(
        "p.yaml",
        """
        data: {dataset: moons, n_samples: 200}
        params: {layers: 1, hidden_units: 8, epochs: 9}
        search: {budget: 12, jobs: 1, prune: {method: halving, min_trials: 3}}
        space:
          learning_rate: {low: 1e-4, high: 1, scale: log}
          keep_prob: {low: 0.5, high: 1}
    """,
    )
    assert cli("run", path, "--runs-dir", tmp_path / "runs").exit_code == 0
    run = tmp_path / "runs" / "p"
    trials, curves = pd.read_csv(run / "trials.csv"), pd.read_csv(run / "curves.csv")
    assert (trials["status"] == "ok").sum() < 8  # too few finished to judge at the end
    reached = curves.groupby("epoch")["trial"].nunique()
    epoch = int(reached[reached >= 8].index.max())
    shown = cli("results", run, "--importance")
    assert shown.exit_code == 0 and f"at epoch {epoch}, the last that 8 or more" in " ".join(
        shown.output.split()
    )
    rows = json.loads(cli("results", run, "--importance", "--format", "json").output)
    assert {r["epoch"] for r in rows} == {epoch}
    assert {r["trials"] for r in rows} == {int(reached[epoch])}
