"""A report: the dashboard's views of one or more runs in one HTML file that opens offline,
with Plotly's JavaScript, the page's scripts and every row of the runs inline."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from .. import __version__
from ..compare import _unique
from ..errors import UserError
from ..store.files import atomic_write
from .data import RunView, poll
from .folder import line, side_by_side
from .page import plotly_js, report_page


def write_report(paths, out="report.html") -> tuple[Path, list[str]]:
    """Write the report of the runs at `paths` to `out`; returns its path and the warnings
    about rows that could not be read (left out)."""
    plotly_js()  # the dashboard extra, before any work
    views = [RunView(p) for p in paths]
    names = _unique([v.name for v in views])
    runs, warnings = {}, []
    for name, view in zip(names, views):
        view.as_run()  # refuses a run without a finished trial
        data = poll(view)
        view.name = name
        runs[name] = {
            "meta": {**view.meta(), "name": name},
            "poll": data,
            "line": line(view, data["summary"]),
        }
        for part in (data["trials"], data["curves"], data["summary"]):
            warnings += [f"{view.run.path}: {w}" for w in part["warnings"]]
        warnings += [
            f"{table}: its last line is incomplete (being written, or cut short): left out"
            for table in view.cut_short
        ]
    title = f"hpsearch report: {', '.join(names)}"
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    boot = {
        "order": names,
        "runs": runs,
        "compare": side_by_side(views) if len(views) > 1 else None,
        "start": f"#/run/{quote(names[0], safe='')}" if len(names) == 1 else "#/",
        "made": f"hpsearch {__version__}, {stamp}",
    }
    out = Path(out)
    if out.is_dir() or not out.parent.is_dir():
        raise UserError(
            f"cannot write '{out}'",
            key="-o",
            fix="give a file in an existing folder, such as report.html",
        )
    atomic_write(out, report_page(boot, title))
    return out, warnings
