"""Epoch time of hpsearch's NumPy MLP against PyTorch-CPU, side by side in one run.

Same architecture and data for both: 2 hidden layers with batch norm and ReLU, Adam, batch
256, float32, 10 classes, shuffled mini-batches. Each repetition times an epoch of each (as many
epochs in a row as last a quarter of a second, for the small model), interleaved, with a pause
between the two so neither library's spinning idle threads slow the other, after a warm-up
epoch. The machine may be shared and noisy: the ratio reported is
the median of the per-repetition ratios (adjacent runs see the same conditions), with its
interquartile range.

    pip install torch==2.13.0      # a CPU build
    python bench/mlp_vs_torch.py [--repeats 5] [--sizes digits mnist wide]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from hpsearch.nn.model import Model

SIZES = {  # name: (samples, features, hidden units)
    "digits": (1_797, 64, 64),
    "mnist": (60_000, 784, 256),
    "wide": (20_000, 256, 1_024),
}
BATCH, CLASSES = 256, 10
MIN_SECONDS = 0.25


def ours(X, y, hidden):
    model = Model(
        layers=2,
        hidden_units=hidden,
        batch_norm=True,
        activation="relu",
        optimizer="adam",
        learning_rate=1e-3,
        batch_size=BATCH,
        seed=0,
    )
    model.build(X.shape[1], CLASSES)
    return lambda: model.train_epoch(X, y)


def torch_epoch(X, y, hidden):
    import torch
    from torch import nn

    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(X.shape[1], hidden, bias=False),
        nn.BatchNorm1d(hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden, bias=False),
        nn.BatchNorm1d(hidden),
        nn.ReLU(),
        nn.Linear(hidden, CLASSES),
    )
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))

    def epoch():
        net.train()
        order = torch.randperm(len(Xt))
        for start in range(0, len(Xt), BATCH):
            idx = order[start : start + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()

    return epoch


def timed(fn, epochs: int = 1) -> float:
    """Seconds per epoch over `epochs` epochs in a row."""
    # Both libraries' idle threads spin for a while after parallel work and would steal the
    # cores from whichever runs next: let them go to sleep first.
    time.sleep(0.3)
    start = time.perf_counter()
    for _ in range(epochs):
        fn()
    return (time.perf_counter() - start) / epochs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    args = ap.parse_args()
    import torch

    print(
        f"numpy {np.__version__}, torch {torch.__version__} with {torch.get_num_threads()} threads"
    )
    print(f"{'size':<8}{'shape':>22}{'ours (s)':>10}{'torch (s)':>11}{'ratio':>7}  {'IQR':>11}")
    for name in args.sizes:
        m, d, hidden = SIZES[name]
        rng = np.random.default_rng(0)
        X = rng.standard_normal((m, d)).astype(np.float32)
        y = rng.integers(0, CLASSES, m)
        runners = {"ours": ours(X, y, hidden), "torch": torch_epoch(X, y, hidden)}
        # Warm-up (first-touch allocations, BLAS buffers), then as many epochs per timing as
        # last at least MIN_SECONDS: a single 4 ms epoch is at the mercy of the scheduler.
        epochs = {k: math.ceil(MIN_SECONDS / timed(fn)) for k, fn in runners.items()}
        times = {k: [] for k in runners}
        for _ in range(args.repeats):
            for k, fn in runners.items():
                times[k].append(timed(fn, epochs[k]))
        ratios = np.array(times["ours"]) / np.array(times["torch"])
        q1, q3 = np.percentile(ratios, [25, 75])
        a, b = statistics.median(times["ours"]), statistics.median(times["torch"])
        print(
            f"{name:<8}{f'{m} x {d}, h {hidden}':>22}{a:>10.4f}{b:>11.4f}{np.median(ratios):>7.2f}"
            f"  {q1:.2f}-{q3:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
