"""Panda checkpoints: their cost as a share of epoch time, and the disk they use per trial.

Models (batch norm, Adam): digits with the default params (2 x 64 units, batch 64), digits as
configs/panda.yaml trains it (3 x 128), and an MNIST-shaped one (2 x 256, batch 256). An epoch
is what hpsearch runs per epoch: a pass over the training set, then the dev set evaluated for
the learning curve. Reported per model:
- on thread: what the training thread pays per checkpoint (copying the state's block, sending
  the job, taking the writer's acknowledgements), measured in runs of epochs with a checkpoint
  after each while the writer works alongside, as in panda; its share of those epochs' time;
- whole write: from handing a checkpoint over to the writer's acknowledgement (the state dict,
  the .npz, fsync, rename), one epoch at a time;
- end to end: runs of epochs with a checkpoint after each against as many without,
  interleaved (30 epochs, a panda.yaml trial, so the last flush weighs as in a real trial).
Shares and ratios are medians over runs (the machine may be shared and its speed may drift).

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
from hpsearch.nn.model import MLP, state_from_parts

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
          f"{'file (MB)':>11}{'per trial (MB)':>16}{'end to end':>12}")
    for name, (m, m_dev, d, layers, hidden, batch) in SHAPES.items():
        rng = np.random.default_rng(0)
        X, y = rng.standard_normal((m, d)).astype(np.float32), rng.integers(0, 10, m)
        dev = rng.standard_normal((m_dev, d)).astype(np.float32), rng.integers(0, 10, m_dev)
        model = MLP(dict(layers=layers, hidden_units=hidden, batch_size=batch), seed=0).build(d, 10)
        repeats = min(args.repeats, 5) if name == "mnist" else args.repeats
        with tempfile.TemporaryDirectory() as folder:
            writer = CheckpointWriter()
            store = CheckpointStore(Path(folder), keep=args.keep, writer=writer)
            model.train_epoch(X, y, dev)
            epochs, writes = [], []
            for i in range(repeats):
                start = time.perf_counter()
                model.train_epoch(X, y, dev)
                epochs.append(time.perf_counter() - start)
                start = time.perf_counter()
                store.save_parts(*parts(model), model.epoch, None)
                store.flush()
                writes.append(time.perf_counter() - start)
            size = store.path(model.epoch).stat().st_size / 1e6
            writer.close()
        e, w = statistics.median(epochs), statistics.median(writes)
        w_share = statistics.median(x / y for x, y in zip(writes, epochs))
        ratio, h, h_share = end_to_end(model, X, y, dev, args.keep, 3 if name == "mnist" else 30, repeats)
        print(f"{name:<14}{e:>11.4f}{h * 1e3:>9.2f}ms{h_share:>8.1%}{w * 1e3:>11.2f}ms{w_share:>8.1%}"
              f"{size:>11.2f}{size * (args.keep + 1):>16.2f}{ratio:>11.3f}x", flush=True)


def parts(model):
    """What panda hands the checkpoint store after each epoch."""
    block, recipe = model.checkpoint_parts(trial=0)
    return block, state_from_parts, recipe


def end_to_end(model, X, y, dev, keep, n_epochs, repeats) -> tuple[float, float, float]:
    """Runs of n_epochs with a checkpoint after each epoch against as many without, interleaved.
    Returns the median ratio of their times, and, from the runs with checkpoints (where the
    writer works while training goes on, as in panda), the median time the training thread
    spends handing a checkpoint over and its median share of the epochs' time."""
    ratios, handoffs, shares = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        writer = CheckpointWriter()
        store = CheckpointStore(Path(folder), keep=keep, writer=writer)
        for _ in range(repeats):
            times = []
            for checkpoint in (False, True):
                time.sleep(0.1)
                spent = []
                start = time.perf_counter()
                for _ in range(n_epochs):
                    model.train_epoch(X, y, dev)
                    if checkpoint:
                        begin = time.perf_counter()
                        store.save_parts(*parts(model), model.epoch, None)
                        spent.append(time.perf_counter() - begin)
                store.flush()
                times.append(time.perf_counter() - start)
            ratios.append(times[1] / times[0])
            handoffs.append(statistics.median(spent))
            shares.append(sum(spent) / (times[1] - sum(spent)))
        writer.close()
    return statistics.median(ratios), statistics.median(handoffs), statistics.median(shares)


if __name__ == "__main__":
    main()  # noqa: the writer process needs this guard (spawn)
