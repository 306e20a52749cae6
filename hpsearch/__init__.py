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

__version__ = "0.2.0"

from .config import (
    Config,  # noqa: E402
    load_config,  # noqa: E402
)
from .data import load_data  # noqa: E402
from .errors import UserError  # noqa: E402
from .nn.gradcheck import gradient_check  # noqa: E402
from .nn.model import MLP  # noqa: E402
from .results import load_model, open_run  # noqa: E402
from .runs import resume_search, run_search  # noqa: E402
from .space import Categorical, Float, Int  # noqa: E402
from .study import Study, TrialResult, search  # noqa: E402

__all__ = [
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
