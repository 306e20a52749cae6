"""Caviar runs: the run directory, determinism, failure isolation, locking, pruning, extending,
and exact resume after kill -9 or Ctrl-C, through real processes."""

import dataclasses
import json
import os
import signal
import stat
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from hpsearch.config import load_config
from hpsearch.errors import UserError
from hpsearch.modes.caviar import InProcess, LokyPool
from hpsearch.objective import TrialSpec, build_objective, run_task
from hpsearch.runs import resume_search, run_search
from hpsearch.runs.best import BestKeeper
from hpsearch.store import pid_alive
from hpsearch.study import Goal, Pruning, Task, TrialResult
from tests.conftest import hpsearch, kill_group, pids_in_group, rows, start, wait_until

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

PRUNED = """
name: pruned
seed: 1
data: {dataset: moons, n_samples: 400}
params: {layers: 1, hidden_units: 16, epochs: 12, batch_size: 32}
search: {budget: 24, jobs: 2, prune: {method: halving, min_epochs: 2, reduction: 2, min_trials: 3}}
space:
  learning_rate: {low: 1e-4, high: 1, scale: log}
  keep_prob: {low: 0.6, high: 1.0}
"""


def test_run_writes_the_run_directory(write, tmp_path):
    outcome = run_search(
        load_config(write("small.yaml", SMALL), ["search.jobs=1"]), runs_dir=tmp_path / "runs"
    )
    run = tmp_path / "runs" / "small"
    table = rows(run / "trials.csv", drop=())
    assert [r["trial"] for r in table] == [str(i) for i in range(8)]
    assert list(table[0]) == [
        "trial",
        "round",
        "status",
        "learning_rate",
        "activation",
        "train_cost",
        "train_accuracy",
        "dev_cost",
        "dev_accuracy",
        "epochs",
        "seconds",
        "seed",
        "error",
    ]
    curves = rows(run / "curves.csv")
    assert len(curves) == 8 * 3 and list(curves[0]) == [
        "trial",
        "epoch",
        "learning_rate",
        "batch_cost",
        "dev_cost",
        "dev_accuracy",
        "abandoned",
    ]
    assert {c["abandoned"] for c in curves} == {"0"}
    rounds = json.loads((run / "rounds.json").read_text())
    assert [r["round"] for r in rounds] == [1, 2] and rounds[1]["top_trials"]
    best = json.loads((run / "best.json").read_text())
    assert best["trial"] == outcome.best["trial"] and 0 <= best["test"]["test_accuracy"] <= 1
    assert best["value"] == max(float(r["dev_accuracy"]) for r in table)
    assert "hpsearch_version" in (run / "config.yaml").read_text()
    assert not (run / ".lock").exists() and not (run / ".running").exists()


def test_pruning_gives_the_same_table_whatever_the_number_of_workers(write, tmp_path):
    path = write("pruned.yaml", PRUNED)
    for jobs in (1, 2):
        run_search(load_config(path, [f"search.jobs={jobs}", f"name=j{jobs}"]), runs_dir=tmp_path)
    one, two = rows(tmp_path / "j1" / "trials.csv"), rows(tmp_path / "j2" / "trials.csv")
    assert one == two and rows(tmp_path / "j1" / "curves.csv") == rows(
        tmp_path / "j2" / "curves.csv"
    )
    pruned = [r for r in one if r["status"] == "pruned"]
    curves = rows(tmp_path / "j1" / "curves.csv")
    at_8 = {
        int(c["trial"]): float(c["dev_accuracy"]) for c in curves if c["epoch"] == "8"
    }  # rungs at 2, 4, 8 epochs of 12: every trial promoted at 8 trains on to 12
    # the first half of round 1 (trials 0-3) has nothing to compare with until it reaches the
    # last rung, where the best 2 of its 4 go on (reduction 2; the second half is waiting)
    first = [r for r in one if int(r["trial"]) < 4]
    cut = [r for r in first if r["status"] == "pruned"]
    assert len(cut) == 2 and all(r["epochs"] == "8" for r in cut)
    assert min(at_8[int(r["trial"])] for r in first if r["status"] == "ok") >= max(
        at_8[int(r["trial"])] for r in cut
    )
    assert any(r["round"] == "1" and int(r["trial"]) >= 4 for r in pruned)
    for r in pruned:  # a pruned trial keeps its partial curve, up to the rung it stopped at
        epochs = [int(c["epoch"]) for c in curves if c["trial"] == r["trial"]]
        assert epochs == list(range(1, int(r["epochs"]) + 1)) and int(r["epochs"]) in (2, 4, 8)
    promoted = [r for r in one if r["status"] == "ok" and int(r["trial"]) >= 4]
    for r in promoted:  # promoted at every rung, trained on without a restart: one curve, 1 to 12
        assert [int(c["epoch"]) for c in curves if c["trial"] == r["trial"]] == list(range(1, 13))


