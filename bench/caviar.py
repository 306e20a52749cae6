"""Caviar mode: parallel efficiency of 2 workers against 1, and the runner's overhead per trial.

1. The same 48 digits trials, run by 1 worker and by 2 workers (each worker's BLAS pinned to one
   thread), interleaved: efficiency = (time with 1 worker / time with 2) / 2.
2. A trivial objective (returns a constant) through the whole `run_search` pipeline (sampling,
   refinement, CSV rows appended and fsynced, best.json): seconds per trial, in process and with
   2 loky workers.

    python bench/caviar.py [--trials 48] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hpsearch.config import resolve_config
from hpsearch.objective import TrialSpec, run_trial
from hpsearch.run import run_search
from hpsearch.runners import caviar_evaluate
from hpsearch.search import round_tasks
from hpsearch.space import whole_space

CONFIG = {"data": {"dataset": "digits"}, "params": {"layers": 2, "epochs": 15, "batch_size": 32},
          "space": {"learning_rate": {"low": 1e-4, "high": 1e-1, "scale": "log"},
                    "hidden_units": {"low": 64, "high": 256, "type": "int"}}}


def efficiency(n_trials: int, repeats: int):
    config = resolve_config(CONFIG)
    spec = TrialSpec(data=config.data, params=config.params, seed=0, metric="dev_accuracy", blas_threads=1)
    tasks = round_tasks(config.space, whole_space(config.space), 0, 1, n_trials)
    run_trial(spec, tasks[0])  # load the data and warm BLAS in this process
    two = caviar_evaluate(spec, jobs=2)
    list(two(tasks[:2]))  # start the workers
    one_times, two_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        for task in tasks:
            run_trial(spec, task)
        one_times.append(time.perf_counter() - start)
        time.sleep(0.3)
        start = time.perf_counter()
        list(two(tasks))
        two_times.append(time.perf_counter() - start)
        time.sleep(0.3)
    t1, t2 = statistics.median(one_times), statistics.median(two_times)
    # Adjacent runs see the same machine load: the median of their ratios is the robust figure.
    per_pair = sorted(a / b / 2 for a, b in zip(one_times, two_times))
    print(f"{n_trials} digits trials: 1 worker {t1:.2f} s, 2 workers {t2:.2f} s (medians); efficiency "
          f"{statistics.median(per_pair):.2f} (median of {len(per_pair)} pairs, {per_pair[0]:.2f} to {per_pair[-1]:.2f})")


TRIVIAL = "def evaluate(config):\n    return config['x']\n"


def overhead(n_trials: int):
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "trivial.py").write_text(TRIVIAL)
        sys.path.insert(0, folder)
        for jobs in (1, 2):
            config = resolve_config({"objective": "trivial:evaluate", "search": {
                "trials": n_trials // 2, "rounds": 2, "jobs": jobs, "metric": "value"},
                "space": {"x": {"low": 0, "high": 1}}}, file=Path(folder, "trivial.yaml"))
            config.name = f"trivial{jobs}"
            run_search(config, runs_dir=folder)  # warm: imports, worker start
            start = time.perf_counter()
            run_search(config, runs_dir=folder, force=True)
            seconds = time.perf_counter() - start
            print(f"trivial objective, {n_trials} trials, jobs {jobs}: {seconds / n_trials * 1e3:.2f} ms per trial "
                  f"(whole run {seconds:.2f} s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=48)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--overhead-trials", type=int, default=400)
    args = ap.parse_args()
    efficiency(args.trials, args.repeats)
    overhead(args.overhead_trials)


if __name__ == "__main__":
    main()
