"""A user's own objective: what is kept when it raises (its traceback, beside the tables and as
the `__cause__` of SearchFailed), `hpsearch train` running one trial of it in the foreground,
its metrics a column each, and short reprs of what a search returns."""

import pickle
import re
import sys
from pathlib import Path

import pytest

from hpsearch import Float, open_run, run_search, search
from hpsearch.config import load_config
from hpsearch.study import SearchFailed, Task, failure

from .conftest import hpsearch, rows

OBJECTIVE = """
def scale(config):
    return config["lr"] * 2  # line 3: the user's own mistake ('lr' is not a key)


def evaluate(config, trial):
    for epoch in (1, 2):
        trial.report(epoch, epoch * config["learning_rate"])
    if config.get("broken", True):
        scale(config)
    out = {"value": -abs(config["learning_rate"] - 0.01)}
    if trial.number % 2:
        out["width"] = 3.0  # a metric only some trials return
    return out
"""


def _config(write, broken=True, jobs=1):
    write("obj.py", OBJECTIVE)
    return write(
        "obj.yaml",
        f"""
        name: obj
        objective: obj:evaluate
        params: {{broken: {str(broken).lower()}}}
        search: {{trials: 4, rounds: 2, jobs: {jobs}}}
        space:
          learning_rate: {{low: 1.0e-4, high: 1.0, scale: log}}
        """,
    )


