"""What babysitting costs: a panda trial (curve row per epoch, pruning and nudge checks, a
checkpoint by the default policy and at its end) against the same trial run as caviar runs it
(the same training and final evaluation, with none of that).

For each model, trials with and without panda's bookkeeping are interleaved; printed: the median
of the per-pair ratios (adjacent runs see the same machine load), its spread, the checkpoint's
size, and the time of one checkpoint (state_dict, np.savez, fsync, rename).

    python bench/checkpoint.py [--repeats 7] [--every 30s]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from hpsearch.config import Config
from hpsearch.data import Dataset
from hpsearch.modes.panda import PandaRunner
from hpsearch.objective import MLPObjective
from hpsearch.store import CheckpointStore, RunDir
from hpsearch.study import Task

MODELS = {  # name: (train rows, features, hidden layers, hidden units, epochs)
    "digits 2x64": (1_437, 64, 2, 64, 30),
    "digits 3x128": (1_437, 64, 3, 128, 30),
    "mnist-shaped": (20_000, 784, 2, 256, 5),
}


def dataset(m, d):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((m, d)).astype(np.float32), rng.integers(0, 10, m)
    return Dataset(
        X, y, X[:200], y[:200], X[:10], y[:10], classes=list(range(10)), name="synthetic"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--every", default="30s", help="checkpoint_every (panda's default: 30s)")
    args = ap.parse_args()
    print(
        f"{'model':<14}{'plain (s)':>11}{'panda (s)':>11}{'ratio':>8}{'spread':>14}"
        f"{'file (MB)':>11}{'save (ms)':>11}"
    )
    for name, (m, d, layers, units, epochs) in MODELS.items():
        data = dataset(m, d)
        raw = {
            "data": {"dataset": "digits"},
            "params": {
                "layers": layers,
                "hidden_units": units,
                "epochs": epochs,
                "batch_size": 64,
            },
            "search": {"mode": "panda", "budget": 1, "checkpoint_every": args.every},
            "space": {"learning_rate": {"low": 1e-3, "high": 1e-2, "scale": "log"}},
        }
        config = Config.from_dict(raw)
        objective = MLPObjective(data, config.params, config.goal)
        task = Task(0, 1, {"learning_rate": 3e-3}, 0)
        plain, panda = [], []
        with tempfile.TemporaryDirectory() as folder:
            for r in range(args.repeats + 1):  # the first pair warms up
                began = time.perf_counter()
                objective(task)  # a caviar trial: train, then the record with its metrics
                plain_s = time.perf_counter() - began
                run = RunDir(Path(folder) / f"run{r}")
                run.path.mkdir()
                run.start_tables(config)
                began = time.perf_counter()
                PandaRunner(objective, run, config).run_task(task)
                panda_s = time.perf_counter() - began
                if r:
                    plain.append(plain_s)
                    panda.append(panda_s)
            store = CheckpointStore(Path(folder) / "probe")
            model = objective.model(task)
            saves = []
            for epoch in range(5):
                began = time.perf_counter()
                store.save(model.state_dict(), epoch)
                saves.append(time.perf_counter() - began)
            size = store.path(store.epochs()[-1]).stat().st_size / 1e6
        ratios = sorted(b / a for a, b in zip(plain, panda))
        print(
            f"{name:<14}{statistics.median(plain):>11.3f}{statistics.median(panda):>11.3f}"
            f"{statistics.median(ratios):>7.3f}x{f'{ratios[0]:.3f}-{ratios[-1]:.3f}':>14}{size:>11.2f}"
            f"{statistics.median(saves) * 1e3:>11.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
