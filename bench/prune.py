"""Pruning, side by side: hpsearch's quickstart search with prune none, median and halving,
against Optuna's TPE training the same network in PyTorch with its MedianPruner and its
HyperbandPruner: the same data split, epochs, trial budget, search space and 2 workers.

Each seed runs every method once, one after another, so all of them see the same machine load;
printed per method: the median over seeds of the wall time, of the best dev accuracy, and of the
test accuracy of the best trial, and the ratios the issue asks about.

    pip install optuna torch==2.13.0
    python bench/prune.py [--seeds 3] [--first-seed 0]
                          [--methods none,median,halving,optuna-median,optuna-hyperband]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from hpsearch.config import load_config
from hpsearch.data import load_data
from hpsearch.runs import run_search

QUICKSTART = Path(__file__).parents[1] / "configs" / "quickstart.yaml"


def run_hpsearch(prune: str, seed: int):
    config = load_config(
        QUICKSTART,
        [f"search.prune={prune}", f"seed={seed}", "search.jobs=2", f"name=prune-{prune}-{seed}"],
    )
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        outcome = run_search(config, runs_dir=folder)
        seconds = time.perf_counter() - began
        trials = outcome.study.trials
        pruned = sum(t.status == "pruned" for t in trials)
    return {
        "seconds": seconds,
        "dev": outcome.best["value"],
        "test": outcome.best["test"]["test_accuracy"],
        "pruned": pruned,
        "trials": len(trials),
    }


def run_optuna(pruner: str, seed: int):
    import optuna
    import torch
    from torch import nn

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    torch.set_num_threads(1)  # two trials at once on two cores, as hpsearch's two workers
    config = load_config(QUICKSTART, [f"seed={seed}"])
    data = load_data(config.data, config.seed).for_training()  # as hpsearch trains on it
    epochs, batch = config.params["epochs"], config.params["batch_size"]
    tensors = {k: torch.from_numpy(getattr(data, k)) for k in ("X_train", "X_dev", "X_test")}
    labels = {
        k: torch.from_numpy(getattr(data, k).astype(np.int64))
        for k in ("y_train", "y_dev", "y_test")
    }
    tests, lock = {}, threading.Lock()

    def accuracy(net, part):
        net.eval()
        with torch.no_grad():
            return float(
                (net(tensors[f"X_{part}"]).argmax(1) == labels[f"y_{part}"]).float().mean()
            )

    def objective(trial):
        lr = trial.suggest_float("learning_rate", 1e-4, 1.0, log=True)
        hidden = trial.suggest_int("hidden_units", 32, 1024, log=True)
        keep = trial.suggest_float("keep_prob", 0.5, 1.0)
        generator = torch.Generator().manual_seed(seed * 1000 + trial.number)
        torch.manual_seed(seed * 1000 + trial.number)
        layers = []
        for n_in in (data.n_features, hidden):
            layers += [
                nn.Linear(n_in, hidden, bias=False),
                nn.BatchNorm1d(hidden),
                nn.ReLU(),
                nn.Dropout(1 - keep),
            ]
        net = nn.Sequential(*layers, nn.Linear(hidden, data.n_classes))
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        loss_fn = nn.CrossEntropyLoss()
        X, y = tensors["X_train"], labels["y_train"]
        dev = 0.0
        for epoch in range(epochs):
            net.train()
            order = torch.randperm(len(X), generator=generator)
            for start in range(0, len(X), batch):
                idx = order[start : start + batch]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(net(X[idx]), y[idx])
                if not torch.isfinite(loss):
                    raise optuna.TrialPruned()  # diverged
                loss.backward()
                opt.step()
            dev = accuracy(net, "dev")
            trial.report(dev, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        with lock:
            tests[trial.number] = accuracy(net, "test")
        return dev

    pruners = {
        "optuna-median": optuna.pruners.MedianPruner(),
        "optuna-hyperband": optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs),
    }
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruners[pruner]
    )
    began = time.perf_counter()
    study.optimize(objective, n_trials=config.plan.total, n_jobs=2)
    seconds = time.perf_counter() - began
    best = study.best_trial
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    return {
        "seconds": seconds,
        "dev": best.value,
        "test": tests[best.number],
        "pruned": pruned,
        "trials": len(study.trials),
    }


def run(method: str, seed: int):
    return run_optuna(method, seed) if method.startswith("optuna") else run_hpsearch(method, seed)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument(
        "--first-seed", type=int, default=0, help="seeds first-seed, first-seed+1, ..."
    )
    ap.add_argument("--methods", default="none,median,halving,optuna-median,optuna-hyperband")
    ap.add_argument("--out", help="also write every run's figures to this JSON file")
    args = ap.parse_args()
    methods = args.methods.split(",")
    runs = {m: [] for m in methods}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for method in methods:
            runs[method].append(run(method, seed))
            r = runs[method][-1]
            print(
                f"seed {seed} {method:<17} {r['seconds']:7.1f} s  dev {r['dev']:.4f}  "
                f"test {r['test']:.4f}  pruned {r['pruned']}/{r['trials']}",
                flush=True,
            )
    med = {
        m: {
            k: statistics.median(r[k] for r in runs[m])
            for k in ("seconds", "dev", "test", "pruned")
        }
        for m in methods
    }
    print(
        f"\nmedians over {args.seeds} seeds ({QUICKSTART.name}: "
        f"{load_config(QUICKSTART).plan.total} trials, 2 workers)"
    )
    print(f"{'method':<18}{'wall (s)':>10}{'best dev':>10}{'its test':>10}{'pruned':>8}")
    for m in methods:
        print(
            f"{m:<18}{med[m]['seconds']:>10.1f}{med[m]['dev']:>10.4f}{med[m]['test']:>10.4f}{med[m]['pruned']:>8.0f}"
        )
    if "none" in med and "halving" in med:
        print(
            f"\nhalving / none: wall {med['halving']['seconds'] / med['none']['seconds']:.2f}x, "
            f"best dev {med['halving']['dev'] - med['none']['dev']:+.4f}"
        )
    if "halving" in med and "optuna-median" in med:
        print(
            "halving / optuna-median: wall "
            f"{med['halving']['seconds'] / med['optuna-median']['seconds']:.3f}x, "
            f"best dev {med['halving']['dev'] - med['optuna-median']['dev']:+.4f}"
        )
    if args.out:
        Path(args.out).write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
