"""`Model`: a network, its optimiser, schedule and training loop, in NumPy alone.

`Model(learning_rate=3e-3, layers=2, ...)` takes the hyperparameters of `hyper.PARAMS` as
keyword arguments (checked at once: a UserError names the bad one); `fit(X, y)` trains from
scratch on any labels (strings too), `partial_fit` one more epoch, `predict` returns those
labels. Lower down, `build` + `train` continue training on encoded labels 0..C-1 (what the
search's trials do, epoch by epoch), and `state_dict`/`load_state_dict` hold everything needed
to continue bit-exactly. The scikit-learn estimator around it is `hpsearch.estimators.MLP`:
scikit-learn takes 1.4 s to import, which the command line and the workers do not pay.

Randomness: one SeedSequence per model, split into an initialisation stream and a training
stream (shuffling and dropout), so the same seed gives the same weights and the same costs.
"""

from __future__ import annotations

import json
import math

import numpy as np

from .hyper import PARAMS, resolve
from .network import Network
from .optim import OPTIMIZERS
from .schedules import learning_rate

# an epoch's record; batch_cost is the mean cost of its mini-batches as they trained (dropout on,
# batch statistics): not train_cost, which a trial measures on the train set at its end
HISTORY = ("epoch", "learning_rate", "batch_cost", "dev_cost", "dev_accuracy")
_blas_warm = False


def warm_blas():
    """Run one mid-sized float32 GEMM per process: single-threaded OpenBLAS runs small float32
    GEMMs several times slower until a larger one has initialised its buffers."""
    global _blas_warm
    if not _blas_warm:
        a = np.ones((512, 512), dtype=np.float32)
        a @ a
        _blas_warm = True


