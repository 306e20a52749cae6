"""The runs of a folder: which there are, each one's line in the list, a run found by name, and
runs side by side (the table of `hpsearch compare`)."""

from __future__ import annotations

from pathlib import Path

from ..compare import better, compare, footnote
from ..errors import UserError
from .data import RunView, finite


def run_paths(folder: Path) -> list[Path]:
    """The run directories in `folder` (those with a config.yaml), by name."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if (p / "config.yaml").is_file())


def check_folder(folder) -> Path:
    """`folder` when it holds at least one run; a UserError saying what to do otherwise."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(
            f"'{folder}' is not a folder",
            fix="give the folder your runs are in (hpsearch run writes runs/NAME)",
        )
    if not run_paths(folder):
        raise UserError(
            f"'{folder}' holds no run (no folder with a config.yaml in it)",
            fix=f"run a search first (hpsearch run CONFIG.yaml --runs-dir {folder}), "
            "or give the folder your runs are in",
        )
    return folder


def open_view(folder: Path, name: str) -> RunView:
    """The run `name` of `folder`: a direct child, never a path that leaves the folder."""
    path = folder / name
    if "/" in name or "\\" in name or name in ("", ".", "..") or path not in run_paths(folder):
        raise LookupError(name)
    return RunView(path)


def listing(folder: Path) -> list[dict]:
    """One line per run (or what is wrong with it)."""
    lines = []
    for path in run_paths(folder):
        try:
            view = RunView(path)
            lines.append(line(view, view.summary()))
        except UserError as e:
            lines.append({"name": path.name, "error": e.message})
    return lines


def line(view: RunView, summary: dict) -> dict:
    """A run's line in the list: mode, status, counts, progress and best value."""
    best = summary["best"]
    return {
        "name": view.name,
        "mode": view.config.search["mode"],
        "status": summary["status"],
        "counts": summary["counts"],
        "done": summary["done"],
        "total": summary["total"],
        "metric": view.goal.metric,
        "direction": view.goal.direction,
        "best": best and {"trial": best["trial"], "value": best["value"]},
    }


def side_by_side(views: list[RunView], top: int = 5) -> dict:
    """`hpsearch compare` as rows: each row's name, then one cell per run; `marks` names, for
    the rows where one run is strictly best, its column."""
    if len(views) < 2:
        raise UserError("compare needs at least two runs", fix="select two or more runs")
    runs = [v.as_run() for v in views]
    frame = compare(runs, None, top)
    rows = [[key, *(finite(v) for v in values)] for key, values in frame.iterrows()]
    return {
        "columns": list(frame.columns),
        "rows": rows,
        "marks": better(frame, top),
        "note": footnote(frame),
    }
