"""One trial of the built-in network: hyperparameters + data -> metrics and learning curve."""

from __future__ import annotations

import math

import numpy as np

from .nn.model import MLP

NAN_METRICS = {"train_cost": math.nan, "train_accuracy": math.nan, "dev_cost": math.nan, "dev_accuracy": math.nan}


def trial_seed(run_seed: int, trial: int) -> int:
    """The training seed of a trial: from the run seed and trial number only, so a trial's
    result does not depend on which worker ran it or when."""
    return int(np.random.SeedSequence([run_seed, trial]).generate_state(1)[0])


def train_model(hp: dict, data, seed: int, callback=None) -> MLP:
    """An MLP with hyperparameters `hp` trained on `data` (a Dataset)."""
    model = MLP(hp, seed=seed)
    model.build(data.n_features, data.n_classes)
    return model.fit(data.X_train, data.y_train, data.X_dev, data.y_dev, callback=callback)


def model_metrics(model: MLP, data) -> dict:
    """Final metrics of a trained model; NaN everywhere when it diverged."""
    if model.status != "ok":
        return {**NAN_METRICS, "epochs": model.epoch}
    train_cost, train_acc = model.evaluate(data.X_train, data.y_train)
    dev_cost, dev_acc = model.evaluate(data.X_dev, data.y_dev)
    return {"train_cost": train_cost, "train_accuracy": train_acc, "dev_cost": dev_cost,
            "dev_accuracy": dev_acc, "epochs": model.epoch}


class MLPObjective:
    """The built-in objective: trains the MLP on fixed data with `fixed` params updated by the
    sampled ones. Returns the metrics and the learning curve."""

    def __init__(self, data, fixed: dict, run_seed: int):
        self.data, self.fixed, self.run_seed = data, fixed, run_seed

    def run_task(self, task) -> dict:
        seed = trial_seed(self.run_seed, task.trial)
        model = train_model({**self.fixed, **task.params}, self.data, seed)
        # The weights travel back only for finished models: the runner keeps the best one's,
        # so the test set is evaluated once, for the best trial alone.
        state = model.state_dict() if model.status == "ok" else None
        return {**model_metrics(model, self.data), "seed": seed, "curve": model.history, "model": state}
