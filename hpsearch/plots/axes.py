"""What every plot of a run shares: each hyperparameter's axis on its sampling scale, colours
by round, the finished and pruned trials, each round's region along one axis, legends, and the
metric axis focused on the better trials."""

from __future__ import annotations

import math

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from ..errors import UserError
from ..results import Run

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
PRUNED = {"marker": "x", "color": "#999999", "s": 16, "linewidths": 1}


ROUND_MAP = "YlGnBu"  # rounds on a sequential scale: early light, late dark (as the dashboard)
ROUND_FROM = 0.38  # where on the map round 1 is: paler is hard to see on white
BEST = {"marker": "*", "s": 260, "c": "#d62728", "edgecolors": "black", "zorder": 5}
SHOWN_REGIONS = 3  # a plot draws the regions of the last rounds only: all of 20 are a wash
LISTED_ROUNDS = 6  # more rounds than this: a colour bar, not a legend entry each


def round_color(rnd: int, rounds: int):
    """Round `rnd` of `rounds`, on the sequential scale: the colour says how late it came."""
    t = (int(rnd) - 1) / max(int(rounds) - 1, 1)
    return colormaps[ROUND_MAP](ROUND_FROM + (1 - ROUND_FROM) * t)


def rounds_of(run: Run) -> int:
    """How many rounds the run has (started)."""
    return max([len(run.regions), *(r.round for r in run.results)])


def shown_regions(run: Run) -> list:
    """The region records a plot draws: the last SHOWN_REGIONS rounds after the first."""
    return run.regions[1:][-SHOWN_REGIONS:]


def scale_of(run: Run, param: str) -> str:
    dist = run.space.get(param)
    if dist is None:
        values = [r.final_params.get(param) for r in run.results if param in r.final_params]
        return (
            "linear"
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            else "categorical"
        )
    return "categorical" if hasattr(dist, "values") else dist.scale


def coords(run: Run, param: str, values):
    """Plot coordinates of a hyperparameter's values: 1 - v for one_minus_log."""
    values = np.asarray(values, float)
    return 1 - values if scale_of(run, param) == "one_minus_log" else values


def set_axis(ax, run: Run, param: str, axis: str = "x"):
    scale = scale_of(run, param)
    set_scale, set_label = (
        (ax.set_xscale, ax.set_xlabel) if axis == "x" else (ax.set_yscale, ax.set_ylabel)
    )
    if scale == "log":
        set_scale("log")
        set_label(f"{param} (log scale)")
        dist = run.space.get(param)
        if dist is not None and dist.high < 30 * dist.low:  # else minor ticks get labels: 3x10^1
            line = ax.xaxis if axis == "x" else ax.yaxis
            line.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            line.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            line.set_minor_formatter(NullFormatter())
    elif scale == "one_minus_log":
        set_scale("log")
        (ax.invert_xaxis if axis == "x" else ax.invert_yaxis)()  # beta grows to the right / up
        (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(
            FuncFormatter(lambda v, _: f"{1 - v:.6g}")
        )
        set_label(f"{param} (log scale of 1 - {param})")
    else:
        set_label(param)


def categories(run: Run, param: str) -> list:
    dist = run.space.get(param)
    if dist is not None and hasattr(dist, "values"):
        return [str(v) for v in dist.values]
    return sorted({str(r.final_params[param]) for r in run.results if param in r.final_params})


def finished(run: Run) -> list:
    ok = run.goal.finished(run.results)
    if not ok:
        raise UserError(
            f"no trial of '{run.path}' finished: there is nothing to plot",
            fix=f"see why in the error column: hpsearch results {run.path}",
        )
    return ok


def pruned_with_values(run: Run) -> list:
    return [r for r in run.results if r.status == "pruned" and run.goal.score(r.value) > -math.inf]


def spans(run: Run, param: str, record: dict) -> list[tuple]:
    """The region of one round along one hyperparameter: merged intervals, in plot coordinates."""
    intervals = sorted(
        tuple(sorted(coords(run, param, b[param]))) for b in record["boxes"] if param in b
    )
    merged = []
    for lo, hi in intervals:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def legend(fig, ax, rounds, pruned: bool, extra=(), total: int | None = None):
    """The figure's legend, below the plots (never over a point): a marker per round, or, past
    LISTED_ROUNDS rounds, a colour bar of the rounds beside `ax` (an Axes, or a grid's list of
    them: the bar then spans the grid); then pruned trials and `extra` handles."""
    total = total or max(rounds, default=1)
    handles = []
    if len(rounds) <= LISTED_ROUNDS:
        handles = [
            Line2D([], [], ls="", marker="o", color=round_color(r, total), label=f"round {r}")
            for r in rounds
        ]
    else:
        colors = ListedColormap([round_color(r, total) for r in range(1, total + 1)])
        bar = fig.colorbar(
            ScalarMappable(BoundaryNorm(np.arange(0.5, total + 1), total), colors),
            ax=ax,
            fraction=0.04,
            pad=0.01,
        )
        bar.set_label("round", fontsize=8)
        bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
        bar.ax.tick_params(labelsize=7)
    if pruned:
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="x",
                color=PRUNED["color"],
                label="pruned (value when stopped)",
            )
        )
    handles += list(extra)
    if handles:
        fig.legend(
            handles=handles, fontsize=8, loc="outside lower center", ncols=min(len(handles), 4)
        )


def best_handle(best) -> Line2D:
    return Line2D(
        [],
        [],
        ls="",
        marker="*",
        ms=13,
        color=BEST["c"],
        mec="black",
        label=f"best: trial {best.trial}",
    )


def region_bars(ax, run: Run, param: str):
    """The regions of the last rounds along `param`: a bar each across the top of `ax`, in the
    round's colour (the latest lowest, nearest the points)."""
    shown, total = shown_regions(run), rounds_of(run)
    for k, record in enumerate(reversed(shown)):
        top = 1 - 0.035 * (len(shown) - 1 - k)
        for lo, hi in spans(run, param, record):
            ax.axvspan(
                lo, hi, ymin=top - 0.025, ymax=top, color=round_color(record["round"], total), lw=0
            )


def focus(ax, y, direction):
    """Limit the metric axis to the better 80% of trials, so a few bad trials do not flatten
    the differences that matter; a note says so."""
    if len(y) < 5:
        return
    lo, hi = (
        (np.quantile(y, 0.2), y.max())
        if direction == "maximize"
        else (y.min(), np.quantile(y, 0.8))
    )
    pad = (hi - lo) * 0.08 or abs(hi) * 0.01 or 0.01
    ax.set_ylim(lo - pad, hi + pad)
    where = "below" if direction == "maximize" else "above"
    ax.annotate(
        f"worst 20% {where} the axis",
        xy=(0.01, 0.01 if where == "below" else 0.94),
        xycoords="axes fraction",
        fontsize=7,
        color="grey",
    )
