"""Reading results: order and counts, every output format, runs compared, plots, a closed pipe."""

import json
import math
import subprocess
import sys

import pandas as pd
import pytest

from hpsearch.compare import better, compare
from hpsearch.config import load_config
from hpsearch.plots import coarse_to_fine, learning_curves, metric_vs_params, plot_run
from hpsearch.results import open_run
from hpsearch.runs import run_search

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
    # a copy of run a with a failed, a diverged and a pruned trial, to check order and counts
    table = pd.read_csv(folder / "a" / "trials.csv", dtype={"error": object})
    table.loc[0, ["status", "dev_accuracy", "error"]] = ["failed", None, "ValueError: boom"]
    table.loc[1, ["status", "dev_accuracy"]] = ["diverged", math.nan]
    table.loc[2, ["status", "epochs"]] = ["pruned", 1]
    (folder / "mixed").mkdir()
    table.to_csv(folder / "mixed" / "trials.csv", index=False)
    return folder


def test_results_are_best_first_and_counted(runs):
    run = open_run(runs / "mixed" / "trials.csv")
    ranked = run.ranked()
    statuses = ranked["status"].tolist()
    assert statuses == sorted(statuses, key=["ok", "pruned", "diverged", "failed"].index)
    assert statuses.count("failed") == statuses.count("diverged") == statuses.count("pruned") == 1
    ok = ranked[ranked["status"] == "ok"]["dev_accuracy"].tolist()
    assert ok == sorted(ok, reverse=True)
    assert run.counts() == {"ok": 13, "pruned": 1, "diverged": 1, "failed": 1}
    assert run.ranked(top=3).shape[0] == 3 and set(run.ranked(rnd=2)["round"]) == {2}
    by_cost = run.ranked("dev_cost")["dev_cost"].dropna().tolist()
    assert by_cost == sorted(by_cost)  # a cost: smallest first
    assert run.ranked("dev_cost", ascending=False)["dev_cost"].dropna().tolist() == sorted(
        by_cost, reverse=True
    )


def test_results_command_formats(cli, runs):
    table = cli("results", runs / "a", "--top", "3")
    assert (
        table.exit_code == 0
        and "trials, best first" in table.output
        and "sampling region" in table.output
    )
    as_json = json.loads(cli("results", runs / "a", "--format", "json", "--top", "2").output)
    assert len(as_json) == 2 and as_json[0]["dev_accuracy"] >= as_json[1]["dev_accuracy"]
    as_csv = cli("results", runs / "a" / "trials.csv", "--format", "csv").output
    assert as_csv.startswith("trial,round,status,learning_rate")
    markdown = cli("results", runs / "a", "--format", "markdown", "--top", "2").output.splitlines()
    assert markdown[0].startswith("| trial | round | status |") and markdown[1].startswith(
        "|---:|---:|---|"
    )
    assert len(markdown) == 4


def test_json_and_csv_keep_every_digit(cli, runs, tmp_path):
    table = pd.read_csv(runs / "a" / "trials.csv")
    table.loc[0, "dev_cost"] = 1.69e-12
    table.loc[1, "dev_cost"] = 0.1234567890123456
    table.to_csv(tmp_path / "trials.csv", index=False)
    rows = {
        r["trial"]: r
        for r in json.loads(cli("results", tmp_path / "trials.csv", "--format", "json").output)
    }
    assert rows[0]["dev_cost"] == 1.69e-12 and rows[1]["dev_cost"] == 0.1234567890123456
    text = cli("results", tmp_path / "trials.csv", "--format", "csv").output
    assert "1.69e-12" in text and "0.1234567890123456" in text


def test_tables_fit_the_terminal(cli, runs, terminal):
    for columns in ("80", "60"):
        result = cli("results", runs / "a", env={"COLUMNS": columns})
        assert max(len(line) for line in result.output.splitlines()) <= int(columns)
    narrow = cli("results", runs / "a", env={"COLUMNS": "60"})
    assert "more column" in narrow.output and "not shown" in narrow.output
    assert "--format csv" in narrow.output
    # each round's note in full, below the regions' table, wrapped rather than cut
    notes = json.loads((runs / "a" / "rounds.json").read_text())
    lines = narrow.output.splitlines()
    start = lines.index("round 1: the whole space")
    below = " ".join(line.strip() for line in lines[start + 1 : start + 3])
    assert below.startswith(f"round 2: {notes[1]['note']}") and "…" not in below


