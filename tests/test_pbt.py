"""Population-based training (`search.method: pbt`): the same tables in process and on two
workers, exact resume after kill -9 at several points, every exploit and explore logged, and
`replay` reproducing a trial's schedule bit for bit, through real processes."""

import json
import shutil

import pytest

from hpsearch.config import load_config
from hpsearch.runs import resume_search, run_search
from hpsearch.space import Float
from hpsearch.study.pbt import perturb
from tests.conftest import (
    PBT,
    generation_saved,
    hpsearch,
    kill_group,
    rows,
    same_tables,
    start,
    wait_until,
)


@pytest.fixture
def reference(pbt_reference):
    return pbt_reference


def test_the_population_exploits_and_explores_and_logs_each_change(reference):
    trials = rows(reference / "trials.csv")
    assert [int(r["trial"]) for r in trials] == list(range(6))
    assert {r["status"] for r in trials} == {"ok"} and {r["epochs"] for r in trials} == {"12"}
    log = rows(reference / "interventions.csv")
    # at each of 3 generation ends, the bottom quarter (1 of 6) copies the top quarter's
    assert [r["kind"] for r in log] == ["exploit", "explore"] * 3
    assert [int(r["epoch"]) for r in log[::2]] == [3, 6, 9]
    for exploit, explore in zip(log[::2], log[1::2]):
        assert exploit["trial"] == explore["trial"] != exploit["source"]
        assert exploit["change"].startswith(f"copies trial {exploit['source']}")
        assert json.loads(explore["values"]) and " -> " in explore["change"]
    curves = rows(reference / "curves.csv")
    assert len(curves) == 6 * 12 and {"keep_prob", "beta1"} <= set(curves[0])
    # each epoch's row holds the values in force: an explored trial's change shows at once
    first = log[1]
    changed = json.loads(first["values"])
    after = next(
        r
        for r in curves
        if r["trial"] == first["trial"] and int(r["epoch"]) == int(first["epoch"]) + 1
    )
    for name in ("keep_prob", "beta1"):
        if name in changed:
            assert float(after[name]) == changed[name]


