"""Commands that show runs in a browser: dashboard (live, local) and report (one offline file)."""

from __future__ import annotations

import click

from ..dashboard.report import write_report
from ..dashboard.server import Dashboard


@click.command()
@click.argument("runs_dir", default="runs", type=click.Path(file_okay=False))
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; any but a loopback address lets other machines read the runs.",
)
def dashboard(runs_dir, port, host):
    """A local web page over every run in RUNS_DIR (default: runs), updated live as runs
    write; panda runs can be nudged and rolled back from it. Ctrl-C stops it."""
    server = Dashboard(runs_dir, host, port)
    if not server.local:
        click.echo(
            f"warning: listening on {host}: anyone who can reach this machine on port "
            f"{server.port} can read these runs; changing one needs the token in the address",
            err=True,
        )
    click.echo(f"hpsearch dashboard: open {server.url}")
    click.echo(f"token for changes (nudge, rollback): {server.token}; Ctrl-C stops it")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("dashboard stopped", err=True)
        raise click.exceptions.Exit(130) from None
    finally:
        server.server_close()


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path())
@click.option(
    "-o",
    "--output",
    default="report.html",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The HTML file to write.",
)
def report(runs, output):
    """The dashboard's views of one run or more (several: also side by side) in one HTML
    file that opens offline: no network request, the data and the chart library inline."""
    path, warnings = write_report(runs, output)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"report of {len(runs)} run{'s' if len(runs) > 1 else ''} in {path}")
