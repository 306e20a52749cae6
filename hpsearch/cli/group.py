"""The command group and what it does with errors.

Every command turns `UserError` into one line on stderr and exit code 2; Ctrl-C into one line
and exit code 130; a search whose first round all failed into one line and exit code 1; output
into a closed pipe (`| head`) into a quiet exit 0. Anything else that escapes is a bug and
exits with code 1.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings

import click

from ..errors import UserError
from ..runs import SearchFailed, SearchInterrupted
from ..version import __version__


class Refused(click.ClickException):
    """Bad input: one line, exit code 2."""

    exit_code = 2

    def show(self, file=None):
        click.echo(f"error: {self.format_message()}", err=True)


COMMANDS = {  # command -> the module of hpsearch.cli that defines it, imported when it runs
    "run": "search",
    "resume": "search",
    "validate": "search",
    "sample": "search",
    "results": "inspect",
    "compare": "inspect",
    "plot": "inspect",
    "train": "model",
    "gradcheck": "model",
    "nudge": "steer",
    "rollback": "steer",
    "dashboard": "web",
    "report": "web",
}


class Group(click.Group):
    """Commands load their module when they run, so `hpsearch nudge` does not wait for
    matplotlib; errors become one line and an exit code."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        return getattr(importlib.import_module(f"hpsearch.cli.{COMMANDS[name]}"), name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as e:
            raise Refused(e.message) from None
        except SearchInterrupted as e:
            click.echo(str(e), err=True)
            ctx.exit(130)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except SearchFailed as e:
            click.echo(f"error: {e}", err=True)
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
