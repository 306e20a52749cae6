"""Commands that steer a panda run from another terminal: nudge, rollback."""

from __future__ import annotations

import click

from ..config import parse_override
from ..modes.steer import request_nudge, request_rollback
from ..nn.hyper import LIVE
from . import options
from .output import say


def _pairs(overrides) -> dict:
    return dict(parse_override(item) for item in overrides)


@click.command()
@options.run_dir
@click.option("--lr-factor", type=float, help="Multiply the learning rate by this factor (> 0).")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help=f"Change a hyperparameter that may change mid-training ({', '.join(LIVE)}). Repeatable.",
)
@click.option(
    "--trial",
    type=click.IntRange(min=0),
    help="A pbt run: the trial to nudge, at the end of the generation running (in panda "
    "mode, by default the trial training now).",
)
def nudge(run_dir, lr_factor, overrides, trial):
    """Panda: change a hyperparameter of the trial being trained, from its next epoch on (or,
    when the search is stopped, from when it resumes). A pbt run: of trial T (--trial; in
    panda mode, by default the trial training now), from the end of the generation running."""
    say(f"nudge recorded: {request_nudge(run_dir, lr_factor, _pairs(overrides), trial)}")


@click.command()
@options.run_dir
@click.option("--trial", required=True, type=click.IntRange(min=0), help="The trial to take back.")
@click.option(
    "--epoch",
    required=True,
    type=click.IntRange(min=0),
    help="The epoch to go back to (0: the trial's start); any epoch it reached.",
)
@click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE", help="New values from there on."
)
def rollback(run_dir, trial, epoch, overrides):
    """Panda: take trial T back to the end of epoch E, optionally with new values, at the next
    resume. The abandoned epochs stay in curves.csv, marked. Not a pbt run's: its trials copy
    each other's state."""
    say(f"rollback recorded: {request_rollback(run_dir, trial, epoch, _pairs(overrides))}")
