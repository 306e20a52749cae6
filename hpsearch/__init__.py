"""hpsearch: hyperparameter search on the right scales, coarse-to-fine, with a NumPy MLP.

The Python API under the command line:

- the network: `MLP` (fit, predict_proba, predict, cost_and_grads), `gradient_check`;
- the data: `load_data`;
- the search space: `Float`, `Int`, `Categorical`, `sample_config`, `refine`, and `search` for
  any objective;
- configs and runs: `load_config`, `run_search`, `resume_search`.
"""

__version__ = "0.1.0"

from .config import load_config  # noqa: E402
from .data import load_data  # noqa: E402
from .errors import UserError  # noqa: E402
from .nn.gradcheck import gradient_check  # noqa: E402
from .nn.model import MLP  # noqa: E402
from .run import resume_search, run_search  # noqa: E402
from .search import search  # noqa: E402
from .space import Categorical, Float, Int, refine, sample_config  # noqa: E402

__all__ = ["MLP", "Categorical", "Float", "Int", "UserError", "gradient_check", "load_config", "load_data",
           "refine", "resume_search", "run_search", "sample_config", "search"]
