"""Plots of a search, as matplotlib Figures (no display needed) and PNG files.

- the metric against each hyperparameter, on the axis of its sampling scale (log for `log`; for
  `one_minus_log`, 1 - value on a log axis, labelled in the value), points coloured by round,
  each round's region shaded;
- the two most influential hyperparameters against each other with the rounds' regions drawn as
  rectangles (the course's coarse-to-fine picture);
- learning curves of the best trials;
- the best metric so far against the number of trials.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

from .results import Run
from .space import Categorical

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def _scale(run: Run, param: str) -> str:
    dist = run.space.get(param)
    if dist is None:
        values = pd.to_numeric(run.trials[param], errors="coerce")
        return "categorical" if values.isna().any() else "linear"
    return "categorical" if isinstance(dist, Categorical) else dist.scale


def _x(run: Run, param: str, values):
    """Plot coordinates of a hyperparameter's values: 1 - v for one_minus_log."""
    values = pd.to_numeric(values, errors="coerce")
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
    return [str(v) for v in dist.values] if isinstance(dist, Categorical) else sorted(map(str, run.trials[param].unique()))


def _round_colors(rounds):
    return [COLORS[(int(r) - 1) % len(COLORS)] for r in rounds]


def _spans(run: Run, param: str, record: dict) -> list[tuple]:
    """The region of one round along one hyperparameter: merged intervals, in plot coordinates."""
    intervals = sorted(tuple(_x(run, param, pd.Series(b[param]))) for b in record["boxes"] if param in b)
    intervals = [tuple(sorted(i)) for i in intervals]
    merged = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def metric_vs_params(run: Run) -> Figure:
    ok = run.finished
    n = max(len(run.params), 1)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig = Figure(figsize=(5 * cols, 3.8 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    y = pd.to_numeric(ok[run.metric])
    for ax, param in zip(axes, run.params):
        if _scale(run, param) == "categorical":
            cats = _categories(run, param)
            pos = ok[param].astype(str).map({c: i for i, c in enumerate(cats)})
            jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(pos))
            ax.scatter(pos + jitter, y, c=_round_colors(ok["round"]), s=18, alpha=0.8)
            ax.set_xticks(range(len(cats)), cats)
            ax.set_xlabel(param)
        else:
            for record in run.regions[1:]:
                for lo, hi in _spans(run, param, record):
                    ax.axvspan(lo, hi, color=COLORS[(record["round"] - 1) % len(COLORS)], alpha=0.08, lw=0)
            ax.scatter(_x(run, param, ok[param]), y, c=_round_colors(ok["round"]), s=18, alpha=0.8)
            _set_axis(ax, run, param)
        ax.set_ylabel(run.metric)
        _focus(ax, y, run.goal)
        ax.grid(alpha=0.3)
    for ax in axes[len(run.params):]:
        ax.set_visible(False)
    _legend(fig, axes[0], sorted(ok["round"].unique()))
    fig.suptitle(f"{run.name}: {run.metric} against each hyperparameter (colour: round; shade: the region "
                 "each later round sampled)")
    return fig


def _focus(ax, y, goal):
    """Limit the metric axis to the better 80% of trials, so a few bad trials do not flatten
    the differences that matter; the clipped trials are drawn as small marks at the edge."""
    if len(y) < 5:
        return
    lo, hi = (np.quantile(y, 0.2), y.max()) if goal == "maximize" else (y.min(), np.quantile(y, 0.8))
    pad = (hi - lo) * 0.08 or abs(hi) * 0.01 or 0.01
    ax.set_ylim(lo - pad, hi + pad)
    ax.annotate("worst 20% of trials below the axis" if goal == "maximize" else "worst 20% above the axis",
                xy=(0.01, 0.01 if goal == "maximize" else 0.95), xycoords="axes fraction", fontsize=7, color="grey")


def _legend(fig, ax, rounds):
    handles = [ax.scatter([], [], c=COLORS[(int(r) - 1) % len(COLORS)], s=18, label=f"round {r}") for r in rounds]
    if handles:
        ax.legend(handles=handles, fontsize=8, loc="best")


def influence(run: Run) -> dict:
    """How much of the metric's variance each hyperparameter explains (correlation ratio over
    quantile bins, or over categories): high for a learning rate with an optimum in the middle,
    where a correlation coefficient would see nothing."""
    ok = run.finished
    y = pd.to_numeric(ok[run.metric]).to_numpy()
    total = y.var()
    out = {}
    for param in run.params:
        if _scale(run, param) == "categorical" or total == 0 or len(ok) < 4:
            groups = ok[param].astype(str)
        else:
            x = pd.to_numeric(_x(run, param, ok[param]))
            groups = pd.qcut(np.log(x) if _scale(run, param) in ("log", "one_minus_log") else x,
                             q=min(5, len(ok) // 2), duplicates="drop")
        means = pd.Series(y, index=ok.index).groupby(groups, observed=True).transform("mean")
        out[param] = float(((means - y.mean()) ** 2).mean() / total) if total else 0.0
    return out


def coarse_to_fine(run: Run) -> Figure | None:
    """The two most influential numeric hyperparameters, trials by round, regions as boxes."""
    numeric = [p for p in run.params if _scale(run, p) != "categorical"]
    if len(numeric) < 2:
        return None
    scores = influence(run)
    px, py = sorted(numeric, key=lambda p: -scores[p])[:2]
    ok = run.finished
    fig = Figure(figsize=(7, 6), layout="constrained")
    ax = fig.subplots()
    for record in run.regions[1:]:
        color = COLORS[(record["round"] - 1) % len(COLORS)]
        for box in record["boxes"]:
            (x0, x1), (y0, y1) = (sorted(_x(run, p, pd.Series(box[p]))) for p in (px, py))
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec=color, lw=1, alpha=0.7))
    ax.scatter(_x(run, px, ok[px]), _x(run, py, ok[py]), c=_round_colors(ok["round"]), s=22, alpha=0.85)
    best = run.ranked().iloc[0]
    if best["status"] == "ok":
        ax.scatter(_x(run, px, pd.Series([best[px]])), _x(run, py, pd.Series([best[py]])), marker="*", s=250,
                   c="gold", ec="black", zorder=5, label=f"best: trial {best['trial']}")
    _set_axis(ax, run, px, "x")
    _set_axis(ax, run, py, "y")
    _legend(fig, ax, sorted(ok["round"].unique()))
    ax.grid(alpha=0.3)
    ax.set_title(f"{run.name}: coarse to fine\n(boxes: the region each round sampled)", fontsize=10)
    return fig


def learning_curves(run: Run, top: int = 5) -> Figure | None:
    if run.curves is None or run.curves.empty:
        return None
    best = run.ranked().head(top)
    best = best[best["status"] == "ok"]["trial"].tolist()
    fig = Figure(figsize=(11, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    abandoned = run.curves["abandoned"] == 1 if "abandoned" in run.curves else False
    for i, trial in enumerate(best):
        mine = run.curves["trial"] == trial
        for ax, column in ((left, "train_cost"), (right, "dev_accuracy")):
            kept, dropped = run.curves[mine & ~abandoned], run.curves[mine & abandoned]
            ax.plot(kept["epoch"], kept[column], color=COLORS[i % len(COLORS)], label=f"trial {trial}")
            if len(dropped):  # epochs a rollback abandoned: kept in the history, drawn faint
                ax.plot(dropped["epoch"], dropped[column], color=COLORS[i % len(COLORS)], ls="--", alpha=0.4)
    interventions = run.path / "interventions.csv" if run.path.is_dir() else None
    if interventions is not None and interventions.exists():
        marks = pd.read_csv(interventions)
        for _, mark in marks[marks["trial"].isin(best)].iterrows():
            for ax in (left, right):
                ax.axvline(mark["epoch"], color="grey", ls=":", lw=1)
    left.set(xlabel="epoch", ylabel="train cost", yscale="log", title="train cost")
    right.set(xlabel="epoch", ylabel="dev accuracy", title="dev accuracy")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    right.legend(fontsize=8)
    fig.suptitle(f"{run.name}: learning curves of the best {len(best)} trials")
    return fig


def best_so_far(run: Run) -> Figure:
    frame = run.trials.sort_values("trial")
    values = pd.to_numeric(frame[run.metric], errors="coerce").where(frame["status"] == "ok")
    running = values.cummax() if run.goal == "maximize" else values.cummin()
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    ax.plot(np.arange(1, len(frame) + 1), running, drawstyle="steps-post", color=COLORS[0])
    _focus(ax, values.dropna().to_numpy(), run.goal)
    ax.scatter(np.arange(1, len(frame) + 1), values, c=_round_colors(frame["round"]), s=10, alpha=0.6)
    for rnd, first in frame.groupby("round")["trial"].min().items():
        if rnd > 1:
            ax.axvline(list(frame["trial"]).index(first) + 0.5, color="grey", ls="--", lw=1)
    ax.set(xlabel="trials", ylabel=f"best {run.metric} so far", title=f"{run.name}: best {run.metric} so far")
    ax.grid(alpha=0.3)
    return fig


def plot_run(run: Run, out: Path) -> list[Path]:
    """Write every plot of `run` as PNG files in `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    figures = {"metric_vs_params": metric_vs_params(run), "coarse_to_fine": coarse_to_fine(run),
               "learning_curves": learning_curves(run), "best_so_far": best_so_far(run)}
    written = []
    for name, fig in figures.items():
        if fig is not None:
            path = out / f"{name}.png"
            fig.savefig(path, dpi=110)
            written.append(path)
    return written
