"""Panda mode: checkpoints every epoch, exact resume after kill -9, nudge and rollback."""

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from hpsearch.checkpoints import CheckpointStore, CheckpointWriter
from hpsearch.nn.model import MLP, state_from_parts
from hpsearch.config import load_config
from hpsearch.panda import request_nudge, request_rollback
from hpsearch.run import resume_search, run_search

PANDA = """
name: babysat
seed: 3
data: {dataset: moons, n_samples: 1500}
params: {layers: 2, hidden_units: 48, epochs: 40, batch_size: 32, keep_prob: 0.9, lr_decay: inverse_time,
         decay_rate: 0.05}
search: {mode: panda, trials: 2, rounds: 2, keep: 0.5, keep_checkpoints: 3}
space:
  learning_rate: {low: 1e-3, high: 1e-1, scale: log}
"""


def rows(path, drop=("seconds",)):
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return [{k: v for k, v in r.items() if k not in drop} for r in csv.DictReader(f)]


def start(args, cwd):
    """The CLI in its own process group; its output goes to files (a full pipe would block it)."""
    with open(cwd / "out.log", "w") as out, open(cwd / "err.log", "w") as err:
        return subprocess.Popen([sys.executable, "-m", "hpsearch", *map(str, args)], cwd=cwd,
                                stdout=out, stderr=err, start_new_session=True)


