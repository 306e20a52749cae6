"""Reading results: a run's trials best first, counts, regions, the best model, and runs side
by side.

`open_run(path)` takes a run directory or a bare trials.csv and returns a `Run` (`run`);
`region_table(run)` says where each round searched (`regions`).
"""

from .reading import open_run
from .regions import region_table
from .run import Run, load_model

__all__ = ["Run", "load_model", "open_run", "region_table"]
