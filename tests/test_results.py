"""Reading results: ordering and counts, comparison of runs with different spaces, plots."""

import json

import pandas as pd
import pytest

from hpsearch.config import load_config
from hpsearch.plots import coarse_to_fine, metric_vs_params, plot_run
from hpsearch.results import compare, open_run
from hpsearch.run import run_search

A = """
name: a
data: {dataset: moons, n_samples: 300}
params: {layers: 1, epochs: 3}
search: {trials: 8, rounds: 2, keep: 0.5, jobs: 1}
space:
  learning_rate: {low: 1e-4, high: 10, scale: log}
  beta1: {low: 0.5, high: 0.999, scale: one_minus_log}
  activation: {values: [relu, tanh]}
"""

B = """
name: b
data: {dataset: moons, n_samples: 300}
params: {layers: 1, epochs: 3, optimizer: momentum}
search: {trials: 6, rounds: 1, jobs: 1}
space:
  hidden_units: {low: 4, high: 32}
  learning_rate: {low: 1e-3, high: 1, scale: log}
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    for text in (A, B):
        path = folder / "c.yaml"
        path.write_text(text)
        run_search(load_config(path), runs_dir=folder)
    # a failed and a diverged row in a copy of run a, to check ordering and counts
    return folder


def test_results_are_best_first_and_counted(runs):
    run = open_run(runs / "a")
    ranked = run.ranked()
    ok = ranked[ranked["status"] == "ok"]["dev_accuracy"].tolist()
    assert ok == sorted(ok, reverse=True)
    statuses = ranked["status"].tolist()
    assert statuses == sorted(statuses, key=["ok", "diverged", "failed"].index)
    assert sum(run.counts().values()) == 16
    assert run.ranked(top=3).shape[0] == 3 and set(run.ranked(rnd=2)["round"]) == {2}
    by_cost = run.ranked("dev_cost")["dev_cost"].dropna().tolist()
    assert by_cost == sorted(by_cost)


def test_results_command_formats(cli, runs):
    table = cli("results", runs / "a", "--top", "3")
    assert table.exit_code == 0 and "trials, best first" in table.output and "sampling region" in table.output
    as_json = json.loads(cli("results", runs / "a", "--format", "json", "--top", "2").output)
    assert len(as_json) == 2 and as_json[0]["dev_accuracy"] >= as_json[1]["dev_accuracy"]
    as_csv = cli("results", runs / "a" / "trials.csv", "--format", "csv").output
    assert as_csv.startswith("trial,round,status,learning_rate")


def test_compare_runs_with_different_spaces(cli, runs):
    frame = compare([open_run(runs / "a"), open_run(runs / "b")])
    assert list(frame.columns) == ["a", "b"]
    assert frame.loc["trials", "a"] == 16 and frame.loc["trials", "b"] == 6
    assert pd.isna(frame.loc["best hidden_units", "a"]) and frame.loc["best hidden_units", "b"] is not None
    assert frame.loc["best activation", "a"] in ("relu", "tanh")
    shown = cli("compare", runs / "a", runs / "b" / "trials.csv")
    assert shown.exit_code == 0 and "*" in shown.output and "hidden_units" in shown.output


@pytest.mark.parametrize("args,fragment", [
    (["results", "nowhere"], "is neither a run directory nor a trials CSV file"),
    (["results", "RUNS/a", "--sort", "dev_acc"], "unknown sort column 'dev_acc'; did you mean 'dev_accuracy'"),
    (["compare", "RUNS/a", "RUNS/b", "--metric", "f1"], "unknown metric 'f1'"),
    (["compare", "RUNS/a"], "compare needs at least two runs"),
    (["plot", "RUNS"], "is not a run directory (no trials.csv)"),
])
def test_bad_result_arguments(cli, runs, args, fragment):
    result = cli(*[a.replace("RUNS", str(runs)) for a in args])
    assert result.exit_code == 2 and fragment in result.output and "Traceback" not in result.output


def test_csv_without_needed_columns_and_empty_runs(cli, tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    result = cli("results", tmp_path / "x.csv")
    assert result.exit_code == 2 and "missing column 'trial'" in result.output
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "trials.csv").write_text("trial,round,status,dev_accuracy\n")
    result = cli("results", tmp_path / "empty")
    assert result.exit_code == 2 and "no finished trial yet" in result.output


def test_plot_writes_every_png(cli, runs, tmp_path):
    result = cli("plot", runs / "a", "--out", tmp_path / "plots")
    paths = result.output.split()
    assert result.exit_code == 0 and len(paths) == 4
    for path in paths:
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_log_and_one_minus_log_parameters_get_log_axes(runs):
    run = open_run(runs / "a")
    axes = {ax.get_xlabel().split(" ")[0]: ax for ax in metric_vs_params(run).axes if ax.get_visible()}
    assert axes["learning_rate"].get_xscale() == "log"
    assert axes["beta1"].get_xscale() == "log"
    assert axes["beta1"].xaxis_inverted()  # beta grows to the right
    assert axes["beta1"].xaxis.get_major_formatter()(0.01, 0) == "0.99"  # labelled in beta
    assert axes["activation"].get_xscale() == "linear"
    pair = coarse_to_fine(run).axes[0]
    assert pair.get_xscale() == "log" and pair.get_yscale() == "log"
    assert len(pair.patches) == len(json.loads((runs / "a" / "rounds.json").read_text())[1]["boxes"])


def test_a_one_round_run_has_no_regions_to_draw(runs, tmp_path):
    run = open_run(runs / "b")
    assert len(plot_run(run, tmp_path)) == 4
    assert len(coarse_to_fine(run).axes[0].patches) == 0