def test_a_trial_paused_at_the_last_rung_continues_bit_for_bit():
    spec = TrialSpec(
        {"dataset": "moons", "n_samples": 200},
        {"layers": 2, "hidden_units": 16, "epochs": 12, "keep_prob": 0.8},
        Goal.of("dev_accuracy"),
        0,
    )
    pruning = Pruning("halving", min_epochs=2, reduction=2, epochs=12)
    task = Task(3, 1, {"learning_rate": 0.01}, 7, pruning.rule_for([], spec.goal))
    paused = run_task(spec, task)  # nothing to compare with: it reaches the last rung, 8
    assert (paused.status, paused.epochs, pruning.pause_rung(12)) == ("paused", 8, 8)
    finished = run_task(spec, dataclasses.replace(task, prune=None, paused=paused))
    whole = run_task(spec, dataclasses.replace(task, prune=None))
    assert finished.status == whole.status == "ok" and finished.epochs == 12
    assert finished.curve == whole.curve and finished.metrics == whole.metrics
    assert all(np.array_equal(finished.model[k], whole.model[k]) for k in whole.model)
    # the next round ranks both records as they stood at the last rung
    stood = [pruning.standing(r, spec.goal) for r in (paused, finished)]
    assert stood[0].value == stood[1].value == paused.value and stood[1].status == "ok"


def test_a_trial_gives_the_same_numbers_in_this_process_and_on_a_worker(tmp_path):
    """BLAS splits a product differently over 2 threads than over 1: a trial run here with every
    core (--jobs 1) must still measure what it measures on a worker with one thread."""
    spec = TrialSpec(
        {"dataset": "digits"},
        {"layers": 2, "hidden_units": 384, "epochs": 2, "batch_size": 64},
        Goal.of("dev_accuracy"),
        0,
    )
    task = Task(0, 1, {"learning_rate": 0.5}, 5)  # a large rate: any difference grows
    with threadpool_limits(2):
        here = next(InProcess(spec, build_objective(spec))([task]))
    pool = LokyPool(spec, 2, tmp_path / "markers")
    try:
        there = next(iter(pool([task])))
    finally:
        pool.close(kill=True)
    assert here.curve == there.curve and here.metrics == there.metrics


def test_a_call_of_the_pool_does_not_wait_for_continuations(write, tmp_path):
    go = tmp_path / "go"
    write(  # x = 1: runs until the test says go (a minute at most)
        "held.py",
        "import os, time\ndef evaluate(config):\n    until = time.monotonic() + 60\n"
        f"    while config['x'] and not os.path.exists({str(go)!r}) and time.monotonic() < until:"
        "\n        time.sleep(0.01)\n    return 0.0\n",
    )
    spec = TrialSpec({}, {}, Goal.of("value"), 0, "held:evaluate", str(tmp_path))
    pool = LokyPool(spec, 2, tmp_path / "markers")
    stood = TrialResult(0, 1, "paused", {"x": 1}, value=0.0, epochs=8)
    try:
        first = list(pool([Task(0, 1, {"x": 1}, 0, paused=stood), Task(1, 2, {"x": 0}, 1)]))
        assert [r.trial for r in first] == [1]  # the continuation of trial 0 still runs
        go.touch()
        assert [r.trial for r in pool([])] == [0]  # a call with nothing new waits for it
    finally:
        pool.close(kill=True)


