"""hpsearch: hyperparameter search on the right scales, coarse-to-fine, with a NumPy MLP.

The Python API under the command line:

- a search of any function: `search(space, objective, budget=60)` returns a `Study`
  (`best_params`, `best_value`, `best_trial`, `trials_dataframe()`); spaces are dicts of
  `Float`, `Int`, `Categorical`;
- the network: `MLP(**hyperparameters)`, a scikit-learn classifier, `gradient_check`;
- any scikit-learn estimator searched the same way: `HPSearchCV(estimator, space, budget=40)`;
- the data: `load_data`;
- configs and runs: `load_config`, `Config.from_dict`, `run_search`, `resume_search`,
  `open_run` (a run's trials, curves, best), `load_model` (a run's best model).
"""

from importlib import import_module

from .version import __version__

# Each name is imported when first used, so that `import hpsearch.anything` (the command line,
# every worker process) does not pay for what it does not use: pandas alone takes 0.4 s.
_HOMES = {
    "Config": "config",
    "load_config": "config",
    "load_data": "data",
    "UserError": "errors",
    "gradient_check": "nn.gradcheck",
    "HPSearchCV": "estimators",
    "MLP": "estimators",
    "load_model": "results",
    "open_run": "results",
    "resume_search": "runs",
    "run_search": "runs",
    "Categorical": "space",
    "Float": "space",
    "Int": "space",
    "Study": "study",
    "TrialResult": "study",
    "search": "study",
}


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'hpsearch' has no attribute {name!r}")
    return getattr(import_module(f".{_HOMES[name]}", __name__), name)


def __dir__():
    return sorted(__all__)


__all__ = ["__version__", *_HOMES]
