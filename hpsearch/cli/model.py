"""Commands that train once: train (the built-in network, or one trial of a custom objective),
gradcheck."""

from __future__ import annotations

import pdb
import sys

import click
import numpy as np

from ..config import load_config
from ..data import load_training_data
from ..errors import UserError
from ..nn.blas import one_thread
from ..nn.gradcheck import gradient_check
from ..nn.model import Model
from ..objective import TrialSpec, build_objective
from ..space import drop_inactive
from ..study import Task, Trial
from ..study.trial import user_traceback
from . import options
from .output import say


def _builtin(config_file, overrides, command, config=None):
    config = config or load_config(config_file, overrides)
    if not config.builtin:
        key = "objective" if config.objective else "estimator"
        raise UserError(
            f"{command} trains the built-in network, not {key}: {getattr(config, key)}",
            file=config_file,
            key=key,
            fix=f"use {command} on a config of the built-in network; run yours with hpsearch run",
        )
    data = load_training_data(
        config.data,
        config.seed,
        file=config.file,
        base_dir=config.file.parent if config.file else None,
    )
    return config, config.centre(), data


@click.command()
@options.config_file
@options.overrides
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Training seed (default: the config's).",
)
@click.option(
    "--pdb",
    "debug",
    is_flag=True,
    help="When the training raises, show the traceback and open pdb where it raised.",
)
def train(config_file, overrides, seed, debug):
    """Train one model with the fixed params (searched ones at the centre of their range) and
    show its learning curve; with a custom objective, run one trial in the foreground.

    A custom objective runs once on those values: what it reports, what it returns, and when
    it raises, its whole traceback (with --pdb, or `python -m pdb -m hpsearch train ...`, a
    debugger where it raised)."""
    config = load_config(config_file, overrides)
    seed = config.seed if seed is None else seed
    try:
        if config.builtin:
            with one_thread(config.search["threads"] or 1):  # as a trial trains (nn.blas)
                _train(config_file, overrides, config, seed)
        else:
            run_once(config, seed)
    except UserError:
        raise  # bad input: one line, nothing to debug
    except (Exception, SystemExit) as e:  # SystemExit: the user's code called sys.exit
        if not debug:
            if isinstance(e, SystemExit):  # would end the process silently: say where
                sys.stderr.write(user_traceback(e, last=None))
                sys.exit(1)
            _shown_from_the_users_frames(e)
            raise  # propagates: `python -m pdb` stops where it raised
        sys.stderr.write(user_traceback(e, last=None))
        pdb.post_mortem(e.__traceback__)
        sys.exit(1)


def _shown_from_the_users_frames(error: BaseException):
    """When `error` ends the process uncaught, Python prints its traceback from the user's
    first frame on, as a failed trial keeps it: without click's and hpsearch's frames above."""
    text, previous = user_traceback(error, last=None), sys.excepthook

    def hook(kind, value, tb):
        if value is error:
            sys.stderr.write(text)
        else:
            previous(kind, value, tb)

    sys.excepthook = hook


def run_once(config, seed: int):
    """One trial of the config's own objective, in this process, on the centre of the space:
    whatever it raises propagates."""
    try:  # the user's function, or an estimator's cross-validation fold by fold
        objective = build_objective(TrialSpec.of(config))
    except UserError as e:
        raise e.at(file=config.file) from None
    values = drop_inactive(config.space, config.centre())
    values = {k: v for k, v in values.items() if k in config.space}
    say(
        f"{config.objective or config.estimator}, once, seed {seed}: "
        + (
            ", ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
            )
            or "no searched values"
        )
    )
    task = Task(0, 1, values, seed)
    metrics = objective.metrics(task, Shown(task, config.step))
    say(
        ", ".join(f"{k} {v:.6g}" for k, v in metrics.items())
        + f" ({config.goal.metric}, {config.goal.direction}d, is what the search compares)"
    )


class Shown(Trial):
    """A trial that shows each value reported (after each `step`: epoch, or an estimator's
    fold), and is never pruned."""

    def __init__(self, task, step: str = "epoch"):
        super().__init__(task)
        self.step = step

    def report(self, epoch, value, *, tie=None, last=False) -> bool:
        click.echo(f"{self.step} {epoch}: {value:.6g}")
        return super().report(epoch, value, tie=tie, last=last)


