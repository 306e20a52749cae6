"""Panda checkpoints: their cost as a share of epoch time, and the disk they use per trial.

Models (batch norm, Adam): digits with the default params (2 x 64 units, batch 64), digits as
configs/panda.yaml trains it (3 x 128), and an MNIST-shaped one (2 x 256, batch 256). An epoch
is what hpsearch runs per epoch: a pass over the training set, then the dev set evaluated for
the learning curve. One epoch is timed, then the checkpoint of that epoch: the part the
training thread pays (copying the state, sending it to the writer process) and the whole write
(serialising, writing, fsync, rename), measured to the writer's acknowledgement. Shares are
medians of the per-epoch ratios (the machine may be shared and its speed may drift). Last, the
end-to-end figure: epochs with a checkpoint after each against as many without, interleaved.

    python bench/checkpoint.py [--repeats 20]   (the MNIST-shaped model: at most 5)
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

SHAPES = {  # train and dev samples, features, layers, hidden units, batch
    "digits": (1_437, 180, 64, 2, 64, 64),
    "digits-3x128": (1_437, 180, 64, 3, 128, 64),
    "mnist": (60_000, 10_000, 784, 2, 256, 256),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--keep", type=int, default=3)
    args = ap.parse_args()
    print(f"{'model':<14}{'epoch (s)':>11}{'on thread':>11}{'share':>8}{'whole write':>13}{'share':>8}"
          f"{'file (MB)':>11}{'per trial (MB)':>16}")
    slowdowns = []
    for name, (m, m_dev, d, layers, hidden, batch) in SHAPES.items():
        rng = np.random.default_rng(0)
        X, y = rng.standard_normal((m, d)).astype(np.float32), rng.integers(0, 10, m)
        dev = rng.standard_normal((m_dev, d)).astype(np.float32), rng.integers(0, 10, m_dev)
        model = MLP(dict(layers=layers, hidden_units=hidden, batch_size=batch), seed=0).build(d, 10)
        with tempfile.TemporaryDirectory() as folder:
            writer = CheckpointWriter()
            store = CheckpointStore(Path(folder), keep=args.keep, writer=writer)
            model.train_epoch(X, y, dev)
            epochs, handoffs, writes = [], [], []
            repeats = min(args.repeats, 5) if name == "mnist" else args.repeats
            for i in range(repeats):
                start = time.perf_counter()
                model.train_epoch(X, y, dev)
                epochs.append(time.perf_counter() - start)
                start = time.perf_counter()
                store.save({**model.state_dict(copy=False), "trial": 0}, model.epoch, None)
                handoffs.append(time.perf_counter() - start)
                store.flush()
                writes.append(time.perf_counter() - start)
            size = store.path(model.epoch).stat().st_size / 1e6
            writer.close()
        e, h, w = (statistics.median(v) for v in (epochs, handoffs, writes))
        h_share, w_share = (statistics.median(x / y for x, y in zip(v, epochs)) for v in (handoffs, writes))
        print(f"{name:<14}{e:>11.4f}{h * 1e3:>9.2f}ms{h_share:>8.1%}{w * 1e3:>11.2f}ms{w_share:>8.1%}"
              f"{size:>11.2f}{size * (args.keep + 1):>16.2f}")
        slowdowns.append((name, end_to_end(model, X, y, dev, args.keep, 3 if name == "mnist" else 30, repeats)))
    for name, ratio in slowdowns:
        print(f"{name}: training with a checkpoint every epoch takes {ratio:.3f}x the time without")


def end_to_end(model, X, y, dev, keep, n_epochs, repeats) -> float:
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
                    model.train_epoch(X, y, dev)
                    if checkpoint:
                        store.save({**model.state_dict(copy=False), "trial": 0}, model.epoch, None)
                store.flush()
                times.append(time.perf_counter() - start)
            ratios.append(times[1] / times[0])
        writer.close()
    return statistics.median(ratios)


if __name__ == "__main__":
    main()  # noqa: the writer process needs this guard (spawn)
