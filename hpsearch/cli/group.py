"""The command group and what it does with errors.

Every command turns `UserError` and a bad option into one line on stderr and exit code 2;
Ctrl-C into one line and exit code 130; a search whose first round all failed into one line and
exit code 1; output into a closed pipe (`| head`) into a quiet exit 0. Anything else that
escapes is a bug and exits with code 1.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
import warnings

import click

from ..errors import CannotContinue, SearchInterrupted, UserError, unknown
from ..study import SearchFailed  # not hpsearch.runs: gradcheck, results... need no joblib
from ..version import __version__


class Refused(click.ClickException):
    """Bad input: one line, exit code 2."""

    exit_code = 2

    def show(self, file=None):
        click.echo(f"error: {self.format_message()}", err=True)


COMMANDS = {  # command -> (the module of hpsearch.cli that defines it, its summary for --help)
    "run": (
        "search",
        "Run a search: write runs/NAME/ with trials.csv, curves.csv, rounds.json, best.json.",
    ),
    "resume": (
        "search",
        "Continue an interrupted search exactly where it stopped, or extend a finished one.",
    ),
    "validate": (
        "search",
        "Check CONFIG_FILE with every check `run` makes (data loaded, objective imported) and "
        "print the resolved config, defaults filled in.",
    ),
    "sample": (
        "search",
        "Print N configurations sampled from the whole space (as round 1 does), training nothing.",
    ),
    "results": (
        "inspect",
        "The trials of a run (or a trials.csv), best first, with counts, regions and the best.",
    ),
    "compare": ("inspect", "Runs (or trials.csv files) side by side, even with different spaces."),
    "plot": (
        "inspect",
        "PNG plots: metric against each hyperparameter, the coarse-to-fine picture, learning "
        "curves, best so far.",
    ),
    "train": (
        "model",
        "Train one model with the fixed params (searched ones at the centre of their range) and"
        " show its learning curve; with a custom objective, run one trial in the foreground.",
    ),
    "replay": (
        "model",
        "Train a trial's whole schedule (PBT's exploits and explores, panda's nudges) again as "
        "one model, from scratch, and check that it reproduces the trial's metrics.",
    ),
    "gradcheck": (
        "model",
        "Gradient checking of the configured network: centred differences in float64, dropout "
        "off, L2 included.",
    ),
    "nudge": (
        "steer",
        "Panda: change a hyperparameter of the trial being trained, from its next epoch on (or,"
        " when the search is stopped, from when it resumes).",
    ),
    "rollback": (
        "steer",
        "Panda: take trial T back to the end of epoch E, optionally with new values, at the "
        "next resume.",
    ),
    "dashboard": (
        "web",
        "A local web page over every run in RUNS_DIR (default: runs), updated live as runs "
        "write; panda runs can be nudged and rolled back from it.",
    ),
    "report": (
        "web",
        "The dashboard's views of one run or more (several: also side by side) in one HTML file"
        " that opens offline: no network request, the data and the chart library inline.",
    ),
}


class Group(click.Group):
    """Commands load their module when they run, so `hpsearch nudge` (or --help) does not wait
    for matplotlib; errors become one line and an exit code."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        return getattr(importlib.import_module(f"hpsearch.cli.{COMMANDS[name][0]}"), name)

    def resolve_command(self, ctx, args):
        if args and args[0] not in COMMANDS and not args[0].startswith("-"):
            raise unknown("command", args[0], list(COMMANDS))  # with the nearest one
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx, formatter):
        """The list in --help, from COMMANDS: without importing every command's module."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_, summary) in COMMANDS.items()])

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as e:
            raise Refused(e.message) from None
        except click.UsageError as e:  # a bad option or argument: one line, with where to look
            where = e.ctx.command_path if e.ctx else "hpsearch"
            raise Refused(f"{e.format_message()} See: {where} --help") from None
        except SearchInterrupted as e:
            from .output import terminal, width  # noqa: PLC0415  (numpy: not for --help)

            text = str(e)
            if terminal(err=True) and len(text) > width():  # the command whole, on its own line
                text = text.replace("continue with: ", "continue with:\n  ")
            click.echo(text, err=True)
            ctx.exit(e.code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except CannotContinue as e:  # a full disk, a lost scheduler: nothing wrong with the search
            click.echo(f"error: {e}", err=True)
            ctx.exit(1)
        except SearchFailed as e:
            click.echo(f"error: {e}", err=True)
            if e.run is not None and e.traceback:
                click.echo(f"its traceback: hpsearch results {e.run} --trial {e.trial}", err=True)
            if e.config_file is not None:
                click.echo(
                    f"to debug one trial in the foreground: hpsearch train {e.config_file} --pdb",
                    err=True,
                )
            ctx.exit(1)
        except BrokenPipeError:
            _quiet_stdout()
            ctx.exit(0)


def _quiet_stdout():
    """The reader went away (`| head`): nothing more to say, and nothing to complain about."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _warning(message, category, filename, lineno, line=None):
    return f"warning: {message}\n"


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hpsearch")
def main():
    """Hyperparameter search on the right scales, coarse-to-fine, for a NumPy MLP.

    Start with `hpsearch validate CONFIG.yaml`, then `hpsearch run CONFIG.yaml`.
    """
    warnings.formatwarning = _warning
    # past `ulimit -f` a write fails (EFBIG) and is said in one line, rather than SIGXFSZ
    # killing the process (not in a thread: only the main one may set a handler)
    if hasattr(signal, "SIGXFSZ") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
