"""The Dask backend against a real scheduler and two worker processes on 127.0.0.1."""

import contextlib
import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("dask.distributed")

import cloudpickle  # noqa: E402

from hpsearch.config import load_config  # noqa: E402
from hpsearch.runs import resume_search, run_search  # noqa: E402

# The workers run this module's functions (client.run) but cannot import it: they run in
# another folder, where no `tests` package is on the path. Dask sends them by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

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


def _cluster(folder):
    """(address, processes): a scheduler and two single-threaded worker processes, each
    process leading its own group."""
    from dask.distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    quiet = {"cwd": folder, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1"]
            + ["--port", address.rsplit(":", 1)[1], "--dashboard-address", ":0"],
            start_new_session=True,
            **quiet,
        )
    ]
    procs.append(  # (the workers wait for the scheduler to listen, and retry until it does)
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "2"]
            + ["--nthreads", "1", "--dashboard-address", ":0", "--local-directory", str(folder)],
            start_new_session=True,
            **quiet,
        )
    )
    try:
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
    except BaseException:
        _stop(procs)
        raise
    return address, procs


def _stop(procs):
    """Stop each process group (the nanny and the worker it started too)."""
    for proc in reversed(procs):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A scheduler and two worker processes, stopped after the tests."""
    folder = tmp_path_factory.mktemp("dask")
    address, procs = _cluster(folder)
    try:
        yield address
    finally:
        _stop(procs)
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


def test_a_scheduler_that_goes_away_stops_the_search_in_one_line(tmp_path, scheduler):
    """Not a traceback, nor the running trials recorded as failed: the search stops (exit 1)
    and says how to go on; resume completes it once a scheduler is back."""
    from tests.conftest import hpsearch, rows, start, wait_until

    address, procs = _cluster(tmp_path)
    try:
        (tmp_path / "slow.py").write_text(  # slow while the file `slow` is there
            "import os, time\ndef evaluate(config):\n"
            f"    time.sleep(1 if os.path.exists({str(tmp_path / 'slow')!r}) else 0)\n"
            "    return config['x']\n"
        )
        (tmp_path / "slow").touch()
        (tmp_path / "d.yaml").write_text(
            "objective: slow:evaluate\nsearch: {trials: 6, rounds: 2, backend: dask, "
            f'scheduler: "{address}"}}\nspace: {{x: {{low: 0, high: 1}}}}\n'
        )
        proc = start(["run", "d.yaml"], tmp_path)
        wait_until(lambda: len(rows(tmp_path / "runs" / "d" / "trials.csv")) >= 2, proc)
        os.killpg(procs[0].pid, signal.SIGKILL)  # the scheduler
        assert proc.wait(timeout=120) == 1
    finally:
        _stop(procs)
    err = (tmp_path / "err.log").read_text()
    assert "Traceback" not in err
    assert err.splitlines()[-1] == (
        f"error: lost the Dask scheduler at {address}; start it again, then continue with: "
        "hpsearch resume runs/d"
    )
    recorded = _table(tmp_path / "runs" / "d" / "trials.csv")
    assert recorded and all(r["status"] == "ok" for r in recorded)
    (tmp_path / "slow").unlink()  # the 10 trials left: no need to wait a second each
    done = hpsearch("resume", "runs/d", "--scheduler", scheduler, cwd=tmp_path)  # another
    assert done.returncode == 0, done.stderr
    assert len(_table(tmp_path / "runs" / "d" / "trials.csv")) == 12


@pytest.mark.parametrize("where", ["this machine", "another machine"])
def test_workers_need_no_data_file_they_map_the_clients_block_or_get_it_scattered(
    write, tmp_path, scheduler, monkeypatch, where
):
    """The workers run in another folder; the file goes once the client has loaded it. On
    this machine they map the client's shared block (the machine holds the data once); a
    worker that cannot see it (as on another machine: here the block's handle names a folder
    no worker has) gets the data scattered. Either way the table is the one of a search in
    one process, the block is removed at the end, and no worker keeps the search's data."""
    import dataclasses

    import numpy as np
    from dask.distributed import Client

    import hpsearch.runs
    from hpsearch.data.shared import SharedData, SharedMemory
    from hpsearch.modes.cluster import DaskPool

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    np.savez(tmp_path / "table.npz", X=rng.standard_normal((300, 3)) + y[:, None], y=y)
    table = CONFIG.replace("{dataset: moons, n_samples: 300}", "{path: table.npz}")
    path = write("table.yaml", table)
    run_search(load_config(path, ["name=here", "search.jobs=1"]), runs_dir=tmp_path)
    prepare, handle, data_of = hpsearch.runs.prepare, SharedMemory.handle, DaskPool._data
    blocks, given = [], []

    def prepare_then_delete(config, **kwargs):
        out = prepare(config, **kwargs)
        (tmp_path / "table.npz").unlink()
        return out

    def handle_elsewhere(memory, data):
        shared = handle(memory, data)
        blocks.append(Path(shared.folder))
        if where == "another machine":
            shared = dataclasses.replace(shared, folder=str(tmp_path / "not-here"))
        return shared

    monkeypatch.setattr(hpsearch.runs, "prepare", prepare_then_delete)
    monkeypatch.setattr(SharedMemory, "handle", handle_elsewhere)
    monkeypatch.setattr(DaskPool, "_data", lambda pool: given.append(data_of(pool)) or given[-1])
    run_search(
        load_config(path, ["name=there", "search.backend=dask", f"search.scheduler={scheduler}"]),
        runs_dir=tmp_path,
    )
    here = _table(tmp_path / "here" / "trials.csv")
    there = _table(tmp_path / "there" / "trials.csv")
    assert len(there) == 18 and {r["status"] for r in there} == {"ok", "pruned"}
    assert there == here
    mapped = [isinstance(d, SharedData) for d in given]
    assert mapped == [where == "this machine"] * len(given) and len(given) >= 3
    assert len(blocks) == 1 and not blocks[0].exists()
    with Client(scheduler, timeout="30s") as client:
        cached = client.run(_cached)
    assert list(cached.values()) == [0, 0]