def test_sort_directions_and_rounds(cli, runs):
    asc = json.loads(
        cli("results", runs / "a", "--sort", "learning_rate", "--asc", "--format", "json").output
    )
    desc = json.loads(
        cli("results", runs / "a", "--sort", "learning_rate", "--desc", "--format", "json").output
    )
    lrs = [r["learning_rate"] for r in asc]
    assert lrs == sorted(lrs) and [r["learning_rate"] for r in desc] == sorted(lrs, reverse=True)

    def column(name):  # the --sort order with no direction given
        shown = cli("results", runs / "a", "--sort", name, "--format", "json").output
        return [r[name] for r in json.loads(shown)]

    assert column("learning_rate") == lrs  # a hyperparameter: ascending, as --help says
    assert column("trial") == sorted(column("trial"))
    accuracy, cost = column("dev_accuracy"), column("dev_cost")  # metrics: best first
    assert accuracy == sorted(accuracy, reverse=True) and cost == sorted(cost)
    out_of_range = cli("results", runs / "a", "--round", "4")
    assert (
        out_of_range.exit_code == 2
        and "the run has no round 4; rounds: 1, 2" in out_of_range.stderr
    )


def test_output_into_a_closed_pipe_ends_quietly(runs, tmp_path):
    table = pd.read_csv(runs / "a" / "trials.csv")
    big = pd.concat(
        [table.assign(trial=table.trial + 16 * i) for i in range(100)]
    )  # more than a pipe holds
    big.to_csv(tmp_path / "trials.csv", index=False)
    for fmt in ("csv",):
        command = f"{sys.executable} -m hpsearch results {tmp_path / 'trials.csv'} --format {fmt}"
        shell = f"{command} | head -n 1"
        result = subprocess.run(
            ["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True
        )
        assert (
            result.returncode == 0 and result.stderr == "" and len(result.stdout.splitlines()) == 1
        )


def test_compare_runs_with_different_spaces(cli, runs):
    frame = compare([open_run(runs / "a"), open_run(runs / "b")])
    assert list(frame.columns) == ["a", "b"]
    assert frame.loc["trials", "a"] == 16 and frame.loc["trials", "b"] == 6
    a = open_run(runs / "a")
    held = a.config.params["hidden_units"]  # fixed in a: its best trial had it too
    assert frame.loc["best hidden_units", "a"] == held
    assert frame.loc["top-5 hidden_units", "a"] == str(held)
    assert frame.loc["best hidden_units", "b"] is not None
    b = open_run(runs / "b")
    assert b.config.params["beta1"] == 0.9  # b's momentum never reads adam's beta1: not shown
    assert pd.isna(frame.loc["best beta1", "b"]) and frame.loc["top-5 beta1", "b"] == ""
    mixed = open_run(runs / "mixed" / "trials.csv")  # a has pruned trials there
    assert "median" not in better(compare([mixed, a]))
    footer = cli("compare", runs / "mixed" / "trials.csv", runs / "a").output
    assert "the median row has none: a run that pruned trained only its best" in footer
    assert "median row" not in cli("compare", runs / "a", runs / "b").output  # nothing pruned
    assert frame.loc["best activation", "a"] in ("relu", "tanh")
    assert (
        frame.loc["fixed optimizer", "a"] == "adam"
        and frame.loc["fixed optimizer", "b"] == "momentum"
    )
    shown = cli("compare", runs / "a", runs / "b" / "trials.csv")
    assert shown.exit_code == 0 and "*" in shown.output and "hidden_units" in shown.output


def test_compare_stars_only_a_strict_best(cli, runs):
    shown = cli("compare", runs / "a", runs / "a", "--format", "table")
    assert shown.exit_code == 0 and " *" not in shown.output and "a (2)" in shown.output


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["results", "nowhere"], "is neither a run directory nor a trials CSV file"),
        (
            ["results", "RUNS/a", "--sort", "dev_acc"],
            "unknown sort column 'dev_acc'; did you mean 'dev_accuracy'",
        ),
        (["compare", "RUNS/a", "RUNS/b", "--metric", "f1"], "unknown metric 'f1'"),
        (["compare", "RUNS/a"], "compare needs at least two runs"),
        (["plot", "RUNS"], "is not a run directory (no trials.csv)"),
    ],
)
def test_bad_result_arguments(cli, runs, args, fragment):
    result = cli(*[a.replace("RUNS", str(runs)) for a in args])
    assert result.exit_code == 2 and fragment in result.stderr and "Traceback" not in result.output