def test_two_workers_give_the_same_tables_as_one_process(tmp_path, reference):
    (tmp_path / "pbt.yaml").write_text(PBT)
    done = hpsearch("run", "pbt.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    same_tables(tmp_path / "runs" / "pbt", reference)


def killed(folder, saved):
    """The folder of a run of PBT on two workers killed (kill -9) once it had saved generation
    `saved` (0: none yet, with curves written)."""
    (folder / "pbt.yaml").write_text(PBT)
    proc = start(["run", "pbt.yaml"], folder)
    run = folder / "runs" / "pbt"
    wait_until(lambda: (run / "curves.csv").exists() and generation_saved(run) >= saved, proc)
    kill_group(proc)
    assert len(rows(run / "trials.csv")) < 6, "the run finished before it was killed"
    return folder


@pytest.fixture(scope="module")
def killed_after_a_generation(tmp_path_factory):
    """Copied by each test that resumes it (after a nudge, or not)."""
    return killed(tmp_path_factory.mktemp("killed"), 3)


@pytest.mark.parametrize("saved", [0, 3])
def test_kill_9_then_resume_gives_the_uninterrupted_tables(
    tmp_path, reference, killed_after_a_generation, saved
):
    """Killed before any generation was saved, and after the second."""
    if saved:
        shutil.copytree(killed_after_a_generation, tmp_path, dirs_exist_ok=True)
    else:
        killed(tmp_path, saved)
    run = tmp_path / "runs" / "pbt"
    done = hpsearch("resume", run, "--jobs", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    same_tables(run, reference)


def test_a_last_generation_cut_short_runs_again_to_the_same_tables(tmp_path, reference):
    """Killed while the trials' rows were being written: the last generation runs again."""
    run = tmp_path / "pbt"
    shutil.copytree(reference, run)
    lines = (run / "trials.csv").read_text().splitlines(keepends=True)
    (run / "trials.csv").write_text("".join(lines[:3]) + lines[3][:20])
    curves = (run / "curves.csv").read_text().splitlines(keepends=True)
    (run / "curves.csv").write_text("".join(curves[:-2]))  # some of its epochs, not all
    (run / "best.json").unlink()
    resume_search(run, jobs=1)
    same_tables(run, reference)


def test_replay_trains_a_trials_lineage_as_one_model_bit_for_bit(reference, cli):
    log = rows(reference / "interventions.csv")
    copied = int(log[-2]["trial"])  # copied another trial's state at the last generation
    for trial in (copied, json.loads((reference / "best.json").read_text())["trial"]):
        done = cli("replay", reference, "--trial", trial)
        assert done.exit_code == 0, done.output
        assert f"trial {trial} reproduced bit for bit after 12 epochs" in done.stdout
        assert done.stdout.count(" same") == 4
        if trial == copied:
            assert "lineage: trial " in done.stdout
    shown = cli("results", reference, "--trial", copied).stdout
    assert "(exploit)  copies trial" in shown and "(explore)" in shown
    schedule = shown.split("its schedule (lineage")[1].splitlines()[1:]
    assert schedule[-1].split()[:3] == ["epochs", "10-12", "trial"], shown
    assert f"trial {copied} " in schedule[-1]
    refused = cli("replay", reference, "--trial", 6)
    assert refused.exit_code == 2 and refused.stderr.startswith("error: ")
    assert "has no trial 6" in refused.stderr and len(refused.stderr.splitlines()) == 1


def test_explore_moves_each_value_on_its_own_scale():
    lr = Float(1e-4, 1.0, "log")
    assert perturb(lr, 0.01, 1.2) == pytest.approx(0.012)
    beta = Float(0.5, 0.999, "one_minus_log")
    assert perturb(beta, 0.99, 1.2) == pytest.approx(1 - 0.01 * 1.2)  # 1 - beta multiplied
    assert perturb(beta, 0.998, 0.1) == 0.999  # kept within the space
    assert perturb(Float(0.5, 1.0), 0.9, 1.2) == 1.0


def test_a_nudge_to_a_trial_is_one_more_intervention_and_replays(
    tmp_path, cli, killed_after_a_generation
):
    """Stopped after a generation, nudged, resumed: the nudge applies from the next generation
    on, logged with its epoch, and replay reproduces the trial with it."""
    shutil.copytree(killed_after_a_generation, tmp_path, dirs_exist_ok=True)
    run = tmp_path / "runs" / "pbt"
    refused = cli("nudge", run, "--set", "keep_prob=0.9")
    assert refused.exit_code == 2 and "--trial: a pbt run has trials 0 to 5" in refused.stderr
    nudged = cli("nudge", run, "--trial", 2, "--set", "keep_prob=0.9")
    saved = generation_saved(run)
    assert nudged.exit_code == 0 and f"after epoch {saved + 3}" in nudged.stdout
    resume_search(run, jobs=1)
    nudges = [r for r in rows(run / "interventions.csv") if r["kind"] == "nudge"]
    assert [(r["trial"], int(r["epoch"])) for r in nudges] == [("2", saved + 3)]
    assert json.loads(nudges[0]["values"]) == {"keep_prob": 0.9}
    curve = [r for r in rows(run / "curves.csv") if r["trial"] == "2"]
    assert float(curve[saved + 3]["keep_prob"]) == 0.9  # the epoch after the nudge
    assert "(nudge)" in cli("results", run, "--trial", 2).stdout
    replayed = cli("replay", run, "--trial", 2)
    assert replayed.exit_code == 0 and "reproduced bit for bit" in replayed.stdout


def test_a_nudge_in_the_last_generation_is_refused_and_one_left_over_is_said(
    tmp_path, cli, reference
):
    """No generation's end is left to apply it at: refused in one line, nothing written; a
    nudge that came in as the last generation began is dropped at the end, and said."""
    run = tmp_path / "pbt"
    shutil.copytree(reference, run)
    table = (run / "trials.csv").read_text().splitlines()
    (run / "trials.csv").write_text(table[0] + "\n")  # stopped in its last generation
    assert json.loads((run / "pbt.json").read_text())["epoch"] == 9  # of 12, interval 3
    refused = cli("nudge", run, "--trial", 2, "--set", "keep_prob=0.9")
    assert refused.exit_code == 2 and len(refused.stderr.splitlines()) == 1
    assert "trains its last generation, to epoch 12" in refused.stderr
    assert not (run / "requests").exists()
    (run / "requests").mkdir()
    (run / "requests" / "1.json").write_text('{"trial": 2, "set": {"keep_prob": 0.9}}')
    resumed = cli("resume", run)
    assert resumed.exit_code == 0, resumed.output
    assert "a nudge for trial 2 came too late: no generation was left" in resumed.output
    assert list((run / "requests").iterdir()) == []
    same_tables(run, reference)


def test_replay_reproduces_a_trial_that_paused_at_halvings_last_rung(tmp_path, cli):
    (tmp_path / "halving.yaml").write_text(
        "name: h\nseed: 1\ndata: {dataset: moons, n_samples: 300}\n"
        "params: {layers: 1, hidden_units: 8, epochs: 9}\n"
        "search: {trials: 6, rounds: 1, jobs: 1, prune: {method: halving, min_trials: 2}}\n"
        "space: {learning_rate: {low: 1.0e-3, high: 1.0, scale: log}}\n"
    )
    run_search(load_config(tmp_path / "halving.yaml"), runs_dir=tmp_path / "runs")
    ok = [r for r in rows(tmp_path / "runs" / "h" / "trials.csv") if r["status"] == "ok"]
    assert ok  # trained past the rung of 3 epochs: paused there, then continued
    done = cli("replay", tmp_path / "runs" / "h", "--trial", ok[0]["trial"])
    assert done.exit_code == 0 and "reproduced bit for bit after 9 epochs" in done.stdout
    pruned = [r for r in rows(tmp_path / "runs" / "h" / "trials.csv") if r["status"] != "ok"]
    refused = cli("replay", tmp_path / "runs" / "h", "--trial", pruned[0]["trial"])
    assert refused.exit_code == 2 and "only a trial trained to its end" in refused.stderr
