"""Panda mode: exact resume after kill -9 or Ctrl-C, checkpoints by time, nudges and rollbacks to
any epoch that replay exactly, and files that say what happened."""

import json
import os
import shutil
import signal
import time

import numpy as np
import pytest

from hpsearch.config import load_config
from hpsearch.modes.steer import request_nudge, request_rollback
from hpsearch.runs import resume_search, run_search
from hpsearch.store import CheckpointStore, RunDir, steering
from tests.conftest import hpsearch, kill_group, pids_in_group, rows, start, wait_until

PANDA = """
name: babysat
seed: 3
data: {dataset: moons, n_samples: 600}
params: {layers: 2, hidden_units: 32, epochs: 40, batch_size: 32, keep_prob: 0.9,
         lr_decay: inverse_time, decay_rate: 0.05}
search: {mode: panda, trials: 2, rounds: 2, keep: 0.5, checkpoint_every: 0}
space:
  learning_rate: {low: 1e-3, high: 1e-1, scale: log}
"""


def config(tmp_path, text=PANDA):
    (tmp_path / "p.yaml").write_text(text)
    return tmp_path / "p.yaml"


def same_run(run, reference, curves=True):
    assert rows(run / "trials.csv") == rows(reference / "trials.csv")
    if curves:
        assert (run / "curves.csv").read_bytes() == (reference / "curves.csv").read_bytes()
    strip = lambda best: {k: v for k, v in best.items() if k != "seconds"}  # noqa: E731
    assert strip(json.loads((run / "best.json").read_text())) == strip(
        json.loads((reference / "best.json").read_text())
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    run_search(load_config(config(folder)), runs_dir=folder / "runs")
    return folder / "runs" / "babysat"


@pytest.mark.parametrize("epochs,every", [(17, "0"), (58, "30s")])
def test_kill_9_at_any_moment_then_resume_is_bit_identical(tmp_path, reference, epochs, every):
    """Killed mid-trial with a checkpoint every epoch (resume loads the last), or with the
    default policy (no checkpoint yet: resume replays the trial from its start)."""
    path = config(tmp_path, PANDA.replace("checkpoint_every: 0", f"checkpoint_every: {every}"))
    proc = start(["run", path], tmp_path)
    run = tmp_path / "runs" / "babysat"
    wait_until(lambda: len(rows(run / "curves.csv")) >= epochs, proc)
    time.sleep(np.random.default_rng(epochs).uniform(0, 0.03))  # mid-epoch, mid-write, anywhere
    kill_group(proc)
    assert len(rows(run / "trials.csv")) < 4
    resume_search(run)
    same_run(run, reference)


@pytest.fixture(scope="module")
def killed_in_trial_0(tmp_path_factory):
    """A run killed (kill -9) after 25 epochs, its newest checkpoints trial 0's: each test
    spoils its own copy of them."""
    folder = tmp_path_factory.mktemp("killed")
    proc = start(["run", config(folder)], folder)
    wait_until(lambda: len(rows(folder / "runs" / "babysat" / "curves.csv")) >= 25, proc)
    kill_group(proc)
    return folder


def copy_of(folder, tmp_path):
    shutil.copytree(folder, tmp_path, dirs_exist_ok=True)
    return tmp_path / "runs" / "babysat"


def test_a_truncated_newest_checkpoint_falls_back_to_the_one_before(
    tmp_path, reference, killed_in_trial_0
):
    run = copy_of(killed_in_trial_0, tmp_path)
    store = CheckpointStore(run / "checkpoints" / "trial-0")
    newest = store.path(store.epochs()[-1])
    newest.write_bytes(newest.read_bytes()[:1000])
    with pytest.warns(UserWarning, match="unreadable"):
        resume_search(run)
    same_run(run, reference)


@pytest.mark.parametrize("spoilt", ["the newest two", "all"])
def test_corrupt_checkpoints_are_said_and_passed_over_never_a_traceback(
    tmp_path, reference, killed_in_trial_0, spoilt
):
    """Cut short, or whole but holding something else: each is one warning line saying where
    training goes on from (the checkpoint before, or epoch 0), and the run ends as if none had
    been spoilt."""
    run = copy_of(killed_in_trial_0, tmp_path)
    store = CheckpointStore(run / "checkpoints" / "trial-0")
    epochs = store.epochs()
    assert len(epochs) >= 3
    spoil = epochs[-2:] if spoilt == "the newest two" else epochs
    for i, epoch in enumerate(spoil):
        if i % 2:  # a zip that reads back, but not a model's state
            np.savez(store.path(epoch), weights=np.zeros(3))
        else:  # cut short
            store.path(epoch).write_bytes(store.path(epoch).read_bytes()[:500])
    done = hpsearch("resume", "runs/babysat", cwd=tmp_path)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    warned = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warned) == len(spoil) and all("is unreadable" in line for line in warned)
    then = "none: from epoch 0" if spoilt == "all" else f"the one of epoch {epochs[-3]}"
    assert warned[-1].endswith(f"removed, using {then}")
    same_run(run, reference)


