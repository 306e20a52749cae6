"""Plots of a search, as matplotlib Figures (no display needed) and PNG files.

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
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .errors import UserError
from .results import Run

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
PRUNED = dict(marker="x", color="#999999", s=16, linewidths=1)


def _color(rnd: int) -> str:
    return COLORS[(int(rnd) - 1) % len(COLORS)]


def _scale(run: Run, param: str) -> str:
    dist = run.space.get(param)
    if dist is None:
        values = [r.final_params.get(param) for r in run.results if param in r.final_params]
        return "linear" if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values) else "categorical"
    return "categorical" if hasattr(dist, "values") else dist.scale


def _x(run: Run, param: str, values):
    """Plot coordinates of a hyperparameter's values: 1 - v for one_minus_log."""
    values = np.asarray(values, float)
    return 1 - values if _scale(run, param) == "one_minus_log" else values


def _set_axis(ax, run: Run, param: str, axis: str = "x"):
    scale = _scale(run, param)
    set_scale, set_label = (ax.set_xscale, ax.set_xlabel) if axis == "x" else (ax.set_yscale, ax.set_ylabel)
    if scale == "log":
        set_scale("log")
        set_label(f"{param} (log scale)")
    elif scale == "one_minus_log":
        set_scale("log")
        (ax.invert_xaxis if axis == "x" else ax.invert_yaxis)()  # beta grows to the right / up
        (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(FuncFormatter(lambda v, _: f"{1 - v:.6g}"))
        set_label(f"{param} (log scale of 1 - {param})")
    else:
        set_label(param)


def _categories(run: Run, param: str) -> list:
    dist = run.space.get(param)
    if dist is not None and hasattr(dist, "values"):
        return [str(v) for v in dist.values]
    return sorted({str(r.final_params[param]) for r in run.results if param in r.final_params})


def _finished(run: Run) -> list:
    ok = [r for r in run.results if r.status == "ok" and run.goal.score(r.value) > -math.inf]
    if not ok:
        raise UserError(f"no trial of '{run.path}' finished: there is nothing to plot",
                        fix=f"see why in the error column: hpsearch results {run.path}")
    return ok


def _pruned(run: Run) -> list:
    return [r for r in run.results if r.status == "pruned" and run.goal.score(r.value) > -math.inf]


def _spans(run: Run, param: str, record: dict) -> list[tuple]:
    """The region of one round along one hyperparameter: merged intervals, in plot coordinates."""
    intervals = sorted(tuple(sorted(_x(run, param, b[param]))) for b in record["boxes"] if param in b)
    merged = []
    for lo, hi in intervals:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _legend(ax, rounds, pruned: bool, extra=()):
    handles = [Line2D([], [], ls="", marker="o", color=_color(r), label=f"round {r}") for r in rounds]
    if pruned:
        handles.append(Line2D([], [], ls="", marker="x", color=PRUNED["color"], label="pruned (value when stopped)"))
    handles += list(extra)
    ax.legend(handles=handles, fontsize=7, loc="best", framealpha=0.8)


def metric_vs_params(run: Run) -> Figure:
    ok, pruned = _finished(run), _pruned(run)
    n = max(len(run.params), 1)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(max(4.8 * cols, 6.4), 3.6 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, param in zip(axes, run.params):
        for group, style in ((pruned, PRUNED), (ok, None)):
            have = [r for r in group if param in r.final_params]
            y = [r.value for r in have]
            if _scale(run, param) == "categorical":
                cats = _categories(run, param)
                jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(have))
                x = np.array([cats.index(str(r.final_params[param])) for r in have], float) + jitter
                ax.set_xticks(range(len(cats)), cats)
                ax.set_xlabel(param)
            else:
                x = _x(run, param, [r.final_params[param] for r in have])
            if style is None:
                ax.scatter(x, y, c=[_color(r.round) for r in have], s=18, alpha=0.8)
            elif len(have):
                ax.scatter(x, y, **style)
        if _scale(run, param) != "categorical":
            for record in run.regions[1:]:
                for lo, hi in _spans(run, param, record):
                    ax.axvspan(lo, hi, color=_color(record["round"]), alpha=0.08, lw=0)
            _set_axis(ax, run, param)
        ax.set_ylabel(run.metric)
        _focus(ax, np.array([r.value for r in ok]), run.goal.direction)
        ax.grid(alpha=0.3)
    for ax in axes[len(run.params):]:
        ax.set_visible(False)
    shade = Patch(color="grey", alpha=0.2, label="region a later round sampled")
    _legend(axes[0], sorted({r.round for r in ok}), bool(pruned), [shade] if len(run.regions) > 1 else [])
    fig.suptitle(f"{run.name}: {run.metric} against each hyperparameter", fontsize=11)
    return fig


def _focus(ax, y, direction):
    """Limit the metric axis to the better 80% of trials, so a few bad trials do not flatten
    the differences that matter; a note says so."""
    if len(y) < 5:
        return
    lo, hi = (np.quantile(y, 0.2), y.max()) if direction == "maximize" else (y.min(), np.quantile(y, 0.8))
    pad = (hi - lo) * 0.08 or abs(hi) * 0.01 or 0.01
    ax.set_ylim(lo - pad, hi + pad)
    where = "below" if direction == "maximize" else "above"
    ax.annotate(f"worst 20% {where} the axis", xy=(0.01, 0.01 if where == "below" else 0.94),
                xycoords="axes fraction", fontsize=7, color="grey")


def influence(run: Run) -> dict:
    """How much of the metric's variance each numeric hyperparameter explains, on its sampling
    scale (correlation ratio over quantile bins): high for a learning rate with an optimum in
    the middle, where a correlation coefficient would see nothing."""
    out = {}
    ok = [r for r in _finished(run)]
    for param in run.params:
        have = [r for r in ok if param in r.final_params]
        if _scale(run, param) == "categorical" or len(have) < 4:
            continue
        x = _x(run, param, [r.final_params[param] for r in have])
        x = np.log10(x) if _scale(run, param) in ("log", "one_minus_log") else x
        y = np.array([r.value for r in have])
        bins = np.quantile(x, np.linspace(0, 1, min(5, len(have) // 2) + 1))
        groups = np.clip(np.searchsorted(bins, x, side="right") - 1, 0, len(bins) - 2)
        means = np.array([y[groups == g].mean() for g in groups])
        out[param] = float(((means - y.mean()) ** 2).mean() / y.var()) if y.var() > 0 else 0.0
    return out


def coarse_to_fine(run: Run) -> Figure | None:
    """The two most influential numeric hyperparameters, trials by round, regions as boxes."""
    scores = influence(run)
    if len(scores) < 2:
        return None
    px, py = sorted(scores, key=lambda p: -scores[p])[:2]
    ok = [r for r in _finished(run) if px in r.final_params and py in r.final_params]
    fig = Figure(figsize=(7, 6), layout="constrained")
    ax = fig.subplots()
    for record in run.regions[1:]:
        for box in record["boxes"]:
            if px in box and py in box:
                (x0, x1), (y0, y1) = (sorted(_x(run, p, box[p])) for p in (px, py))
                ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec=_color(record["round"]), lw=1, alpha=0.7))
    ax.scatter(_x(run, px, [r.final_params[px] for r in ok]), _x(run, py, [r.final_params[py] for r in ok]),
               c=[_color(r.round) for r in ok], s=22, alpha=0.85)
    best = run.best_result()
    extra = [Patch(fill=False, ec="grey", label="a box of a round's region")] if len(run.regions) > 1 else []
    if best is not None and px in best.final_params and py in best.final_params:
        ax.scatter(_x(run, px, [best.final_params[px]]), _x(run, py, [best.final_params[py]]), marker="*", s=250,
                   c="gold", ec="black", zorder=5)
        extra.append(Line2D([], [], ls="", marker="*", ms=12, color="gold", mec="black", label=f"best: trial {best.trial}"))
    _set_axis(ax, run, px, "x")
    _set_axis(ax, run, py, "y")
    _legend(ax, sorted({r.round for r in ok}), False, extra)
    ax.grid(alpha=0.3)
    ax.set_title(f"{run.name}: coarse to fine\n(the two hyperparameters that explain most of {run.metric})", fontsize=10)
    return fig


def learning_curves(run: Run, top: int = 5) -> Figure | None:
    curves = run.curves
    if curves is None or curves.empty:
        return None
    best = [r.trial for r in run.goal.best_first(_finished(run))[:top]]
    metrics = [c for c in ("train_cost", "dev_accuracy") if c in curves.columns] or [run.metric]
    fig = Figure(figsize=(5.5 * len(metrics), 4), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False).ravel()
    abandoned = curves["abandoned"] == 1
    marks = {r.trial: r.interventions for r in run.results}
    for i, trial in enumerate(best):
        mine = curves["trial"] == trial
        for ax, column in zip(axes, metrics):
            kept, dropped = curves[mine & ~abandoned], curves[mine & abandoned]
            ax.plot(kept["epoch"], kept[column], color=COLORS[i % len(COLORS)], label=f"trial {trial}")
            if len(dropped):
                ax.plot(dropped["epoch"], dropped[column], color=COLORS[i % len(COLORS)], ls="--", alpha=0.4)
            for mark in marks.get(trial, []):
                ax.axvline(mark["epoch"], color=COLORS[i % len(COLORS)], ls=":", lw=1)
    handles = [Line2D([], [], color=COLORS[i % len(COLORS)], label=f"trial {t}") for i, t in enumerate(best)]
    if abandoned.any():
        handles.append(Line2D([], [], color="grey", ls="--", alpha=0.5, label="epochs a rollback abandoned"))
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
    _finished(run)
    results = sorted(run.results, key=lambda r: r.trial)
    values = np.array([r.value if r.status == "ok" and r.value is not None else np.nan for r in results], float)
    scores = np.where(np.isnan(values), -np.inf, run.goal.sign * values)
    running = run.goal.sign * np.maximum.accumulate(scores)
    x = np.arange(1, len(results) + 1)
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    ax.plot(x, np.where(np.isfinite(running), running, np.nan), drawstyle="steps-post", color="black", label="best so far")
    ax.scatter(x, values, c=[_color(r.round) for r in results], s=10, alpha=0.6)
    _focus(ax, values[~np.isnan(values)], run.goal.direction)
    starts = [i + 0.5 for i in range(1, len(results)) if results[i].round != results[i - 1].round]
    for start in starts:
        ax.axvline(start, color="grey", ls="--", lw=1)
    extra = [Line2D([], [], color="black", label="best so far")]
    if starts:
        extra.append(Line2D([], [], color="grey", ls="--", label="a new round starts"))
    _legend(ax, sorted({r.round for r in results}), False, extra)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="trials", ylabel=run.metric, title=f"{run.name}: best {run.metric} so far")
    ax.grid(alpha=0.3)
    return fig


def plot_run(run: Run, out: Path) -> list[Path]:
    """Write every plot of `run` as PNG files in `out`; returns their paths. Raises UserError
    (writing nothing) when no trial finished."""
    figures = {"metric_vs_params": metric_vs_params(run), "coarse_to_fine": coarse_to_fine(run),
               "learning_curves": learning_curves(run), "best_so_far": best_so_far(run)}
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fig in figures.items():
        if fig is not None:
            path = out / f"{name}.png"
            fig.savefig(path, dpi=110)
            written.append(path)
    return written
