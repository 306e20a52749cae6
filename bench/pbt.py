"""Population-based training against successive halving and no pruning, at equal total epochs.

Two data sets where a learning-rate schedule matters: the digits trained longer (60 epochs), and
an MNIST-shaped synthetic set (784 features, 10 classes, classes a non-linear image of a few
latent factors, with noise). Per data set, the same space (learning rate, dropout, Adam's beta1)
and network: PBT with a population of 16 (every epoch budget is 16 x the epochs), coarse-to-fine
without pruning on 16 trials (the same epochs), and halving on as many trials as fit in about
the same epochs (their totals are printed beside). Each seed runs every
method one after another, so all see the same machine load; printed: the median over seeds of
the best dev accuracy, the test accuracy of the winner, and the wall time, and the total epochs.

    python bench/pbt.py [--seeds 3] [--sets digits,mnist] [--methods pbt,halving,none,ray]

`ray` (Ray Tune's PopulationBasedTraining on the same network in PyTorch, 2 CPUs) needs
`pip install "ray[tune]" torch`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from hpsearch.config import Config
from hpsearch.runs import run_search

SPACE = {
    "learning_rate": {"low": 1e-4, "high": 1.0, "scale": "log"},
    "keep_prob": {"low": 0.5, "high": 1.0},
    "beta1": {"low": 0.5, "high": 0.999, "scale": "one_minus_log"},
}
POPULATION = 16
SETS = {  # data, fixed params, halving's budget (trials whose epochs sum to PBT's or less)
    "digits": (
        {"dataset": "digits"},
        {"layers": 2, "hidden_units": 64, "epochs": 60, "batch_size": 32},
        165,
    ),
    "mnist": (
        None,  # written by mnist_shaped()
        {"layers": 2, "hidden_units": 128, "epochs": 20, "batch_size": 64},
        72,
    ),
}


def mnist_shaped(folder: Path, rows: int = 5_000) -> dict:
    """An .npz of 28 x 28 'images' in 10 classes: each a class's point in 12 latent factors,
    jittered, through a fixed random two-layer map to 784 pixels, plus pixel noise: a network
    must learn the map back, and a step size that suits its first epochs overshoots later."""
    rng = np.random.default_rng(2026)
    centres = rng.normal(0.0, 0.7, (10, 12))
    y = rng.integers(0, 10, rows)
    latent = centres[y] + rng.normal(0.0, 0.9, (rows, 12))
    hidden = np.tanh(latent @ rng.normal(0.0, 1.5, (12, 96)))
    X = hidden @ rng.normal(0.0, 0.3, (96, 784)) + rng.normal(0.0, 0.6, (rows, 784))
    path = folder / "mnist-shaped.npz"
    np.savez(path, X=X.astype(np.float32), y=y)
    return {"path": str(path)}


def search(method: str, data: dict, params: dict, budget: int, seed: int, folder: Path):
    if method == "pbt":
        search = {"method": "pbt", "population": POPULATION, "interval": params["epochs"] // 10}
    else:
        search = {"budget": POPULATION if method == "none" else budget, "prune": method}
    config = Config.from_dict(
        {
            "name": f"{method}-{seed}",
            "seed": seed,
            "data": data,
            "params": {**params, "optimizer": "adam", "batch_norm": True},
            "search": {**search, "jobs": 2},
            "space": SPACE,
        }
    )
    began = time.perf_counter()
    outcome = run_search(config, runs_dir=folder, force=True)
    trials = outcome.study.trials
    return {
        "seconds": time.perf_counter() - began,
        "dev": outcome.best["value"],
        "test": outcome.best["test"]["test_accuracy"],
        "trials": len(trials),
        "epochs": sum(t.epochs or 0 for t in trials),
    }


def run_ray(data: dict, params: dict, seed: int, folder: Path):
    """Ray Tune's PopulationBasedTraining on the same network (PyTorch: the same layers, batch
    norm, dropout, Adam), split, space (1 - beta1 on a log scale), population, interval and
    quantile, 2 CPUs: its best trial at its last epoch, and that trial's test accuracy."""
    import ray
    import torch
    from ray import tune
    from ray.tune.schedulers import PopulationBasedTraining

    from hpsearch.data import load_data

    split = load_data(data, seed).for_training()  # as hpsearch trains on it
    arrays = {k: getattr(split, k) for k in ("X_train", "y_train", "X_dev", "y_dev")}
    arrays.update(X_test=split.X_test, y_test=split.y_test)
    shape = (split.n_features, split.n_classes)
    epochs, interval = params["epochs"], params["epochs"] // 10

    def train(config, arrays=None):
        from torch import nn  # noqa: PLC0415

        torch.set_num_threads(1)
        X = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items()}
        X.update({k: X[k].long() for k in ("y_train", "y_dev", "y_test")})
        torch.manual_seed(config["seed"])
        # Ray's perturbations leave the space (keep_prob 0.9 x 1.2): clipped back, as ours are
        config = {
            **config,
            "learning_rate": min(max(config["learning_rate"], 1e-4), 1.0),
            "keep_prob": min(max(config["keep_prob"], 0.5), 1.0),
            "one_minus_beta1": min(max(config["one_minus_beta1"], 1e-3), 0.5),
        }
        hidden, layers = params["hidden_units"], []
        for n_in in [shape[0]] + [hidden] * (params["layers"] - 1):
            layers += [nn.Linear(n_in, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU()]
            layers.append(nn.Dropout(1 - config["keep_prob"]))
        net = nn.Sequential(*layers, nn.Linear(hidden, shape[1]))
        betas = (1 - config["one_minus_beta1"], 0.999)
        opt = torch.optim.Adam(net.parameters(), lr=config["learning_rate"], betas=betas)
        start = 0
        checkpoint = tune.get_checkpoint()
        if checkpoint:
            with checkpoint.as_directory() as where:
                state = torch.load(Path(where) / "state.pt", weights_only=False)
            net.load_state_dict(state["net"])
            opt.load_state_dict(state["opt"])
            start = state["epoch"]
            for group in opt.param_groups:  # the explored values, after the copy
                group["lr"], group["betas"] = config["learning_rate"], betas
            for module in net:
                if isinstance(module, nn.Dropout):
                    module.p = 1 - config["keep_prob"]
        loss_fn = nn.CrossEntropyLoss()
        batch = params["batch_size"]

        def accuracy(part):
            net.eval()
            with torch.no_grad():
                return float((net(X[f"X_{part}"]).argmax(1) == X[f"y_{part}"]).float().mean())

        for epoch in range(start, epochs):
            net.train()
            order = torch.randperm(len(X["X_train"]))
            for i in range(0, len(order), batch):
                idx = order[i : i + batch]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(net(X["X_train"][idx]), X["y_train"][idx])
                loss.backward()
                opt.step()
            metrics = {"dev_accuracy": accuracy("dev"), "test_accuracy": accuracy("test")}
            with tempfile.TemporaryDirectory() as where:
                state = {"net": net.state_dict(), "opt": opt.state_dict(), "epoch": epoch + 1}
                torch.save(state, Path(where) / "state.pt")
                tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(where))

    pbt = PopulationBasedTraining(
        time_attr="training_iteration",
        perturbation_interval=interval,
        quantile_fraction=0.25,
        resample_probability=0.25,
        hyperparam_mutations={
            "learning_rate": tune.loguniform(1e-4, 1.0),
            "keep_prob": tune.uniform(0.5, 1.0),
            "one_minus_beta1": tune.loguniform(1e-3, 0.5),
        },
    )
    space = {
        "learning_rate": tune.loguniform(1e-4, 1.0),
        "keep_prob": tune.uniform(0.5, 1.0),
        "one_minus_beta1": tune.loguniform(1e-3, 0.5),
        "seed": tune.randint(0, 2**31 - 1),
    }
    began = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        tuner = tune.Tuner(
            tune.with_resources(tune.with_parameters(train, arrays=arrays), {"cpu": 1}),
            param_space=space,
            tune_config=tune.TuneConfig(
                scheduler=pbt, num_samples=POPULATION, metric="dev_accuracy", mode="max"
            ),
            run_config=tune.RunConfig(storage_path=str(folder / "ray"), verbose=0),
        )
        best = tuner.fit().get_best_result(metric="dev_accuracy", mode="max", scope="last")
    finally:
        ray.shutdown()
    return {
        "seconds": time.perf_counter() - began,
        "dev": best.metrics["dev_accuracy"],
        "test": best.metrics["test_accuracy"],
        "trials": POPULATION,
        "epochs": POPULATION * epochs,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sets", default="digits,mnist")
    parser.add_argument("--methods", default="pbt,halving,none")
    parser.add_argument("--population", type=int, default=16)
    parser.add_argument("--epochs", type=int, help="instead of the data set's (60 and 20)")
    args = parser.parse_args()
    global POPULATION
    POPULATION = args.population
    methods = args.methods.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in args.sets.split(","):
            data, params, budget = SETS[name]
            data = data or mnist_shaped(folder)
            if args.epochs:
                params = {**params, "epochs": args.epochs}
            results = {m: [] for m in methods}
            for seed in range(args.seeds):
                for method in methods:
                    if method == "ray":
                        r = run_ray(data, params, seed, folder / name)
                    else:
                        r = search(method, data, params, budget, seed, folder / name)
                    results[method].append(r)
                    print(
                        f"{name} seed {seed} {method:8} dev {r['dev']:.4f} test {r['test']:.4f} "
                        f"{r['seconds']:6.1f} s, {r['trials']} trials, {r['epochs']} epochs",
                        flush=True,
                    )
            print(f"\n{name}: medians over {args.seeds} seeds")
            print("method    best dev  winner's test  wall time  trials  epochs")
            for method, rs in results.items():
                med = lambda k, rs=rs: statistics.median(r[k] for r in rs)  # noqa: E731
                print(
                    f"{method:8}  {med('dev'):.4f}    {med('test'):.4f}         "
                    f"{med('seconds'):6.1f} s  {med('trials'):6.0f}  {med('epochs'):6.0f}"
                )
            print(flush=True)


if __name__ == "__main__":
    main()