def test_the_store_keeps_the_newest_checkpoints(tmp_path):
    store = CheckpointStore(tmp_path, keep=2)
    for epoch in range(1, 6):
        store.save(
            {"epoch": np.array(epoch), "w": np.full(3, epoch, np.float32), "s": np.array("text")},
            epoch,
        )
    assert store.epochs() == [4, 5]
    epoch, state = store.latest()
    assert epoch == 5 and state["w"].dtype == np.float32 and str(state["s"]) == "text"
    assert store.latest(at_most=4)[0] == 4 and store.latest(at_most=3) is None
    assert not list(tmp_path.glob(".*.tmp"))


def test_by_default_a_trial_is_checkpointed_at_its_end_only(tmp_path):
    run_search(
        load_config(
            config(tmp_path, PANDA.replace("checkpoint_every: 0", "checkpoint_every: 30s"))
        ),
        runs_dir=tmp_path,
    )
    for trial in range(4):
        assert CheckpointStore(
            tmp_path / "babysat" / "checkpoints" / f"trial-{trial}"
        ).epochs() == [40]


def test_a_nudge_while_running_applies_from_the_next_epoch_and_the_files_say_so(tmp_path):
    path = config(
        tmp_path,
        PANDA.replace("lr_decay: inverse_time", "lr_decay: none")
        .replace("trials: 2", "trials: 1")
        .replace("epochs: 40", "epochs: 80")
        .replace("checkpoint_every: 0", "checkpoint_every: 1h"),
    )
    proc = start(["run", path], tmp_path)
    run = tmp_path / "runs" / "babysat"
    wait_until(lambda: len(rows(run / "curves.csv")) >= 5, proc)
    assert "trial 0 applies it after its current epoch" in request_nudge(run, lr_factor=0.25)
    assert proc.wait(timeout=60) == 0, (tmp_path / "err.log").read_text()
    (log,) = rows(run / "interventions.csv")
    at = int(log["epoch"])
    assert (
        log["trial"] == "0"
        and log["kind"] == "nudge"
        and log["change"].startswith("learning_rate ")
        and at >= 5
    )
    lrs = [float(r["learning_rate"]) for r in rows(run / "curves.csv") if r["trial"] == "0"]
    assert set(lrs[:at]) == {lrs[0]} and lrs[at:] == pytest.approx(
        [lrs[0] * 0.25] * (len(lrs) - at)
    )
    assert not list((run / "requests").glob("*.json"))
    best = json.loads((run / "best.json").read_text())
    if best["trial"] == 0:
        assert best["params"]["learning_rate"] == pytest.approx(
            lrs[0] * 0.25
        )  # what it ended with
        assert best["sampled"]["learning_rate"] == pytest.approx(lrs[0])
        assert best["interventions"] == [{"epoch": at, "kind": "nudge", "change": log["change"]}]
    shown = hpsearch("results", run, "--format", "json", cwd=tmp_path)
    trial0 = next(t for t in json.loads(shown.stdout) if t["trial"] == 0)
    assert (
        trial0["learning_rate"] == pytest.approx(lrs[0] * 0.25)
        and f"after epoch {at}" in trial0["interventions"]
    )


