"""The command line: a thin layer over the Python API (`hpsearch --help`).

`group` holds the command group and its handling of errors; the other modules hold the commands,
each loaded when it runs: `search` (run, resume, validate, sample), `inspect` (results, compare,
plot), `model` (train, gradcheck), `steer` (nudge, rollback).
"""

from .group import main

__all__ = ["main"]
