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
        type=JOBS,
        help="Parallel workers (caviar); -1: one per core; auto: workers and BLAS threads "
        "from the model's size.",
    )(function)


class Jobs(click.ParamType):
    """--jobs: auto or a number of workers; 0 is refused by run (through the config) and resume
    alike."""

    name = "N|auto"

    def convert(self, value, param, ctx):
        if value == "auto" or (isinstance(value, int) and value != 0):
            return value
        try:
            number = int(value)
        except ValueError:
            self.fail(
                f"{value!r} is neither auto nor a whole number; give auto, a number of workers "
                "such as 2, or -1 for one per core.",
                param,
                ctx,
            )
        if number == 0:
            self.fail("0 workers run nothing; give a number such as 2, or -1 for one per core.")
        return number


JOBS = Jobs()
