"""The plots of a search, as matplotlib Figures (no display needed).

- the metric against each hyperparameter, on the axis of its sampling scale (log for `log`; for
  `one_minus_log`, 1 - value on a log axis, labelled in the value), trials coloured by round,
  pruned ones marked apart, each later round's region shaded;
- the two most influential hyperparameters against each other with the rounds' regions drawn as
  rectangles (the course's coarse-to-fine picture);
- learning curves of the best trials, with the epochs a rollback abandoned and the nudges;
- the best metric so far against the number of trials.
Every mark has a legend entry; a trial that lacks a hyperparameter (its condition did not hold)
is simply not drawn against it.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from ..errors import UserError
from ..results import Run
from ..space import may_apply
from .axes import (
    BEST,
    COLORS,
    PRUNED,
    best_handle,
    categories,
    coords,
    finished,
    focus,
    legend,
    pruned_with_values,
    region_bars,
    round_color,
    rounds_of,
    scale_of,
    set_axis,
    shown_regions,
)


def metric_vs_params(run: Run) -> Figure:
    ok, pruned = finished(run), pruned_with_values(run)
    total, best = rounds_of(run), run.best_result()
    n = max(len(run.params), 1)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(max(4.8 * cols, 6.4), 3.6 * rows + 1.0), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, param in zip(axes, run.params):
        cats = categories(run, param) if scale_of(run, param) == "categorical" else None
        jitter = np.random.default_rng(0)

        x_of = partial(_x, run, param, cats, jitter)

        for group, style in ((pruned, PRUNED), (ok, None)):
            have = [r for r in group if param in r.final_params]
            if style is None:  # later rounds on top
                have.sort(key=lambda r: r.round)
                colors = [round_color(r.round, total) for r in have]
                ax.scatter(x_of(have), [r.value for r in have], c=colors, s=18, alpha=0.85)
            elif have:
                ax.scatter(x_of(have), [r.value for r in have], **style)
        if best is not None and param in best.final_params:
            ax.scatter(x_of([best]), [best.value], **BEST)
        ax.set_ylabel(run.metric)
        focus(ax, np.array([r.value for r in ok]), run.goal.direction)
        if cats is not None:
            ax.set_xticks(range(len(cats)), cats)
            ax.set_xlabel(param)
        else:
            set_axis(ax, run, param)
            if len(run.regions) > 1:
                lo, hi = ax.get_ylim()
                ax.set_ylim(lo, hi + (hi - lo) * 0.14)  # room for the region bars
                region_bars(ax, run, param)
        ax.grid(alpha=0.3)
    for ax in axes[len(run.params) :]:
        ax.set_visible(False)
    extra = [best_handle(best)] if best is not None else []
    shown = [r["round"] for r in shown_regions(run)]
    if shown:
        which = f"round {shown[0]}" if len(shown) == 1 else f"rounds {shown[0]}-{shown[-1]}"
        extra.append(Patch(color="grey", label=f"bars at the top: the region {which} sampled"))
    legend(fig, list(axes), sorted({r.round for r in ok}), bool(pruned), extra, total)
    fig.suptitle(f"{run.name}: {run.metric} against each hyperparameter", fontsize=11)
    return fig


def _x(run: Run, param: str, cats, rng, results):
    """Where `results` go along `param`'s axis: a categorical's values jittered apart."""
    if cats is None:
        return coords(run, param, [r.final_params[param] for r in results])
    at = [cats.index(str(r.final_params[param])) for r in results]
    return np.array(at, float) + rng.uniform(-0.15, 0.15, len(results))


def coarse_to_fine(run: Run, rnd: int | None = None) -> Figure | None:
    """The two numeric hyperparameters that explain most of the metric (as `results
    --importance` ranks them), trials by round, and the boxes of the last rounds' regions (or
    of round `rnd` alone)."""
    pair, why = _two_to_show(run)
    if pair is None:
        return None
    px, py = pair
    total = rounds_of(run)
    ok = [r for r in finished(run) if px in r.final_params and py in r.final_params]
    ok.sort(key=lambda r: r.round)
    fig = Figure(figsize=(7, 6.4), layout="constrained")
    ax = fig.subplots()
    shown = [r for r in run.regions if r["round"] == rnd] if rnd else shown_regions(run)
    for record in shown:
        for box in record["boxes"]:
            if all(p in box and may_apply(run.space, p, box) for p in (px, py)):
                (x0, x1), (y0, y1) = (sorted(coords(run, p, box[p])) for p in (px, py))
                color = round_color(record["round"], total)
                ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec=color, lw=1.2))
    ax.scatter(
        coords(run, px, [r.final_params[px] for r in ok]),
        coords(run, py, [r.final_params[py] for r in ok]),
        c=[round_color(r.round, total) for r in ok],
        s=22,
        alpha=0.85,
    )
    best = run.best_result()
    extra = []
    if shown:
        rounds = [r["round"] for r in shown]
        which = f"round {rounds[0]}" if len(rounds) == 1 else f"rounds {rounds[0]}-{rounds[-1]}"
        extra.append(Patch(fill=False, ec="grey", label=f"boxes of the regions of {which}"))
    if best is not None and px in best.final_params and py in best.final_params:
        ax.scatter(
            coords(run, px, [best.final_params[px]]),
            coords(run, py, [best.final_params[py]]),
            **BEST,
        )
        extra.append(best_handle(best))
    set_axis(ax, run, px, "x")
    set_axis(ax, run, py, "y")
    legend(fig, ax, sorted({r.round for r in ok}), False, extra, total)
    ax.grid(alpha=0.3)
    ax.set_title(f"{run.name}: coarse to fine\n({why})", fontsize=10)
    return fig


def _two_to_show(run: Run):
    """((x, y), why): the two numeric hyperparameters that explain most of the metric (those
    without a condition, which every trial has, before those with one), or the first two when
    there are too few trials to rank them; (None, "") with fewer than two."""
    numeric = [p for p in run.params if scale_of(run, p) != "categorical"]
    if len(numeric) < 2:
        return None, ""
    try:
        shares, _ = run.importance()
    except UserError:
        return (numeric[0], numeric[1]), "too few trials to rank the hyperparameters"
    ranked = [row["hyperparameter"] for row in shares if row["hyperparameter"] in numeric]
    ranked += [p for p in numeric if p not in ranked]
    ranked.sort(key=lambda p: bool(getattr(run.space.get(p), "when", ())))  # all have: first
    return (ranked[0], ranked[1]), f"the two hyperparameters that explain most of {run.metric}"


def learning_curves(run: Run, top: int = 5) -> Figure | None:
    curves = run.curves
    if curves is None or curves.empty:
        return None
    best = [r.trial for r in run.goal.best_first(finished(run))[:top]]
    # batch_cost: the mean cost of an epoch's mini-batches (older runs named it train_cost)
    shown = ("batch_cost", "train_cost", "dev_accuracy")
    metrics = [c for c in shown if c in curves.columns] or [run.metric]
    fig = Figure(figsize=(5.5 * len(metrics), 4), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False).ravel()
    abandoned = curves["abandoned"] == 1
    marks = {r.trial: r.interventions for r in run.results}
    for i, trial in enumerate(best):
        mine = curves["trial"] == trial
        for ax, column in zip(axes, metrics):
            kept, dropped = curves[mine & ~abandoned], curves[mine & abandoned]
            ax.plot(
                kept["epoch"], kept[column], color=COLORS[i % len(COLORS)], label=f"trial {trial}"
            )
            if len(dropped):
                ax.plot(
                    dropped["epoch"],
                    dropped[column],
                    color=COLORS[i % len(COLORS)],
                    ls="--",
                    alpha=0.4,
                )
            for mark in marks.get(trial, []):
                ax.axvline(mark["epoch"], color=COLORS[i % len(COLORS)], ls=":", lw=1)
    handles = [
        Line2D([], [], color=COLORS[i % len(COLORS)], label=f"trial {t}")
        for i, t in enumerate(best)
    ]
    if abandoned.any():
        handles.append(
            Line2D([], [], color="grey", ls="--", alpha=0.5, label="epochs a rollback abandoned")
        )
    if any(marks.get(t) for t in best):
        handles.append(Line2D([], [], color="grey", ls=":", label="nudge or rollback"))
    for ax, column in zip(axes, metrics):
        ax.set(xlabel="epoch", ylabel=column.replace("_", " "), title=column.replace("_", " "))
        if "cost" in column:
            ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[-1].legend(handles=handles, fontsize=7, loc="best")
    fig.suptitle(f"{run.name}: learning curves of the best {len(best)} trials", fontsize=11)
    return fig


def best_so_far(run: Run) -> Figure:
    finished(run)
    results, total = sorted(run.results, key=lambda r: r.trial), rounds_of(run)
    values = np.array(
        [r.value if r.status == "ok" and r.value is not None else np.nan for r in results], float
    )
    scores = np.where(np.isnan(values), -np.inf, run.goal.sign * values)
    running = run.goal.sign * np.maximum.accumulate(scores)
    x = np.arange(1, len(results) + 1)
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    ax.plot(
        x,
        np.where(np.isfinite(running), running, np.nan),
        drawstyle="steps-post",
        color="black",
        label="best so far",
    )
    ax.scatter(x, values, c=[round_color(r.round, total) for r in results], s=10, alpha=0.6)
    focus(ax, values[~np.isnan(values)], run.goal.direction)
    starts = [i + 0.5 for i in range(1, len(results)) if results[i].round != results[i - 1].round]
    starts = starts if total <= 12 else []  # more lines than that are a comb
    for start in starts:
        ax.axvline(start, color="grey", ls="--", lw=1)
    extra = [Line2D([], [], color="black", label="best so far")]
    if starts:
        extra.append(Line2D([], [], color="grey", ls="--", label="a new round starts"))
    legend(fig, ax, sorted({r.round for r in results}), False, extra, total)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="trials", ylabel=run.metric, title=f"{run.name}: best {run.metric} so far")
    ax.grid(alpha=0.3)
    return fig