class Model:
    """A multilayer perceptron classifier trained by mini-batch gradient descent.

    After training: `history` (one record per epoch, keys HISTORY), `status` ('ok' or
    'diverged'), `stopped_early`, `epoch`. `normalize=True` standardises inputs with the training
    set's mean and std inside the model; `scaler_` holds them (also set by `load_model` for a
    run's best model, whose data was standardised before training).
    """

    def __init__(
        self, *, seed: int = 0, dtype="float32", normalize: bool = False, **hyperparameters
    ):
        self.hp = resolve(hyperparameters, key_prefix="MLP")
        self.seed, self.dtype, self.normalize = seed, np.dtype(dtype), normalize
        self.net: Network | None = None
        self.classes_ = None
        self.scaler_ = None  # (mean, std) of the inputs, or None

    def fit(self, X, y, X_dev=None, y_dev=None, callback=None) -> Model:
        """Train from scratch on (X, y) with any labels; `(X_dev, y_dev)` adds dev metrics to the
        history (and drives `patience`)."""
        X = np.asarray(X, dtype=np.float64)
        classes, codes = np.unique(np.asarray(y), return_inverse=True)
        self.start(X, classes)
        dev = (X_dev, self._encode(y_dev)) if X_dev is not None else None
        return self.train(X, codes, dev, callback)

    def partial_fit(self, X, y, classes=None) -> Model:
        """One more epoch over (X, y), any labels. The first call builds the network for
        `classes` (every label there will ever be) and, with `normalize`, standardises inputs
        with this X's mean and std from then on."""
        X = np.asarray(X, dtype=np.float64)
        if self.net is None:
            self.start(X, np.unique(np.asarray(classes)))
        codes = self._encode(y)
        warm_blas()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self.train_epoch(self._inputs(X), codes)
        return self

    def start(self, X: np.ndarray, classes) -> Model:
        """A fresh network for inputs like X (N, D) and the sorted labels `classes`, with the
        input normalisation taken from X when `normalize`."""
        self.scaler_ = None
        if self.normalize:
            std = X.std(axis=0)
            self.scaler_ = (X.mean(axis=0), np.where(std == 0, 1.0, std))
        return self.build(X.shape[1], len(classes), classes)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (N, C), columns in the order of `classes_`, computed in
        float64 whatever the dtype: a float32 product's rounding depends on the row's place in
        the batch (BLAS kernels), and a sample's prediction must not."""
        return self.net.predict_proba(self._inputs(X).astype(np.float64))

    def predict(self, X) -> np.ndarray:
        """Predicted labels, shape (N,)."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def score(self, X, y) -> float:
        """Accuracy on (X, y)."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def evaluate(self, X, y) -> tuple[float, float]:
        """(cost, accuracy) on (X, y) at inference, L2 term included."""
        return self.net.evaluate(self._inputs(X), self._encode(y), self.hp["l2"])

    def _inputs(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64 if self.scaler_ is not None else self.dtype)
        if self.scaler_ is not None:
            X = (X - self.scaler_[0]) / self.scaler_[1]
        return np.ascontiguousarray(X, dtype=self.dtype)

    def _encode(self, y) -> np.ndarray:
        """Labels as indices into `classes_`; a label the model never saw is a ValueError."""
        y = np.asarray(y)
        codes = np.searchsorted(self.classes_, y)
        codes = np.minimum(codes, len(self.classes_) - 1)
        if not np.array_equal(self.classes_[codes], y):
            unseen = y[self.classes_[codes] != y][0].item()
            raise ValueError(
                f"label {unseen!r} is not one of the classes {self.classes_.tolist()}"
            )
        return codes.astype(np.intp)

    # -- training, on encoded labels ------------------------------------------------------
    def build(self, n_features: int, n_classes: int, classes=None) -> Model:
        """A fresh network, optimiser state and random streams; labels are 0..C-1 unless
        `classes` (sorted) names them."""
        init_seq, train_seq = np.random.SeedSequence(self.seed).spawn(2)
        self.net = Network(
            n_features, n_classes, self.hp, np.random.default_rng(init_seq), self.dtype
        )
        self.rng = np.random.default_rng(train_seq)
        self.opt_state = OPTIMIZERS[self.hp["optimizer"]].init(self.net.flat)
        self.classes_ = np.arange(n_classes) if classes is None else np.asarray(classes)
        self.history, self.epoch, self.status, self.stopped_early = [], 0, "ok", False
        self._best = None  # early stopping: (dev accuracy, epoch, flat, buffers) of the best epoch
        return self

    @property
    def params(self) -> dict:
        return self.net.params

    def train(self, X, y, dev=None, callback=None) -> Model:
        """Continue training until hp['epochs'] epochs are done, the cost diverges, or early
        stopping. y holds indices into `classes_`, and so does y_dev in `dev` = (X_dev, y_dev).

        `callback(model, record)` runs after every epoch; it may change `model.hp` (the live
        hyperparameters take effect at the next epoch) and returns True to stop."""
        X, y = self._inputs(X), np.asarray(y, dtype=np.intp)
        if dev is not None:
            dev = (self._inputs(dev[0]), np.asarray(dev[1], dtype=np.intp))
        warm_blas()
        # Overflow on the way to divergence is expected: it is caught as a non-finite cost.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while (
                self.epoch < self.hp["epochs"] and self.status == "ok" and not self.stopped_early
            ):
                record = self.train_epoch(X, y, dev)
                if callback is not None and callback(self, record):
                    break
        return self

    def train_epoch(self, X, y, dev=None) -> dict:
        """One pass over (X, y) (model inputs, label indices) in shuffled mini-batches; returns
        the epoch's record."""
        hp, net = self.hp, self.net
        lr = learning_rate(hp, self.epoch)
        step = OPTIMIZERS[hp["optimizer"]].step
        m = X.shape[0]
        bs = m if hp["batch_size"] == "full" else min(int(hp["batch_size"]), m)
        order = self.rng.permutation(m) if bs < m else None
        total = 0.0
        for start in range(0, m, bs):
            if order is None:
                xb, yb = X, y
            else:
                idx = order[start : start + bs]
                xb, yb = X.take(idx, axis=0), y.take(idx)
            cost, _ = net.cost_and_grads(xb, yb, hp["l2"], hp["keep_prob"], self.rng)
            if not math.isfinite(cost):
                self.status = "diverged"
                total = float("nan") if math.isnan(cost) else math.inf
                break
            total += cost * xb.shape[0]
            step(net.flat, net.grad_flat, self.opt_state, lr, hp)
        self.epoch += 1
        record = {
            "epoch": self.epoch,
            "learning_rate": lr,
            "dev_cost": math.nan,
            "dev_accuracy": math.nan,
            "batch_cost": total / m if self.status == "ok" else total,
        }
        if dev is not None and self.status == "ok":
            record["dev_cost"], record["dev_accuracy"] = net.evaluate(*dev, l2=hp["l2"])
            if not math.isfinite(record["dev_cost"]):
                self.status = "diverged"
            self._early_stopping(record)
        self.history.append(record)
        return record

    def _early_stopping(self, record):
        """Keep the best epoch's weights; after `patience` epochs without a better dev
        accuracy, stop and restore them."""
        patience = self.hp["patience"]
        if patience is None:
            return
        if self._best is None or record["dev_accuracy"] > self._best[0]:
            buffers = {k: v.copy() for k, v in self.net.buffers.items()}
            self._best = (record["dev_accuracy"], self.epoch, self.net.flat.copy(), buffers)
        elif self.epoch - self._best[1] >= patience:
            self.stopped_early = True
            self.net.flat[...] = self._best[2]
            for k, v in self._best[3].items():
                self.net.buffers[k][...] = v

    def cost_and_grads(self, X, y, *, keep_prob: float = 1.0, update_buffers: bool = False):
        """Training-mode cost (cross-entropy + L2) on (X, y) (y: label indices) and its
        gradients, a dict keyed like `params`. Dropout is off unless keep_prob < 1; running
        statistics are left alone unless `update_buffers`."""
        X, y = self._inputs(X), np.asarray(y, dtype=np.intp)
        cost, grads = self.net.cost_and_grads(
            X, y, self.hp["l2"], keep_prob, self.rng, update_buffers
        )
        return cost, {k: v.copy() for k, v in grads.items()}

    # -- state -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything needed to continue training bit-exactly (and to predict), as named
        arrays for np.savez: parameters, buffers, optimiser state, RNG state, epoch, status,
        hyperparameters in force, history, early stopping's best epoch, classes, scaler."""
        state = {f"param.{k}": v.copy() for k, v in self.net.params.items()}
        state.update({f"buffer.{k}": v.copy() for k, v in self.net.buffers.items()})
        state.update({f"opt.{k}": np.array(v) for k, v in self.opt_state.items()})
        rows = [[r[k] for k in HISTORY] for r in self.history]
        state["history"] = np.array(rows, dtype=np.float64).reshape(-1, len(HISTORY))
        meta = {
            "epoch": self.epoch,
            "status": self.status,
            "stopped_early": self.stopped_early,
            "rng": self.rng.bit_generator.state,
            "hp": self.hp,
            "seed": self.seed,
            "dtype": self.dtype.name,
            "classes": self.classes_.tolist(),
            "sizes": self.net.sizes,
        }
        state["meta"] = np.array(json.dumps(meta))
        if self._best is not None:
            accuracy, epoch, flat, buffers = self._best
            state.update({"best.flat": flat.copy(), "best.score": np.array([accuracy, epoch])})
            state.update({f"best.buffer.{k}": v.copy() for k, v in buffers.items()})
        if self.scaler_ is not None:
            state["scaler.mean"], state["scaler.std"] = self.scaler_
        return state

    def load_state_dict(self, state) -> Model:
        """Restore what `state_dict` saved: this model becomes the saved one, architecture,
        hyperparameters in force and all."""
        meta = json.loads(str(state["meta"]))
        self.hp, self.seed, self.dtype = meta["hp"], meta["seed"], np.dtype(meta["dtype"])
        sizes = meta["sizes"]
        self.build(sizes[0], 2 if sizes[-1] == 1 else sizes[-1])
        for k, v in self.net.params.items():
            v[...] = state[f"param.{k}"]
        for k, v in self.net.buffers.items():
            v[...] = state[f"buffer.{k}"]
        for k in self.opt_state:  # absent from a state saved for predicting only
            if f"opt.{k}" in state:
                self.opt_state[k][...] = state[f"opt.{k}"]
        self.rng.bit_generator.state = meta["rng"]
        self.epoch, self.status, self.stopped_early = (
            meta["epoch"],
            meta["status"],
            meta["stopped_early"],
        )
        self.classes_ = np.asarray(meta["classes"])
        rows = state["history"].tolist() if "history" in state else []
        self.history = [dict(zip(HISTORY, row), epoch=int(row[0])) for row in rows]
        self._best = None
        if "best.flat" in state:
            accuracy, epoch = state["best.score"].tolist()
            buffers = {k: np.array(state[f"best.buffer.{k}"]) for k in self.net.buffers}
            self._best = (accuracy, int(epoch), np.array(state["best.flat"]), buffers)
        self.scaler_ = (
            (state["scaler.mean"], state["scaler.std"]) if "scaler.mean" in state else None
        )
        return self

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.hp.items() if v != PARAMS[k].default}
        return "Model(" + ", ".join(f"{k}={v!r}" for k, v in changed.items()) + ")"
