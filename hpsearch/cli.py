"""The command line: a thin layer over the Python API.

Every command turns `UserError` into one line on stderr and exit code 2; anything else that
escapes is a bug and exits with code 1.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click
import numpy as np

from . import __version__
from .errors import UserError

SET_HELP = ("Override a config value, as KEY=VALUE (YAML): search.trials=50, "
            "space.learning_rate.high=0.1, or a bare hyperparameter such as learning_rate=0.01 "
            "to fix it. Repeatable.")


class Refused(click.ClickException):
    """Bad input: one line, exit code 2."""

    exit_code = 2

    def show(self, file=None):
        click.echo(f"error: {self.format_message()}", err=True)


class Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as e:
            raise Refused(e.message) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hpsearch")
def main():
    """Hyperparameter search on the right scales, coarse-to-fine, for a NumPy MLP.

    Start with `hpsearch validate CONFIG.yaml`, then `hpsearch run CONFIG.yaml`.
    """


def _config(path, overrides):
    from .config import load_config

    return load_config(path, overrides)


def _data(config):
    from .data import load_data

    return load_data(config.data, config.seed, file=config.file,
                     base_dir=config.file.parent if config.file else None)


@main.command()
@click.argument("config_file", type=click.Path(dir_okay=False))
@click.option("--mode", type=click.Choice(["caviar", "panda"]), help="caviar: many models in parallel; "
              "panda: one at a time, babysat.")
@click.option("--jobs", type=int, help="Parallel workers (caviar); -1: one per core.")
@click.option("--trials", type=int, help="Trials per round.")
@click.option("--rounds", type=int, help="Coarse-to-fine rounds.")
@click.option("--seed", type=int, help="Seed of the whole search.")
@click.option("--runs-dir", default="runs", show_default=True, type=click.Path(file_okay=False),
              help="Where run directories go.")
@click.option("--name", help="Run name (default: the config's name).")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Dask scheduler: run the trials on that cluster.")
@click.option("--force", is_flag=True, help="Replace an existing run directory of the same name.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
def run(config_file, mode, jobs, trials, rounds, seed, runs_dir, name, scheduler, force, overrides):
    """Run a search: write runs/NAME/ with trials.csv, curves.csv, rounds.json, best.json."""
    from .run import run_search

    options = {"search.mode": mode, "search.jobs": jobs, "search.trials": trials, "search.rounds": rounds,
               "seed": seed, "name": name, "search.scheduler": scheduler,
               "search.backend": "dask" if scheduler else None}
    extra = [f"{k}={v}" for k, v in options.items() if v is not None]
    config = _config(config_file, [*overrides, *extra])
    _report(lambda progress, on_epoch: run_search(config, runs_dir=runs_dir, force=force, progress=progress,
                                                  on_epoch=on_epoch),
            Path(runs_dir) / config.name, config)


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
def resume(run_dir):
    """Continue an interrupted search exactly where it stopped."""
    from .rundir import RunDir
    from .run import load_run_config, resume_search

    config = load_run_config(RunDir.open(run_dir))
    _report(lambda progress, on_epoch: resume_search(run_dir, progress=progress, on_epoch=on_epoch),
            Path(run_dir), config)


def _report(start, run_path, config):
    """Run `start(progress, on_epoch)` under a progress bar (caviar) or the live view of the
    model being trained (panda), then print where the results are."""
    from rich.console import Console

    console = Console(stderr=True)
    if config.search["mode"] == "panda" and config.objective is None:
        from .view import PandaView

        display = PandaView(console, run_path, config)
    else:
        from .view import SearchProgress

        display = SearchProgress(console, run_path)
    try:
        with display:
            outcome = start(display.trial_done, getattr(display, "epoch_done", None))
    except KeyboardInterrupt:
        console.print(f"interrupted: finished trials are saved in {run_path}/trials.csv; "
                      f"continue with: hpsearch resume {run_path}")
        sys.exit(130)
    _summary(outcome)


def _summary(outcome):
    trials = outcome.result.trials
    counts = {s: sum(t["status"] == s for t in trials) for s in ("ok", "diverged", "failed")}
    path = outcome.run.path
    click.echo(f"{len(trials)} trials ({counts['ok']} ok, {counts['diverged']} diverged, {counts['failed']} failed) "
               f"in {path}/trials.csv; learning curves in {path}/curves.csv")
    best = outcome.best
    if best is None:
        click.echo("no trial finished: see the error column of trials.csv")
        return
    params = ", ".join(f"{k}={_fmt(v)}" for k, v in best["sampled"].items())
    test = f", test accuracy {best['test']['test_accuracy']:.4f}" if best["test"] else ""
    click.echo(f"best: trial {best['trial']} (round {best['round']}), {best['metric']} {best['value']:.4f}"
               f"{test}{': ' + params if params else ''}")
    click.echo(f"next: hpsearch results {path}")


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--lr-factor", type=float, help="Multiply the learning rate by this factor (> 0).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Change a hyperparameter that may change mid-training (learning_rate, keep_prob, l2, "
                   "beta, beta1, beta2, epsilon, lr_decay, decay_rate, epochs). Repeatable.")
def nudge(run_dir, lr_factor, overrides):
    """Panda: change a hyperparameter of the model being trained, from its next epoch on (or at
    resume, if the search is stopped)."""
    from .panda import request_nudge

    click.echo(f"nudge recorded: {request_nudge(run_dir, lr_factor, _pairs(overrides))}")


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--trial", required=True, type=int, help="The trial to take back.")
@click.option("--epoch", required=True, type=int, help="The epoch whose checkpoint it restarts from.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="New values from there on.")
def rollback(run_dir, trial, epoch, overrides):
    """Panda: restart trial T from its epoch-E checkpoint, optionally with new values, at the
    next resume. The abandoned epochs stay in curves.csv, marked."""
    from .panda import request_rollback

    click.echo(f"rollback recorded: {request_rollback(run_dir, trial, epoch, _pairs(overrides))}")


def _pairs(overrides) -> dict:
    from .config import parse_override

    return dict(parse_override(item) for item in overrides)


FORMAT = click.Choice(["table", "csv", "json"])


@main.command()
@click.argument("run_path", type=click.Path())
@click.option("--top", type=click.IntRange(min=1), help="Show only the best K trials.")
@click.option("--sort", help="Order by this column instead of the search metric.")
@click.option("--round", "rnd", type=click.IntRange(min=1), help="Only this round's trials.")
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True, help="Output format.")
def results(run_path, top, sort, rnd, fmt):
    """The trials of a run (or a trials.csv), best first, with counts, regions and the best."""
    from .results import open_run, region_table

    run = open_run(run_path)
    frame = run.ranked(sort, top, rnd)
    if fmt != "table":
        emit_frame(frame, fmt)
        return
    counts = run.counts()
    click.echo(f"{run.name}: {len(run.trials)} trials, {counts['ok']} ok, {counts['diverged']} diverged, "
               f"{counts['failed']} failed; {run.metric} ({run.goal})")
    if run.regions:
        emit_frame(region_table(run), "table", title="sampling region of each round")
    hidden = ("seed", "metrics", "train_cost", "epochs")  # all of them are in --format csv
    columns = [c for c in frame.columns if c not in hidden and not (c == "error" and not frame[c].any())]
    columns.remove(run.metric)
    columns.insert(columns.index("status") + 1, run.metric)  # the column that matters, first
    emit_frame(frame[columns], "table", title="trials, best first")
    if run.best:
        best = run.best
        test = best.get("test") or {}
        extra = ", ".join(f"{k} {v:.4f}" for k, v in test.items())
        click.echo(f"best: trial {best['trial']} (round {best['round']}), {best['metric']} {best['value']:.4f}"
                   f"{', ' + extra if extra else ''}")


@main.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path())
@click.option("--metric", help="Compare on this metric column (default: each run's search metric).")
@click.option("--top", default=5, show_default=True, type=click.IntRange(min=1),
              help="How many best trials define the top-K mean and ranges.")
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True, help="Output format.")
def compare(runs, metric, top, fmt):
    """Runs (or trials.csv files) side by side, even with different spaces."""
    from .results import better, compare as compare_runs, open_run

    if len(runs) < 2:
        raise UserError("compare needs at least two runs", fix="give two or more run directories or CSV files")
    opened = [open_run(r) for r in runs]
    frame = compare_runs(opened, metric, top)
    if fmt != "table":
        emit_frame(frame.reset_index(names="row"), fmt)
        return
    marks = better(frame, opened, top)
    shown = frame.astype(object).copy()
    for row, column in marks.items():
        shown.loc[row, column] = f"{_fmt(frame.loc[row, column])} *"
    emit_frame(shown.reset_index(names=""), "table", title="runs side by side (* marks the better value)")


@main.command()
@click.argument("run_path", type=click.Path())
@click.option("--out", type=click.Path(file_okay=False), help="Folder for the PNG files (default: RUN/plots).")
def plot(run_path, out):
    """PNG plots: metric against each hyperparameter, the coarse-to-fine picture, learning
    curves, best so far."""
    from .plots import plot_run
    from .results import open_run

    run = open_run(run_path)
    folder = Path(out) if out else (run.path if run.path.is_dir() else run.path.parent) / "plots"
    for path in plot_run(run, folder):
        click.echo(str(path))


def emit_frame(frame, fmt: str, title: str = ""):
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(frame.to_json(orient="records", indent=2))
    else:
        emit_rows(frame.to_dict(orient="records"), "table", title)


@main.command()
@click.argument("config_file", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
def validate(config_file, overrides):
    """Check CONFIG_FILE and print the resolved config (defaults filled in)."""
    import yaml

    config = _config(config_file, overrides)
    click.echo(yaml.safe_dump(config.to_dict(), sort_keys=False), nl=False)
    click.echo(f"# {config_file}: valid ({len(config.space)} searched, {len(config.params)} fixed)", err=True)


@main.command()
@click.argument("config_file", type=click.Path(dir_okay=False))
@click.option("-n", "n", default=10, show_default=True, type=click.IntRange(min=1), help="How many configurations.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed (default: the config's).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="Output format.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
def sample(config_file, n, seed, fmt, overrides):
    """Print N configurations sampled from the whole space (round 1), training nothing."""
    from .search import round_tasks
    from .space import whole_space

    config = _config(config_file, overrides)
    if not config.space:
        raise UserError("the space is empty: nothing to sample", file=config_file, key="space",
                        fix="add hyperparameters under space:")
    seed = config.seed if seed is None else seed
    rows = [{"trial": t.trial, **t.params} for t in round_tasks(config.space, whole_space(config.space), seed, 1, n)]
    emit_rows(rows, fmt, title=f"{n} configurations from {config_file} (seed {seed})")


def emit_rows(rows: list[dict], fmt: str, title: str = ""):
    import pandas as pd

    frame = pd.DataFrame(rows)
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(rows, indent=2, default=str))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title or None)
        cells = [[_fmt(row.get(c)) for c in frame.columns] for row in rows]
        for i, column in enumerate(frame.columns):
            # Numbers are never cut: a column is at least as wide as its widest short value.
            widest = max([len(str(column))] + [len(r[i]) for r in cells if len(r[i]) <= 24])
            table.add_column(str(column), justify="right", min_width=min(widest, 24))
        for row in cells:
            table.add_row(*row)
        Console().print(table, crop=False)


def _fmt(value) -> str:
    if isinstance(value, float) and 0 < 1 - value < 0.1:
        # A beta near 1: what matters is 1 - beta, so show it to 4 significant digits.
        decimals = 3 - math.floor(math.log10(1 - value))
        return f"{value:.{decimals}f}".rstrip("0")
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


@main.command()
@click.argument("config_file", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Training seed (default: the config's).")
def train(config_file, overrides, seed):
    """Train one model with the fixed params (searched ones at the centre of their range)
    and show its learning curve."""
    from .trial import model_metrics, train_model
    from .view import sparkline

    config = _config(config_file, overrides)
    hp, data = config.centre(), _data(config)
    seed = config.seed if seed is None else seed
    sizes = [data.n_features] + [hp["hidden_units"]] * hp["layers"] + [data.n_classes]
    click.echo(f"{data.name}: {len(data.y_train)} train / {len(data.y_dev)} dev / {len(data.y_test)} test, "
               f"network {' -> '.join(map(str, sizes))}, {hp['activation']}, "
               f"{'batch norm, ' if hp['batch_norm'] else ''}{hp['optimizer']} lr {hp['learning_rate']:g}")
    click.echo(f"{'epoch':>5}  {'lr':>9}  {'train_cost':>10}  {'dev_cost':>9}  {'dev_acc':>7}")

    def show(model, r):
        click.echo(f"{r['epoch']:>5}  {r['learning_rate']:>9.3g}  {r['train_cost']:>10.4f}  "
                   f"{r['dev_cost']:>9.4f}  {r['dev_accuracy']:>7.4f}")

    model = train_model(hp, data, seed, callback=show)
    costs = [r["train_cost"] for r in model.history]
    click.echo(f"train cost  {sparkline(costs)}")
    click.echo(f"dev acc     {sparkline([r['dev_accuracy'] for r in model.history])}")
    if model.status != "ok":
        click.echo(f"diverged at epoch {model.epoch}: the cost became {costs[-1]}; lower the learning rate")
        return
    m = model_metrics(model, data)
    stop = " (early stopping: best epoch's weights restored)" if model.stopped_early else ""
    click.echo(f"after {m['epochs']} epochs{stop}: train accuracy {m['train_accuracy']:.4f}, "
               f"dev accuracy {m['dev_accuracy']:.4f}, dev cost {m['dev_cost']:.4f}")


@main.command()
@click.argument("config_file", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
@click.option("--examples", default=16, show_default=True, type=click.IntRange(min=2),
              help="Training examples used.")
@click.option("--max-params", default=20000, show_default=True, type=click.IntRange(min=1),
              help="Check a random subset of this many parameters when the network has more.")
def gradcheck(config_file, overrides, examples, max_params):
    """Gradient checking of the configured network: centred differences in float64, dropout
    off, L2 included. Exit code 1 when the difference says there is a bug."""
    from .nn.gradcheck import gradient_check

    config = _config(config_file, overrides)
    hp, data = config.centre(), _data(config)
    rows = np.random.default_rng(config.seed).choice(len(data.y_train), min(examples, len(data.y_train)), replace=False)
    result = gradient_check(hp, data.X_train[rows], data.y_train[rows], n_classes=data.n_classes,
                            seed=config.seed, max_params=max_params)
    click.echo(f"relative difference {result.difference:.3e} over {result.n_params} parameters: {result.verdict} "
               f"(< 1e-7 correct, ~1e-5 look closer, > 1e-3 a bug)")
    if not result.passed:
        click.echo("largest differences (parameter, index, backprop, numerical):")
        for name, index, a, n in result.worst:
            click.echo(f"  {name}{list(map(int, index))}  {a:.6e}  {n:.6e}")
    if result.verdict == "a bug":
        sys.exit(1)
