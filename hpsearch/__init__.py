"""hpsearch: hyperparameter search on the right scales, coarse-to-fine, with a NumPy MLP."""

__version__ = "0.1.0"