def test_a_failed_trial_keeps_its_traceback_and_results_shows_it(write, tmp_path, cli):
    result = cli("run", _config(write, jobs=2), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 1
    run = tmp_path / "runs" / "obj"
    text = (run / "errors" / "trial-2.txt").read_text()
    assert text.startswith("Traceback (most recent call last):")
    assert 'obj.py", line 10, in evaluate' in text and 'obj.py", line 3, in scale' in text
    assert text.rstrip().endswith("KeyError: 'lr'") and "hpsearch" not in text  # ours left out
    shown = cli("results", run, "--trial", 2)
    assert shown.exit_code == 0 and "trial 2 (round 1), failed" in shown.output
    assert text.rstrip() in shown.output and "error          KeyError: 'lr'" in shown.output
    missing = cli("results", run, "--trial", 9)
    assert missing.exit_code == 2 and "no trial 9" in missing.stderr
    again = cli("resume", run)  # says it as the run did: where it raised, and the command
    assert again.exit_code == 1
    said = [line for line in result.stderr.splitlines() if line.startswith(("error", "its"))]
    assert len(said) == 2 and said == again.stderr.splitlines()[-3:-1]
    assert "(obj.py, line 3, in scale)" in again.stderr


def test_a_search_with_failed_trials_says_where_their_traceback_is(write, tmp_path, cli):
    write("some.py", "def evaluate(config, trial):\n    if trial.number % 2:\n"
          "        raise ValueError('odd trial')\n    return config['x']\n")  # fmt: skip
    config = write(
        "some.yaml",
        "objective: some:evaluate\nsearch: {trials: 4, rounds: 1, jobs: 1}\n"
        "space: {x: {low: 0, high: 1}}\n",
    )
    result = cli("run", config, "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 0, result.output
    run = tmp_path / "runs" / "some"
    said = "failed: trial 1 (and 1 more), ValueError: odd trial; its traceback: "
    assert f"{said}hpsearch results {run} --trial 1\n" in result.output
    shown = cli("results", run, "--trial", 1)
    assert "raise ValueError('odd trial')" in shown.output


def test_a_resumed_runs_errors_name_the_file_it_was_started_from(write, tmp_path, cli):
    """Not the folder's config.yaml, a file that does not exist."""
    config = _config(write, broken=False)
    assert cli("run", config, "--runs-dir", tmp_path / "runs").exit_code == 0
    (tmp_path / "obj.py").unlink()
    resumed = hpsearch("resume", tmp_path / "runs" / "obj", "--rounds", 3, cwd=tmp_path)
    assert resumed.returncode == 2  # in a process of its own: this one has imported obj
    assert resumed.stderr.startswith(f"error: {config.resolve()}: objective: cannot import 'obj'")


def test_search_failed_says_where_and_has_the_first_exception_as_its_cause(write, tmp_path):
    def evaluate(config):
        return config["lr"]

    with pytest.raises(SearchFailed) as raised:
        search({"learning_rate": Float(1e-4, 1.0, "log")}, evaluate, trials=3, rounds=2)
    error = raised.value
    assert isinstance(error.__cause__, KeyError) and error.__cause__.args == ("lr",)
    line = evaluate.__code__.co_firstlineno + 1
    assert str(error) == (
        "all 3 trials of round 1 failed, so the search stopped; each with KeyError: 'lr' "
        f"(test_objective_errors.py, line {line}, in evaluate)"
    )
    assert error.trial == 0 and 'return config["lr"]' in error.traceback


def test_a_record_travels_to_another_process_without_its_exception():
    class Odd(Exception):  # cannot be unpickled: its __init__ takes two arguments
        def __init__(self, a, b):
            super().__init__(f"{a}{b}")

    try:
        raise Odd(1, 2)
    except Odd as e:
        record = failure(Task(0, 1, {}, 0), e)
    copy = pickle.loads(pickle.dumps(record))
    assert record.exception is not None and copy.exception is None
    assert copy.traceback == record.traceback and "raise Odd(1, 2)" in copy.traceback


def test_train_runs_one_trial_of_a_custom_objective_with_its_traceback(
    write, tmp_path, cli, monkeypatch, capsys
):
    good = cli("train", _config(write, broken=False))
    assert good.exit_code == 0
    assert "epoch 1: 0.01\nepoch 2: 0.02\n" in good.stdout
    assert "\nvalue -0 (value, maximized" in good.stdout
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # train sets its own: put back after
    with pytest.raises(KeyError) as raised:  # not caught: the whole traceback, for pdb too
        cli("train", _config(write))
    assert raised.traceback[-1].frame.code.name == "scale"
    sys.excepthook(raised.type, raised.value, raised.tb)  # what Python shows as the process ends
    shown = capsys.readouterr().err
    files = re.findall(r'^  File "(.+)", line \d+, in (\w+)$', shown, flags=re.M)
    assert shown.startswith("Traceback") and shown.rstrip().endswith("KeyError: 'lr'")
    assert [(Path(f).name, name) for f, name in files] == [
        ("obj.py", "evaluate"),
        ("obj.py", "scale"),
    ]  # the user's frames only: not click's, nor hpsearch's
    debugged = hpsearch(
        "train", "obj.yaml", "--pdb", cwd=tmp_path, input='p config["learning_rate"]\nq\n'
    )
    assert "obj.py(3)scale()\n-> return config[" in debugged.stdout
    assert "(Pdb) 0.01" in debugged.stdout
    assert debugged.returncode == 1 and not (tmp_path / "runs").exists()


def test_an_objective_calling_sys_exit_fails_its_trial_not_the_search(write, tmp_path, cli):
    """sys.exit in the user's code (argparse does it) ended the search with its exit code and
    not a word, and `train` too; now the trial fails, with its traceback."""
    write(
        "quits.py",
        """
        import sys


        def evaluate(config, trial):
            if trial.number == 0:
                sys.exit(3)  # line 7
            return config["learning_rate"]
        """,
    )
    config = write(
        "quits.yaml",
        """
        name: quits
        objective: quits:evaluate
        search: {trials: 3, rounds: 1, jobs: 1}
        space:
          learning_rate: {low: 1.0e-4, high: 1.0, scale: log}
        """,
    )
    result = cli("run", config, "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 0 and "3 trials (2 ok, 1 failed)" in result.stdout
    shown = cli("results", tmp_path / "runs" / "quits", "--trial", 0)
    assert "error          SystemExit: 3" in shown.output and "line 7, in evaluate" in shown.output
    trained = cli("train", config)
    assert trained.exit_code == 1 and trained.stderr.rstrip().endswith("SystemExit: 3")
    assert 'quits.py", line 7, in evaluate' in trained.stderr


def test_python_m_pdb_stops_where_the_objective_raised(write, tmp_path):
    import subprocess  # noqa: PLC0415

    _config(write)
    debugged = subprocess.run(
        [sys.executable, "-m", "pdb", "-m", "hpsearch", "train", "obj.yaml"],
        cwd=tmp_path,
        input='c\np config["learning_rate"]\nq\nq\n',
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Uncaught exception. Entering post mortem debugging" in debugged.stdout
    assert "obj.py(3)scale()\n-> return config[" in debugged.stdout
    assert "(Pdb) 0.01" in debugged.stdout


def test_each_metric_of_a_custom_objective_gets_a_column(write, tmp_path):
    outcome = run_search(load_config(_config(write, broken=False)), runs_dir=tmp_path)
    table = rows(tmp_path / "obj" / "trials.csv")
    header = ["trial", "round", "status", "learning_rate", "value", "width", "epochs"]
    assert list(table[0]) == [*header, "seed", "error"]  # width: added when trial 1 brought it
    assert [r["width"] for r in table] == ["", "3.0"] * 4
    run = open_run(tmp_path / "obj")
    assert run.trials["width"].notna().sum() == 4
    assert repr(run).startswith(f"<Run {tmp_path / 'obj'}: 8 trials (8 ok)")
    assert len(repr(outcome)) < 300 and repr(outcome).startswith(f"<Outcome {tmp_path}")
    assert "8 trials (8 ok), value maximized; best" in repr(outcome)


def test_a_study_says_in_a_line_what_it_holds():
    study = search({"lr": Float(1e-4, 1.0, "log")}, lambda c: -abs(c["lr"] - 0.01), budget=20)
    best = study.best_trial
    assert repr(study) == (
        f"<Study 20 trials (20 ok), value maximized; best {best.value:.4g} "
        f"(trial {best.trial}, lr={best.params['lr']:.4g}); 7 rounds>"
    )
    assert "curve" not in repr(best)
