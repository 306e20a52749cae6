"""Commands that search: run, resume, validate, sample."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from ..config import load_config, yamlio
from ..errors import UserError
from ..nn.hyper import readers, unread
from ..runs import prepare, resume_search, run_search
from ..space import sample_config, whole_space
from ..store import RunDir
from ..study import counts
from . import options
from .output import emit, fmt, say
from .view import PandaView, SearchProgress


@click.command()
@options.config_file
@click.option(
    "--mode",
    type=click.Choice(["caviar", "panda"]),
    help="caviar: many models in parallel; panda: one at a time, babysat.",
)
@options.where
@click.option(
    "--budget", type=click.IntRange(min=1), help="Total trials; hpsearch sizes the rounds."
)
@click.option(
    "--trials", type=click.IntRange(min=1), help="Trials per round (instead of --budget)."
)
@click.option(
    "--rounds", type=click.IntRange(min=1), help="Coarse-to-fine rounds (instead of --budget)."
)
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the whole search.")
@click.option(
    "--runs-dir",
    default="runs",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where run directories go.",
)
@click.option("--name", help="Run name (default: the config's name).")
@click.option("--force", is_flag=True, help="Replace an existing run directory of the same name.")
@options.overrides
def run(
    config_file,
    mode,
    jobs,
    scheduler,
    budget,
    trials,
    rounds,
    seed,
    runs_dir,
    name,
    force,
    overrides,
):
    """Run a search: write runs/NAME/ with trials.csv, curves.csv, rounds.json, best.json."""
    given = {
        "search.budget": budget,
        "search.trials": trials,
        "search.rounds": rounds,
        "search.mode": mode,
        "search.jobs": jobs,
        "seed": seed,
        "name": name,
        "search.scheduler": scheduler,
        "search.backend": "dask" if scheduler else None,
    }
    given = {k: v for k, v in given.items() if v is not None}
    if trials or rounds:  # sized by trials x rounds instead of the file's budget
        given = {"search.budget": None, **given}
    config = load_config(config_file, overrides, given)
    path = Path(runs_dir) / config.name
    _watch(
        lambda listener: run_search(config, runs_dir=runs_dir, force=force, listener=listener),
        path,
        config,
    )


@click.command()
@options.run_dir
@options.where
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    help="Extend a finished search to this many trials in all.",
)
@click.option(
    "--rounds",
    type=click.IntRange(min=1),
    help="Extend a search sized by trials x rounds to this many rounds.",
)
@click.option(
    "--retry",
    type=click.Choice(["failed"]),
    help="Run failed trials again, with their sampled values.",
)
def resume(run_dir, jobs, scheduler, budget, rounds, retry):
    """Continue an interrupted search exactly where it stopped, or extend a finished one."""
    run = RunDir.open(run_dir)
    config = run.read_config()
    extending = budget is not None or rounds is not None or retry is not None
    if not extending and len({row["trial"] for row in run.read_rows()}) >= config.plan.total:
        more = "extend it with --budget N, or --retry failed to run its failed trials again"
        if config.pbt:
            more = "a pbt run trains its population once: start a new run to train more"
        say(f"{run_dir} is complete: nothing to run ({more})", err=True)
    _watch(
        lambda listener: resume_search(
            run_dir,
            jobs=jobs,
            scheduler=scheduler,
            budget=budget,
            rounds=rounds,
            retry_failed=retry == "failed",
            listener=listener,
        ),
        Path(run_dir),
        config,
    )


def _watch(start, path: Path, config):
    """Run `start(listener)` under a progress bar (caviar) or the live view of the model being
    trained (panda), then say where the results are."""
    console = Console(stderr=True)
    if config.search["mode"] == "panda" and config.builtin:
        ends = config.population().ends() if config.pbt else None
        view = PandaView(console, path, config.plan.total, ends)
    else:
        view = SearchProgress(console, path.name)
    with view:
        outcome = start(view)
    _summary(outcome)


def _summary(outcome):
    results, path = outcome.study.trials, outcome.run.path
    words = ", ".join(f"{n} {s}" for s, n in counts(results).items() if n or s == "ok")
    curves = any(r.curve for r in results) or len(outcome.run.read_curves()) > 0
    say(
        f"{len(results)} trials ({words}) in {path}/trials.csv"
        + (f"; learning curves in {path}/curves.csv" if curves else "")
    )
    best = outcome.best
    if best is None:
        say("no trial finished: see the error column of trials.csv")
        return
    sampled = best["sampled"]  # in the space's order, however the record was read
    ended = {k: best["params"].get(k, sampled[k]) for k in outcome.study.space if k in sampled}
    params = ", ".join(f"{k}={fmt(v)}" for k, v in ended.items())
    test = ""
    if best.get("test"):
        name = "test_accuracy" if "test_accuracy" in best["test"] else next(iter(best["test"]))
        test = f", test {name[len('test_') :]} {best['test'][name]:.4f}"
    say(
        f"best: trial {best['trial']} (round {best['round']}), {best['metric']} "
        f"{fmt(best['value'])}"
        f"{test}{': ' + params if params else ''}"
    )
    failed = [r for r in results if r.status == "failed"]
    if failed:  # where to find out why, before the user wonders
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        say(
            f"failed: trial {failed[0].trial}{more}, {failed[0].error}; its traceback: "
            f"hpsearch results {path} --trial {failed[0].trial}"
        )
    say(f"next: hpsearch results {path}")


@click.command()
@options.config_file
@options.overrides
def validate(config_file, overrides):
    """Check CONFIG_FILE with every check `run` makes (data loaded, objective imported) and
    print the resolved config, defaults filled in."""
    config = load_config(config_file, overrides)
    data, client = prepare(config)
    if client is not None:
        client.close()
    text = yamlio.dump(config.to_dict())
    click.echo(_mark_unread(text, config.params) if config.builtin else text, nl=False)
    plan = config.plan.describe()
    if config.pbt:
        p = config.population()
        plan = f"a population of {p.size}, {len(p.ends())} generations to epoch {p.epochs}"
    about = f"{len(config.space)} searched, {len(config.params)} fixed; {plan}"
    if data is not None:
        about += (
            f"; {data.name}: {len(data.y_train)} train / {len(data.y_dev)} dev / "
            f"{len(data.y_test)} test rows, "
            + (f"{data.n_classes} classes" if data.classes else "a numeric target")
        )
    if config.estimator:
        about += f"; {config.estimator}, {config.cv}-fold cross-validation"
    say(f"# {config_file}: valid ({about})", err=True, indent="#   ")


@click.command()
@options.config_file
@click.option(
    "-n",
    "n",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many configurations.",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=None, help="Seed (default: the config's)."
)
@options.output_format
@options.overrides
def sample(config_file, n, seed, fmt, overrides):
    """Print N configurations sampled from the whole space (as round 1 does), training nothing."""
    config = load_config(config_file, overrides)
    if not config.space:
        raise UserError(
            "the space is empty: nothing to sample",
            file=config_file,
            key="space",
            fix="add hyperparameters under space:",
        )
    seed = config.seed if seed is None else seed
    region = whole_space(config.space)
    rows = [{"trial": t, **sample_config(config.space, region, seed, 1, t)} for t in range(n)]
    emit(
        rows,
        fmt,
        title=f"{n} configurations from {config_file} (seed {seed})",
        columns=["trial", *config.space],
    )


def _mark_unread(text: str, params: dict) -> str:
    """The dumped config with a comment on each fixed hyperparameter training never reads (its
    optimizer's or its schedule's choice leaves it out)."""
    names, section, lines = unread(params), None, []
    for line in text.splitlines():
        section = line[:-1] if line.endswith(":") and not line.startswith(" ") else section
        name = line.strip().split(":")[0]
        if section == "params" and line.startswith("  ") and name in names:
            choice = readers(name)[0]  # "not read by adam", "not read with lr_decay none"
            by = (
                f"by {params[choice]}"
                if choice == "optimizer"
                else f"with {choice} {params[choice]}"
            )
            line += f"  # not read {by}"
        lines.append(line)
    return "\n".join(lines) + "\n"
