"""Search spaces (a dict: hyperparameter name -> distribution): distributions on their scales,
conditions, sampling, and coarse-to-fine regions. Knows nothing of the network or of trials."""

from .conditions import active_names, check_conditions, drop_inactive, may_apply
from .distributions import Categorical, Float, Int, parse_distribution
from .propose import propose
from .regions import Point, refine
from .sampler import Region, sample_config, whole_space

__all__ = [
    "Categorical",
    "Float",
    "Int",
    "Point",
    "Region",
    "active_names",
    "check_conditions",
    "may_apply",
    "drop_inactive",
    "parse_distribution",
    "propose",
    "refine",
    "sample_config",
    "whole_space",
]
