"""`MLP`: a network plus its optimiser, schedule and training loop, with a scikit-learn-like API.

Randomness: one SeedSequence per model, split into an initialisation stream and a training
stream (shuffling and dropout), so the same seed gives the same weights and the same costs.
"""

from __future__ import annotations

import json
import math
from operator import itemgetter

import numpy as np

from .. import params as P
from .network import Network, unpack
from .optim import OPTIMIZERS
from .schedules import learning_rate

HISTORY = ("epoch", "learning_rate", "train_cost", "dev_cost", "dev_accuracy")  # an epoch's record
_blas_warm = False


def warm_blas():
    """Run one mid-sized float32 GEMM per process: single-threaded OpenBLAS runs small float32
    GEMMs several times slower until a larger one has initialised its buffers."""
    global _blas_warm
    if not _blas_warm:
        a = np.ones((512, 512), dtype=np.float32)
        a @ a
        _blas_warm = True


class MLP:
    """A multilayer perceptron trained by mini-batch gradient descent.

    `hp` holds hyperparameters (see `hpsearch.params.PARAMS`; missing ones take defaults).
    Labels are integers 0..C-1. After `fit`: `history` (one dict per epoch), `status`
    ('ok' or 'diverged') and `stopped_early`.
    """

    def __init__(self, hp: dict | None = None, *, seed: int = 0, dtype=np.float32, **overrides):
        self.hp = P.resolve({**(hp or {}), **overrides})
        self.seed, self.dtype = seed, np.dtype(dtype)
        self.net: Network | None = None
        self.history: list[dict] = []
        self._rows = np.zeros((16, len(HISTORY)))  # the history as numbers, for checkpoints
        self.epoch = 0
        self.status = "ok"
        self.stopped_early = False

    # -- construction ------------------------------------------------------------------
    def build(self, n_features: int, n_classes: int) -> "MLP":
        """Create the network's parameters and the optimiser's state."""
        init_seq, train_seq = np.random.SeedSequence(self.seed).spawn(2)
        self.net = Network(n_features, n_classes, self.hp, np.random.default_rng(init_seq), self.dtype)
        self.rng = np.random.default_rng(train_seq)
        self.opt_state = OPTIMIZERS[self.hp["optimizer"]].init(self.net.flat)
        self._best = None
        self._gather_state()
        return self

    def _gather_state(self):
        """Move the parameters, the batch-norm buffers and the optimiser's arrays into one
        array, `_block`, laid out as `_block_shapes` says: a checkpoint copies it at once."""
        arrays = {"flat": self.net.flat, **{f"buffer.{k}": v for k, v in self.net.buffers.items()},
                  **{f"opt.{k}": v for k, v in self.opt_state.items() if k != "t"}}
        self._block = np.concatenate([a.ravel() for a in arrays.values()])
        self._block_shapes = {name: a.shape for name, a in arrays.items()}
        views = unpack(self._block, self._block_shapes)
        self.net.adopt(views["flat"], {k: views[f"buffer.{k}"] for k in self.net.buffers})
        self.opt_state.update({k: views[f"opt.{k}"] for k in self.opt_state if k != "t"})

    @property
    def params(self) -> dict:
        return self.net.params

    # -- training ------------------------------------------------------------------------
    def fit(self, X, y, X_dev=None, y_dev=None, *, n_classes: int | None = None, callback=None):
        """Train until hp['epochs'] epochs are done, the cost diverges, or early stopping.

        `callback(model, record)` runs after every epoch; it may change `model.hp` (the live
        hyperparameters take effect at the next epoch) and returns True to stop."""
        X, y = self._as_data(X, y)
        if self.net is None:
            self.build(X.shape[1], n_classes or int(y.max()) + 1)
        warm_blas()
        dev = self._as_data(X_dev, y_dev) if X_dev is not None else None
        # Overflow on the way to divergence is expected: it is caught as a non-finite cost.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while self.epoch < self.hp["epochs"] and self.status == "ok" and not self.stopped_early:
                record = self.train_epoch(X, y, dev)
                if callback is not None and callback(self, record):
                    break
        return self

    def _as_data(self, X, y):
        return np.ascontiguousarray(X, dtype=self.dtype), np.asarray(y, dtype=np.intp)

    def train_epoch(self, X, y, dev=None) -> dict:
        """One pass over (X, y) in shuffled mini-batches; returns the epoch's record."""
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
        record = {"epoch": self.epoch, "learning_rate": lr,  # the keys of HISTORY
                  "train_cost": total / m if self.status == "ok" else total,
                  "dev_cost": math.nan, "dev_accuracy": math.nan}
        if dev is not None and self.status == "ok":
            record["dev_cost"], record["dev_accuracy"] = net.evaluate(*dev, l2=hp["l2"])
            if not math.isfinite(record["dev_cost"]):
                self.status = "diverged"
            self._early_stopping(record)
        self._remember(record)
        return record

    def _remember(self, record: dict):
        """Append an epoch's record to `history`, and as a row of numbers to `_rows` (which
        doubles when full), so a checkpoint copies the history instead of converting it."""
        self.history.append(record)
        if len(self.history) > len(self._rows):
            self._rows = np.concatenate([self._rows, np.zeros_like(self._rows)])
        self._rows[len(self.history) - 1] = itemgetter(*HISTORY)(record)

    def _early_stopping(self, record):
        """Keep the best epoch's weights; after `patience` epochs without a better dev
        accuracy, stop and restore them."""
        patience = self.hp["patience"]
        if patience is None:
            return
        if self._best is None or record["dev_accuracy"] > self._best[0]:
            self._best = (record["dev_accuracy"], self.epoch, self.net.flat.copy(),
                          {k: v.copy() for k, v in self.net.buffers.items()})
        elif self.epoch - self._best[1] >= patience:
            self.stopped_early = True
            self.net.flat[...] = self._best[2]
            for k, v in self._best[3].items():
                self.net.buffers[k][...] = v

    # -- inference -------------------------------------------------------------------------
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (N, C)."""
        return self.net.predict_proba(np.ascontiguousarray(X, dtype=self.dtype))

    def predict(self, X) -> np.ndarray:
        """Predicted class labels, shape (N,)."""
        return self.predict_proba(X).argmax(axis=1)

    def evaluate(self, X, y) -> tuple[float, float]:
        """(cost, accuracy) on (X, y) at inference, L2 term included."""
        X, y = self._as_data(X, y)
        return self.net.evaluate(X, y, self.hp["l2"])

    def cost_and_grads(self, X, y, *, keep_prob: float = 1.0, update_buffers: bool = False):
        """Training-mode cost (cross-entropy + L2) on (X, y) and its gradients, a dict keyed like
        `params`. Dropout is off unless keep_prob < 1; running statistics are left alone."""
        X, y = self._as_data(X, y)
        cost, grads = self.net.cost_and_grads(X, y, self.hp["l2"], keep_prob, self.rng, update_buffers)
        return cost, {k: v.copy() for k, v in grads.items()}

    # -- checkpoints -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything needed to continue training bit-exactly, as arrays (for np.savez)."""
        block, recipe = self.checkpoint_parts()
        return state_from_parts(block.copy().view(np.uint8), recipe)

    def checkpoint_parts(self, **extra) -> tuple[np.ndarray, tuple]:
        """The state in two parts: the model's own block of arrays and a small picklable recipe
        (the history goes as bytes, which pickle five times faster than an array), both
        referring to the model's live objects: copy or pickle them before training goes on; `state_from_parts(bytes of the block, recipe)` is
        `state_dict()`, plus `extra` entries. A checkpoint every epoch sends these to another
        process, which does the rest."""
        values = {"epoch": self.epoch, "status": self.status, "stopped_early": self.stopped_early,
                  "rng": self.rng.bit_generator.state, "hp": self.hp, "t": int(self.opt_state["t"]),
                  "history": self._rows[: len(self.history)].tobytes(), "best": self._best, "extra": extra}
        return self._block, (self._block_shapes, self._block.dtype.str, values)

    def load_state_dict(self, state) -> "MLP":
        """Restore what `state_dict` saved into a model built with the same architecture."""
        self.net.flat[...] = state["flat"]
        for k in self.net.buffers:
            self.net.buffers[k][...] = state[f"buffer.{k}"]
        for k in self.opt_state:
            self.opt_state[k][...] = state[f"opt.{k}"]
        self.rng.bit_generator.state = json.loads(str(state["rng"]))
        self.epoch, self.status = int(state["epoch"]), str(state["status"])
        self.stopped_early = bool(state["stopped_early"])
        self.hp = json.loads(str(state["hp"]))
        self.history = []
        for row in state["history"]:
            self._remember(dict(zip(HISTORY, row.tolist()), epoch=int(row[0])))
        self._best = None
        if "best.flat" in state:
            self._best = (float(state["best.accuracy"]), int(state["best.epoch"]), np.array(state["best.flat"]),
                          {k: np.array(state[f"best.buffer.{k}"]) for k in self.net.buffers})
        return self


def state_from_parts(block: np.ndarray, recipe: tuple) -> dict[str, np.ndarray]:
    """The state dict `MLP.checkpoint_parts` describes, from the bytes of its block (arrays of
    the block are views of `block`)."""
    shapes, dtype, v = recipe
    state = {"epoch": np.array(v["epoch"]), "status": np.array(v["status"]),
             "stopped_early": np.array(v["stopped_early"]), "rng": np.array(json.dumps(v["rng"])),
             "hp": np.array(json.dumps(v["hp"])), "history": np.frombuffer(v["history"]).reshape(-1, len(HISTORY)),
             "opt.t": np.array(v["t"], np.int64)}
    state.update(unpack(block.view(dtype), shapes))
    if v["best"] is not None:  # early stopping's best epoch so far
        accuracy, epoch, flat, buffers = v["best"]
        state.update({"best.accuracy": np.array(accuracy), "best.epoch": np.array(epoch), "best.flat": flat.copy()})
        state.update({f"best.buffer.{k}": b.copy() for k, b in buffers.items()})
    state.update({k: np.array(x) for k, x in v["extra"].items()})
    return state
