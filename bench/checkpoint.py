"""Panda checkpoints: their cost as a share of epoch time, and the disk they use per trial.

For a digits-shaped and an MNIST-shaped model (2 hidden layers, batch norm, Adam, batch 64 and
256), one epoch is timed, then the checkpoint of that epoch: the part the training thread pays
(copying the state, sending it to the writer process) and the whole write (serialising,
writing, fsync, rename), measured to the writer's acknowledgement. Last, the end-to-end
figure: 10 epochs with a checkpoint after each against 10 without, interleaved.

    python bench/checkpoint.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from hpsearch.checkpoints import CheckpointStore, CheckpointWriter
from hpsearch.nn.model import MLP

SHAPES = {"digits": (1_438, 64, 64, 64), "mnist": (60_000, 784, 256, 256)}  # samples, features, hidden, batch


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--keep", type=int, default=3)
    args = ap.parse_args()
    print(f"{'model':<8}{'epoch (s)':>11}{'on thread':>11}{'share':>8}{'whole write':>13}{'share':>8}"
          f"{'file (MB)':>11}{'per trial (MB)':>16}")
    slowdowns = []
    for name, (m, d, hidden, batch) in SHAPES.items():
        rng = np.random.default_rng(0)
        X, y = rng.standard_normal((m, d)).astype(np.float32), rng.integers(0, 10, m)
        model = MLP(dict(layers=2, hidden_units=hidden, batch_size=batch), seed=0).build(d, 10)
        model.train_epoch(X, y)
        with tempfile.TemporaryDirectory() as folder:
            writer = CheckpointWriter()
            store = CheckpointStore(Path(folder), keep=args.keep, writer=writer)
            epochs, handoffs, writes = [], [], []
            for i in range(args.repeats):
                start = time.perf_counter()
                model.train_epoch(X, y)
                epochs.append(time.perf_counter() - start)
                start = time.perf_counter()
                store.save({**model.state_dict(), "trial": 0}, model.epoch, None)
                handoffs.append(time.perf_counter() - start)
                store.flush()
                writes.append(time.perf_counter() - start)
            size = store.path(model.epoch).stat().st_size / 1e6
            writer.close()
        e, h, w = (statistics.median(v) for v in (epochs, handoffs, writes))
        print(f"{name:<8}{e:>11.4f}{h * 1e3:>9.2f}ms{h / e:>8.1%}{w * 1e3:>11.2f}ms{w / e:>8.1%}"
              f"{size:>11.2f}{size * (args.keep + 1):>16.2f}")
        slowdowns.append((name, end_to_end(model, X, y, args.keep, 10 if name == "digits" else 3, args.repeats)))
    for name, ratio in slowdowns:
        print(f"{name}: training with a checkpoint every epoch takes {ratio:.3f}x the time without")


def end_to_end(model, X, y, keep, n_epochs, repeats) -> float:
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        writer = CheckpointWriter()
        store = CheckpointStore(Path(folder), keep=keep, writer=writer)
        for _ in range(repeats):
            times = []
            for checkpoint in (False, True):
                time.sleep(0.1)
                start = time.perf_counter()
                for _ in range(n_epochs):
                    model.train_epoch(X, y)
                    if checkpoint:
                        store.save({**model.state_dict(), "trial": 0}, model.epoch, None)
                store.flush()
                times.append(time.perf_counter() - start)
            ratios.append(times[1] / times[0])
        writer.close()
    return statistics.median(ratios)


if __name__ == "__main__":
    main()  # noqa: the writer process needs this guard (spawn)
