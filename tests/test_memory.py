"""The data once per machine: read in chunks into one float32 block with the numbers of a
whole-array computation, shared read-only with the workers (who never read the file), and its
temporary folder removed on every exit, or by the next search after kill -9."""

import os
import signal
import tempfile
from pathlib import Path

import numpy as np
import pytest

import hpsearch.runs
from hpsearch.config import load_config
from hpsearch.data import load_data, load_training_data, rows, stratified_split
from hpsearch.data.shared import PREFIX, SharedMemory, remove_orphans
from hpsearch.runs import run_search
from tests.conftest import pids_in_group, start, wait_until

TABLE = """
name: table
seed: 3
data: {path: table.npz}
params: {layers: 1, hidden_units: 8, epochs: 2, batch_size: 32}
search: {trials: 4, rounds: 2, keep: 0.5}
space:
  learning_rate: {low: 1e-3, high: 1e-1, scale: log}
"""


def _table(folder: Path, rows_=400, features=5, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, rows_)
    X = rng.standard_normal((rows_, features)) * [1, 10, 100, 0.1, 5][:features] + y[:, None]
    np.savez(folder / "table.npz", X=X.astype(np.float32), y=y)
    return X.astype(np.float32), y


def _whole(X, y, seed, normalize=True):
    """What loading computed before it read in chunks: the whole table in float64, split by
    fancy indexing, standardised, cast to float32."""
    X = X.astype(np.float64)
    split = {"train": 0.8, "dev": 0.1, "test": 0.1}
    _, codes = np.unique(y, return_inverse=True)
    parts = stratified_split(codes, split, np.random.default_rng([0xDA7A, seed]))
    out = [X[p] for p in parts]
    if normalize:
        mean, std = out[0].mean(axis=0), out[0].std(axis=0)
        std[std == 0] = 1.0
        out = [(x - mean) / std for x in out]
    return [x.astype(np.float32) for x in out]


@pytest.mark.parametrize("save", ["plain", "compressed", "fortran", "one column", "raw"])
def test_chunks_give_the_numbers_of_the_whole_array(tmp_path, monkeypatch, save):
    monkeypatch.setattr(rows, "CHUNK_BYTES", 8 * 5 * 37)  # 37 rows a chunk: 11 chunks
    X, y = _table(tmp_path, features=1 if save == "one column" else 5)
    if save == "compressed":
        np.savez_compressed(tmp_path / "table.npz", X=X, y=y)
    if save == "fortran":
        np.savez(tmp_path / "table.npz", X=np.asfortranarray(X), y=y)
    config = {"path": "table.npz", "normalize": save != "raw"}
    d = load_training_data(config, seed=3, base_dir=tmp_path)
    for got, want in zip((d.X_train, d.X_dev, d.X_test), _whole(X, y, 3, config["normalize"])):
        assert got.dtype == np.float32 and got.flags.c_contiguous
        assert np.array_equal(got, want)  # bit for bit: the tables of earlier runs still hold
    # one block, train then dev then test: no copy per part
    assert d.X_dev.base is d.X_train.base and d.X_test.base is d.X_train.base
    raw = load_data(config, seed=3, base_dir=tmp_path)  # the user's form, converted as before
    converted = raw.for_training()
    for part in ("X_train", "y_train", "X_dev", "y_dev", "X_test", "y_test"):
        assert np.array_equal(getattr(d, part), getattr(converted, part))


def _shared_folders(pid: int) -> list[Path]:
    return [
        folder
        for parent in {Path("/dev/shm"), Path(tempfile.gettempdir())}
        if parent.is_dir()
        for folder in parent.glob(f"{PREFIX}{pid}-*")
    ]


def test_workers_use_the_data_the_main_process_loaded_and_never_read_the_file(
    write, tmp_path, monkeypatch
):
    _table(tmp_path)
    path = write("table.yaml", TABLE)
    run_search(load_config(path, ["name=one", "search.jobs=1"]), runs_dir=tmp_path)
    prepare, seen = hpsearch.runs.prepare, []

    def prepare_then_delete(config, **kwargs):
        out = prepare(config, **kwargs)
        seen.extend(_shared_folders(os.getpid()))
        (tmp_path / "table.npz").unlink()  # a worker that read the file would fail its trials
        return out

    monkeypatch.setattr(hpsearch.runs, "prepare", prepare_then_delete)
    run_search(load_config(path, ["name=two", "search.jobs=2"]), runs_dir=tmp_path)
    one = (tmp_path / "one" / "trials.csv").read_text().splitlines()
    two = (tmp_path / "two" / "trials.csv").read_text().splitlines()
    strip = lambda lines: [line.rsplit(",", 3)[0] for line in lines]  # noqa: E731  (seconds...)
    assert len(two) == 9 and ",ok," in two[1] and strip(one) == strip(two)
    assert len(seen) == 1 and not seen[0].exists()  # shared while it ran, removed at its end


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_the_shared_folder_goes_on_sigterm_and_after_kill_9_with_the_next_search(tmp_path, sig):
    _table(tmp_path, rows_=3000)
    (tmp_path / "table.yaml").write_text(TABLE.replace("epochs: 2", "epochs: 400"))
    proc = start(["run", "table.yaml", "--jobs", "2"], tmp_path)
    markers = tmp_path / "runs" / "table" / ".running"
    wait_until(lambda: any(m.name.isdigit() for m in markers.glob("*")), proc)  # training
    assert len(_shared_folders(proc.pid)) == 1
    os.kill(proc.pid, sig)  # the main process only
    proc.wait(timeout=30)
    wait_until(lambda: not pids_in_group(proc.pid), timeout=10)  # workers gone too
    left = _shared_folders(proc.pid)
    if sig == signal.SIGTERM:
        assert proc.returncode == 143 and left == []
    else:  # nothing of it runs after kill -9: the next search that shares data removes it
        # (another search on this machine may already have)
        for folder in left:
            remove_orphans(folder.parent)
        assert proc.returncode == -signal.SIGKILL and _shared_folders(proc.pid) == []


