"""Epoch time of hpsearch's NumPy MLP against PyTorch-CPU and against the GEMM floor.

Same architecture and data for both: 2 hidden layers with batch norm and ReLU, Adam, batch
256, float32, 10 classes, shuffled mini-batches. The floor is the epoch's matrix products
alone, in NumPy on the same BLAS. Each library runs in a process of its own (in one process
their thread pools contend: our MNIST-shaped epoch read 0.94 s there, about 0.5 s alone),
built and warmed up once; each repetition times an epoch of each (as many epochs in a row as
last a quarter of a second, for the small model), interleaved, with a pause before each so no
process's spinning idle threads slow the next. The machine may be shared and noisy: each
ratio is the median of the per-repetition ratios (adjacent runs see the same conditions), with
its interquartile range.

`--threads N` runs every library on N threads (BLAS's, PyTorch's) instead of all the cores:
`--threads 1` is how a search's trials train. `--cpu` times the CPU seconds each process
spends instead of the wall clock: with one thread, the figure that holds on a busy machine,
where a process waits for a core as long as it runs (other processes still share the caches).

    pip install torch==2.13.0      # a CPU build
    python bench/mlp_vs_torch.py [--repeats 5] [--sizes digits mnist wide] [--threads 1 --cpu]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
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


def floor(X, y, hidden):
    """The epoch's matrix products alone, in NumPy on the same BLAS: forward, the weights'
    gradients and the inputs' gradients of the three layers, per mini-batch. No network can
    do less; ours/floor is what everything else costs."""
    rng = np.random.default_rng(1)
    sizes = [X.shape[1], hidden, hidden, CLASSES]
    W = [rng.standard_normal((a, b)).astype(np.float32) for a, b in zip(sizes, sizes[1:])]

    def epoch():
        for start in range(0, len(X), BATCH):
            a = [X[start : start + BATCH]]
            for w in W:
                a.append(a[-1] @ w)
            d = a[-1]
            for i in range(len(W) - 1, -1, -1):
                a[i].T @ d  # the gradient of W[i]
                if i:
                    d = d @ W[i].T

    return epoch


RUNNERS = {"ours": ours, "torch": torch_epoch, "floor": floor}


def timed(fn, epochs: int = 1, clock=time.perf_counter) -> float:
    """Seconds per epoch over `epochs` epochs in a row."""
    # Idle BLAS and OpenMP threads spin for a while after parallel work and would steal the
    # cores from whichever process runs next: let them go to sleep first.
    time.sleep(0.3)
    start = clock()
    for _ in range(epochs):
        fn()
    return (clock() - start) / epochs


def child(kind: str, size: str, threads: int | None, cpu: bool = False):
    """One library in a process of its own: build, warm up, then time as many epochs as it
    is told, each time the parent writes a number on stdin."""
    if threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)  # for the process's life
        if kind == "torch":
            import torch

            torch.set_num_threads(threads)
    m, d, hidden = SIZES[size]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((m, d)).astype(np.float32)
    y = rng.integers(0, CLASSES, m)
    fn = RUNNERS[kind](X, y, hidden)
    clock = time.process_time if cpu else time.perf_counter
    print(json.dumps(timed(fn, 1, clock)), flush=True)  # warm-up: first touches, BLAS buffers
    for line in sys.stdin:
        print(json.dumps(timed(fn, int(line), clock)), flush=True)


class Child:
    def __init__(self, kind: str, size: str, threads: int | None, cpu: bool = False):
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--child", kind, "--sizes", size]
            + (["--threads", str(threads)] if threads else [])
            + (["--cpu"] if cpu else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.first = json.loads(self.proc.stdout.readline())

    def time(self, epochs: int) -> float:
        self.proc.stdin.write(f"{epochs}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    ap.add_argument("--threads", type=int, help="threads per library (default: all cores)")
    ap.add_argument("--cpu", action="store_true", help="CPU seconds of the process, not wall")
    ap.add_argument("--child", choices=list(RUNNERS), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.sizes[0], args.threads, args.cpu)
    import torch

    print(
        f"numpy {np.__version__}, torch {torch.__version__} with "
        f"{args.threads or torch.get_num_threads()} threads; each library in a process of its "
        f"own; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"{'size':<8}{'shape':>22}{'ours (s)':>10}{'floor (s)':>10}{'torch (s)':>11}"
        f"{'/floor':>8}  {'IQR':>9}{'/torch':>8}  {'IQR':>9}"
    )
    for name in args.sizes:
        m, d, hidden = SIZES[name]
        children = {k: Child(k, name, args.threads, args.cpu) for k in RUNNERS}
        try:
            # as many epochs per timing as last at least MIN_SECONDS: a single 4 ms epoch is
            # at the mercy of the scheduler
            epochs = {k: math.ceil(MIN_SECONDS / c.first) for k, c in children.items()}
            times = {k: [] for k in children}
            for _ in range(args.repeats):  # interleaved: adjacent timings see the same load
                for k, c in children.items():
                    times[k].append(c.time(epochs[k]))
        finally:
            for c in children.values():
                c.close()
        ours_t = np.array(times["ours"])
        cells = []
        for other in ("floor", "torch"):
            ratios = ours_t / np.array(times[other])
            q1, q3 = np.percentile(ratios, [25, 75])
            cells.append(f"{np.median(ratios):>8.2f}  {q1:.2f}-{q3:.2f}")
        a, f, b = (statistics.median(times[k]) for k in ("ours", "floor", "torch"))
        print(
            f"{name:<8}{f'{m} x {d}, h {hidden}':>22}{a:>10.4f}{f:>10.4f}{b:>11.4f}"
            + "".join(cells),
            flush=True,
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