def test_a_nudge_meant_for_a_trial_that_ended_is_never_applied_to_another(tmp_path):
    run_search(
        load_config(config(tmp_path, PANDA.replace("epochs: 40", "epochs: 6"))), runs_dir=tmp_path
    )
    run = tmp_path / "babysat"
    (run / "trials.csv").write_text(
        "".join((run / "trials.csv").read_text().splitlines(keepends=True)[:3])
    )
    steering.write_request(RunDir(run), 0, {"lr_factor": 0.5})  # trial 0 ended long ago
    resume_search(run)
    assert not (run / "interventions.csv").exists() and not list((run / "requests").glob("*.json"))


def test_nudge_refuses_a_finished_run_and_tells_a_stale_lock_from_a_live_run(tmp_path, cli):
    run_search(
        load_config(config(tmp_path, PANDA.replace("epochs: 40", "epochs: 3"))), runs_dir=tmp_path
    )
    run = tmp_path / "babysat"
    finished = cli("nudge", run, "--lr-factor", "0.5")
    assert finished.exit_code == 2 and "is finished: no trial is left to nudge" in finished.stderr
    assert not (run / "requests").exists()
    (run / "trials.csv").write_text(
        "".join((run / "trials.csv").read_text().splitlines(keepends=True)[:3])
    )
    (run / ".lock").write_text(
        json.dumps({"pid": 999999, "host": os.uname().nodename})
    )  # left by kill -9
    stale = cli("nudge", run, "--set", "keep_prob=0.8")
    assert (
        stale.exit_code == 0
        and "the search is stopped; trial 2 applies it when it resumes" in stale.stdout
    )


def test_rollback_to_an_epoch_without_a_checkpoint_replays_exactly(tmp_path, reference):
    """With checkpoints at trial ends only, a rollback to epoch 13 without changes replays
    from the start and gives the same run, its abandoned epochs kept and marked."""
    path = config(tmp_path, PANDA.replace("checkpoint_every: 0", "checkpoint_every: 1h"))
    run_search(load_config(path), runs_dir=tmp_path)
    run = tmp_path / "babysat"
    before = float(
        next(r for r in rows(run / "trials.csv", drop=()) if r["trial"] == "1")["seconds"]
    )
    message = request_rollback(run, 1, 13)
    assert "trial 1 goes back to epoch 13 at the next resume" in message
    resume_search(run)
    assert rows(run / "trials.csv", drop=("seconds",)) == rows(reference / "trials.csv")
    curves = rows(run / "curves.csv")
    live = [r for r in curves if r["abandoned"] == "0"]
    assert live == rows(reference / "curves.csv")
    assert [int(r["epoch"]) for r in curves if r["abandoned"] == "1"] == list(range(14, 41))
    (log,) = rows(run / "interventions.csv")
    assert (
        log["kind"] == "rollback"
        and log["epoch"] == "13"
        and log["change"] == "rollback to epoch 13"
    )
    after = float(
        next(r for r in rows(run / "trials.csv", drop=()) if r["trial"] == "1")["seconds"]
    )
    assert after >= before  # the whole training time, across the rollback


