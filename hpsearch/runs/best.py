"""The best trial of a run: best.json, and best.npz with its weights, label mapping and input
normalisation, so that `load_model(run)` predicts on raw inputs."""

from __future__ import annotations

import json
import warnings

import numpy as np

from ..nn.blas import one_thread
from ..nn.model import Model
from ..objective import MLPObjective
from ..store import RunDir
from ..store.checkpoints import UNREADABLE
from ..study import Task, TrialResult


def summary(result: TrialResult, config, test: dict | None = None) -> dict:
    """best.json: the trial, its metric, the values it was sampled with and those it ended with
    (after nudges and rollbacks, which are listed), its metrics, and the test set's."""
    interventions = [
        {"epoch": i["epoch"], "kind": i["kind"], "change": i["change"]}
        for i in result.interventions
    ]
    return {
        "trial": result.trial,
        "round": result.round,
        "metric": config.goal.metric,
        "goal": config.goal.direction,
        "value": result.value,
        "sampled": result.params,
        "params": {**config.params, **result.final_params},
        "interventions": interventions,
        "metrics": result.metrics,
        "epochs": result.epochs,
        "seconds": round(result.seconds, 3),
        "seed": result.seed,
        "test": test,
    }


class BestKeeper:
    """Keeps best.json and best.npz up to date as results arrive."""

    def __init__(self, config, run: RunDir, done: list, data):
        self.config, self.run, self.data, self.goal = config, run, data, config.goal
        self.threads = config.search.get("threads") or 1  # BLAS threads, as the trials had
        self.best = self.goal.best(done)

    def consider(self, result: TrialResult):
        """Keep `result` if it ranks first (ties go to the lower trial number, so the best is
        the same whatever order the results arrive in)."""
        if self.goal.best([r for r in (self.best, result) if r is not None]) is not result:
            return
        self.best = result
        weights = (
            self._weights(result.model)
            if result.model is not None and self.data is not None
            else None
        )
        self.run.write_best(summary(result, self.config), weights)

    def _weights(self, state: dict) -> dict:
        """The model's state with the data's labels and input normalisation in it."""
        meta = json.loads(str(state["meta"]))
        meta["classes"] = list(self.data.classes)
        weights = {**state, "meta": np.array(json.dumps(meta)), "trial": np.array(self.best.trial)}
        if self.data.scaler is not None:
            weights["scaler.mean"], weights["scaler.std"] = self.data.scaler
        return weights

    def finish(self) -> dict | None:
        """best.json with the best trial's test metrics (the built-in network's, or the
        estimator's refitted on train and dev, saved in best.joblib)."""
        if self.best is None:
            return None
        test = None
        if self.config.builtin and self.data is not None and len(self.data.y_test):
            with one_thread(self.threads):  # as trials evaluate (see nn.blas)
                cost, accuracy = self._model().evaluate(self.data.X_test, self.data.y_test)
            test = {"test_cost": cost, "test_accuracy": accuracy}
        if self.config.estimator and self.data is not None:
            test = self._refit()
        out = summary(self.best, self.config, test)
        self.run.write_best(out)
        return out

    def _refit(self) -> dict | None:
        """Refit the best trial's estimator on train and dev, save it (best.joblib), and
        return its test score (None without a test part)."""
        from ..estimators.named import refit_and_test  # noqa: PLC0415  (scikit-learn)

        params = {**self.config.params, **self.best.params}
        estimator, test = refit_and_test(
            self.config.estimator, params, self.data, self.config.scoring, self.config.seed
        )
        self.run.write_estimator(estimator)
        return test

    def _model(self) -> Model:
        """The best trial's trained model, working on the data as loaded (standardised inputs,
        label indices): its saved weights, or, when they were lost with an interrupted run,
        the same training again with its interventions replayed, which gives the same
        weights."""
        if self.run.best_npz.exists():
            try:
                with np.load(self.run.best_npz, allow_pickle=False) as f:
                    state = dict(f)
                if int(state.get("trial", -1)) == self.best.trial:
                    model = Model().load_state_dict(state)
                    model.classes_, model.scaler_ = np.arange(self.data.n_classes), None
                    return model
            except UNREADABLE as e:
                warnings.warn(
                    f"{self.run.best_npz} is unreadable ({type(e).__name__}); training trial "
                    f"{self.best.trial} again for its weights",
                    stacklevel=2,
                )
        objective = MLPObjective(self.data, self.config.params, self.goal, self.threads)
        task = Task(self.best.trial, self.best.round, self.best.params, self.best.seed)
        return objective.replay(task, self.best.interventions)