def test_orphans_are_only_the_folders_of_dead_processes(tmp_path):
    dead = tmp_path / f"{PREFIX}{2**22 + 1}-x"  # above Linux's largest process id
    alive = tmp_path / f"{PREFIX}{os.getpid()}-y"
    for folder in (dead, alive):
        folder.mkdir()
    with SharedMemory(parent=tmp_path) as memory:
        block = memory.alloc((3, 2), np.float32)
        assert block.shape == (3, 2) and not dead.exists() and alive.exists()
        folder = memory.folder
    assert not folder.exists()


def test_data_unpickled_from_unaligned_buffers_is_aligned():
    """As Dask hands a scattered Dataset to a worker: its arrays' buffers at odd offsets of a
    network buffer, where NumPy and BLAS are ~10x slower."""
    import pickle

    from hpsearch.data.dataset import Dataset

    X, y = np.arange(40, dtype=np.float32).reshape(10, 4), np.arange(10) % 2
    data = Dataset(X[:6], y[:6], X[6:8], y[6:8], X[8:], y[8:], classes=[0, 1], training=True)
    buffers = []
    blob = pickle.dumps(data, protocol=5, buffer_callback=buffers.append)
    odd = []
    for buffer in buffers:
        raw = buffer.raw()
        shifted = bytearray(len(raw) + 1)
        shifted[1:] = raw
        odd.append(memoryview(shifted)[1:])
    back = pickle.loads(blob, buffers=odd)
    for part in ("X_train", "X_dev", "X_test"):
        assert getattr(back, part).flags.aligned
        assert np.array_equal(getattr(back, part), getattr(data, part))


def test_train_and_dev_together_are_a_view_of_the_loaded_block_not_a_copy(tmp_path):
    """What an estimator's trials cross-validate on: the block holds train then dev rows side
    by side, so together they cost nothing more; parts given apart are joined as before."""
    from hpsearch.data.dataset import Dataset

    _table(tmp_path)
    for data in (
        load_data({"path": "table.npz"}, seed=3, base_dir=tmp_path),  # the user's form
        load_training_data({"path": "table.npz"}, seed=3, base_dir=tmp_path),
    ):
        X, y = data.train_and_dev()
        assert np.array_equal(X, np.concatenate([data.X_train, data.X_dev]))
        assert np.array_equal(y, np.concatenate([data.y_train, data.y_dev]))
        assert np.shares_memory(X, data.X_train) and np.shares_memory(X, data.X_dev)
        assert not np.shares_memory(X, data.X_test)
    X = np.arange(12.0).reshape(6, 2)
    apart = Dataset(X[:3].copy(), np.arange(3), X[3:5].copy(), np.arange(2), X[5:], [0])
    joined, _ = apart.train_and_dev()
    assert np.array_equal(joined, X[:5]) and not np.shares_memory(joined, apart.X_train)
    reversed_ = Dataset(X[2:4], np.arange(2), X[:2], np.arange(2), X[4:], np.arange(2))
    assert np.array_equal(reversed_.train_and_dev()[0], np.concatenate([X[2:4], X[:2]]))


@pytest.mark.parametrize("normalize, passes", [(True, 3), (False, 2)])
def test_a_streamed_npz_is_read_three_times_to_be_standardised(
    tmp_path, monkeypatch, normalize, passes
):
    """Each read of a compressed .npz decompresses it whole: the values' check sums the train
    rows for their mean in the same pass, then the squares for the std, then the rows are
    gathered (it was four passes)."""
    import hpsearch.data

    monkeypatch.setattr(rows, "CHUNK_BYTES", 8 * 5 * 37)  # 11 chunks
    X, y = _table(tmp_path)
    np.savez_compressed(tmp_path / "table.npz", X=X, y=y)
    read, reads = hpsearch.data.read_file, []

    def counted(*args, **kwargs):
        table, labels, names = read(*args, **kwargs)

        def chunks(n):
            reads.append(n)
            yield from table.chunks(n)

        return rows.Rows(table.shape, chunks), labels, names

    monkeypatch.setattr(hpsearch.data, "read_file", counted)
    config = {"path": "table.npz", "normalize": normalize}
    d = load_training_data(config, seed=3, base_dir=tmp_path)
    assert len(reads) == passes
    for got, want in zip((d.X_train, d.X_dev, d.X_test), _whole(X, y, 3, normalize)):
        assert np.array_equal(got, want)
