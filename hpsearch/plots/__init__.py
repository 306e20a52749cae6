"""Plots of a search: `plot_run(run, folder)` writes them as PNG files (see `figures`)."""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..results import Run
from .figures import best_so_far, coarse_to_fine, learning_curves, metric_vs_params

__all__ = ["best_so_far", "coarse_to_fine", "learning_curves", "metric_vs_params", "plot_run"]


def plot_run(run: Run, out: Path, rnd: int | None = None) -> list[Path]:
    """Write every plot of `run` as PNG files in `out`; returns their paths. Coarse to fine
    draws the boxes of round `rnd` (default: of the last rounds). Raises UserError (writing
    nothing) when no trial finished, or the run has no round `rnd`."""
    if rnd is not None and rnd not in {r["round"] for r in run.regions}:
        raise UserError(
            f"the run has no round {rnd}",
            key="--round",
            fix=f"rounds: 1 to {len(run.regions)}",
        )
    figures = {
        "metric_vs_params": metric_vs_params(run),
        "coarse_to_fine": coarse_to_fine(run, rnd),
        "learning_curves": learning_curves(run),
        "best_so_far": best_so_far(run),
    }
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fig in figures.items():
        if fig is not None:
            path = out / f"{name}.png"
            fig.savefig(path, dpi=110)
            written.append(path)
    return written
