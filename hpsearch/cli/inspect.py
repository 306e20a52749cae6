"""Commands that read results: results, compare, plot."""

from __future__ import annotations

from pathlib import Path

import click

from ..compare import better, footnote
from ..compare import compare as compare_runs
from ..errors import UserError
from ..importance import MIN_TRIALS
from ..results import open_run, region_table
from ..store import RunDir
from . import options
from .output import emit, near_one, say
from .output import fmt as show

HIDDEN = ("seed", "metrics", "train_cost", "train_accuracy", "seconds")  # in --format csv/json


@click.command()
@click.argument("run_path", type=click.Path())
@click.option("--top", type=click.IntRange(min=1), help="Show only the best K trials.")
@click.option("--sort", help="Order by this column instead of the search metric.")
@click.option(
    "--asc/--desc",
    "ascending",
    default=None,
    help="Direction of --sort (default: best first for metrics, ascending otherwise).",
)
@click.option("--round", "rnd", type=click.IntRange(min=1), help="Only this round's trials.")
@click.option(
    "--importance",
    is_flag=True,
    help="How much of the metric's variance each hyperparameter explains (fANOVA).",
)
@click.option(
    "--trial",
    type=click.IntRange(min=0),
    help="One trial: its values, metrics and, if it failed, its traceback.",
)
@options.output_format
def results(run_path, top, sort, ascending, rnd, importance, trial, fmt):
    """The trials of a run (or a trials.csv), best first, with counts, regions and the best."""
    run = open_run(run_path)
    if trial is not None:
        _trial(run, trial)
        return
    if importance:
        _importance(run, fmt)
        return
    frame = run.ranked(sort, ascending, top, rnd)
    rows = frame.to_dict(orient="records")
    if fmt != "table":
        emit(rows, fmt, columns=list(frame.columns))
        return
    counts = run.counts()
    words = ", ".join(f"{n} {s}" for s, n in counts.items() if n or s == "ok")
    say(f"{run.name}: {len(run.results)} trials ({words}); {run.metric}, {run.goal.direction}d")
    if run.regions:
        regions = region_table(run)
        say(
            "\nsampling region of each round: the boxes with half its samples; of a categorical"
            " hyperparameter, every value it samples, the likeliest first"
        )
        emit(
            regions.to_dict(orient="records"),
            "table",
            columns=["round", "boxes", *[p for p in run.params if p in regions.columns]],
        )
        for rounds, note in _runs_of(regions["round"], regions["note"]):
            say(f"{rounds}: {note}")
    columns = ["trial", "round", "status", run.metric, *run.params]
    betas = [p for p in run.params if getattr(run.space.get(p), "scale", "") == "one_minus_log"]
    for row in rows:  # pruned trials rank by how far they went: say it where it is seen
        if row.get("status") == "pruned" and show(row.get("epochs")):  # "" when not known
            row["status"] = f"pruned@{int(row['epochs'])}"
        row.update({p: near_one(row[p]) for p in betas})  # apart where 4 digits are alike
    columns += [
        c
        for c in frame.columns
        if c not in columns and c not in HIDDEN and frame[c].astype(bool).any()
    ]
    if run.step != "epoch":  # trials.csv's epochs counts an estimator's folds: say so
        columns = [f"{run.step}s" if c == "epochs" else c for c in columns]
        for row in rows:
            row[f"{run.step}s"] = row.pop("epochs", None)
    emit(rows, "table", "\ntrials, best first" if sort is None else f"\ntrials by {sort}", columns)
    best = run.best_result()
    if best is not None:
        test = (run.best or {}).get("test") or {}
        extra = "".join(f", {k} {v:.4f}" for k, v in test.items())
        value = show(best.value)
        say(f"\nbest: trial {best.trial} (round {best.round}), {run.metric} {value}{extra}")
        _lineage(run, best)


def _lineage(run, result):
    """A PBT trial's schedule: the trials whose state it descends from, and their values."""
    if run.config is None or not run.config.pbt or result.epochs is None:
        return
    from ..runs.pbt import schedule  # noqa: PLC0415

    parts = schedule(RunDir(run.path), run.config, result.trial, result.epochs)
    say("its schedule (lineage: the trials whose state it trained on, and their values):")
    for p in parts:
        values = ", ".join(f"{k}={show(v)}" for k, v in p["values"].items())
        click.echo(f"  epochs {p['first']:>3}-{p['last']:<3} trial {p['trial']:<3} {values}")