PBT = """
name: pop
seed: 5
data: {dataset: moons, n_samples: 300}
params: {layers: 1, hidden_units: 8, epochs: 6}
search: {method: pbt, population: 4, interval: 2}
space:
  learning_rate: {low: 1e-3, high: 1.0, scale: log}
  keep_prob: {low: 0.6, high: 1.0}
"""


def test_pbt_on_a_cluster_gives_the_same_tables_as_in_process(write, tmp_path, scheduler):
    path = write("pop.yaml", PBT)
    run_search(load_config(path, ["name=here", "search.jobs=1"]), runs_dir=tmp_path)
    run_search(
        load_config(path, ["name=there", "search.backend=dask", f"search.scheduler={scheduler}"]),
        runs_dir=tmp_path,
    )
    for table in ("trials.csv", "curves.csv"):
        assert _table(tmp_path / "there" / table) == _table(tmp_path / "here" / table)
    log = [
        {k: v for k, v in r.items() if k != "time"}
        for r in _table(tmp_path / "here" / "interventions.csv")
    ]
    assert log and log == [
        {k: v for k, v in r.items() if k != "time"}
        for r in _table(tmp_path / "there" / "interventions.csv")
    ]


def test_sigterm_removes_the_block_the_workers_map_and_they_drop_it(tmp_path, scheduler):
    """The block's life is the search's on a cluster too: SIGTERM mid-search (exit 143)
    removes its folder, and the workers let go of the search's data: at once when idle, a
    trial still running (Dask cannot stop a thread) when it ends. (About 5 s: a search in a
    process of its own, stopped while its trials train on the cluster.)"""
    import numpy as np
    from dask.distributed import Client

    from hpsearch.data.shared import PREFIX, SHM
    from tests.conftest import start, wait_until

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3000)
    np.savez(tmp_path / "table.npz", X=rng.standard_normal((3000, 3)) + y[:, None], y=y)
    config = CONFIG.replace("{dataset: moons, n_samples: 300}", "{path: table.npz}")
    (tmp_path / "t.yaml").write_text(config.replace("epochs: 4", "epochs: 20"))
    proc = start(["run", "t.yaml", "--scheduler", scheduler], tmp_path)
    parents = {SHM, Path(tempfile.gettempdir())}
    blocks = lambda: [b for p in parents for b in p.glob(f"{PREFIX}{proc.pid}-*")]  # noqa: E731
    wait_until(lambda: any((b / "y.npy").exists() for b in blocks()), proc)  # handed over
    with Client(scheduler, timeout="30s") as client:
        wait_until(lambda: any(client.run(_cached).values()), proc)  # a worker mapped it
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 143
        assert blocks() == []
        wait_until(lambda: not any(client.run(_cached).values()), timeout=60)


def _cached() -> int:
    """On a worker: whether it holds a search's objective (and its data)."""
    from hpsearch.objective import _CACHE

    return len(_CACHE)
