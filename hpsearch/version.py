"""The version of hpsearch, written once."""

__version__ = "0.2.0"
