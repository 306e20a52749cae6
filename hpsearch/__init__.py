"""hpsearch: hyperparameter search on the right scales, coarse-to-fine, with a NumPy MLP.

The Python API under the command line:

- a search of any function: `search(space, objective, budget=60)` returns a `Study`
  (`best_params`, `best_value`, `best_trial`, `trials_dataframe()`); spaces are dicts of
  `Float`, `Int`, `Categorical`;
- the network: `MLP(**hyperparameters)` with scikit-learn's conventions, `gradient_check`;
- the data: `load_data`;
- configs and runs: `load_config`, `Config.from_dict`, `run_search`, `resume_search`,
  `open_run` (a run's trials, curves, best), `load_model` (a run's best model).
"""

from .config import Config, load_config
from .data import load_data
from .errors import UserError
from .nn.gradcheck import gradient_check
from .nn.model import MLP
from .results import load_model, open_run
from .runs import resume_search, run_search
from .space import Categorical, Float, Int
from .study import Study, TrialResult, search
from .version import __version__

__all__ = [
    "__version__",
    "MLP",
    "Categorical",
    "Config",
    "Float",
    "Int",
    "Study",
    "TrialResult",
    "UserError",
    "gradient_check",
    "load_config",
    "load_data",
    "load_model",
    "open_run",
    "resume_search",
    "run_search",
    "search",
]