def _train(config_file, overrides, config, seed):
    from .view import sparkline  # noqa: PLC0415  (rich and panda's view: not for gradcheck)

    config, hp, data = _builtin(config_file, overrides, "train", config)
    sizes = [data.n_features] + [hp["hidden_units"]] * hp["layers"] + [data.n_classes]
    say(
        f"{data.name}: {len(data.y_train)} train / {len(data.y_dev)} dev / "
        f"{len(data.y_test)} test, "
        f"network {' -> '.join(map(str, sizes))}, {hp['activation']}, "
        f"{'batch norm, ' if hp['batch_norm'] else ''}{hp['optimizer']} lr {hp['learning_rate']:g}"
    )
    click.echo(f"{'epoch':>5}  {'lr':>9}  {'batch_cost':>10}  {'dev_cost':>9}  {'dev_acc':>7}")

    def show(model, r):
        click.echo(
            f"{r['epoch']:>5}  {r['learning_rate']:>9.3g}  {r['batch_cost']:>10.4f}  "
            f"{r['dev_cost']:>9.4f}  {r['dev_accuracy']:>7.4f}"
        )

    model = Model(**hp, seed=seed).build(data.n_features, data.n_classes)
    model.train(data.X_train, data.y_train, (data.X_dev, data.y_dev), callback=show)
    costs = [r["batch_cost"] for r in model.history]
    click.echo(f"batch cost  {sparkline(costs)}")
    click.echo(f"dev acc     {sparkline([r['dev_accuracy'] for r in model.history])}")
    if model.status != "ok":
        say(
            f"diverged at epoch {model.epoch}: the cost became {costs[-1]}; "
            "lower the learning rate"
        )
        return
    (_, train_acc), (dev_cost, dev_acc) = (
        model.evaluate(data.X_train, data.y_train),
        model.evaluate(data.X_dev, data.y_dev),
    )
    stop = " (early stopping: best epoch's weights restored)" if model.stopped_early else ""
    say(
        f"after {model.epoch} epochs{stop}: train accuracy {train_acc:.4f}, "
        f"dev accuracy {dev_acc:.4f}, dev cost {dev_cost:.4f}"
    )


@click.command()
@options.config_file
@options.overrides
@click.option(
    "--examples",
    default=16,
    show_default=True,
    type=click.IntRange(min=2),
    help="Training examples used.",
)
@click.option(
    "--max-params",
    default=20000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Check a random subset of this many parameters when the network has more.",
)
def gradcheck(config_file, overrides, examples, max_params):
    """Gradient checking of the configured network: centred differences in float64, dropout
    off, L2 included. Exit code 1 when the difference says there is a bug."""
    config, hp, data = _builtin(config_file, overrides, "gradcheck")
    say(
        f"checking backprop against centred differences in float64 on {examples} examples "
        "(a first run also compiles the network's loops)...",
        err=True,
    )
    rows = np.random.default_rng(config.seed).choice(
        len(data.y_train), min(examples, len(data.y_train)), replace=False
    )
    result = gradient_check(
        hp,
        data.X_train[rows],
        data.y_train[rows],
        n_classes=data.n_classes,
        seed=config.seed,
        max_params=max_params,
    )
    say(
        f"relative difference {result.difference:.3e} over {result.n_params} parameters: "
        f"{result.verdict} "
        f"(< 1e-7 correct, ~1e-5 look closer, > 1e-3 a bug)"
    )
    if not result.passed:
        click.echo("largest differences (parameter, index, backprop, numerical):")
        for name, index, a, n in result.worst:
            click.echo(f"  {name}{list(map(int, index))}  {a:.6e}  {n:.6e}")
    if result.verdict == "a bug":
        sys.exit(1)


@click.command()
@options.run_dir
@click.option("--trial", "trial", type=int, required=True, help="The trial to train again.")
def replay(run_dir, trial):
    """Train a trial's whole schedule (PBT's exploits and explores, panda's nudges) again as one
    model, from scratch, and check that it reproduces the trial's metrics. Exit code 1 when it
    does not."""
    from ..runs import prepare  # noqa: PLC0415
    from ..runs.replay import replay as train_again  # noqa: PLC0415

    out = train_again(run_dir, trial, prepare)
    if len(out["lineage"]) > 1:
        say(f"lineage: {lineage_text(out['lineage'])}")
    same = True
    for name, (recorded, replayed) in out["metrics"].items():
        equal = recorded == replayed
        same &= equal
        click.echo(
            f"  {name:<15} recorded {recorded!r:<22} replayed {replayed!r:<22} "
            + ("same" if equal else "DIFFERS")
        )
    if not same:
        say(f"trial {trial} was not reproduced (another machine's BLAS? see the README)")
        sys.exit(1)
    say(f"trial {trial} reproduced bit for bit after {out['epochs']} epochs")


def lineage_text(parts) -> str:
    """'trial 3 (epochs 1-6) -> trial 1 (7-12)'."""
    return " -> ".join(
        f"trial {p['trial']} ({'epochs ' if i == 0 else ''}{p['first']}-{p['last']})"
        for i, p in enumerate(parts)
    )
