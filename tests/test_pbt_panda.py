"""PBT in panda mode, through real processes: the population trained one trial at a time in
the foreground, generation by generation, gives the caviar run's tables bit for bit; so does
a run stopped mid-generation (Ctrl-C, SIGTERM, kill -9) and resumed; a nudge without --trial
goes to the trial training now, at the generation's end; a rollback is refused."""

import json
import re
import signal

import pytest

from hpsearch.modes.panda import Listener
from hpsearch.runs import resume_search
from hpsearch.store import CheckpointStore
from tests.conftest import (
    PBT,
    generation_saved,
    hpsearch,
    kill_group,
    pids_in_group,
    rows,
    same_tables,
    start,
    wait_until,
)

PANDA = ["--mode", "panda", "--set", "search.checkpoint_every=0"]  # a checkpoint every epoch
TRIALS, INTERVAL, EPOCHS = 6, 3, 12


def _checkpoints(run, trial) -> list[int]:
    """The epochs of a trial's checkpoints within the generation being trained."""
    return CheckpointStore(run / "checkpoints" / "training" / f"trial-{trial}").epochs()


def _training(run) -> bool:
    return any(_checkpoints(run, t) for t in range(TRIALS))


def _started(run) -> int:
    """The last trial that started in the generation being trained (trials go in order)."""
    return max(
        t for t in range(TRIALS) if (run / "checkpoints" / "training" / f"trial-{t}").is_dir()
    )


class Notes(Listener):
    def __init__(self):
        self.said = []

    def note(self, text):
        self.said.append(text)


def test_validate_takes_a_pbt_search_in_panda_mode(tmp_path, cli):
    (tmp_path / "pbt.yaml").write_text(PBT.replace("jobs: 2", "mode: panda"))
    done = cli("validate", tmp_path / "pbt.yaml")
    assert done.exit_code == 0, done.output  # it was refused: pbt trained only in caviar mode
    assert "fixed; a population of 6, 4 generations to epoch 12; digits:" in done.stderr


def test_panda_trains_one_trial_at_a_time_to_the_tables_of_caviar(tmp_path, pbt_reference, cli):
    (tmp_path / "pbt.yaml").write_text(PBT)
    done = hpsearch("run", "pbt.yaml", "--mode", "panda", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run = tmp_path / "runs" / "pbt"
    same_tables(run, pbt_reference)
    # off a terminal, a line per epoch: each trial's part of a generation in turn
    trained = re.findall(r"^trial (\d+): epoch +(\d+)/12 ", done.stderr, flags=re.M)
    assert [(int(t), int(e)) for t, e in trained] == [
        (trial, start + epoch)
        for start in range(0, EPOCHS, INTERVAL)
        for trial in range(TRIALS)
        for epoch in range(1, INTERVAL + 1)
    ]
    assert not (run / "checkpoints" / "training").exists()  # removed with its generation
    again = cli("resume", run)
    assert again.exit_code == 0 and "a pbt run trains its population once" in again.stderr
    same_tables(run, pbt_reference)


@pytest.mark.parametrize(
    "sig,saved,code,every",
    [(signal.SIGKILL, 0, -9, "0"), (signal.SIGINT, 3, 130, "1h"), (signal.SIGTERM, 6, 143, "1h")],
    ids=["kill-9 in the first generation", "ctrl-c", "sigterm"],
)
def test_stopped_mid_generation_then_resumed_gives_the_same_tables(
    tmp_path, pbt_reference, sig, saved, code, every
):
    """Checkpoints every epoch, or (1h) only at the generation's end and on Ctrl-C, which
    writes those of the trials through the generation too: SIGTERM and kill -9 stop at once,
    and resume trains again what no checkpoint kept."""
    (tmp_path / "pbt.yaml").write_text(PBT)
    proc = start(
        ["run", "pbt.yaml", "--mode", "panda", "--set", f"search.checkpoint_every={every}"],
        tmp_path,
    )
    run = tmp_path / "runs" / "pbt"
    wait_until(lambda: generation_saved(run) >= saved and (every != "0" or _training(run)), proc)
    kill_group(proc, sig)
    assert proc.wait(timeout=30) == code
    assert len(rows(run / "trials.csv")) < TRIALS, "the run finished before it was stopped"
    err = (tmp_path / "err.log").read_text()
    if sig == signal.SIGINT:  # stopped after the epoch, with a checkpoint
        assert "Traceback" not in err and "Warning" not in err
        assert re.fullmatch(
            r"interrupted: generations to epoch \d+ of 12 saved, and checkpoints of the next; "
            r"continue with: hpsearch resume runs/pbt",
            err.strip().splitlines()[-1],
        ), err
        end, last = generation_saved(run) + INTERVAL, _started(run)
        assert all(_checkpoints(run, t) == [end] for t in range(last))  # through: kept
        assert _checkpoints(run, last)[-1] > end - INTERVAL  # where Ctrl-C stopped it
        assert not pids_in_group(proc.pid)
        done = hpsearch("resume", run, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    else:
        resume_search(run)
    same_tables(run, pbt_reference)


def test_a_nudge_goes_to_the_trial_training_now_and_a_rollback_is_refused(tmp_path, cli):
    (tmp_path / "pbt.yaml").write_text(PBT)
    proc = start(["run", "pbt.yaml", *PANDA], tmp_path)
    run = tmp_path / "runs" / "pbt"
    wait_until(lambda: generation_saved(run) >= INTERVAL and _training(run), proc)
    kill_group(proc, signal.SIGINT)
    assert proc.wait(timeout=30) == 130
    end = generation_saved(run) + INTERVAL  # the generation running ends there
    now = _started(run)  # the trial Ctrl-C stopped: or, were it through, the one after it
    said = "training when it stopped"
    if end in _checkpoints(run, now):
        now, said = (now + 1, "the next to train") if now + 1 < TRIALS else (now, "the last")

    refused = cli("rollback", run, "--trial", now, "--epoch", 2)
    assert refused.exit_code == 2 and len(refused.stderr.splitlines()) == 1
    assert refused.stderr.startswith(f"error: search.method: run '{run}' is a pbt run")
    assert not (run / "rollback.json").exists()
    nudged = cli("nudge", run, "--set", "keep_prob=0.9")
    assert nudged.exit_code == 0, nudged.output
    assert f"trial {now} ({said}" in nudged.stdout and "at the end of the gen" in nudged.stdout

    notes = Notes()
    resume_search(run, listener=notes)
    nudges = [r for r in rows(run / "interventions.csv") if r["kind"] == "nudge"]
    assert [(int(r["trial"]), int(r["epoch"])) for r in nudges] == [(now, end)]
    assert json.loads(nudges[0]["values"]) == {"keep_prob": 0.9}
    assert f"trial {now}, after epoch {end}: keep_prob " in "\n".join(notes.said)
    curve = [r for r in rows(run / "curves.csv") if int(r["trial"]) == now]
    assert float(curve[end]["keep_prob"]) == 0.9  # the epoch after the generation's end
    replayed = cli("replay", run, "--trial", now)
    assert replayed.exit_code == 0 and "reproduced bit for bit" in replayed.stdout