def test_a_csv_without_needed_columns_and_an_empty_run(cli, tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    result = cli("results", tmp_path / "x.csv")
    assert result.exit_code == 2 and "missing column 'trial'" in result.stderr
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "trials.csv").write_text("trial,round,status,dev_accuracy\n")
    result = cli("results", tmp_path / "empty")
    assert result.exit_code == 2 and "no finished trial yet" in result.stderr


def test_plot_writes_every_png(cli, runs, tmp_path):
    result = cli("plot", runs / "a", "--out", tmp_path / "plots")
    paths = result.output.split()
    assert result.exit_code == 0 and len(paths) == 4
    for path in paths:
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_a_run_with_no_finished_trial_plots_nothing(cli, runs, tmp_path):
    table = pd.read_csv(runs / "a" / "trials.csv", dtype={"error": object}).assign(
        status="failed", dev_accuracy=None, error="boom"
    )
    (tmp_path / "r").mkdir()
    table.to_csv(tmp_path / "r" / "trials.csv", index=False)
    result = cli("plot", tmp_path / "r" / "trials.csv", "--out", tmp_path / "plots")
    assert (
        result.exit_code == 2
        and "no trial of" in result.stderr
        and "nothing to plot" in result.stderr
    )
    assert not (tmp_path / "plots").exists() and "Warning" not in result.output


def test_log_and_one_minus_log_parameters_get_log_axes(runs):
    run = open_run(runs / "a")
    axes = {
        ax.get_xlabel().split(" ")[0]: ax for ax in metric_vs_params(run).axes if ax.get_visible()
    }
    assert axes["learning_rate"].get_xscale() == "log"
    assert axes["beta1"].get_xscale() == "log"
    assert axes["beta1"].xaxis_inverted()  # beta grows to the right
    assert axes["beta1"].xaxis.get_major_formatter()(0.01, 0) == "0.99"  # labelled in beta
    assert axes["activation"].get_xscale() == "linear"
    pair = coarse_to_fine(run).axes[0]
    assert pair.get_xscale() == "log" and pair.get_yscale() == "log"
    rounds = json.loads((runs / "a" / "rounds.json").read_text())
    assert len(pair.patches) == sum(
        1 for b in rounds[1]["boxes"] if "learning_rate" in b and "beta1" in b
    )


def test_every_mark_has_a_legend_and_epochs_are_whole(runs):
    run = open_run(runs / "mixed" / "trials.csv")
    (below,) = metric_vs_params(run).legends  # the figure's, under the plots: hides no point
    labels = [t.get_text() for t in below.get_texts()]
    assert "round 1" in labels and "round 2" in labels and "pruned (value when stopped)" in labels
    curves = learning_curves(open_run(runs / "a"))
    ticks = curves.axes[0].get_xticks()
    assert all(float(t).is_integer() for t in ticks)
    assert curves.axes[-1].get_legend() is not None


def test_one_hyperparameter_fits_its_title(runs, tmp_path):
    run = open_run(runs / "b")
    run.params = ["learning_rate"]
    fig = metric_vs_params(run)
    fig.canvas.draw()
    title = fig._suptitle.get_window_extent()
    assert title.x0 >= 0 and title.x1 <= fig.bbox.width
    assert len(plot_run(open_run(runs / "b"), tmp_path)) == 4


def test_a_rounds_categorical_values_are_listed_most_sampled_first(runs):
    from hpsearch.results import region_table

    run = open_run(runs / "a")
    regions = region_table(run).set_index("round")
    assert regions.loc[1, "activation"] == "relu, tanh"  # the whole space: in the space's order
    first = run.goal.best([r for r in run.results if r.round == 1])
    listed = regions.loc[2, "activation"].split(", ")
    assert listed[0] == first.params["activation"]  # the best trial's value, sampled most
    assert listed == ["relu", "tanh"] or listed == ["tanh", "relu"]  # the other still tried