def test_rollback_with_new_values_and_the_nudges_before_it_replayed(tmp_path):
    path = config(
        tmp_path,
        PANDA.replace("epochs: 40", "epochs: 12").replace(
            "checkpoint_every: 0", "checkpoint_every: 1h"
        ),
    )
    run_search(load_config(path), runs_dir=tmp_path)
    run = tmp_path / "babysat"
    request_rollback(run, 1, 4, {"learning_rate": 0.02})  # epochs 5.. at 0.02
    resume_search(run)
    first = [r for r in rows(run / "curves.csv") if r["trial"] == "1" and r["abandoned"] == "0"]
    request_rollback(run, 1, 8, {"keep_prob": 1.0})  # back again: the rollback at 4 replays
    resume_search(run)
    second = [r for r in rows(run / "curves.csv") if r["trial"] == "1" and r["abandoned"] == "0"]
    assert second[:8] == first[:8]  # replayed exactly, the change at epoch 4 included
    assert [float(r["learning_rate"]) for r in second[4:]] == pytest.approx(
        [0.02 / (1 + 0.05 * e) for e in range(4, 12)]
    )
    logs = rows(run / "interventions.csv")
    assert [(r["epoch"], r["kind"]) for r in logs] == [("4", "rollback"), ("8", "rollback")]
    best = json.loads((run / "best.json").read_text())
    table = {r["trial"]: r for r in rows(run / "trials.csv")}
    assert len(table) == 4 and table["1"]["status"] == "ok"
    if best["trial"] == 1:
        assert [i["epoch"] for i in best["interventions"]] == [4, 8] and best["params"][
            "keep_prob"
        ] == 1.0


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_in_panda_stops_at_the_epoch_with_a_checkpoint_and_resume_is_exact(
    tmp_path, reference, presses
):
    """Once: the trial stops at the end of its epoch, with a checkpoint. Twice at once: it
    stops at once, and the run still resumes to the same table."""
    path = config(tmp_path, PANDA.replace("checkpoint_every: 0", "checkpoint_every: 1h"))
    proc = start(["run", path], tmp_path)
    run = tmp_path / "runs" / "babysat"
    wait_until(lambda: len(rows(run / "curves.csv")) >= 50, proc)
    for _ in range(presses):
        kill_group(proc, signal.SIGINT)
    assert proc.wait(timeout=30) == 130
    err = (tmp_path / "err.log").read_text()
    assert "Traceback" not in err and "Warning" not in err and "Exception" not in err
    assert err.strip().splitlines()[-1] == (
        "interrupted: 1 of 4 trials recorded; continue with: hpsearch resume runs/babysat"
    )
    if presses == 1:  # written on the way out
        assert CheckpointStore(run / "checkpoints" / "trial-1").epochs()
    assert not pids_in_group(proc.pid)
    resume_search(run)
    same_run(run, reference)


