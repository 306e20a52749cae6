"""Workers x BLAS threads: does `jobs: auto` pick the faster of {1 worker x all threads, all
workers x 1 thread}? For a small model and a GEMM-bound one, the wall time of `hpsearch run`
with each setting and with auto, repetitions interleaved (adjacent runs see the same machine
load); printed: the median seconds, the ratio to the faster fixed setting, and what auto chose.

    python bench/scale.py ... ; python bench/threads.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

MODELS = {  # name: (table rows, features, params, trials)
    "small": (1_800, 64, "{layers: 2, hidden_units: 128, epochs: 30, batch_size: 32}", 8),
    "GEMM-bound": (20_000, 256, "{layers: 2, hidden_units: 512, epochs: 1, batch_size: 256}", 4),
}
CONFIG = """
name: threads
seed: 0
data: {{path: {path}}}
params: {params}
search: {{trials: {trials}, rounds: 1}}
space:
  learning_rate: {{low: 1.0e-3, high: 1.0e-1, scale: log}}
"""


def run(config: Path, runs: Path, args: list) -> tuple[float, str]:
    """(wall seconds, what auto said) of one `hpsearch run`."""
    command = [sys.executable, "-m", "hpsearch", "run", str(config), "--runs-dir", str(runs)]
    start = time.perf_counter()
    done = subprocess.run([*command, "--force", *args], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(done.stderr)
    said = [line for line in (done.stdout + done.stderr).splitlines() if "jobs auto:" in line]
    return seconds, said[0].strip() if said else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    args = ap.parse_args()
    n = len(os.sched_getaffinity(0))
    settings = {
        f"1 worker x {n} threads": ["--jobs", "1", "--set", f"search.threads={n}"],
        f"{n} workers x 1 thread": ["--jobs", str(n), "--set", "search.threads=1"],
        "auto": ["--jobs", "auto"],
    }
    folder = Path(tempfile.mkdtemp(prefix="hpsearch-threads-"))
    rng = np.random.default_rng(0)
    for name in args.models:
        m, d, params, trials = MODELS[name]
        y = rng.integers(0, 10, m)
        X = rng.standard_normal((m, d)).astype(np.float32) + y[:, None]
        np.savez(folder / "table.npz", X=X, y=y)
        config = folder / "threads.yaml"
        text = CONFIG.format(path="table.npz", params=params, trials=trials)
        config.write_text(textwrap.dedent(text))
        times = {s: [] for s in settings}
        said = ""
        for _ in range(args.repeats):
            for setting, extra in settings.items():
                seconds, note = run(config, folder / "runs", extra)
                times[setting].append(seconds)
                said = note or said
        medians = {s: statistics.median(t) for s, t in times.items()}
        best = min(medians[s] for s in settings if s != "auto")
        print(f"{name}: auto said '{said}' (load average {os.getloadavg()[0]:.1f} at the end)")
        for setting, seconds in medians.items():
            print(f"  {setting:<22} {seconds:>7.2f} s  {seconds / best:>5.2f}x the faster fixed")


if __name__ == "__main__":
    main()