def test_betas_keep_the_digits_that_tell_them_apart(cli, runs):
    from hpsearch.cli.output import fmt, near_one
    from hpsearch.compare import _range

    assert (near_one(0.998611), near_one(0.998595)) == ("0.998611", "0.998595")
    assert fmt(0.998611) == "0.9986"  # other numbers near 1 (an accuracy) keep 4 digits
    assert near_one(0.9) == "0.9" and near_one(None) == ""
    assert _range([0.999847, 0.999874, 0.99986]) == "0.999847 .. 0.999874"
    assert _range([0.0007966, 0.1262]) == "0.0007966 .. 0.1262"
    assert _range([0.5, float("nan"), 0.25]) == "0.25 .. 0.5" and _range([float("nan")]) == ""
    shown = cli("results", runs / "a", "--sort", "beta1", "--format", "table")
    run = open_run(runs / "a")
    table = shown.output.split("trials by beta1")[1].splitlines()
    for r in run.results:  # each beta1 as near_one writes it, in its trial's row
        line = next(x for x in table if x.split()[:1] == [str(r.trial)])
        assert near_one(r.params["beta1"]) in line.split()


def test_prose_never_breaks_where_it_is_told_not_to():
    from hpsearch.cli.output import KEEP, wrap

    text = f"(3 more column(s) not shown: beta2, dev_cost, epochs; use --format{KEEP}csv)"
    lines = wrap(text, 70).splitlines()
    assert lines[-1] == "  --format csv)" and all(len(line) <= 70 for line in lines)
    assert KEEP not in wrap(text, 200)


def test_compare_on_another_metric_stars_the_better_run_by_that_metrics_goal(cli, runs):
    """--metric dev_cost: the lower best cost is the better (it was judged by dev_accuracy's
    goal, maximize, before the runs were judged on the new metric)."""
    frame = compare([open_run(runs / "a"), open_run(runs / "b")], "dev_cost")
    assert frame.loc["goal"].tolist() == ["minimize", "minimize"]
    lower = frame.loc["best"].astype(float).idxmin()
    assert better(frame)["best"] == lower
    shown = cli("compare", runs / "a", runs / "b", "--metric", "dev_cost", "--format", "table")
    starred = [line for line in shown.output.splitlines() if line.startswith("best ")][0]
    assert starred.split()[1:].index("*") == ["a", "b"].index(lower) + 1


def test_compare_stars_nothing_between_runs_judged_on_different_metrics(runs, tmp_path):
    a = open_run(runs / "a")
    cost = open_run(runs / "b")
    cost.goal = type(cost.goal).of("dev_cost")
    assert better(compare([a, cost])) == {}


def test_sort_by_a_categorical_of_numbers_and_names_puts_numbers_first(cli, write, tmp_path):
    """batch_size: {values: [64, full]} holds both: --sort compared 64 with 'full' and crashed
    with a traceback."""
    write("mixed_values.py", "def evaluate(config):\n    return config['x']\n")
    path = write(
        "m.yaml",
        "objective: mixed_values:evaluate\nsearch: {budget: 8, jobs: 1}\n"
        "space: {x: {low: 0, high: 1}, size: {values: [64, full, 32]}}\n",
    )
    assert cli("run", path, "--runs-dir", tmp_path / "runs").exit_code == 0
    run = open_run(tmp_path / "runs" / "m")
    sizes = run.ranked("size")["size"].tolist()
    numbers = [s for s in sizes if s != "full"]
    assert sizes == sorted(numbers) + ["full"] * (len(sizes) - len(numbers))
    assert run.ranked("size", ascending=False)["size"].tolist()[0] == "full"
    shown = cli("results", tmp_path / "runs" / "m", "--sort", "size", "--format", "csv")
    assert shown.exit_code == 0 and "full" in shown.output


def test_a_bare_csv_reads_back_strings_that_look_like_numbers_as_strings(cli, write, tmp_path):
    """Without the run's config, a cell is a number only when hpsearch would have written that
    number so: a categorical "007" or "1e-3" stays text (it came back as 7 and 0.001)."""
    import shutil

    write("tagged_value.py", "def evaluate(config):\n    return config['x']\n")
    path = write(
        "t.yaml",
        "objective: tagged_value:evaluate\nsearch: {budget: 8, jobs: 1}\n"
        "space: {x: {low: 0, high: 1}, tag: {values: ['007', '1e-3', 5, 0.25]}}\n",
    )
    assert cli("run", path, "--runs-dir", tmp_path / "runs").exit_code == 0
    shutil.copy(tmp_path / "runs" / "t" / "trials.csv", tmp_path / "copy.csv")
    bare, full = open_run(tmp_path / "copy.csv"), open_run(tmp_path / "runs" / "t")
    assert [r.params["tag"] for r in bare.results] == [r.params["tag"] for r in full.results]
    assert {type(r.params["x"]) for r in bare.results} == {float}


