"""Shared fixtures: the CLI in this process (CliRunner) or as a real process, config files,
tables read back, and processes started, waited for and killed."""

import contextlib
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
from click.testing import CliRunner

from hpsearch.cli import main
from hpsearch.config import load_config
from hpsearch.runs import run_search

# a small population-based search (tests/test_pbt.py, test_pbt_panda.py)
PBT = """
name: pbt
seed: 3
data: {dataset: digits}
params: {layers: 1, hidden_units: 16, epochs: 12, batch_size: 64}
search: {method: pbt, population: 6, interval: 3, jobs: 2}
space:
  learning_rate: {low: 1.0e-4, high: 1.0, scale: log}
  keep_prob: {low: 0.5, high: 1.0}
  beta1: {low: 0.5, high: 0.999, scale: one_minus_log}
"""
NO_TIME = ("seconds", "time")


@pytest.fixture
def cli():
    """invoke('validate', path, ...) -> click Result, through CliRunner (stderr kept apart)."""
    runner = CliRunner()

    def invoke(*args, env=None):
        return runner.invoke(
            main,
            [str(a) for a in args],
            catch_exceptions=False,
            env={"COLUMNS": "80", **(env or {})},
            prog_name="hpsearch",
        )

    return invoke


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the browser tests this process runs (each start costs more
    than a second of CPU); each test opens its own pages, closed after it."""
    from tests.views import chromium

    with chromium() as context:
        yield context


@pytest.fixture
def terminal(monkeypatch):
    """The CLI as if its output were a terminal: prose wrapped to COLUMNS (off a terminal every
    message is one line)."""
    from hpsearch.cli import output

    monkeypatch.setattr(output, "terminal", lambda err=False: True)


@pytest.fixture
def write(tmp_path):
    """write('name.yaml', text) -> the path of a dedented file in tmp_path."""

    def _write(name, text):
        path = Path(tmp_path) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    return _write


def rows(path, drop=("seconds",)):
    """A CSV file as dicts of strings, without the columns in `drop`; [] when it does not exist."""
    if not Path(path).exists():
        return []
    with open(path, newline="") as f:
        return [{k: v for k, v in r.items() if k not in drop} for r in csv.DictReader(f)]


def hpsearch(*args, cwd, **kwargs):
    """The CLI as a separate process, run to its end."""
    return subprocess.run(
        [sys.executable, "-m", "hpsearch", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
        **kwargs,
    )


def as_a_terminal_starts_it():
    """For preexec_fn: Ctrl-C (and SIGQUIT) at their defaults, as a terminal starts a command.
    A child inherits the signals its parent ignores, and a Python that starts with SIGINT
    ignored leaves it so: a test process caught with them ignored (seen under pytest-xdist, on
    a loaded machine) started a dashboard that Ctrl-C never stopped, left running."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def start(args, cwd):
    """The CLI in its own process group, as a terminal starts it; output to files (a full pipe
    would block it)."""
    cwd = Path(cwd)
    with open(cwd / "out.log", "w") as out, open(cwd / "err.log", "w") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "hpsearch", *map(str, args)],
            cwd=cwd,
            stdout=out,
            stderr=err,
            start_new_session=True,
            preexec_fn=as_a_terminal_starts_it,
            env={**os.environ, "COLUMNS": "80"},
        )


def wait_until(condition, proc=None, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc is None or proc.poll() is None, "the process ended too early"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def kill_group(proc, sig=signal.SIGKILL):
    """Send `sig` to the whole process group (SIGKILL: a power cut; SIGINT: Ctrl-C)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    if sig == signal.SIGKILL:
        proc.wait()


def pids_in_group(pgid) -> list[int]:
    """The processes still alive in a process group (zombies not counted)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive.append(int(entry.name))
    return alive


@pytest.fixture(scope="session")
def pbt_reference(tmp_path_factory):
    """PBT run to its end in this process, one trial at a time (caviar): the tables any other
    way of running it (two workers, panda, interrupted and resumed) must give."""
    folder = tmp_path_factory.mktemp("reference")
    (folder / "pbt.yaml").write_text(PBT)
    run_search(load_config(folder / "pbt.yaml", ["search.jobs=1"]), runs_dir=folder / "runs")
    return folder / "runs" / "pbt"


def same_tables(run, reference):
    """The run's tables and best trial are the reference's (times aside)."""
    for table in ("trials.csv", "curves.csv", "interventions.csv"):
        assert rows(run / table, NO_TIME) == rows(reference / table, NO_TIME), table
    strip = lambda best: {k: v for k, v in best.items() if k != "seconds"}  # noqa: E731
    best = [json.loads((r / "best.json").read_text()) for r in (run, reference)]
    assert strip(best[0]) == strip(best[1])


def generation_saved(run) -> int:
    """The epoch of the last generation a pbt run saved (0: none yet)."""
    path = Path(run) / "pbt.json"
    try:
        return json.loads(path.read_text())["epoch"] if path.exists() else 0
    except ValueError:
        return 0
