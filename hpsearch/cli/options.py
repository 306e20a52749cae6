"""Options several commands share, declared once."""

from __future__ import annotations

import click

from .output import FORMATS

SET_HELP = (
    "Override a config value, as KEY=VALUE (YAML): search.budget=50, "
    "space.learning_rate.high=0.1, or a bare hyperparameter such as learning_rate=0.01 "
    "to fix it. Repeatable."
)


def overrides(function):
    return click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)(
        function
    )


def output_format(function):
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output format: an aligned table, markdown (rounded as the table is), or csv and "
        "json with every digit.",
    )(function)


def config_file(function):
    return click.argument("config_file", type=click.Path())(function)


def run_dir(function):
    return click.argument("run_dir", type=click.Path())(function)  # a file: RunDir.open says


def where(function):
    """--jobs and --scheduler: where trials run (never what they compute)."""
    function = click.option(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="Dask scheduler: run the trials on that cluster.",
    )(function)
    return click.option(
        "--jobs",
        type=int,
        callback=_nonzero,
        help="Parallel workers (caviar); -1: one per core.",
    )(function)


def _nonzero(context, parameter, value):
    """--jobs 0 is refused by run (through the config) and resume alike."""
    if value == 0:
        raise click.BadParameter(
            "0 workers run nothing; give a number such as 2, or -1 for one per core."
        )
    return value
