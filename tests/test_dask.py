"""The Dask backend against a real scheduler and two worker processes on 127.0.0.1."""

import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

pytest.importorskip("dask.distributed")

from hpsearch.config import load_config  # noqa: E402
from hpsearch.runs import resume_search, run_search  # noqa: E402

CONFIG = """
name: grid
seed: 2
data: {dataset: moons, n_samples: 300}
params: {layers: 1, epochs: 4}
search: {trials: 6, rounds: 3, keep: 0.5,
         prune: {method: halving, min_epochs: 1, reduction: 2, min_trials: 3}}
space:
  learning_rate: {low: 1e-3, high: 1e-1, scale: log}
  hidden_units: {low: 4, high: 16}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A scheduler and two single-threaded worker processes, stopped after the tests."""
    from dask.distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{_free_port()}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    procs = [
        subprocess.Popen(
            [
                *dask,
                "--host",
                "127.0.0.1",
                "--port",
                address.rsplit(":", 1)[1],
                "--dashboard-address",
                ":0",
            ],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    ]
    time.sleep(1.0)
    procs.append(
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_worker",
                address,
                "--nworkers",
                "2",
                "--nthreads",
                "1",
                "--dashboard-address",
                ":0",
                "--local-directory",
                str(folder),
            ],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    )
    try:
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:  # each process leads its own group: stop the nanny and the worker it started
        for proc in reversed(procs):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _table(path):
    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]


def test_dask_gives_the_same_table_as_loky_with_pruning(write, tmp_path, scheduler):
    path = write("grid.yaml", CONFIG)
    run_search(
        load_config(path, ["name=loky", "search.jobs=1"]), runs_dir=tmp_path
    )  # in process: the same
    run_search(
        load_config(path, ["name=dask", "search.backend=dask", f"search.scheduler={scheduler}"]),
        runs_dir=tmp_path,
    )
    loky, dask = _table(tmp_path / "loky" / "trials.csv"), _table(tmp_path / "dask" / "trials.csv")
    assert len(dask) == 18 and {r["status"] for r in dask} == {"ok", "pruned"}
    assert dask == loky
    assert _table(tmp_path / "dask" / "curves.csv") == _table(tmp_path / "loky" / "curves.csv")


def test_resume_on_a_cluster(write, tmp_path, scheduler):
    path = write("grid.yaml", CONFIG)
    run_search(load_config(path, ["name=whole", "search.jobs=1"]), runs_dir=tmp_path)
    run_search(
        load_config(path, ["name=part", "search.jobs=1", "search.rounds=2"]), runs_dir=tmp_path
    )
    config = tmp_path / "part" / "config.yaml"
    resume_search(tmp_path / "part", scheduler=scheduler, rounds=3)
    assert _table(tmp_path / "part" / "trials.csv") == _table(tmp_path / "whole" / "trials.csv")
    assert "backend: loky" in config.read_text()  # where it ran is not part of the run
