"""`Dataset`: a split data set, in two forms that must not be mixed up.

`load_data` gives the data as the user has it: raw inputs and the original labels, which is
what a model from `load_model(run)` predicts on and predicts (`model.score(d.X_test,
d.y_test)` is right). `for_training()` gives what the network trains on inside a search:
inputs standardised with the train set's mean and std (when the config normalizes; the same
transform applied to dev and test) as contiguous float32, labels as indices 0..C-1 into
`classes`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Dataset:
    X_train: np.ndarray
    y_train: np.ndarray
    X_dev: np.ndarray
    y_dev: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: list = field(default_factory=list)  # the original label of each class index
    features: list = field(default_factory=list)
    name: str = ""
    scaler: tuple | None = None  # (mean, std) the network's inputs are standardised with
    codes: tuple | None = field(default=None, repr=False)  # raw form: the labels as indices
    training: bool = False  # True: the network's form (see for_training)

    def __setstate__(self, state: dict):
        """Unpickled (as Dask hands scattered data to a worker), an array may start at any
        byte of a network buffer; NumPy and BLAS run ~10x slower on float32 not aligned to 4
        bytes, so those arrays are copied once here (the buffer is freed after)."""
        for key, value in state.items():
            if isinstance(value, np.ndarray) and not value.flags.aligned:
                state[key] = np.require(value, requirements=["ALIGNED", "C_CONTIGUOUS"])
        self.__dict__.update(state)

    def train_and_dev(self) -> tuple[np.ndarray, np.ndarray]:
        """(X, y) of the train and dev parts together. X is a view where the two lie side by
        side in one block, as loading leaves them (a copy of a large table costs its size
        again); a copy otherwise (parts given apart, or unpickled)."""
        y = np.concatenate([self.y_train, self.y_dev])
        a, b, block = self.X_train, self.X_dev, self.X_train.base
        side_by_side = (
            isinstance(block, np.ndarray)
            and block is b.base
            and block.ndim == 2
            and a.shape[1:] == b.shape[1:] == block.shape[1:]
            and block.flags.c_contiguous
            and a.flags.c_contiguous
            and b.flags.c_contiguous
            and a.ctypes.data + a.nbytes == b.ctypes.data
        )
        if side_by_side:
            start = (a.ctypes.data - block.ctypes.data) // block.strides[0]
            return block[start : start + len(a) + len(b)], y
        return np.concatenate([a, b]), y

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def for_training(self) -> Dataset:
        """The arrays the network trains on: standardised float32 inputs, label indices."""
        if self.training:
            return self
        mean, std = self.scaler if self.scaler is not None else (0.0, 1.0)
        inputs = (
            np.ascontiguousarray((x - mean) / std, dtype=np.float32)
            for x in (self.X_train, self.X_dev, self.X_test)
        )
        X_train, X_dev, X_test = inputs
        y_train, y_dev, y_test = self.codes
        return dataclasses.replace(
            self,
            X_train=X_train,
            y_train=y_train,
            X_dev=X_dev,
            y_dev=y_dev,
            X_test=X_test,
            y_test=y_test,
            codes=None,
            training=True,
        )
