"""Search spaces (a dict: hyperparameter name -> distribution): distributions on their
scales, sampling, and coarse-to-fine regions."""

from .distributions import Categorical, Float, Int, parse_distribution
from .sampler import Region, sample_config, whole_space
from .refine import refine

__all__ = ["Categorical", "Float", "Int", "Region", "parse_distribution",
           "refine", "sample_config", "whole_space"]