def test_tied_trials_leave_the_lowest_numbered_best_whatever_order_they_arrive_in(write):
    class Files:  # where BestKeeper writes best.json and best.npz
        def write_best(self, summary, weights=None):
            self.summary = summary

    config = load_config(write("small.yaml", SMALL))
    tied = [TrialResult(t, 1, "ok", {}, value=0.9) for t in (3, 1, 2)]
    for order in (tied, tied[::-1]):
        keeper = BestKeeper(config, Files(), [TrialResult(0, 1, "ok", {}, value=0.5)], None)
        for result in order:
            keeper.consider(result)
        assert keeper.best.trial == 1 and keeper.run.summary["trial"] == 1


def test_an_existing_run_is_never_overwritten_without_force(write, tmp_path, cli):
    path = write("small.yaml", SMALL)
    run_search(load_config(path, ["search.jobs=1"]), runs_dir=tmp_path)
    before = (tmp_path / "small" / "trials.csv").read_bytes()
    result = cli("run", path, "--runs-dir", tmp_path)
    assert (
        result.exit_code == 2
        and "already exists" in result.stderr
        and "hpsearch resume" in result.stderr
    )
    assert (tmp_path / "small" / "trials.csv").read_bytes() == before
    assert (
        cli("run", path, "--runs-dir", tmp_path, "--force", "--seed", "9", "--jobs", "1").exit_code
        == 0
    )
    assert (tmp_path / "small" / "trials.csv").read_bytes() != before


def test_a_dask_scheduler_that_does_not_answer_is_a_clear_error_within_seconds(
    write, tmp_path, cli
):
    pytest.importorskip("dask.distributed")
    began = time.monotonic()
    result = cli(
        "run",
        write("small.yaml", SMALL),
        "--runs-dir",
        tmp_path / "runs",
        "--scheduler",
        "tcp://127.0.0.1:9",
    )
    assert (
        result.exit_code == 2 and "no Dask scheduler answers at tcp://127.0.0.1:9" in result.stderr
    )
    assert time.monotonic() - began < 15 and not (tmp_path / "runs").exists()


OBJECTIVE = """
import math, os, signal

def evaluate(config, trial):
    x = config["x"]
    if config.get("mode") == "kill" and x > 0.85:
        os.kill(os.getpid(), signal.SIGKILL)  # the worker dies mid-trial
    if x < 0.2:
        raise ValueError(f"x too small: {x:.3f}")
    if x > 0.7:
        return {"score": math.nan}
    for step in range(1, 6):
        if trial.report(step, -(x - 0.5) ** 2 * (6 - step)):
            break
    return {"score": -(x - 0.5) ** 2 * (6 - step), "x_squared": x * x}
"""


def _objective_config(write, mode, prune="none"):
    write("myobjective.py", OBJECTIVE)
    return write(
        "obj.yaml",
        f"""
        name: obj
        objective: myobjective:evaluate
        params: {{mode: {mode}}}
        search: {{trials: 12, rounds: 2, jobs: 2, metric: score, prune: {prune}, keep: 1.0}}
        space:
          x: {{low: 0.0, high: 1.0}}
    """,
    )


def test_a_custom_objective_reports_and_is_pruned_and_its_failures_are_recorded(write, tmp_path):
    prune = "{method: median, warmup: 1, min_trials: 3}"
    outcome = run_search(load_config(_objective_config(write, "plain", prune)), runs_dir=tmp_path)
    table = rows(tmp_path / "obj" / "trials.csv")
    by_status = {
        s: [r for r in table if r["status"] == s] for s in ("ok", "pruned", "diverged", "failed")
    }
    assert len(table) == 24 and all(by_status.values())
    assert all(r["error"].startswith("ValueError: x too small") for r in by_status["failed"])
    assert all(float(r["x"]) > 0.7 for r in by_status["diverged"])
    assert all(float(r["x_squared"]) == float(r["x"]) ** 2 for r in by_status["ok"])
    assert list(table[0]) == ["trial", "round", "status", "x", "score", "x_squared"] + [
        "epochs",
        "seed",
        "error",
    ]  # a column per metric the objective returns, not JSON in one
    for r in by_status["failed"]:  # each with its traceback, from a worker process
        text = (tmp_path / "obj" / "errors" / f"trial-{r['trial']}.txt").read_text()
        assert 'myobjective.py", line 9, in evaluate' in text and "hpsearch" not in text
    assert outcome.best["value"] == max(float(r["score"]) for r in by_status["ok"])
    curves = rows(tmp_path / "obj" / "curves.csv")
    assert list(curves[0]) == ["trial", "epoch", "score", "abandoned"]
    for r in by_status["pruned"]:
        assert int(r["epochs"]) < 5 and len(
            [c for c in curves if c["trial"] == r["trial"]]
        ) == int(r["epochs"])


