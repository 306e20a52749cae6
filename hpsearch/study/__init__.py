"""The generic search: trial records and the goal, round sizes, pruning rules, trials and the
round loop. Knows the search space, and nothing of the network, the data or the run directory."""

from .loop import SearchFailed, Settings, run_study, search
from .pbt import Member, Population, lineage, run_pbt
from .plan import Plan
from .prune import PruneRule, Pruning
from .record import (
    HEAD_COLUMNS,
    RECORDED,
    STATUSES,
    TAIL_COLUMNS,
    Goal,
    TrialResult,
    counts,
    table_columns,
)
from .study import Study, describe
from .trial import FunctionObjective, Task, Trial, failure, trial_passing, trial_seed

__all__ = [
    "HEAD_COLUMNS",
    "TAIL_COLUMNS",
    "table_columns",
    "STATUSES",
    "RECORDED",
    "counts",
    "FunctionObjective",
    "Goal",
    "Plan",
    "Member",
    "Population",
    "lineage",
    "run_pbt",
    "PruneRule",
    "Pruning",
    "SearchFailed",
    "Settings",
    "Study",
    "Task",
    "Trial",
    "TrialResult",
    "describe",
    "failure",
    "run_study",
    "search",
    "trial_passing",
    "trial_seed",
]
