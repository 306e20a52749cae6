"""Caviar runs: the run directory, failure isolation, locking, and exact resume after kill -9."""

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hpsearch.config import load_config
from hpsearch.errors import UserError
from hpsearch.run import resume_search, run_search

SMALL = """
name: small
seed: 4
data: {dataset: moons, n_samples: 300}
params: {layers: 1, hidden_units: 8, epochs: 3}
search: {trials: 4, rounds: 2, jobs: 2, keep: 0.5}
space:
  learning_rate: {low: 1e-3, high: 1e-1, scale: log}
  activation: {values: [relu, tanh]}
"""


def table(path, drop=("seconds",)):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [{k: v for k, v in r.items() if k not in drop} for r in rows]


def test_run_writes_the_run_directory(write, tmp_path):
    config = load_config(write("small.yaml", SMALL))
    outcome = run_search(config, runs_dir=tmp_path / "runs")
    run = tmp_path / "runs" / "small"
    rows = table(run / "trials.csv", drop=())
    assert [r["trial"] for r in rows] == [str(i) for i in range(8)]
    assert list(rows[0]) == ["trial", "round", "status", "learning_rate", "activation", "train_cost",
                             "train_accuracy", "dev_cost", "dev_accuracy", "epochs", "seconds", "seed", "error"]
    curves = table(run / "curves.csv")
    assert len(curves) == 8 * 3 and list(curves[0]) == ["trial", "epoch", "learning_rate", "train_cost",
                                                        "dev_cost", "dev_accuracy", "abandoned"]
    assert {c["abandoned"] for c in curves} == {"0"}
    rounds = json.loads((run / "rounds.json").read_text())
    assert [r["round"] for r in rounds] == [1, 2] and rounds[1]["top_trials"]
    best = json.loads((run / "best.json").read_text())
    assert best["trial"] == outcome.best["trial"] and 0 <= best["test"]["test_accuracy"] <= 1
    assert best["value"] == max(float(r["dev_accuracy"]) for r in rows)
    assert "hpsearch_version" in (run / "config.yaml").read_text()
    assert not (run / ".lock").exists()


def test_same_table_whatever_the_number_of_workers(write, tmp_path):
    path = write("small.yaml", SMALL)
    for jobs in (1, 2):
        run_search(load_config(path, [f"search.jobs={jobs}", f"name=j{jobs}"]), runs_dir=tmp_path)
    assert table(tmp_path / "j1" / "trials.csv") == table(tmp_path / "j2" / "trials.csv")
    assert table(tmp_path / "j1" / "curves.csv") == table(tmp_path / "j2" / "curves.csv")


def test_an_existing_run_is_never_overwritten_without_force(write, tmp_path, cli):
    path = write("small.yaml", SMALL)
    run_search(load_config(path), runs_dir=tmp_path)
    before = (tmp_path / "small" / "trials.csv").read_bytes()
    result = cli("run", path, "--runs-dir", tmp_path)
    assert result.exit_code == 2 and "already exists" in result.output and "hpsearch resume" in result.output
    assert (tmp_path / "small" / "trials.csv").read_bytes() == before
    assert cli("run", path, "--runs-dir", tmp_path, "--force", "--seed", "9").exit_code == 0
    assert (tmp_path / "small" / "trials.csv").read_bytes() != before


@pytest.mark.parametrize("args,fragment", [
    (["--jobs", "0"], "search.jobs: jobs 0 is not a non-zero whole number"),
    (["--name", "../up"], "run name '../up' is not a plain name"),
    (["--name", "a/b"], "run name 'a/b' is not a plain name"),
    (["--trials", "0"], "search.trials: 0 is not a whole number >= 1"),
    (["--set", "objective=nowhere_module:f"], "cannot import 'nowhere_module'"),
])
def test_bad_run_arguments_write_nothing(write, tmp_path, cli, args, fragment):
    result = cli("run", write("small.yaml", SMALL), "--runs-dir", tmp_path / "runs", *args)
    assert result.exit_code == 2 and fragment in result.output and "Traceback" not in result.output
    assert not (tmp_path / "runs").exists()