def wait_for_epochs(run, n, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while len(rows(run / "curves.csv")) < n:
        assert proc.poll() is None, "the run ended too early"
        assert time.monotonic() < deadline
        time.sleep(0.01)


def kill(proc):
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    (folder / "p.yaml").write_text(textwrap.dedent(PANDA))
    subprocess.run([sys.executable, "-m", "hpsearch", "run", "p.yaml"], cwd=folder, check=True, capture_output=True)
    return folder / "runs" / "babysat"


def assert_same_run(run, reference):
    assert rows(run / "trials.csv") == rows(reference / "trials.csv")
    assert (run / "curves.csv").read_bytes() == (reference / "curves.csv").read_bytes()
    assert json.loads((run / "best.json").read_text()) == json.loads((reference / "best.json").read_text())


@pytest.mark.parametrize("epochs", [1, 17, 40, 58, 111])
def test_kill_9_at_any_moment_then_resume_is_bit_identical(tmp_path, reference, epochs):
    (tmp_path / "p.yaml").write_text(textwrap.dedent(PANDA))
    proc = start(["run", "p.yaml"], tmp_path)
    run = tmp_path / "runs" / "babysat"
    wait_for_epochs(run, epochs, proc)
    time.sleep(np.random.default_rng(epochs).uniform(0, 0.03))  # mid-epoch, mid-write, anywhere
    kill(proc)
    assert len(rows(run / "trials.csv")) < 4
    resumed = subprocess.run([sys.executable, "-m", "hpsearch", "resume", str(run)], cwd=tmp_path,
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(run, reference)


def test_a_truncated_newest_checkpoint_falls_back_to_the_one_before(tmp_path, reference):
    (tmp_path / "p.yaml").write_text(textwrap.dedent(PANDA))
    proc = start(["run", "p.yaml"], tmp_path)
    run = tmp_path / "runs" / "babysat"
    wait_for_epochs(run, 25, proc)
    kill(proc)
    store = CheckpointStore(run / "checkpoints" / "trial-0")
    newest = store.path(store.epochs()[-1])
    newest.write_bytes(newest.read_bytes()[:1000])
    with pytest.warns(UserWarning, match="unreadable"):
        resume_search(run)
    assert_same_run(run, reference)


def test_checkpoint_store_keeps_the_last_k_and_the_best(tmp_path):
    writer = CheckpointWriter()
    store = CheckpointStore(tmp_path, keep=2, writer=writer)
    for epoch in range(1, 7):
        state = {"epoch": np.array(epoch), "w": np.full(3, epoch, np.float32), "t": np.array(epoch, np.int64),
                 "x": np.array(0.1, np.float64), "s": np.array("text")}
        store.save(state, epoch, best_epoch=2)
    writer.close()
    assert store.epochs() == [2, 5, 6]
    for epoch in store.epochs():  # sent faster than written: no slot was reused too early
        np.testing.assert_array_equal(store.load(epoch)["w"], np.full(3, epoch, np.float32))
    latest = store.latest()
    assert int(latest["epoch"]) == 6 and latest["w"].dtype == np.float32 and latest["t"].dtype == np.int64
    assert latest["x"] == 0.1 and str(latest["s"]) == "text"


def test_every_array_comes_back_exact_through_the_writer_whatever_its_dtype_and_size(tmp_path):
    rng = np.random.default_rng(0)
    states = [{"odd": rng.standard_normal(7).astype(np.float32),  # 28 bytes: the next is padded
               "history": rng.standard_normal((5, 5)), "ints": np.arange(3, dtype=np.int32),
               "flags": np.array([True, False]), "empty": np.zeros((0, 5)), "rng": np.array('{"a": 1}'),
               "epoch": np.array(epoch)} for epoch in (1, 2)]
    states[1]["big"] = rng.standard_normal(300_000).astype(np.float32)  # more than the pipe holds at once
    writer = CheckpointWriter()
    store = CheckpointStore(tmp_path, keep=3, writer=writer)
    for epoch, state in enumerate(states, start=1):
        store.save(state, epoch, best_epoch=None)
    writer.close()
    for epoch, state in enumerate(states, start=1):
        back = store.load(epoch)
        assert back.keys() == state.keys()
        for key, value in state.items():
            assert back[key].dtype == value.dtype and back[key].shape == value.shape
            np.testing.assert_array_equal(back[key], value)


def test_a_checkpoint_the_writer_cannot_write_is_reported_at_the_next_flush(tmp_path):
    (tmp_path / "taken").write_text("a file where the checkpoint folder should be")
    writer = CheckpointWriter()
    store = CheckpointStore(tmp_path / "taken", keep=2, writer=writer)
    with pytest.raises(OSError, match="writing a checkpoint failed: FileExistsError"):
        for epoch in (1, 2):  # reported at the next save or flush after the writer fails
            store.save({"epoch": np.array(epoch), "w": np.zeros(3, np.float32)}, epoch, None)
        store.flush()
    try:  # the second save, if it was sent, fails on its own
        store.flush()
    except OSError as e:
        assert "FileExistsError" in str(e)
    good = CheckpointStore(tmp_path / "good", keep=2, writer=writer)  # the writer goes on
    good.save({"epoch": np.array(3), "w": np.ones(3, np.float32)}, 3, None)
    good.flush()
    assert not writer._errors.poll()  # every failure's message was taken with it: none stale
    writer.close()
    assert good.epochs() == [3] and writer.pending == 0


def test_a_model_checkpointed_through_the_writer_comes_back_as_its_state_dict(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((120, 5)).astype(np.float32), rng.integers(0, 3, 120)
    model = MLP(dict(layers=2, hidden_units=6, batch_size=32, patience=50), seed=1).build(5, 3)
    writer = CheckpointWriter()
    store = CheckpointStore(tmp_path, keep=3, writer=writer)
    for _ in range(3):
        model.train_epoch(X, y, (X[:30], y[:30]))
        block, recipe = model.checkpoint_parts(trial=7)
        store.save_parts(block, state_from_parts, recipe, model.epoch, None)
    writer.close()
    expected = {**model.state_dict(), "trial": np.array(7)}
    back = store.load(3)
    assert back.keys() == expected.keys() and "best.flat" in back and "buffer.mean1" in back
    for key, value in expected.items():
        assert back[key].dtype == value.dtype and back[key].shape == value.shape, key
        np.testing.assert_array_equal(back[key], value)
    resumed = MLP(dict(layers=2, hidden_units=6, batch_size=32, patience=50), seed=1).build(5, 3).load_state_dict(back)
    assert resumed.train_epoch(X, y)["train_cost"] == model.train_epoch(X, y)["train_cost"]


def test_a_nudge_while_running_changes_the_learning_rate_from_the_next_epoch(tmp_path):
    (tmp_path / "p.yaml").write_text(textwrap.dedent(PANDA).replace("lr_decay: inverse_time", "lr_decay: none"))
    proc = start(["run", "p.yaml"], tmp_path)
    run = tmp_path / "runs" / "babysat"
    most = 0
    wait_for_epochs(run, 5, proc)
    assert "next epoch boundary" in request_nudge(run, lr_factor=0.25)
    while proc.poll() is None:
        for folder in (run / "checkpoints").glob("trial-*"):
            most = max(most, len(CheckpointStore(folder).epochs()))
        time.sleep(0.01)
    assert proc.returncode == 0, (tmp_path / "err.log").read_text()
    (log,) = rows(run / "interventions.csv")
    trial, at = int(log["trial"]), int(log["epoch"])
    assert log["change"].startswith("learning_rate ") and at >= 5
    lrs = [float(r["learning_rate"]) for r in rows(run / "curves.csv") if int(r["trial"]) == trial]
    assert set(lrs[:at]) == {lrs[0]} and lrs[at:] == pytest.approx([lrs[0] * 0.25] * (len(lrs) - at))
    assert 1 <= most <= 4  # keep_checkpoints 3, plus the best epoch's
    assert not list((run / "nudges").glob("*.json"))


def test_rollback_resumes_from_the_chosen_epoch_with_new_values(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent(PANDA).replace("epochs: 40", "epochs: 12"))
    run_search(load_config(path), runs_dir=tmp_path)
    run = tmp_path / "babysat"
    before = rows(run / "curves.csv")
    epoch = CheckpointStore(run / "checkpoints" / "trial-1").epochs()[-2]
    request_rollback(run, 1, epoch, {"learning_rate": 1e-4, "keep_prob": 1.0})
    resume_search(run)
    curves = [r for r in rows(run / "curves.csv") if r["trial"] == "1"]
    abandoned = [r for r in curves if r["abandoned"] == "1"]
    kept = [r for r in curves if r["abandoned"] == "0"]
    assert [int(r["epoch"]) for r in abandoned] == list(range(epoch + 1, 13))
    assert [int(r["epoch"]) for r in kept] == list(range(1, 13))
    assert kept[:epoch] == [r for r in before if r["trial"] == "1"][:epoch]
    assert [float(r["learning_rate"]) for r in kept[epoch:]] == pytest.approx(
        [1e-4 / (1 + 0.05 * e) for e in range(epoch, 12)])
    assert [r["trial"] for r in rows(run / "trials.csv")] == ["0", "1", "2", "3"]
    (log,) = rows(run / "interventions.csv")
    assert log["change"].startswith(f"rollback to epoch {epoch}") and not (run / "rollback.json").exists()


@pytest.mark.parametrize("args,fragment", [
    (["nudge", "RUN", "--lr-factor", "-1"], "--lr-factor -1.0 is not a positive number"),
    (["nudge", "RUN", "--set", "hidden_units=9"], "hidden_units cannot change mid-training"),
    (["nudge", "RUN", "--set", "batch_norm=false"], "batch_norm cannot change mid-training"),
    (["nudge", "RUN"], "give either --lr-factor or --set"),
    (["nudge", "RUN", "--set", "keep_prob=2"], "keep_prob: 2 is out of range"),
    (["nudge", "RUN", "--set", "keep_prob=["], "keep_prob: expected a number, got '['"),
    (["nudge", "RUN", "--set", "keep_prob"], "'keep_prob' has no '='"),
    (["rollback", "RUN", "--trial", "9", "--epoch", "1"], "trial 9 has no checkpoints"),
    (["rollback", "RUN", "--trial", "0", "--epoch", "1"], "trial 0 has no checkpoint of epoch 1; epochs kept:"),
    (["rollback", "RUN", "--trial", "0", "--epoch", "12", "--set", "layers=4"], "layers cannot change"),
    (["nudge", "CAVIAR", "--lr-factor", "2"], "is a caviar run"),
])
def test_bad_nudges_and_rollbacks_change_nothing(cli, tmp_path, args, fragment):
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent(PANDA).replace("epochs: 40", "epochs: 12").replace("trials: 2", "trials: 1")
                    .replace("rounds: 2", "rounds: 1"))
    run_search(load_config(path), runs_dir=tmp_path)
    caviar = tmp_path / "caviar.yaml"
    caviar.write_text("data: {dataset: moons, n_samples: 100}\nparams: {epochs: 1}\nsearch: {trials: 1, rounds: 1}\n")
    run_search(load_config(caviar), runs_dir=tmp_path)
    args = [a.replace("CAVIAR", str(tmp_path / "caviar")).replace("RUN", str(tmp_path / "babysat")) for a in args]
    result = cli(*args)
    assert result.exit_code == 2 and fragment in result.output and "Traceback" not in result.output
    assert not (tmp_path / "babysat" / "rollback.json").exists()
    assert not list((tmp_path / "babysat").glob("nudges/*.json"))
