"""What a search costs in memory and time as the table grows: the memory of every process of
the run (main, workers, and for Dask the scheduler and its workers too), sampled every 0.25 s,
and the wall time of `hpsearch run`, for 1, 2 and all workers and on a local Dask cluster of 2
workers started in a folder without the data file.

Memory is the sum of each process's proportional set size (PSS: a page shared by k processes
counts 1/k in each), so data shared between the workers counts once, as it occupies the machine;
the sum of resident sizes (RSS), which counts it once per process that touched it, is printed
beside it. The table is generated (Gaussian classes, float32, in an .npz); the search is a
one-layer network, 4 trials of one epoch. The bar printed: 1.5x the data's float32 size plus
150 MB per worker.

    python bench/scale.py [--rows 10000,100000,1000000] [--features 256] [--workers 1,2,all]
                          [--dask] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import psutil

MB = 2**20
CONFIG = """
name: scale
seed: 0
data: {{path: {path}}}
params: {{layers: 1, hidden_units: 64, epochs: 1, batch_size: 256}}
search: {{trials: 4, rounds: 1}}
space:
  learning_rate: {{low: 1.0e-3, high: 1.0e-1, scale: log}}
"""


def make_table(folder: Path, rows: int, features: int) -> Path:
    """A 10-class table whose classes are Gaussian blobs, written chunk by chunk into an .npz
    without holding it twice."""
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((10, features)).astype(np.float32)
    y = rng.integers(0, 10, rows)
    X = np.empty((rows, features), dtype=np.float32)
    for start in range(0, rows, 50_000):
        part = slice(start, start + 50_000)
        noise = rng.standard_normal((len(y[part]), features), dtype=np.float32) * 3
        X[part] = centres[y[part]] + noise
    path = folder / f"table-{rows}x{features}.npz"
    np.savez(path, X=X, y=y)
    return path


class Sampler:
    """Peak of the summed PSS and RSS of some process trees, sampled in a thread."""

    def __init__(self, roots, every=0.25):
        self.roots, self.every = list(roots), every
        self.pss = self.rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _loop(self):
        while not self._stop.is_set():
            pss = rss = 0
            for proc in self._processes():
                try:
                    info = proc.memory_full_info()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                pss, rss = pss + info.pss, rss + info.rss
            self.pss, self.rss = max(self.pss, pss), max(self.rss, rss)
            self._stop.wait(self.every)

    def _processes(self):
        seen = {}
        for pid in self.roots:
            try:
                root = psutil.Process(pid)
                for proc in [root, *root.children(recursive=True)]:
                    seen[proc.pid] = proc
            except psutil.NoSuchProcess:
                continue
        return seen.values()


def search(config: Path, runs: Path, args: list, extra_roots=()) -> tuple[float, int, int]:
    """(wall seconds, peak PSS, peak RSS) of one `hpsearch run`."""
    shutil.rmtree(runs / "scale", ignore_errors=True)
    command = [sys.executable, "-m", "hpsearch", "run", str(config), "--runs-dir", str(runs)]
    start = time.perf_counter()
    proc = subprocess.Popen([*command, *args], stdout=subprocess.DEVNULL)
    with Sampler([proc.pid, *extra_roots]) as sampler:
        code = proc.wait()
    seconds = time.perf_counter() - start
    if code != 0:
        sys.exit(f"hpsearch run {' '.join(args)} exited with {code}")
    return seconds, sampler.pss, sampler.rss


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaskCluster:
    """A scheduler and `n` single-threaded worker processes started in `folder` (which holds
    no data file), stopped on exit."""

    def __init__(self, folder: Path, n: int = 2):
        self.folder, self.n = folder, n
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.procs = []

    def __enter__(self):
        from dask.distributed import Client

        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": self.folder}
        port = self.address.rsplit(":", 1)[1]
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1"]
                + ["--port", port, "--dashboard-address", ":0"],
                **quiet,
            )
        )
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", self.address]
                + ["--nworkers", str(self.n), "--nthreads", "1", "--dashboard-address", ":0"]
                + ["--local-directory", str(self.folder), "--memory-limit", "0"],
                **quiet,
            )
        )
        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(self.n, timeout=120)
        return self

    def __exit__(self, *exc):
        for proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    @property
    def pids(self):
        return [p.pid for p in self.procs]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="10000,100000,1000000")
    ap.add_argument("--features", type=int, default=256)
    ap.add_argument("--workers", default="1,2,all", help="numbers of loky workers, or all")
    ap.add_argument("--dask", action="store_true", help="also on a local cluster of 2 workers")
    ap.add_argument("--keep", help="a folder to keep the generated tables in (reused)")
    args = ap.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="hpsearch-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    elsewhere = Path(tempfile.mkdtemp(prefix="hpsearch-scale-workers-"))
    all_workers = len(os.sched_getaffinity(0))
    workers = [all_workers if w == "all" else int(w) for w in args.workers.split(",")]
    print(
        f"{'rows':>9} {'data MB':>8} {'where':>10} {'seconds':>8} {'PSS MB':>8} "
        f"{'RSS MB':>8} {'bar MB':>7} {'PSS/bar':>8}"
    )
    try:
        for rows in map(int, args.rows.split(",")):
            path = folder / f"table-{rows}x{args.features}.npz"
            if not path.exists():
                path = make_table(folder, rows, args.features)
            size = rows * args.features * 4 / MB
            config = folder / f"scale-{rows}.yaml"
            config.write_text(textwrap.dedent(CONFIG.format(path=path.name)))
            runs = folder / "runs"
            cases = [(f"{n} worker{'s' * (n > 1)}", n, ["--jobs", str(n)]) for n in workers]
            for label, n, extra in cases:
                seconds, pss, rss = search(config, runs, extra)
                bar = 1.5 * size + 150 * n
                print(
                    f"{rows:>9,} {size:>8.0f} {label:>10} {seconds:>8.1f} {pss / MB:>8.0f} "
                    f"{rss / MB:>8.0f} {bar:>7.0f} {pss / MB / bar:>8.2f}",
                    flush=True,
                )
            if args.dask:
                with DaskCluster(elsewhere, 2) as cluster:
                    seconds, pss, rss = search(
                        config, runs, ["--scheduler", cluster.address], cluster.pids
                    )
                bar = 1.5 * size + 150 * 2
                print(
                    f"{rows:>9,} {size:>8.0f} {'dask x 2':>10} {seconds:>8.1f} {pss / MB:>8.0f} "
                    f"{rss / MB:>8.0f} {bar:>7.0f} {pss / MB / bar:>8.2f}",
                    flush=True,
                )
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
