"""The scikit-learn face of hpsearch: the network as a classifier (`MLP`), and `HPSearchCV`,
a search estimator that tunes any estimator the hpsearch way. The only modules that import
scikit-learn at the top (1.4 s), so the command line and the workers load them only when a
config names an estimator."""

from .mlp import MLP
from .search import HPSearchCV

__all__ = ["HPSearchCV", "MLP"]