def test_panda_prunes_with_the_same_rule_and_says_why(tmp_path, cli, terminal):
    text = PANDA.replace("trials: 2, rounds: 2", "trials: 4, rounds: 2").replace(
        "checkpoint_every: 0",
        "checkpoint_every: 1h, prune: {method: median, warmup: 1, min_trials: 2}, keep: 1.0",
    )
    result = cli(
        "run", config(tmp_path, text.replace("keep: 0.5, ", "")), "--runs-dir", tmp_path / "runs"
    )
    assert result.exit_code == 0, result.output
    table = rows(tmp_path / "runs" / "babysat" / "trials.csv")
    pruned = [r for r in table if r["status"] == "pruned"]
    # the first half of round 1 (trials 0 and 1) has nothing to compare with
    assert pruned and all(int(r["trial"]) >= 2 and int(r["epochs"]) < 40 for r in pruned)
    first = pruned[0]
    flat = " ".join(line.strip() for line in result.stderr.splitlines())
    assert f"trial {first['trial']} pruned after epoch {first['epochs']}: dev_accuracy" in flat
    earlier = 2 if first["round"] == "1" else 4
    assert f"the median of {earlier} earlier trials" in flat
    # a note wraps at the width, words whole, later lines indented
    lines = result.stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if " pruned after epoch " in line)
    assert len(lines[start]) <= 80 and lines[start] == lines[start].rstrip()
    assert lines[start + 1].startswith("  ") and "earlier trials" in lines[start + 1]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """An interrupted panda run (trial 0 trained 12 epochs) and a caviar run."""
    folder = tmp_path_factory.mktemp("two")
    text = PANDA.replace("epochs: 40", "epochs: 12").replace("trials: 2", "trials: 1")
    run_search(load_config(config(folder, text)), runs_dir=folder)
    table = (folder / "babysat" / "trials.csv").read_text().splitlines(keepends=True)
    (folder / "babysat" / "trials.csv").write_text(table[0])  # as if stopped before trial 0's row
    (folder / "c.yaml").write_text(
        "data: {dataset: moons, n_samples: 100}\nparams: {epochs: 1}\n"
        "search: {budget: 1}\nspace: {l2: {low: 0, high: 1}}\n"
    )
    run_search(load_config(folder / "c.yaml"), runs_dir=folder)
    return folder


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["nudge", "RUN", "--lr-factor", "-1"], "--lr-factor -1.0 is not a positive number"),
        (["nudge", "RUN", "--set", "hidden_units=9"], "hidden_units cannot change mid-training"),
        (["nudge", "RUN", "--set", "batch_norm=false"], "batch_norm cannot change mid-training"),
        (["nudge", "RUN"], "give either --lr-factor or --set"),
        (["nudge", "RUN", "--set", "keep_prob=2"], "keep_prob: 2 is out of range"),
        (["nudge", "RUN", "--set", "keep_prob=["], "keep_prob: expected a number, got '['"),
        (["nudge", "RUN", "--set", "keep_prob"], "'keep_prob' has no '='"),
        (["nudge", "RUN", "--set", "learning_rat=0.1"], "did you mean 'learning_rate'"),
        (
            ["rollback", "RUN", "--trial", "9", "--epoch", "1"],
            "trial 9 has not trained yet; trials that have: 0, 1",
        ),
        (
            ["rollback", "RUN", "--trial", "0", "--epoch", "13"],
            "trial 0 trained epochs 1 to 12, not 13",
        ),
        (
            ["rollback", "RUN", "--trial", "0", "--epoch", "12", "--set", "layers=4"],
            "layers cannot change",
        ),
        (["nudge", "CAVIAR", "--lr-factor", "2"], "is a caviar run"),
        (["rollback", "NOWHERE", "--trial", "0", "--epoch", "1"], "is not a run directory"),
    ],
)
def test_bad_nudges_and_rollbacks_change_nothing(cli, two_runs, args, fragment):
    places = {"CAVIAR": two_runs / "c", "RUN": two_runs / "babysat", "NOWHERE": two_runs / "none"}
    result = cli(*[str(places.get(a, a)) for a in args])
    assert result.exit_code == 2 and fragment in result.stderr and "Traceback" not in result.output
    assert not (two_runs / "babysat" / "rollback.json").exists()
    assert not list((two_runs / "babysat").glob("requests/*.json"))


def test_the_best_trial_trained_again_for_its_test_metrics_replays_its_interventions(tmp_path):
    """When best.npz was lost, the best trial is trained again for its test metrics: with its
    rollbacks' and nudges' values applied where they were, or it is a model it never was."""
    from hpsearch.data import load_data
    from hpsearch.nn.model import Model
    from hpsearch.runs.best import BestKeeper

    path = config(
        tmp_path,
        PANDA.replace("epochs: 40", "epochs: 12").replace(
            "checkpoint_every: 0", "checkpoint_every: 1h"
        ),
    )
    run_search(load_config(path), runs_dir=tmp_path)
    run = RunDir.open(tmp_path / "babysat")
    request_rollback(run.path, 1, 4, {"learning_rate": 0.02})
    resume_search(run.path)
    config_ = run.read_config()
    trial = next(r for r in run.read_results(config_) if r.trial == 1)
    assert [i["epoch"] for i in trial.interventions] == [4]
    data = load_data(config_.data, config_.seed).for_training()
    keeper = BestKeeper(config_, run, [trial], data)
    run.best_npz.unlink()  # lost with an interrupted run
    ended = Model().load_state_dict(CheckpointStore(run.checkpoints / "trial-1").latest()[1])
    ended.classes_, ended.scaler_ = np.arange(data.n_classes), None
    retrained = keeper._model()
    np.testing.assert_array_equal(retrained.net.flat, ended.net.flat)
    cost, accuracy = ended.evaluate(data.X_test, data.y_test)
    assert keeper.finish()["test"] == {"test_cost": cost, "test_accuracy": accuracy}