def test_a_worker_killed_mid_trial_costs_only_its_trial(write, tmp_path):
    run_search(load_config(_objective_config(write, "kill")), runs_dir=tmp_path)
    table = rows(tmp_path / "obj" / "trials.csv")
    assert [int(r["trial"]) for r in table] == list(range(24))
    killed = [r for r in table if float(r["x"]) > 0.85]
    assert killed and all(
        r["status"] == "failed" and "worker process died" in r["error"] for r in killed
    )
    assert any(r["status"] == "ok" for r in table)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc")
def test_workers_start_with_ctrl_c_blocked(write, tmp_path):
    """A Ctrl-C reaches the workers too: one that came while a worker was still importing
    (before it ignores SIGINT) printed a KeyboardInterrupt traceback of joblib's imports.
    Each worker now starts with SIGINT blocked; it reports its own mask here."""
    write(
        "mask.py",
        """
        import os
        import signal
        import time


        def evaluate(config):
            time.sleep(0.2)  # both workers take a trial
            status = open("/proc/self/status").read()
            blocked = int(status.split("SigBlk:")[1].split()[0], 16)
            return {"value": float(blocked >> (signal.SIGINT - 1) & 1), "pid": os.getpid()}
        """,
    )
    write("m.yaml", "objective: mask:evaluate\nsearch: {budget: 4, jobs: 2}\nspace: {x: [a, b]}\n")
    done = hpsearch("run", "m.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    table = rows(tmp_path / "runs" / "m" / "trials.csv")
    assert [r["value"] for r in table] == ["1.0"] * 4, {r["pid"]: r["value"] for r in table}


def test_the_pool_knows_its_workers_in_every_round_so_ctrl_c_can_stop_them(tmp_path):
    data, goal = {"dataset": "moons", "n_samples": 100}, Goal.of("dev_accuracy")
    spec = TrialSpec(data, {"epochs": 1}, goal, 0)
    pool = LokyPool(spec, 2, tmp_path / "markers")
    for rnd in (1, 2):  # a call per group of trials: the second must not forget the workers
        assert len(list(pool(Task(t, rnd, {}, t) for t in range(4)))) == 4
    workers = [int(m.name.split("-")[1]) for m in (tmp_path / "markers").glob("worker-*")]
    assert len(workers) == 2
    pool.close(kill=True)
    assert not any(pid_alive(pid) for pid in workers)


def test_a_search_whose_first_round_all_fails_stops_there_and_exits_1(write, tmp_path, cli):
    write("broken.py", "def evaluate(config):\n    raise RuntimeError('no GPU here')\n")
    path = write(
        "b.yaml",
        "objective: broken:evaluate\nsearch: {trials: 3, rounds: 4, jobs: 1}\n"
        "space: {x: {values: [1, 2]}}\n",
    )
    result = cli("run", path, "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 1 and "Traceback" not in result.output
    error, where, debug = result.stderr.strip().splitlines()[-3:]  # after the progress bar
    assert error == (
        "error: all 3 trials of round 1 failed, so the search stopped; each with RuntimeError: "
        "no GPU here (broken.py, line 2, in evaluate)"
    )
    assert where == f"its traceback: hpsearch results {tmp_path / 'runs' / 'b'} --trial 0"
    assert debug == f"to debug one trial in the foreground: hpsearch train {path} --pdb"
    assert len(rows(tmp_path / "runs" / "b" / "trials.csv")) == 3  # round 1 only


def test_a_resumed_search_that_all_fails_names_the_file_it_started_from(write, tmp_path, cli):
    """The command to debug a trial named the run's folder of origin + config.yaml, a file
    that does not exist, after a resume."""
    write("broken.py", "def evaluate(config):\n    raise RuntimeError('no GPU here')\n")
    path = write(
        "b.yaml",
        "objective: broken:evaluate\nsearch: {budget: 2, jobs: 1}\nspace: {x: {values: [1, 2]}}\n",
    )
    assert cli("run", path, "--runs-dir", tmp_path / "runs").exit_code == 1
    result = cli("resume", tmp_path / "runs" / "b", "--retry", "failed")
    assert result.exit_code == 1
    debug = result.stderr.strip().splitlines()[-1]
    assert debug == f"to debug one trial in the foreground: hpsearch train {path} --pdb"


def test_a_diverging_learning_rate_is_recorded_as_diverged(write, tmp_path):
    config = load_config(
        write(
            "div.yaml",
            """
        data: {dataset: digits}
        params: {layers: 2, hidden_units: 32, epochs: 3, optimizer: gd, batch_norm: false}
        search: {trials: 3, rounds: 1, jobs: 1}
        space: {learning_rate: {low: 10, high: 100, scale: log}}
    """,
        )
    )
    run_search(config, runs_dir=tmp_path)
    table = rows(tmp_path / "div" / "trials.csv")
    assert {r["status"] for r in table} == {"diverged"} and all(
        r["dev_accuracy"] == "nan" for r in table
    )


def test_files_follow_the_umask(write, tmp_path):
    old = os.umask(0o027)
    try:
        run_search(load_config(write("small.yaml", SMALL), ["search.jobs=1"]), runs_dir=tmp_path)
    finally:
        os.umask(old)
    for name in ("trials.csv", "curves.csv", "best.json", "config.yaml", "rounds.json"):
        mode = stat.S_IMODE((tmp_path / "small" / name).stat().st_mode)
        assert mode == 0o640, (name, oct(mode))


def test_resume_extends_a_finished_search_to_the_table_of_a_longer_one(write, tmp_path, cli):
    path = write(
        "p.yaml", PRUNED.replace("budget: 24", "budget: 15").replace("jobs: 2", "jobs: 1")
    )
    run_search(load_config(path), runs_dir=tmp_path)
    run_search(load_config(path, ["search.budget=30", "name=longer"]), runs_dir=tmp_path)
    before = (tmp_path / "pruned" / "trials.csv").read_bytes()
    again = cli("resume", tmp_path / "pruned")  # finished: says so, and changes nothing
    assert again.exit_code == 0 and "is complete: nothing to run" in again.stderr
    assert (tmp_path / "pruned" / "trials.csv").read_bytes() == before
    result = cli("resume", tmp_path / "pruned", "--budget", "30")
    assert result.exit_code == 0, result.output
    assert rows(tmp_path / "pruned" / "trials.csv") == rows(tmp_path / "longer" / "trials.csv")
    assert rows(tmp_path / "pruned" / "curves.csv") == rows(tmp_path / "longer" / "curves.csv")
    refused = cli("resume", tmp_path / "pruned", "--rounds", "9")
    assert (
        refused.exit_code == 2
        and "this run is sized by budget; extend it with --budget" in refused.stderr
    )
    smaller = cli("resume", tmp_path / "pruned", "--budget", "10")
    assert smaller.exit_code == 2 and "--budget 10 is less than the run's 30" in smaller.stderr


def test_retry_failed_runs_failed_trials_again_with_their_values(write, tmp_path):
    write(
        "flaky.py",
        "import os\ndef evaluate(config):\n"
        "    if config['x'] > 0.5 and not os.path.exists('fixed'):\n"
        "        raise OSError('disk full')\n"
        "    return config['x']\n",
    )
    path = write(
        "f.yaml",
        "objective: flaky:evaluate\nsearch: {trials: 6, rounds: 2, jobs: 1}\n"
        "space: {x: {low: 0, high: 1}}\n",
    )
    run_search(load_config(path), runs_dir=tmp_path)
    before = rows(tmp_path / "f" / "trials.csv")
    failed = [r for r in before if r["status"] == "failed"]
    assert failed
    (tmp_path / "fixed").write_text("")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        resume_search(tmp_path / "f", retry_failed=True)
    finally:
        os.chdir(cwd)
    after = rows(tmp_path / "f" / "trials.csv")
    assert [r["trial"] for r in after] == [r["trial"] for r in before]
    for old, new in zip(before, after):
        assert (
            new["x"] == old["x"] and new["round"] == old["round"]
        )  # the values they were sampled with
        assert new["status"] == ("ok" if old["status"] == "failed" else old["status"])


def test_an_edited_config_yaml_refuses_resume_naming_the_keys(write, tmp_path, cli):
    run_search(load_config(write("small.yaml", SMALL), ["search.jobs=1"]), runs_dir=tmp_path)
    config = tmp_path / "small" / "config.yaml"
    config.write_text(
        config.read_text()
        .replace("hidden_units: 8", "hidden_units: 16")
        .replace("seed: 4", "seed: 5")
    )
    before = (tmp_path / "small" / "trials.csv").read_bytes()
    result = cli("resume", tmp_path / "small")
    assert result.exit_code == 2
    assert (
        "config.yaml was edited since the run started (params.hidden_units, seed changed)"
        in result.stderr
    )
    assert (tmp_path / "small" / "trials.csv").read_bytes() == before


# -- interruption and resume, through real processes ----------------------------------------

SLOW = PRUNED.replace("name: pruned", "name: slow")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run of SLOW: its tables are what every resumed run must end with."""
    folder = tmp_path_factory.mktemp("reference")
    (folder / "slow.yaml").write_text(SLOW)
    run_search(
        load_config(folder / "slow.yaml", ["search.jobs=1"]), runs_dir=folder / "runs"
    )  # the same table
    return folder / "runs" / "slow"


def _count(path):
    return len(rows(path))


@pytest.mark.parametrize("finished", [0, 15])
def test_kill_9_then_resume_gives_the_uninterrupted_table(tmp_path, reference, finished):
    """Kill the whole process tree before any trial, mid round 1, and in a pruned round."""
    (tmp_path / "slow.yaml").write_text(SLOW)
    proc = start(["run", "slow.yaml"], tmp_path)
    run = tmp_path / "runs" / "slow"
    wait_until(
        lambda: _count(run / "trials.csv") >= finished and (run / "curves.csv").exists(), proc
    )
    kill_group(proc)
    assert _count(run / "trials.csv") < 24, "the run finished before it was killed"
    resume_search(run, jobs=1)  # where the rest runs does not change the table
    assert rows(run / "trials.csv") == rows(reference / "trials.csv")
    assert rows(run / "curves.csv") == rows(reference / "curves.csv")
    strip = lambda best: {k: v for k, v in best.items() if k != "seconds"}  # noqa: E731
    assert strip(json.loads((run / "best.json").read_text())) == strip(
        json.loads((reference / "best.json").read_text())
    )


def test_a_half_written_last_line_is_repaired_not_duplicated(tmp_path, reference):
    import shutil

    run = tmp_path / "slow"
    shutil.copytree(reference, run)
    lines = (run / "trials.csv").read_text().splitlines(keepends=True)
    (run / "trials.csv").write_text("".join(lines[:5]) + lines[5][:17])  # killed mid-write
    resume_search(run)
    assert rows(run / "trials.csv") == rows(reference / "trials.csv")


def test_ctrl_c_stops_cleanly_exits_130_and_leaves_no_process(tmp_path, reference):
    (tmp_path / "slow.yaml").write_text(SLOW)
    proc = start(["run", "slow.yaml"], tmp_path)
    run = tmp_path / "runs" / "slow"
    wait_until(lambda: _count(run / "trials.csv") >= 12, proc)  # in round 2 (round 1: 10)
    kill_group(proc, signal.SIGINT)  # as a terminal sends it: to the whole process group
    kill_group(proc, signal.SIGINT)  # pressed twice: the second must not cut the stop short
    assert proc.wait(timeout=30) == 130
    err = (tmp_path / "err.log").read_text()
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("slow ")]
    assert (
        len(lines) == 1
        and lines[0].startswith("interrupted: ")
        and "of 24 trials recorded" in lines[0]
    )
    assert lines[0].endswith("continue with: hpsearch resume runs/slow")
    assert "Traceback" not in err and "Warning" not in err and "Exception" not in err
    wait_until(lambda: not pids_in_group(proc.pid), timeout=10)
    assert not (run / ".lock").exists()
    resume_search(run, jobs=1)
    assert rows(run / "trials.csv") == rows(reference / "trials.csv")


def test_kill_term_stops_at_once_exits_143_and_the_run_resumes(tmp_path, reference):
    (tmp_path / "slow.yaml").write_text(SLOW)
    proc = start(["run", "slow.yaml"], tmp_path)
    run = tmp_path / "runs" / "slow"
    wait_until(lambda: _count(run / "trials.csv") >= 12, proc)
    proc.send_signal(signal.SIGTERM)  # as `kill PID` does, or a batch scheduler ending a job
    assert proc.wait(timeout=30) == 143
    err = (tmp_path / "err.log").read_text()
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("slow ")]
    assert len(lines) == 1 and lines[0].startswith("interrupted: ") and "Traceback" not in err
    wait_until(lambda: not pids_in_group(proc.pid), timeout=10)  # its workers stopped too
    resume_search(run, jobs=1)
    assert rows(run / "trials.csv") == rows(reference / "trials.csv")


def test_workers_of_a_killed_search_exit_by_themselves(tmp_path):
    (tmp_path / "slow.yaml").write_text(SLOW.replace("epochs: 12", "epochs: 400"))
    proc = start(["run", "slow.yaml"], tmp_path)
    markers = tmp_path / "runs" / "slow" / ".running"
    wait_until(
        lambda: len([m for m in markers.glob("*") if m.name.isdigit()]) == 2, proc
    )  # both training
    os.kill(proc.pid, signal.SIGKILL)  # the main process only, as kill -9 PID does
    proc.wait()
    wait_until(lambda: not pids_in_group(proc.pid), timeout=10)


def test_the_lock_refuses_a_second_process_and_is_taken_over_when_it_dies(tmp_path):
    held = SLOW.replace("epochs: 12", "epochs: 400").replace("jobs: 2", "jobs: 1")  # no workers
    (tmp_path / "slow.yaml").write_text(held)
    first = start(["run", "slow.yaml"], tmp_path)
    lock = tmp_path / "runs" / "slow" / ".lock"
    wait_until(lambda: lock.exists() and lock.read_text(), first)
    second = hpsearch("resume", "runs/slow", cwd=tmp_path)
    assert second.returncode == 2 and f"in use by process {first.pid}" in second.stderr
    kill_group(first)
    with pytest.raises(UserError, match="already exists"):
        run_search(load_config(tmp_path / "slow.yaml"), runs_dir=tmp_path / "runs")
    assert lock.exists()  # left behind by the dead process, and taken over by the next one
    from hpsearch.store import RunDir

    RunDir(tmp_path / "runs" / "slow").lock()


def test_a_run_written_by_hpsearch_0_1_is_still_read(write, tmp_path, cli):
    run_search(load_config(write("small.yaml", SMALL), ["search.jobs=1"]), runs_dir=tmp_path)
    config = tmp_path / "small" / "config.yaml"
    text = config.read_text().replace("hpsearch_version: 0.2.0", "hpsearch_version: 0.1.0")
    text = text.replace(
        "  n_samples: 300\n", "  n_samples: 300\n  path: null\n  target: null\n  classes: 3\n"
    )
    config.write_text(text)  # 0.1 listed every data key, whatever the data
    (tmp_path / "small" / ".resolved.json").unlink()  # 0.1 kept no copy
    assert cli("results", tmp_path / "small").exit_code == 0


CONDITIONAL = """
name: cond
seed: 2
data: {dataset: moons, n_samples: 200}
params: {layers: 1, hidden_units: 8, epochs: 2}
search: {budget: 16, jobs: 1}
space:
  optimizer: {values: [gd, momentum, adam]}
  learning_rate: {low: 1e-3, high: 1e-1, scale: log}
  beta: {low: 0.8, high: 0.99, scale: one_minus_log, when: {optimizer: momentum}}
  beta1: {low: 0.8, high: 0.99, scale: one_minus_log, when: {optimizer: adam}}
"""


def test_conditional_hyperparameters_leave_empty_cells_and_resume_exactly(write, tmp_path, cli):
    path = write("cond.yaml", CONDITIONAL)
    run_search(load_config(path), runs_dir=tmp_path)
    table = rows(tmp_path / "cond" / "trials.csv")
    for r in table:
        assert (r["beta"] != "") == (r["optimizer"] == "momentum")
        assert (r["beta1"] != "") == (r["optimizer"] == "adam")
    assert {r["optimizer"] for r in table} == {"gd", "momentum", "adam"}
    full = tmp_path / "cond" / "trials.csv"
    lines = full.read_text().splitlines(keepends=True)
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(tmp_path / "cond", copy)
    (copy / "trials.csv").write_text("".join(lines[:7]))  # as if stopped after 6 trials
    resume_search(copy)
    assert rows(copy / "trials.csv") == table
    shown = cli("results", tmp_path / "cond")
    assert shown.exit_code == 0 and "beta1" in shown.output
    assert cli("plot", tmp_path / "cond", "--out", tmp_path / "plots").exit_code == 0
    assert cli("compare", tmp_path / "cond", copy).exit_code == 0


def test_an_extension_killed_midway_resumes_to_the_longer_runs_table(write, tmp_path):
    path = write(
        "p.yaml", PRUNED.replace("budget: 24", "budget: 12").replace("jobs: 2", "jobs: 1")
    )
    run_search(load_config(path), runs_dir=tmp_path)
    run_search(load_config(path, ["search.budget=36", "name=longer"]), runs_dir=tmp_path)
    proc = start(["resume", tmp_path / "pruned", "--budget", "36"], tmp_path)
    wait_until(lambda: _count(tmp_path / "pruned" / "trials.csv") >= 20, proc)
    kill_group(proc)
    resume_search(tmp_path / "pruned")  # the extension was recorded: a plain resume finishes it
    assert rows(tmp_path / "pruned" / "trials.csv") == rows(tmp_path / "longer" / "trials.csv")
    assert rows(tmp_path / "pruned" / "curves.csv") == rows(tmp_path / "longer" / "curves.csv")


def test_resume_says_when_the_source_file_was_edited_naming_the_keys(write, tmp_path):
    """A resume goes on with the run's own config.yaml: edits of the file it started from
    are left out, and it says so, once, with how to start a new run instead."""
    from tests.conftest import hpsearch

    write("plain_score.py", "def evaluate(config):\n    return config['x']\n")
    text = (
        "objective: plain_score:evaluate\n"
        "search: {budget: 3, jobs: 1}  # three trials\n"
        "space: {x: {low: 0, high: 1}}\n"
    )
    path = write("s.yaml", text)
    assert hpsearch("run", path, "--name", "s", cwd=tmp_path).returncode == 0
    path.write_text(text.replace("# three trials", "# only a comment changed"))
    quiet = hpsearch("resume", "runs/s", cwd=tmp_path)
    assert quiet.returncode == 0 and "warning" not in quiet.stderr
    path.write_text(text.replace("budget: 3", "budget: 5").replace("high: 1", "high: 2"))
    told = hpsearch("resume", "runs/s", cwd=tmp_path)
    warned = [line for line in told.stderr.splitlines() if line.startswith("warning: ")]
    assert told.returncode == 0 and warned == [
        f"warning: {path.resolve()} was edited since runs/s started (search.budget, "
        "space.x.high): resume goes on with the run's own config.yaml; to search with the file "
        f"as it is now, start a new run: hpsearch run {path.resolve()} --name s-2"
    ]
    assert len(rows(tmp_path / "runs" / "s" / "trials.csv")) == 3


def test_a_trial_that_trained_every_epoch_is_never_pruned(write, tmp_path):
    """The median rule judges every epoch after its warm-up, the last included: a trial below
    the median at its last epoch was recorded as pruned though it had trained to its end."""
    config = PRUNED.replace(
        "prune: {method: halving, min_epochs: 2, reduction: 2, min_trials: 3}",
        "prune: {method: median, warmup: 0, min_trials: 2}",
    ).replace("epochs: 12", "epochs: 3")
    run_search(load_config(write("m.yaml", config), ["search.jobs=1"]), runs_dir=tmp_path)
    table = rows(tmp_path / "pruned" / "trials.csv")
    pruned = [r for r in table if r["status"] == "pruned"]
    assert pruned and all(int(r["epochs"]) < 3 for r in pruned)
    assert any(r["status"] == "ok" for r in table)