def test_a_dask_scheduler_that_does_not_answer_is_a_clear_error_within_seconds(write, tmp_path, cli):
    pytest.importorskip("dask.distributed")
    start = time.monotonic()
    result = cli("run", write("small.yaml", SMALL), "--runs-dir", tmp_path / "runs", "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 2 and "no Dask scheduler answers at tcp://127.0.0.1:9" in result.output
    assert time.monotonic() - start < 15 and not (tmp_path / "runs").exists()


OBJECTIVE = '''
import math, os, signal

def evaluate(config):
    x = config["x"]
    if config.get("mode") == "kill" and x > 0.85:
        os.kill(os.getpid(), signal.SIGKILL)  # the worker dies mid-trial
    if x < 0.2:
        raise ValueError(f"x too small: {x:.3f}")
    if x > 0.7:
        return {"score": math.nan}
    return {"score": -(x - 0.5) ** 2, "x_squared": x * x}
'''


def _objective_config(write, mode):
    write("myobjective.py", OBJECTIVE)
    return write("obj.yaml", f"""
        name: obj
        objective: myobjective:evaluate
        params: {{mode: {mode}}}
        search: {{trials: 12, rounds: 2, jobs: 2, metric: score}}
        space:
          x: {{low: 0.0, high: 1.0}}
    """)


def test_diverging_and_raising_trials_are_recorded_and_the_search_goes_on(write, tmp_path):
    config = load_config(_objective_config(write, "plain"))
    outcome = run_search(config, runs_dir=tmp_path)
    rows = table(tmp_path / "obj" / "trials.csv")
    by_status = {s: [r for r in rows if r["status"] == s] for s in ("ok", "diverged", "failed")}
    assert len(rows) == 24 and all(by_status.values())
    assert all(r["error"].startswith("ValueError: x too small") for r in by_status["failed"])
    assert all(float(r["x"]) > 0.7 for r in by_status["diverged"])
    assert json.loads(by_status["ok"][0]["metrics"])["x_squared"] > 0
    assert outcome.best["value"] == max(float(r["score"]) for r in by_status["ok"])


def test_a_worker_killed_mid_trial_costs_only_its_trial(write, tmp_path):
    config = load_config(_objective_config(write, "kill"))
    run_search(config, runs_dir=tmp_path)
    rows = table(tmp_path / "obj" / "trials.csv")
    assert [int(r["trial"]) for r in rows] == list(range(24))
    killed = [r for r in rows if float(r["x"]) > 0.85]
    assert killed and all(r["status"] == "failed" and "worker process died" in r["error"] for r in killed)
    assert any(r["status"] == "ok" for r in rows)


def test_a_diverging_learning_rate_is_recorded_as_diverged(write, tmp_path):
    config = load_config(write("div.yaml", """
        data: {dataset: digits}
        params: {layers: 2, hidden_units: 32, epochs: 3, optimizer: gd, batch_norm: false}
        search: {trials: 3, rounds: 1, jobs: 1}
        space: {learning_rate: {low: 10, high: 100, scale: log}}
    """))
    run_search(config, runs_dir=tmp_path)
    rows = table(tmp_path / "div" / "trials.csv")
    assert {r["status"] for r in rows} == {"diverged"} and all(r["dev_accuracy"] == "nan" for r in rows)


# -- interruption and resume, through real processes ----------------------------------------

SLOW = """
name: slow
seed: 1
data: {dataset: moons, n_samples: 1500}
params: {layers: 2, hidden_units: 32, epochs: 40, batch_size: 32}
search: {trials: 6, rounds: 2, jobs: 2}
space:
  learning_rate: {low: 1e-3, high: 1e-1, scale: log}
  keep_prob: {low: 0.7, high: 1.0}
"""


def _start(args, cwd):
    return subprocess.Popen([sys.executable, "-m", "hpsearch", *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _kill_tree(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run of SLOW: its tables are what every resumed run must end with."""
    folder = tmp_path_factory.mktemp("reference")
    (folder / "slow.yaml").write_text(textwrap.dedent(SLOW))
    subprocess.run([sys.executable, "-m", "hpsearch", "run", "slow.yaml"], cwd=folder, check=True,
                   capture_output=True)
    return folder / "runs" / "slow"


def _rows(path):
    return len(table(path)) if path.exists() else 0


@pytest.mark.parametrize("finished", [0, 2, 5, 7, 9])
def test_kill_9_then_resume_gives_the_uninterrupted_table(tmp_path, reference, finished):
    """Kill the whole process tree once `finished` trials are in the table (in round 1 and in
    round 2, and before any), then resume."""
    (tmp_path / "slow.yaml").write_text(textwrap.dedent(SLOW))
    proc = _start(["run", "slow.yaml"], tmp_path)
    run = tmp_path / "runs" / "slow"
    deadline = time.monotonic() + 60
    while _rows(run / "trials.csv") < finished and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.05 if finished else 1.0)
    _kill_tree(proc)  # the runner and its workers, as kill -9 or a power cut would
    assert _rows(run / "trials.csv") < 12, "the run finished before it was killed"
    resumed = subprocess.run([sys.executable, "-m", "hpsearch", "resume", str(run)], cwd=tmp_path,
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert table(run / "trials.csv") == table(reference / "trials.csv")
    assert table(run / "curves.csv") == table(reference / "curves.csv")
    assert json.loads((run / "best.json").read_text()) == json.loads((reference / "best.json").read_text())


def test_a_half_written_last_line_is_repaired_not_duplicated(tmp_path, reference):
    import shutil

    run = tmp_path / "slow"
    shutil.copytree(reference, run)
    rows = (run / "trials.csv").read_text().splitlines(keepends=True)
    (run / "trials.csv").write_text("".join(rows[:5]) + rows[5][:17])  # killed mid-write
    resume_search(run)
    assert table(run / "trials.csv") == table(reference / "trials.csv")


def test_the_lock_refuses_a_second_process_and_is_taken_over_when_it_dies(tmp_path):
    (tmp_path / "slow.yaml").write_text(textwrap.dedent(SLOW).replace("epochs: 25", "epochs: 400"))
    first = _start(["run", "slow.yaml"], tmp_path)
    lock = tmp_path / "runs" / "slow" / ".lock"
    for _ in range(100):
        if lock.exists() and lock.read_text():
            break
        time.sleep(0.1)
    second = subprocess.run([sys.executable, "-m", "hpsearch", "resume", "runs/slow"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert second.returncode == 2 and f"in use by process {first.pid}" in second.stderr
    _kill_tree(first)
    with pytest.raises(UserError, match="already exists"):
        run_search(load_config(tmp_path / "slow.yaml"), runs_dir=tmp_path / "runs")
    assert lock.exists()  # left behind by the dead process, and taken over by the next one
    from hpsearch.rundir import RunDir

    RunDir(tmp_path / "runs" / "slow").lock()


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path):
    (tmp_path / "slow.yaml").write_text(textwrap.dedent(SLOW))
    proc = _start(["run", "slow.yaml"], tmp_path)
    while _rows(tmp_path / "runs" / "slow" / "trials.csv") < 2:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert b"hpsearch resume runs/slow" in err and b"Traceback" not in err
    assert not (tmp_path / "runs" / "slow" / ".lock").exists()


def test_a_stale_trial_marker_left_by_a_killed_run_does_not_break_resume(write, tmp_path):
    config = load_config(write("small.yaml", SMALL), ["search.jobs=1"])
    run_search(config, runs_dir=tmp_path)
    markers = tmp_path / "small" / ".running"
    markers.mkdir()
    (markers / "5").write_text("999999")  # what kill -9 mid-trial leaves behind
    resume_search(tmp_path / "small")
    assert not markers.exists()