def _trial(run, number: int):
    """One trial, a line per field; a failed one's traceback as the run kept it."""
    found = [r for r in run.results if r.trial == number]
    if not found:
        raise UserError(
            f"the run has no trial {number}",
            key="--trial",
            fix=f"trials: {run.results[0].trial} to {run.results[-1].trial}",
        )
    r = found[0]
    status = f"pruned at {run.step} {r.epochs}" if r.status == "pruned" else r.status
    say(f"{run.name}: trial {r.trial} (round {r.round}), {status}")
    fields = {**r.final_params, **r.metrics, f"{run.step}s": r.epochs, "seconds": r.seconds}
    fields.update(seed=r.seed, error=r.error)
    for i in r.interventions:
        fields[f"after epoch {i['epoch']} ({i['kind']})"] = i["change"]
    wide = max(map(len, fields))
    for key, value in fields.items():
        if show(value) != "":
            click.echo(f"  {key:<{wide}}  {show(value)}")
    if r.status == "ok":
        _lineage(run, r)
    folder = run.path if run.path.is_dir() else run.path.parent
    text = RunDir(folder).traceback_file(r.trial)
    if text.is_file():
        say(f"\nits traceback ({text}):")
        click.echo(text.read_text().rstrip())
    elif r.status == "failed":
        say("\nno traceback was kept (the worker running it died, or an older hpsearch ran it)")


def _importance(run, fmt):
    shares, epoch = run.importance()
    rows = [{**row, "share": round(row["share"], 4), "epoch": epoch} for row in shares]
    if fmt != "table":
        emit(rows, fmt, columns=["hyperparameter", "share", "trials", "epoch"])
        return
    trials = (
        "the finished trials"
        if epoch is None
        else f"the trials as they stood at {run.step} {epoch}, the last that {MIN_TRIALS} or more "
        "reached: too few finished, pruning stopped the others"
    )
    say(
        f"{run.name}: the share of the variance of {run.metric} each hyperparameter explains "
        f"alone, on its sampling scale (fANOVA on a random forest of {trials}); the rest is "
        "interactions and noise"
        + (
            ". A hyperparameter with a condition is judged among the trials where it applies, "
            "so the shares need not add up to 100%"
            if any(d.when for d in run.space.values())
            else ""
        )
    )
    table = [
        {
            "hyperparameter": r["hyperparameter"],
            "share": f"{r['share']:.1%}",
            "trials": r["trials"],
        }
        for r in rows
    ]
    emit(table, "table", "", ["hyperparameter", "share", "trials"])


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path())
@click.option("--metric", help="Compare on this metric (default: each run's search metric).")
@click.option(
    "--top",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many best trials define the top-K mean and ranges.",
)
@options.output_format
def compare(runs, metric, top, fmt):
    """Runs (or trials.csv files) side by side, even with different spaces."""
    if len(runs) < 2:
        raise UserError(
            "compare needs at least two runs", fix="give two or more run directories or CSV files"
        )
    opened = [open_run(r) for r in runs]
    frame = compare_runs(opened, metric, top)
    marks = better(frame, top)
    rows = []
    for key, values in frame.iterrows():
        row = {"": key, **values.to_dict()}
        if fmt == "table" and key in marks:
            row[marks[key]] = f"{show(values[marks[key]])} *"
        rows.append(row)
    emit(rows, fmt, "runs side by side" if fmt == "table" else "", ["", *frame.columns])
    if fmt == "table":
        say(f"\n{footnote(frame)}")


@click.command()
@click.argument("run_path", type=click.Path())
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Folder for the PNG files (default: RUN/plots).",
)
@click.option(
    "--round",
    "rnd",
    type=click.IntRange(min=1),
    help="Coarse to fine: the boxes of this round's region (default: of the last 3 rounds).",
)
def plot(run_path, out, rnd):
    """PNG plots: metric against each hyperparameter, the coarse-to-fine picture, learning
    curves, best so far."""
    from ..plots import plot_run  # noqa: PLC0415  (Matplotlib: 0.4 s to import; results needs none)

    run = open_run(run_path)
    folder = Path(out) if out else (run.path if run.path.is_dir() else run.path.parent) / "plots"
    for path in plot_run(run, folder, rnd):
        click.echo(str(path))


def _runs_of(rounds, notes) -> list:
    """("round 1" or "rounds 2-4", note) for each stretch of rounds with the same note."""
    out = []
    for rnd, note in zip(rounds, notes):
        if out and out[-1][2] == note and out[-1][1] == rnd - 1:
            out[-1][1] = rnd
        else:
            out.append([rnd, rnd, note])
    return [(f"round {a}" if a == b else f"rounds {a}-{b}", note) for a, b, note in out]
