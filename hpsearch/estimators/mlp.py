"""`MLP`: the NumPy network as a scikit-learn classifier.

It passes scikit-learn's own `check_estimator` (tests/estimators/test_mlp.py): the constructor
stores its arguments as given, `fit` validates them and the data and sets the fitted attributes
(`classes_`, `n_features_in_`, `feature_names_in_` from a DataFrame, `loss_curve_`, `n_iter_`,
`model_`), so `clone`, `Pipeline`, `GridSearchCV`, `cross_val_score` and `HPSearchCV` work with
it. The training itself is `nn.model.Model`'s, which knows nothing of scikit-learn.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..errors import UserError
from ..nn.hyper import PARAMS
from ..nn.model import Model
from .folds import as_value_error

DTYPES = ("float32", "float64")


class MLP(ClassifierMixin, BaseEstimator):
    """A multilayer perceptron classifier trained by mini-batch gradient descent.

    The hyperparameters are those of `hpsearch validate` (`layers` hidden layers of
    `hidden_units`, `activation`, `batch_norm`, dropout's `keep_prob`, `l2`, `optimizer` with
    its `learning_rate`, `beta`/`beta1`/`beta2`, `epsilon`, `batch_size`, `epochs`, the
    `lr_decay` schedule and its `decay_rate`, early stopping's `patience`); `normalize=True`
    standardises inputs with the training set's mean and std; `dtype` is the network's float
    type; `random_state` (an int, or None for a fresh seed) fixes the weights and the batches.

    Fitted: `classes_`, `n_features_in_`, `feature_names_in_` (from a DataFrame), `loss_curve_`
    (the mean mini-batch cost of each epoch), `validation_scores_` (the dev accuracy of each epoch,
    when `fit` was given X_dev and y_dev), `n_iter_` (epochs trained), `model_` (the trained
    `nn.model.Model`: weights, optimiser state, history).
    """

    def __init__(
        self,
        *,
        layers=2,
        hidden_units=64,
        activation="relu",
        init="he",
        batch_norm=True,
        keep_prob=1.0,
        l2=0.0,
        optimizer="adam",
        learning_rate=0.001,
        beta=0.9,
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-8,
        batch_size=64,
        epochs=20,
        lr_decay="none",
        decay_rate=1.0,
        patience=None,
        normalize=False,
        dtype="float32",
        random_state=0,
    ):
        self.layers = layers
        self.hidden_units = hidden_units
        self.activation = activation
        self.init = init
        self.batch_norm = batch_norm
        self.keep_prob = keep_prob
        self.l2 = l2
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.beta = beta
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.epochs = epochs
        self.lr_decay = lr_decay
        self.decay_rate = decay_rate
        self.patience = patience
        self.normalize = normalize
        self.dtype = dtype
        self.random_state = random_state

    def fit(self, X, y, X_dev=None, y_dev=None) -> MLP:
        """Train from scratch on (X, y), any labels; (X_dev, y_dev) adds each epoch's dev
        accuracy to `validation_scores_` and drives `patience`."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                f"MLP needs at least 2 classes in y to learn from, got 1 class: {classes[0]!r}"
            )
        if X_dev is not None:
            X_dev = validate_data(self, X_dev, dtype=np.float64, reset=False)
        self.model_ = self._model().fit(X, y, X_dev, y_dev)
        return self._fitted()

    def partial_fit(self, X, y, classes=None) -> MLP:
        """One epoch over (X, y). The first call needs `classes`, every label there will be;
        with `normalize`, its X sets the input standardisation for good."""
        first = not hasattr(self, "model_")
        if first and classes is None:
            raise ValueError("classes must be given to the first call of partial_fit")
        X, y = validate_data(self, X, y, dtype=np.float64, reset=first)
        check_classification_targets(y)
        if first:
            classes = np.unique(classes)
            if len(classes) < 2:
                raise ValueError(f"MLP needs at least 2 classes, got {classes.tolist()}")
            self.model_ = self._model()
        self.model_.partial_fit(X, y, classes)
        return self._fitted()

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (N, C), columns in the order of `classes_`."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.model_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        """Predicted labels, shape (N,)."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    @classmethod
    def from_model(cls, model: Model) -> MLP:
        """A fitted MLP around a trained `Model` (a run's best, a checkpoint)."""
        hp = {name: model.hp[name] for name in PARAMS}
        dtype, normalize = model.dtype.name, model.scaler_ is not None
        estimator = cls(**hp, normalize=normalize, dtype=dtype, random_state=model.seed)
        estimator.model_, estimator.n_features_in_ = model, model.net.sizes[0]
        return estimator._fitted()

    def _model(self) -> Model:
        """A fresh `Model` of these hyperparameters; bad ones are a ValueError naming them."""
        if self.dtype not in DTYPES and np.dtype(self.dtype).name not in DTYPES:
            raise ValueError(f"MLP.dtype: {self.dtype!r} is not one of {', '.join(DTYPES)}")
        seed = self.random_state
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        elif isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise ValueError(f"MLP.random_state: {seed!r} is not a seed; use an int >= 0, or None")
        hp = {name: getattr(self, name) for name in PARAMS}
        try:
            return Model(**hp, seed=int(seed), dtype=self.dtype, normalize=bool(self.normalize))
        except UserError as e:
            raise as_value_error(e) from None

    def _fitted(self) -> MLP:
        """The fitted attributes, from `model_`; warns when training diverged."""
        model = self.model_
        self.classes_ = model.classes_
        self.n_iter_ = model.epoch
        self.loss_curve_ = [r["batch_cost"] for r in model.history]
        dev = [r["dev_accuracy"] for r in model.history]
        self.validation_scores_ = dev if not np.isnan(dev).all() else None
        if model.status == "diverged":
            warnings.warn(
                f"the training cost diverged at epoch {model.epoch}: "
                "the model predicts nothing useful; lower learning_rate",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self