def test_a_config_given_for_a_run_names_its_run(cli, write, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write("ok.yaml", "name: okay\nspace: {learning_rate: {low: 0.001, high: 1}}\n")
    for command in ("results", "resume"):
        result = cli(command, "ok.yaml")
        assert result.exit_code == 2 and result.stderr == (
            "error: 'ok.yaml' is a config, not a run; its run would be runs/okay, which does "
            f"not exist; start it with `hpsearch run {path.name}`\n"
        )
    (tmp_path / "runs" / "okay").mkdir(parents=True)
    (tmp_path / "runs" / "okay" / "config.yaml").write_text("name: okay\n")
    result = cli("results", "ok.yaml")
    assert result.stderr == (
        "error: 'ok.yaml' is a config, not a run; its run is runs/okay; give the run directory, "
        "runs/okay\n"
    )


def test_the_region_table_shows_whole_short_spans_and_a_conditional_still_sampled():
    from types import SimpleNamespace

    from hpsearch.results import region_table
    from hpsearch.space import parse_distribution

    space = {
        "learning_rate": parse_distribution({"low": 1e-5, "high": 1, "scale": "log"}, "lr"),
        "optimizer": parse_distribution({"values": ["adam", "momentum"]}, "optimizer"),
        "beta": parse_distribution(
            {
                "low": 0.8,
                "high": 0.999,
                "scale": "one_minus_log",
                "when": {"optimizer": "momentum"},
            },
            "beta",
        ),
    }
    boxes = [  # the heavy box holds adam only; momentum (and beta) only in the light one
        {"learning_rate": [1.6449e-05, 0.00012345], "optimizer": ["adam"]},
        {"learning_rate": [0.001, 0.01], "optimizer": ["momentum"], "beta": [0.99861, 0.99874]},
    ]
    run = SimpleNamespace(
        params=list(space),
        space=space,
        regions=[{"round": 2, "boxes": boxes, "weights": [0.8, 0.2], "note": ""}],
    )
    (row,) = region_table(run).to_dict(orient="records")
    assert row["learning_rate"] == "1.64e-05..0.000123"
    assert row["beta"] == "0.99861..0.99874"  # not blank: momentum was still sampled


def test_coarse_to_fine_draws_the_boxes_of_a_chosen_round(runs, cli, tmp_path):
    run = open_run(runs / "a")
    rounds = json.loads((runs / "a" / "rounds.json").read_text())
    whole = coarse_to_fine(run, 1).axes[0]  # round 1: the whole space, one box
    assert len(whole.patches) == len(rounds[0]["boxes"]) == 1
    assert "boxes of the regions of round 1" in [
        t.get_text() for t in whole.figure.legends[0].texts
    ]
    shown = cli("plot", runs / "a", "--round", 1, "--out", tmp_path / "p")
    assert shown.exit_code == 0 and (tmp_path / "p" / "coarse_to_fine.png").exists()
    missing = cli("plot", runs / "a", "--round", 7, "--out", tmp_path / "q")
    assert missing.exit_code == 2 and "the run has no round 7" in missing.stderr
    assert not (tmp_path / "q").exists()


def test_past_six_rounds_the_colour_bar_spans_the_grid_of_panels(tmp_path):
    """Beside the first panel only, the bar was a third of the figure's height, and squeezed
    that panel alone."""
    (tmp_path / "bowl.py").write_text(
        "def evaluate(config):\n    return -sum((v - 0.5) ** 2 for v in config.values())\n"
    )
    path = tmp_path / "bowl.yaml"
    path.write_text(
        "objective: bowl:evaluate\nsearch: {trials: 2, rounds: 8, jobs: 1}\nspace:\n"
        + "".join(f"  {p}: {{low: 0, high: 1}}\n" for p in "abcd")  # 2 rows of panels
    )
    fig = metric_vs_params(open_run(run_search(load_config(path), runs_dir=tmp_path).run.path))
    fig.canvas.draw()
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_xlabel() in list("abcd")]
    (bar,) = [ax for ax in fig.axes if ax.get_ylabel() == "round"]
    top = max(ax.get_position().y1 for ax in panels)
    bottom = min(ax.get_position().y0 for ax in panels)
    assert len(panels) == 4 and bar.get_position().y0 <= bottom + 0.05
    assert bar.get_position().y1 >= top - 0.05
    widths = {round(ax.get_position().width, 3) for ax in panels}
    assert len(widths) == 1  # no panel squeezed by the bar
